// Flyway's and the driver's log lines on stderr: a few short ones, more with --verbose.

import java.io.PrintWriter;
import java.util.Objects;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Flyway and the driver log through java.util.logging: short lines on stderr; more with --verbose. */
final class Logging {
    /** A record's message with its parameters filled in (SimpleFormatter's set-up, reading its format, is not needed for that). */
    private static final Formatter FORMATTER = new Formatter() {
        @Override
        public String format(LogRecord record) {
            return formatMessage(record);
        }
    };
    /** Held here: java.util.logging keeps loggers only weakly, and would forget the level. */
    private static final Logger DRIVER = Logger.getLogger("org.postgresql"), FLYWAY = Logger.getLogger("org.flywaydb");

    static void configure(boolean verbose, PrintWriter err) {
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        root.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (isLoggable(record)) {
                    String source = record.getLoggerName() != null && record.getLoggerName().startsWith("org.flywaydb")
                            ? "flyway" : Objects.requireNonNullElse(record.getLoggerName(), "log");
                    err.println("  " + source + ": " + FORMATTER.formatMessage(record));
                }
            }

            @Override public void flush() { err.flush(); }
            @Override public void close() { }
        });
        root.setLevel(verbose ? Level.INFO : Level.WARNING);
        DRIVER.setLevel(Level.WARNING);
        // Flyway's log only with --verbose: the run reports migrations (and Flyway's warnings) itself.
        FLYWAY.setLevel(verbose ? Level.INFO : Level.OFF);
    }
}
