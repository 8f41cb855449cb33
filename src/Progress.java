// A progress line on stderr for long loads, when stderr is a terminal.

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * What a long run is doing, redrawn in place four times a second: the file, a bar while its rows
 * are read and staged (rows, rows/s), then what it does with them. Nothing is drawn in the first
 * second, so short runs never show one, and nothing at all when stderr is not a terminal (a log,
 * a pipe, CI): there it would be noise.
 */
final class Progress implements AutoCloseable {

    /** No progress line: stderr is not a terminal. */
    static final Progress NONE = new Progress(null);

    private static final long QUIET_NANOS = 1_000_000_000L;
    private static final int BAR = 24;

    private final PrintWriter err;
    private final AtomicLong rows = new AtomicLong();
    private volatile String file = "", step = "";
    private volatile DoubleSupplier fraction;
    private volatile long stepStarted = System.nanoTime();
    private final long started = System.nanoTime();
    private Thread ticker;
    private boolean drawn, closed;

    private Progress(PrintWriter err) {
        this.err = err;
    }

    /** A progress line on err when it is this process's stderr and a terminal; else none. */
    static Progress onTerminal(PrintWriter err, boolean isProcessStderr) {
        return isProcessStderr && stderrIsTerminal() ? new Progress(err).start() : NONE;
    }

    /** Whether file descriptor 2 is a terminal (Linux: /proc/self/fd/2 → /dev/pts/N or /dev/ttyN). */
    static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception notLinux) {
            return false;
        }
    }

    private Progress start() {
        ticker = new Thread(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(250);
                    draw();
                }
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        }, "progress");
        ticker.setDaemon(true);
        ticker.start();
        return this;
    }

    /** A new step of a file: reading its rows (with how far, 0 to 1, when known), or a step without a count. */
    void step(String fileName, String what, DoubleSupplier howFar) {
        if (err == null) {
            return;
        }
        file = fileName;
        step = what;
        fraction = howFar;
        rows.set(0);
        stepStarted = System.nanoTime();
    }

    void advance(long n) {
        if (err != null) {
            rows.addAndGet(n);
        }
    }

    private synchronized void draw() {
        if (closed || System.nanoTime() - started < QUIET_NANOS) {
            return;
        }
        err.print("\r\033[K" + line(file, step, fraction == null ? -1 : fraction.getAsDouble(), rows.get(),
                (System.nanoTime() - stepStarted) / 1e9));
        err.flush();
        drawn = true;
    }

    /** One progress line: "  instruments.yaml  [████████░░░░]  52%  523,000 rows  412,000 rows/s". */
    static String line(String file, String step, double fraction, long rows, double seconds) {
        var line = new StringBuilder("  ").append(file).append("  ").append(step);
        if (fraction >= 0) {
            int filled = (int) Math.round(Math.min(1, fraction) * BAR);
            line.append("  [").append("█".repeat(filled)).append("░".repeat(BAR - filled)).append("] ")
                    .append(String.format(Locale.ROOT, "%3d%%", Math.round(Math.min(1, fraction) * 100)));
        }
        if (rows > 0) {
            line.append(String.format(Locale.ROOT, "  %,d rows", rows));
            if (seconds > 0) {
                line.append(String.format(Locale.ROOT, "  %,d rows/s", Math.round(rows / seconds)));
            }
        } else {
            line.append(String.format(Locale.ROOT, "  %.1f s", seconds));
        }
        return line.toString();
    }

    /** Stops drawing and clears the line, so that the report starts on a clean one. */
    @Override
    public synchronized void close() {
        closed = true;
        if (ticker != null) {
            ticker.interrupt();
            ticker = null;
        }
        if (drawn) {
            err.print("\r\033[K");
            err.flush();
            drawn = false;
        }
    }
}
