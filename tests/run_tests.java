///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Runs every *Test class in tests/ against the PostgreSQL at TEST_DATABASE_URL; the last line says "N passed, N failed".
//JAVA 17+

//DEPS org.junit.jupiter:junit-jupiter:6.1.3
//DEPS org.junit.platform:junit-platform-launcher:6.1.3
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.3

//SOURCES ../seed_database.java
//SOURCES TestDatabase.java
//SOURCES PrivateServer.java
//SOURCES WithDatabase.java
//SOURCES FreshProject.java
//SOURCES PrivateFleet.java
//SOURCES *Test.java

// The sources hold → and …: UTF-8 whatever the locale of the machine that builds them.
//JAVAC_OPTIONS -encoding UTF-8

import static org.junit.platform.engine.discovery.ClassNameFilter.includeClassNamePatterns;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClasspathRoots;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The test runner: JUnit's launcher over every class named *Test compiled into this script, or
 * only those named on the command line (ClassName or ClassName#method). Prints one line per
 * test, the failures in full, and last "N passed, N failed"; exits non-zero unless all passed.
 */
class run_tests {

    public static void main(String... args) throws Exception {
        var out = new PrintStream(System.out, true, "UTF-8");
        if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
            out.println("""
                    Usage: ./jbang tests/run_tests.java [ClassName | ClassName#method ...]
                    Runs every *Test class in tests/ (or the ones named) against the PostgreSQL at
                    TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
                    The last line is "N passed, N failed"; the exit code is 0 only when all passed.""");
            return;
        }
        List<DiscoverySelector> selectors = new ArrayList<>();
        for (String arg : args) {
            selectors.add(arg.contains("#") ? selectMethod(arg) : selectClass(arg));
        }
        if (selectors.isEmpty()) {
            Path compiled = Path.of(run_tests.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            selectors.add(selectClasspathRoots(Set.of(compiled)).get(0));
        }
        var request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectors)
                .filters(includeClassNamePatterns(".*Test"))
                .configurationParameter("junit.jupiter.displayname.generator.default",
                        "org.junit.jupiter.api.DisplayNameGenerator$ReplaceUnderscores")
                .build();
        var listener = new Listener(out);
        var launcher = LauncherFactory.create();
        launcher.execute(request, listener);
        listener.printFailures();
        int failed = listener.failed.get();
        int passed = listener.passed.get();
        if (passed + failed == 0) {
            out.println("no tests were found");
            failed = 1;
        }
        out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static final class Listener implements TestExecutionListener {
        final PrintStream out;
        final AtomicInteger passed = new AtomicInteger(), failed = new AtomicInteger();
        final List<String> failures = new ArrayList<>();
        final ConcurrentHashMap<String, Long> started = new ConcurrentHashMap<>();
        TestPlan plan;

        Listener(PrintStream out) {
            this.out = out;
        }

        @Override
        public void testPlanExecutionStarted(TestPlan testPlan) {
            plan = testPlan;
        }

        @Override
        public void executionStarted(TestIdentifier test) {
            started.put(test.getUniqueId(), System.nanoTime());
            if (test.isContainer() && test.getSource().map(s -> s instanceof org.junit.platform.engine.support.descriptor.ClassSource).orElse(false)) {
                out.println(test.getDisplayName());
            }
        }

        @Override
        public void executionSkipped(TestIdentifier test, String reason) {
            // A skipped test is not a passed one: the suite is green only when everything ran.
            failed.incrementAndGet();
            out.println("  - " + test.getDisplayName() + " (skipped: " + reason + ")");
            failures.add(name(test) + "\n    skipped: " + reason);
        }

        @Override
        public void executionFinished(TestIdentifier test, TestExecutionResult result) {
            long millis = (System.nanoTime() - started.getOrDefault(test.getUniqueId(), System.nanoTime())) / 1_000_000;
            boolean ok = result.getStatus() == TestExecutionResult.Status.SUCCESSFUL;
            if (test.isTest()) {
                (ok ? passed : failed).incrementAndGet();
                out.println("  " + (ok ? "✔ " : "✘ ") + test.getDisplayName() + " (" + millis + " ms)");
            } else if (!ok) {
                // A class whose set-up failed: its tests never ran, and that is a failure.
                failed.incrementAndGet();
                out.println("  ✘ " + test.getDisplayName() + " could not run");
            }
            if (!ok) {
                var error = result.getThrowable().orElse(null);
                var text = new StringBuilder(name(test));
                if (error != null) {
                    text.append("\n    ").append(String.valueOf(error).replace("\n", "\n    "));
                    for (var frame : error.getStackTrace()) {
                        if (!frame.getClassName().startsWith("org.junit") && !frame.getClassName().startsWith("java.")
                                && !frame.getClassName().startsWith("jdk.")) {
                            text.append("\n      at ").append(frame);
                        }
                    }
                }
                synchronized (failures) {
                    failures.add(text.toString());
                }
            }
        }

        private String name(TestIdentifier test) {
            String className = test.getSource().map(s -> s instanceof MethodSource m ? m.getClassName() + " › " : "").orElse("");
            return className + test.getDisplayName();
        }

        void printFailures() {
            if (failures.isEmpty()) {
                return;
            }
            out.println();
            out.println("Failures:");
            for (String failure : failures) {
                out.println("  " + failure);
            }
            out.println();
        }
    }
}
