// Start-up on two cores: what every run needs next is made ready on a second thread while the first reads the command line.

import java.util.concurrent.CountDownLatch;

/**
 * A run spends its first tenth of a second in picocli, building the command line by reflection,
 * on one core. The libraries it needs right after (SnakeYAML for the seed files, the JDBC driver
 * with the locale and time zone data it reads while it connects, Jdbi's configuration) take about
 * as long to load and initialize the first time: {@link #start} does that on a second thread
 * meanwhile, and {@link #await} waits for it before the run uses any of them.
 *
 * <p>Nothing here touches the user's files, the database or the network, and nothing it makes is
 * kept: only the JVM's state (classes loaded and initialized) carries over. That is why
 * the wait comes before the first of those libraries is used, not as each one is: two threads
 * initializing one library's classes at once could wait on each other's class initialization
 * for ever; picocli's (on the first thread) and these share nothing but the JDK's own. A failure
 * here costs only time: the same step fails again where the run takes it, and says so there.
 */
final class Warmup {

    private static final CountDownLatch DONE = new CountDownLatch(1);
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

    /** Before the first use of those libraries: returns once the warm-up is done (or at once, when none was started). */
    static void await() {
        if (!started) {
            return;
        }
        try {
            // Not bounded: going on while the warm-up still initializes a library is what the wait is for avoiding.
            DONE.await();
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
            // pgjdbc while it connects: its classes, the locale's number format (ServerVersion), a calendar
            // (TimestampUtils) and the default time zone (the startup packet's TimeZone).
            Class.forName("org.postgresql.Driver");
            Class.forName("org.postgresql.jdbc.PgConnection");
            Class.forName("org.postgresql.core.v3.ConnectionFactoryImpl");
            Class.forName("org.postgresql.core.v3.QueryExecutorImpl");
            java.text.NumberFormat.getIntegerInstance();
            new java.util.GregorianCalendar();
            java.util.TimeZone.getDefault();
            // The security providers, which the first SHA-256 (a seed file's checksum) looks through.
            java.security.MessageDigest.getInstance("SHA-256");
            // Jdbi: its configuration registry, made for every handle (nothing connects: the factory is never called).
            org.jdbi.v3.core.Jdbi.create(() -> {
                throw new java.sql.SQLException("the warm-up never connects");
            });
        } catch (Throwable e) {
            failure = e;   // only time was at stake (see above)
        } finally {
            DONE.countDown();
        }
    }
}
