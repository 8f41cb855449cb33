// A command over many targets in one JVM: --parallel at a time, each its own run, one report and one exit code.

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Each target runs the command as a single run would, on a connection, a transaction and a run
 * lock of its own, so that a fleet run and a single run on one target wait for each other. Its
 * report is kept apart (on writers of its own) and shown, for a target that changed or failed,
 * after one line per target; a target that fails does not stop the others (--fail-fast: no new
 * ones start). The exit code is the most serious of the targets' ({@link #SEVERITY}).
 */
final class Fleet {

    static final int DEFAULT_PARALLEL = 4;

    /** What one target's command came to: its exit code, a few words, and whether its report is worth showing. */
    record Done(int exitCode, String verdict, boolean changed) {
        static Done of(Results.RunOutcome run) {
            return new Done(run.mode().exitCode(run), Report.verdict(run), !run.inSync());
        }

        /** A command that shows something (info, history, verify): its report is the point. */
        static Done shown(int exitCode) {
            return new Done(exitCode, exitCode == 0 ? "done" : "failed", true);
        }

        /** verify: a pass is a line; a failure shows its report. */
        static Done verified(int exitCode) {
            return new Done(exitCode, exitCode == 0 ? "verified" : "failed", false);
        }
    }

    /** A command as it runs on one database: what seed_database's commands hand here. */
    interface Command {
        Done run(Config config);
    }

    /**
     * One target's result: null done when it was not started (--fail-fast, or --atomic after a
     * failure); finish: what --atomic did with its prepared transaction (null: not --atomic). What
     * a run resolved of an earlier one's is said on stderr as it happens.
     */
    record Outcome(Targets.Target target, Done done, String report, String error, long nanos, String finish) {
        boolean started() {
            return done != null;
        }

        Outcome finished(String how) {
            return new Outcome(target, done, report, error, nanos, how);
        }

        Outcome failed(Done failure, String why) {
            return new Outcome(target, failure, report, error.isEmpty() ? why : error + "\n" + why, nanos, finish);
        }
    }

    /** From least to most serious: the fleet's exit code is the most serious of its targets'. */
    static final List<Integer> SEVERITY = List.of(SeedError.EXIT_OK, SeedError.EXIT_FAILED, SeedError.EXIT_LOCKED,
            SeedError.EXIT_UNREACHABLE, SeedError.EXIT_USAGE, SeedError.EXIT_EXHAUSTED, 143, 130);

    private final Config base;

    Config base() {
        return base;
    }

    private final Options options;
    private final Mode mode;
    private final Object printing = new Object();
    /** The fleet under way, for the signal handler: what it has committed, and what it leaves prepared. */
    static volatile Fleet current;
    /** The targets whose run committed (not under --atomic), and the prepared transactions not yet ended (--atomic). */
    final java.util.Set<String> committed = java.util.concurrent.ConcurrentHashMap.newKeySet();
    final Map<String, String> preparedNow = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * What SIGINT or SIGTERM leaves of the fleet: the runs under way are rolled back, but the
     * targets that committed have committed, and a prepared transaction stays for the next run.
     */
    String interrupted() {
        var said = new StringBuilder("interrupted: the runs under way were rolled back");
        if (!committed.isEmpty()) {
            said.append("; ").append(committed.size()).append(committed.size() == 1 ? " target" : " targets")
                    .append(" had committed already: ").append(names(new ArrayList<>(new java.util.TreeSet<>(committed))));
        } else if (preparedNow.isEmpty()) {
            said.append("; nothing was written");
        }
        if (!preparedNow.isEmpty()) {
            said.append("; left prepared (--atomic), for the next fleet run on these targets to resolve: ")
                    .append(names(new java.util.TreeMap<>(preparedNow).entrySet().stream()
                            .map(e -> e.getKey() + " (" + e.getValue() + ")").toList()));
        }
        return said.append('.').toString();
    }

    /** This run's id: what its prepared transactions (--atomic) are named by. */
    final String runId = java.util.UUID.randomUUID().toString().replace("-", "");
    /** The fleet's targets by name: where recovery finds an in-doubt transaction's commit point. */
    private Map<String, Targets.Target> targetsByName = Map.of();

    private Fleet(Config base, Options options) {
        this.base = base;
        this.options = options;
        this.mode = base.mode();
    }

