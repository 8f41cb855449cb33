// Start-up on two cores: what every run needs next is made ready on a second thread while the first gets there.

import java.util.concurrent.CountDownLatch;

/**
 * The libraries a run needs first (SnakeYAML for the seed files, then the JDBC driver with the
 * locale and time zone data it reads while it connects, and Jdbi's configuration) take a tenth of
 * a second and more to load and initialize the first time: {@link #start} does that on a second
 * thread, from the first line of main, while the first reads the command line (picocli's work, when
 * there is one), the configuration and the seed files. In two stages, each awaited just before the
 * run first uses what it made ready: {@link #awaitReading} before the command runs (the seed files
 * are read with SnakeYAML, and checksummed with SHA-256), {@link #awaitConnecting} in Session.open,
 * where every connection is opened.
 *
 * <p>Nothing here touches the user's files, the database or the network, and nothing it makes is
 * kept: only the JVM's state (classes loaded and initialized) carries over. That is why each wait
 * comes before the first of its libraries is used, not as each class is: two threads initializing
 * one library's classes at once could wait on each other's class initialization for ever. While
 * the first stage runs, the first thread runs picocli (or nothing) and the tool's own classes; while
 * the second runs, the tool's configuration, the reading of the seed files (SnakeYAML, ready by
 * then) and the checksums. The two share nothing but the JDK's own classes, and one class of the
 * driver: its PGProperty, whose names the configuration checks a URL's parameters against, and
 * whose initialization uses only the JDK and PGProperty itself (so the first thread, initializing
 * it, waits on nothing of the driver's, and a second thread that needs it only waits for it). A
 * failure here costs only time: the same step fails again where the run takes it, and says so there.
 */
final class Warmup {

    private static final CountDownLatch READING = new CountDownLatch(1), CONNECTING = new CountDownLatch(1);
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

    /** Before the command runs: returns once SnakeYAML and SHA-256 are ready (or at once, when no warm-up was started). */
    static void awaitReading() {
        await(READING);
    }

    /** Before the first connection: returns once the driver and Jdbi are ready, and everything before them. */
    static void awaitConnecting() {
        await(CONNECTING);
    }

    private static void await(CountDownLatch stage) {
        if (!started) {
            return;
        }
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
            // SnakeYAML: a parser as YamlSyntax builds one for every seed file (safe construction; nodes only).
            new org.yaml.snakeyaml.Yaml(new org.yaml.snakeyaml.constructor.SafeConstructor(new org.yaml.snakeyaml.LoaderOptions()))
                    .compose(new java.io.StringReader("warm: [up, 1]\n"));
            // The security providers, which the first SHA-256 (a seed file's checksum) looks through; and the JDK's
            // logging, which the configuration (Logging) sets up while the driver, in the stage after, asks it for loggers.
            java.security.MessageDigest.getInstance("SHA-256");
            java.util.logging.Logger.getLogger("");
            READING.countDown();
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
            READING.countDown();
            CONNECTING.countDown();
        }
    }
}
