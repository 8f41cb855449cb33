// Where a run's time goes: with -Dseed_database.timing, each phase's end and its CPU time on stderr at exit.

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The phases of one run, marked where each ends, for bench/run's start-up breakdown and for
 * anyone asking why a run is slow. Off (one static check per mark) unless the system property
 * seed_database.timing is set (JAVA_TOOL_OPTIONS=-Dseed_database.timing, or through ./jbang's
 * JBANG_JAVA_OPTIONS); then, at exit, one line a phase on stderr: milliseconds since the JVM
 * started, the phase's own milliseconds of wall time and the process's CPU milliseconds in it.
 */
final class Timing {
    static final boolean ON = System.getProperty("seed_database.timing") != null;

    private record Mark(String phase, long nanos, long cpuNanos) {}

    private static final List<Mark> MARKS = new ArrayList<>();

    private Timing() {}

    /** The phase that ends now. */
    static void mark(String phase) {
        if (ON) {
            synchronized (MARKS) {
                long now = System.nanoTime();
                MARKS.add(new Mark(phase, now, cpuNanos()));
                if (MARKS.size() == 1) {
                    // Asking for CPU time loads java.management: its cost shown as a phase of its own.
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> print(System.err)));
                    MARKS.add(new Mark("(timing's own set-up)", System.nanoTime(), cpuNanos()));
                }
            }
        }
    }

    /** The CPU time of the whole process (every thread, the JIT's and the collector's too). */
    private static long cpuNanos() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    private static void print(PrintStream err) {
        mark("exit");
        var runtime = ManagementFactory.getRuntimeMXBean();
        // The JVM's start in nanoTime's terms: its uptime now, taken from nanoTime now.
        long jvmStart = System.nanoTime() - runtime.getUptime() * 1_000_000;
        long previous = jvmStart, previousCpu = 0;
        err.printf("timing %-28s %8s %8s %8s%n", "phase (until its end)", "at_ms", "wall_ms", "cpu_ms");
        synchronized (MARKS) {
            for (var mark : MARKS) {
                err.printf("timing %-28s %8d %8d %8d%n", mark.phase(), (mark.nanos() - jvmStart) / 1_000_000,
                        (mark.nanos() - previous) / 1_000_000, (mark.cpuNanos() - previousCpu) / 1_000_000);
                previous = mark.nanos();
                previousCpu = mark.cpuNanos();
            }
        }
        err.flush();
    }
}