    /** Runs command on every target the options name; what each came to is reported, and the most serious exit code returned. */
    static int run(Config base, Options options, Command command) {
        return new Fleet(base, options).run(command);
    }

    private int run(Command command) {
        int parallelOption = options.parallel == null ? DEFAULT_PARALLEL : options.parallel;
        if (parallelOption < 1) {
            throw SeedError.usage("--parallel is " + parallelOption + "; it takes a number of connections, 1 or more", null);
        }
        if (options.atomic && base.dryRun()) {
            throw SeedError.usage("--atomic commits all targets or none; with --dry-run nothing is committed", "leave one out");
        }
        if (base.format() != Report.Format.text && base.format() != Report.Format.json) {
            throw SeedError.usage("--format " + base.format() + " reports one database; over targets, use --format text "
                    + "or json (a section per target)", null);
        }
        long started = System.nanoTime();
        var targets = Targets.resolve(options, base.target(), base.env(), base.workingDir(), base.secrets());
        checkEnvironments(targets);
        targetsByName = new LinkedHashMap<>();
        targets.list().forEach(t -> targetsByName.put(t.name(), t));
        int parallel = Math.min(parallelOption, targets.list().size());
        boolean json = base.format() == Report.Format.json;
        var out = base.out();
        if (!json && !base.quiet()) {
            out.println("seed_database " + Config.VERSION + " · " + mode.command() + " on " + targets.list().size()
                    + (targets.list().size() == 1 ? " target" : " targets") + " (" + targets.describedAs() + "), "
                    + parallel + " at a time");
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel, work -> {
            var thread = new Thread(work, "seed_database target");
            thread.setDaemon(true);
            return thread;
        });
        List<Outcome> outcomes;
        current = this;
        try {
            outcomes = options.atomic ? new AllOrNone(this, targets.list(), command, pool).run()
                    : each(targets.list(), command, pool, null, !json);
        } finally {
            current = null;
            pool.shutdownNow();
        }
        int exitCode = outcomes.stream().filter(Outcome::started).mapToInt(o -> o.done().exitCode())
                .reduce(SeedError.EXIT_OK, Fleet::moreSerious);
        if (json) {
            out.println(Json.pretty(document(outcomes, exitCode, System.nanoTime() - started)));
        } else {
            details(outcomes);
            out.println(summary(outcomes, System.nanoTime() - started));
        }
        return exitCode;
    }

    /** A target's env names a declared environment: checked for all before any target runs, as a single run checks --env. */
    private void checkEnvironments(Targets targets) {
        if (!mode.seeds() || targets.list().stream().allMatch(t -> t.environment() == null)) {
            return;
        }
        var declared = Environments.read(base.layout().seeds(), base.workingDir(), base.followSymlinks());
        for (var target : targets.list()) {
            if (target.environment() != null) {
                try {
                    declared.choose(target.environment(), Map.of());
                } catch (SeedError e) {
                    throw SeedError.usage("the target " + target.name() + " (" + targets.describedAs() + "): "
                            + e.getMessage().replace(" (from --env)", ""), e.hint);
                }
            }
        }
    }

