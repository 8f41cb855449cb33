// Start-up on two cores: what every run needs next is made ready on a second thread while the first gets there.

import java.util.concurrent.CountDownLatch;

/**
 * The libraries a run needs first (SnakeYAML for the seed files, then the JDBC driver with the
 * locale and time zone data it reads while it connects, and Jdbi's configuration) take a tenth of
 * a second and more to load and initialize the first time: {@link #start} has a second thread do
 * that from the first line of main, while the first reads the command line (picocli's work, when
 * there is one), the configuration and the seed files. In two stages, each awaited just before the
 * run first uses what it made ready: {@link #awaitReading} before the command runs (the seed files
 * are read with SnakeYAML, and checksummed with SHA-256), {@link #awaitConnecting} in Session.open,
 * where every connection is opened (Runner connects ahead, on a third thread, while the first
 * reads the seed files).
 *
 * <p>The second thread makes the driver ready first: the run's connection waits for it, and
 * connecting takes as long again. The reading stage comes after, unless a thread that needs it
 * gets there first: then that thread does it itself, instead of waiting for it (a run without a
 * command line needs it at once; one with a command line runs picocli meanwhile, and by then the
 * second thread has done it). Each stage is done once, by one thread; another that needs it waits.
 *
 * <p>Nothing here touches the user's files, the database or the network, and nothing it makes is
 * kept: only the JVM's state (classes loaded and initialized) carries over. That is why each wait
 * comes before the first of its libraries is used, not as each class is: two threads initializing
 * one library's classes at once could wait on each other's class initialization for ever. The
 * stages share nothing but the JDK's own classes (the JDK's logging among them: the driver asks it
 * for loggers, the configuration sets it up, each from its own thread, as the JDK allows), and one
 * class of the driver: its PGProperty, whose names the configuration checks a URL's parameters
 * against, and whose initialization uses only the JDK and PGProperty itself (so a thread
 * initializing it waits on nothing of the driver's, and another that needs it only waits for it).
 * While the driver's stage runs, the first thread runs picocli (or nothing), the tool's own
 * classes, the reading stage, the configuration and the reading of the seed files; none of them
 * uses the driver's classes but PGProperty, nor Jdbi's. A failure here costs only time: the same
 * step fails again where the run takes it, and says so there.
 */
final class Warmup {

    private static final CountDownLatch READING = new CountDownLatch(1), CONNECTING = new CountDownLatch(1);
    /** Set by the thread that does the reading stage (the warm-up's, or the first to need it). */
    private static final java.util.concurrent.atomic.AtomicBoolean READING_CLAIMED = new java.util.concurrent.atomic.AtomicBoolean();
    private static volatile boolean started;
    /** What went wrong in the warm-up, if anything: a name that a new version of a library no longer has, say (CommandLineTest). */
    private static volatile Throwable failure;

    private Warmup() {
    }

    /** From main, once: the work begins on a daemon thread (a run that ends first does not wait for it). */
    static void start() {
        var thread = new Thread(Warmup::run, "seed_database warm-up");
        thread.setDaemon(true);
        started = true;
        thread.start();
    }

    /**
     * Before the command runs: returns once SnakeYAML and SHA-256 are ready, made ready here when
     * the warm-up has not begun to (or at once, when no warm-up was started).
     */
    static void awaitReading() {
        if (started) {
            reading();
            await(READING);
        }
    }

    /** Before the first connection: returns once the driver and Jdbi are ready. */
    static void awaitConnecting() {
        if (started) {
            await(CONNECTING);
        }
    }

    private static void await(CountDownLatch stage) {
        try {
            // Not bounded: going on while the warm-up still initializes a library is what the wait is for avoiding.
            stage.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What made the warm-up stop short, or null. */
    static Throwable failure() {
        return failure;
    }

    private static void run() {
        try {
            // The JDK's logging first: the driver asks it for loggers, SnakeYAML too, and the configuration (Logging) sets it up.
            java.util.logging.Logger.getLogger("");
            // pgjdbc while it connects: its classes, the locale's number format (ServerVersion), a calendar
            // (TimestampUtils) and the default time zone (the startup packet's TimeZone).
            Class.forName("org.postgresql.Driver");
            Class.forName("org.postgresql.jdbc.PgConnection");
            Class.forName("org.postgresql.core.v3.ConnectionFactoryImpl");
            Class.forName("org.postgresql.core.v3.QueryExecutorImpl");
            java.text.NumberFormat.getIntegerInstance();
            new java.util.GregorianCalendar();
            java.util.TimeZone.getDefault();
            // Jdbi: its configuration registry, made for every handle (nothing connects: the factory is never called).
            org.jdbi.v3.core.Jdbi.create(() -> {
                throw new java.sql.SQLException("the warm-up never connects");
            });
        } catch (Throwable e) {
            failure = e;   // only time was at stake (see above)
        } finally {
            CONNECTING.countDown();
        }
        reading();
    }

    /** The reading stage, by the first thread to come here; the others return at once (and wait for it, if they need it). */
    private static void reading() {
        if (!READING_CLAIMED.compareAndSet(false, true)) {
            return;
        }
        try {
            // SnakeYAML: a parser as YamlSyntax builds one for every seed file (safe construction; nodes only).
            new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions()))
                    .compose(new java.io.StringReader("warm: [up, 1]\n"));
            // The security providers, which the first SHA-256 (a seed file's checksum) looks through.
            java.security.MessageDigest.getInstance("SHA-256");
        } catch (Throwable e) {
            failure = e;   // only time was at stake (see above)
        } finally {
            READING.countDown();
        }
    }
}
