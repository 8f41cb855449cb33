// What a command is configured with, built once from the options and the environment: where, what, how far, how shown.

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One command's settings, resolved: the mode, the database, the directories as given (Layout
 * finds them), the environment's name as given, what to apply and how far a run may go, and the
 * form of its output on out and err, the writers that mask the run's secrets. The process
 * environment and working directory are handed in, so that tests can give their own.
 */
record Config(Mode mode, DatabaseTarget target, Map<String, String> env, Path workingDir, Path scriptDir,
              Path migrationsOption, Path seedsOption, boolean followSymlinks, String environmentOption,
              String historyTable, List<String> onlyFiles, List<String> onlyTables, boolean dryRun, String baseline,
              boolean allowDelete, int maxDeletes, boolean full, Session.Limits limits, int retries, Report.Format format,
              Report.Style style, boolean quiet, Secrets secrets, PrintWriter out, PrintWriter err, String prepareAs) {

    static final String VERSION = "0.1.0";

    /**
     * The settings of a command, checked in the order a mistake is reported: the URL, the history
     * table's name, the output form (the limits when a session starts). files: seed FILE…, the
     * files to apply (null: all).
     */
    static Config of(Mode mode, Options o, List<String> files, Map<String, String> env, Path workingDir, Path scriptDir,
                     Secrets secrets, PrintWriter out, PrintWriter err) {
        var target = DatabaseTarget.resolve(o.url, env);
        String historyTable = History.checkedName(DatabaseTarget.firstNonBlank(o.historyTable, env.get("SEED_HISTORY_TABLE"),
                History.DEFAULT_TABLE));
        var format = o.format(mode);
        boolean processEnvironment = env == System.getenv();
        var style = Report.Style.resolve(o.noColor, o.color.name(), env, System.console() != null && processEnvironment,
                processEnvironment);
        // The database's password is masked like a value from the environment, whatever prints it.
        if (target.password() != null) {
            secrets.add(target.password());
        }
        return new Config(mode, target, env, workingDir, scriptDir, o.migrations, o.seeds, o.followSymlinks, o.environment,
                historyTable, files, o.onlyTables, !mode.commits() || o.dryRun, o.baseline, o.allowDelete, o.maxDeletes,
                // verify's second pass must compare every file to show that it changes nothing.
                o.full || mode == Mode.VERIFY, new Session.Limits(o.lockTimeout, o.statementTimeout), o.retries, format, style, o.quiet, secrets, out, err, null);
    }

    /**
     * The timeouts of a session, checked (with --max-deletes) when one starts, as they always were:
     * a run has said what it would do by then.
     */
    @Override
    public Session.Limits limits() {
        if (maxDeletes < 0) {
            throw SeedError.usage("--max-deletes is " + maxDeletes + "; it takes a number of rows, 0 or more", null);
        }
        if (limits.lockTimeoutSeconds() < 0 || limits.statementTimeoutSeconds() < 0) {
            throw SeedError.usage("a timeout is a number of seconds, 0 or more", null);
        }
        return limits;
    }

    /** The same settings on another database: verify's throwaway one. */
    Config on(DatabaseTarget database) {
        return new Config(mode, database, env, workingDir, scriptDir, migrationsOption, seedsOption, followSymlinks,
                environmentOption, historyTable, onlyFiles, onlyTables, dryRun, baseline, allowDelete, maxDeletes, full, limits,
                retries, format, style, quiet, secrets, out, err, prepareAs);
    }

    /**
     * The same settings, the run's transaction ended with PREPARE TRANSACTION gid instead of a
     * commit (null: committed, as always): a target of an all-or-none fleet run, whose coordinator
     * commits or rolls back every target's prepared transaction (TwoPhase).
     */
    Config withPrepareAs(String gid) {
        return new Config(mode, target, env, workingDir, scriptDir, migrationsOption, seedsOption, followSymlinks,
                environmentOption, historyTable, onlyFiles, onlyTables, dryRun, baseline, allowDelete, maxDeletes, full, limits,
                retries, format, style, quiet, secrets, out, err, gid == null ? null : Session.checkedGid(gid));
    }

    /**
     * The same settings on one target of a fleet: its database, its ${VAR} values over the
     * environment (always a copy: a target never asks the terminal, as the process's run does),
     * its environment when it names one, and writers of its own.
     */
    Config onTarget(DatabaseTarget database, Map<String, String> vars, String environment, PrintWriter targetOut,
                    PrintWriter targetErr) {
        var targetEnv = new java.util.HashMap<>(env);
        targetEnv.putAll(vars);
        return new Config(mode, database, java.util.Collections.unmodifiableMap(targetEnv), workingDir, scriptDir,
                migrationsOption, seedsOption, followSymlinks, environment != null ? environment : environmentOption,
                historyTable, onlyFiles, onlyTables, dryRun, baseline, allowDelete, maxDeletes, full, limits, retries, format,
                style, quiet, secrets, targetOut, targetErr, prepareAs);
    }

    /** Where migrations/ and seeds/ are, each required to be there when the mode applies it. */
    Layout layout() {
        return Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, mode.migrates(), mode.seeds());
    }

    /** Whether env is this process's environment (tests hand in their own): only then are terminals asked about. */
    boolean processEnvironment() {
        return env == System.getenv();
    }

    /** How a run's report is printed on out: its form, colours, the run's warnings, GitHub's job summary. */
    Report report() {
        var report = new Report(out, format, style);
        report.target = target;
        report.quiet = quiet;
        String summary = DatabaseTarget.blankToNull(env.get("GITHUB_STEP_SUMMARY"));
        report.stepSummary = format == Report.Format.github && summary != null ? workingDir.resolve(summary) : null;
        report.mask = secrets::scrub;
        report.inRepository = this::inRepository;
        report.warnings.addAll(target.warnings());
        return report;
    }

    /**
     * A file as GitHub names it in an annotation: relative to the checkout (GITHUB_WORKSPACE, else
     * the git repository the file is in), whatever directory the tool runs from.
     */
    String inRepository(String file) {
        return inRepository(file, env, workingDir);
    }

    static String inRepository(String file, Map<String, String> env, Path workingDir) {
        Path absolute = workingDir.resolve(file).normalize();
        String workspace = DatabaseTarget.blankToNull(env.get("GITHUB_WORKSPACE"));
        Path root = workspace != null ? workingDir.resolve(workspace).normalize() : null;
        for (Path dir = absolute.getParent(); root == null && dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve(".git"))) {
                root = dir;
            }
        }
        return root != null && absolute.startsWith(root) ? root.relativize(absolute).toString() : file;
    }

    /** A line about the run's progress on stderr, where it does not mix with --json; --quiet holds it back. */
    void note(String message) {
        if (!quiet) {
            tell(message);
        }
    }

    /** A line on stderr that --quiet does not hold back. */
    void tell(String message) {
        err.println(message);
        err.flush();
    }
}