    /**
     * Runs command on each target, --parallel at a time, in the targets' order; gids: each
     * target's prepared transaction's identifier (--atomic), else null. With lines, each target's
     * line is printed as it ends.
     */
    List<Outcome> each(List<Targets.Target> targets, Command command, ExecutorService pool,
                       java.util.function.IntFunction<String> gids, boolean lines) {
        var failed = new AtomicBoolean();
        var futures = new ArrayList<Future<Outcome>>();
        for (int i = 0; i < targets.size(); i++) {
            var target = targets.get(i);
            String gid = gids == null ? null : gids.apply(i);
            futures.add(pool.submit(() -> {
                if ((options.failFast || gids != null) && failed.get()) {
                    return new Outcome(target, null, "", "", 0, null);
                }
                var outcome = runOne(target, command, gid);
                if (outcome.done().exitCode() == 0 && mode.commits() && !base.dryRun()) {
                    if (gid != null) {
                        preparedNow.put(target.name(), gid);
                    } else {
                        committed.add(target.name());
                    }
                }
                if (outcome.done().exitCode() != 0 && !isDrift(outcome.done())) {
                    failed.set(true);
                }
                if (lines) {
                    line(outcome);
                }
                return outcome;
            }));
        }
        var outcomes = new ArrayList<Outcome>();
        try {
            for (var future : futures) {
                outcomes.add(future.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SeedError(130, null, "interrupted", null, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
        return outcomes;
    }

    /**
     * One target's command, on writers of its own; an error is said there, as a single run would
     * say it. First, what an --atomic run left in doubt there is resolved ({@link AllOrNone#recover}).
     */
    private Outcome runOne(Targets.Target target, Command command, String gid) {
        long started = System.nanoTime();
        var report = new StringWriter();
        var errors = new StringWriter();
        var targetOut = new PrintWriter(report, true);
        var config = base.onTarget(target.database(), target.vars(), target.environment(), targetOut,
                new PrintWriter(new NoteWriter(target.name()), true)).withPrepareAs(gid);
        Done done;
        try {
            AllOrNone.recover(target, targetsByName, runId, mode.commits() && !base.dryRun(), config::tell);
            done = command.run(config);
        } catch (RuntimeException | VirtualMachineError e) {
            var handler = new SeedError.Handler(targetOut, new PrintWriter(errors, true), options, base::inRepository);
            handler.target = target.database();
            done = new Done(handler.report(e, mode), "failed", false);
        }
        targetOut.flush();
        return new Outcome(target, done, report.toString(), errors.toString().strip(), System.nanoTime() - started, null);
    }

    /** A target whose work --atomic rolled back, as another target failed. */
    private static boolean rolledBack(Outcome outcome) {
        return outcome.finish() != null && outcome.finish().startsWith("rolled back");
    }

    /** check's verdict on a target that is not in sync: a finding, not a failure. */
    boolean isDrift(Done done) {
        return mode.failsWhenNotInSync() && done.exitCode() == SeedError.EXIT_FAILED && done.changed();
    }

    /** A target's line, as it ends: its name, what it came to, how long it took. */
    void line(Outcome outcome) {
        var done = outcome.done();
        boolean failure = done.exitCode() != 0 && !isDrift(done);
        if (base.quiet() && !failure) {
            return;
        }
        var style = base.style();
        String verdict = failure ? style.red("failed (exit " + done.exitCode() + ")") + ": " + gist(outcome.error())
                : rolledBack(outcome) ? style.yellow(outcome.finish()) + style.dim(" (it had: " + done.verdict() + ")")
                : (isDrift(done) ? style.red(done.verdict()) : done.verdict())
                + (outcome.finish() == null ? "" : "; " + outcome.finish());
        synchronized (printing) {
            base.out().println(String.format(Locale.ROOT, "  %-24s %s  %s", outcome.target().name(), verdict,
                    style.dim(seconds(outcome.nanos()))));
            base.out().flush();
        }
    }

    /** The report of each target that changed, and the error of each that failed, in the targets' order. */
    private void details(List<Outcome> outcomes) {
        var out = base.out();
        for (var outcome : outcomes) {
            if (!outcome.started()) {
                continue;
            }
            boolean failure = outcome.done().exitCode() != 0 && !isDrift(outcome.done());
            String text = failure ? outcome.error() + "\n" + outcome.report().strip() : outcome.report().strip();
            if ((failure || outcome.done().changed() && !rolledBack(outcome)) && !text.isBlank() && !base.quiet()) {
                out.println();
                out.println(base.style().bold(outcome.target().name()) + base.style().dim(" (" + outcome.target().database()
                        .describe() + ")"));
                text.strip().lines().forEach(line -> out.println("  " + line));
            }
        }
    }

    /** The last line: how many targets changed, were in sync, failed (each named) or were not started. */
    private String summary(List<Outcome> outcomes, long nanos) {
        var failedNames = new ArrayList<String>();
        var driftNames = new ArrayList<String>();
        var notRun = new ArrayList<String>();
        int changed = 0, inSync = 0, rolledBack = 0;
        for (var outcome : outcomes) {
            if (!outcome.started()) {
                notRun.add(outcome.target().name());
            } else if (rolledBack(outcome)) {
                rolledBack++;
            } else if (isDrift(outcome.done())) {
                driftNames.add(outcome.target().name());
            } else if (outcome.done().exitCode() != 0) {
                failedNames.add(outcome.target().name());
            } else if (outcome.done().changed()) {
                changed++;
            } else {
                inSync++;
            }
        }
        var parts = new ArrayList<String>();
        if (mode.failsWhenNotInSync()) {
            if (!driftNames.isEmpty()) {
                parts.add(base.style().red(driftNames.size() + " out of sync") + ": " + names(driftNames));
            }
        } else if (mode == Mode.VERIFY) {
            parts.add(inSync + " verified");
        } else if (changed > 0 || mode.onlyReads()) {
            parts.add(changed + (mode.onlyReads() ? " shown" : mode.commits() && !base.dryRun() ? " changed" : " to change"));
        }
        if (!mode.onlyReads() && mode != Mode.VERIFY) {
            parts.add(inSync + " in sync");
        }
        if (!failedNames.isEmpty()) {
            parts.add(base.style().red(failedNames.size() + " failed") + ": " + names(failedNames));
        }
        if (rolledBack > 0) {
            parts.add(rolledBack + " rolled back (--atomic: all or none)");
        }
        if (!notRun.isEmpty()) {
            parts.add(notRun.size() + " not started" + (options.atomic ? " (--atomic: all or none)" : " (--fail-fast)") + ": "
                    + (notRun.size() <= 10 ? names(notRun) : names(notRun.subList(0, 10)) + ", …"));
        }
        return outcomes.size() + (outcomes.size() == 1 ? " target" : " targets") + " in " + seconds(nanos) + ": "
                + String.join(", ", parts) + ".";
    }

    /** The --json document: a section per target (the document a single run prints), and the counts. */
    private Map<String, Object> document(List<Outcome> outcomes, int exitCode, long nanos) {
        var document = Report.document(mode.command());
        var sections = new ArrayList<Map<String, Object>>();
        var counts = new LinkedHashMap<String, Object>();
        for (String status : List.of("changed", "in_sync", "out_of_sync", "failed", "rolled_back", "not_started")) {
            counts.put(status, 0);
        }
        for (var outcome : outcomes) {
            var section = new LinkedHashMap<String, Object>();
            section.put("name", outcome.target().name());
            section.put("database", outcome.target().database().describe());
            String status = !outcome.started() ? "not_started" : rolledBack(outcome) ? "rolled_back"
                    : isDrift(outcome.done()) ? "out_of_sync"
                    : outcome.done().exitCode() != 0 ? "failed" : outcome.done().changed() ? "changed" : "in_sync";
            counts.merge(status, 1, (a, b) -> (Integer) a + (Integer) b);
            section.put("status", status);
            section.put("exit_code", outcome.started() ? outcome.done().exitCode() : null);
            section.put("duration_seconds", outcome.nanos() / 1e9);
            if (options.atomic) {
                section.put("atomic", outcome.finish());
            }
            section.put("result", outcome.report().isBlank() ? null : Json.parse(outcome.report()));
            sections.add(section);
        }
        document.put("exit_code", exitCode);
        document.put("duration_seconds", nanos / 1e9);
        document.put("targets", sections);
        document.put("summary", counts);
        return document;
    }

    static int moreSerious(int a, int b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(int exitCode) {
        int rank = SEVERITY.indexOf(exitCode);
        return rank < 0 ? SEVERITY.size() : rank;
    }

    private static String names(List<String> names) {
        return String.join(", ", names);
    }

    /** An error's first sentence, for its target's line (its section below has all of it). */
    private static String gist(String error) {
        String text = error.startsWith("error: ") ? error.substring("error: ".length()) : error;
        int end = text.indexOf('\n');
        text = end < 0 ? text : text.substring(0, end);
        int sentence = text.indexOf(". ");
        text = sentence < 0 ? text : text.substring(0, sentence);
        return text.length() > 160 ? text.substring(0, 157) + "…" : text;
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** A target's notes (waiting for a lock, retrying) as they come, on the tool's stderr, each line with the target's name. */
    private final class NoteWriter extends java.io.Writer {
        private final String name;
        private final StringBuilder line = new StringBuilder();

        NoteWriter(String name) {
            this.name = name;
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                if (chars[i] == '\n') {
                    synchronized (printing) {
                        base.err().println(name + ": " + line);
                        base.err().flush();
                    }
                    line.setLength(0);
                } else {
                    line.append(chars[i]);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
