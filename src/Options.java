// The options the commands share, as given (a picocli @Mixin of the tool); Config is what they amount to.

import java.nio.file.Path;
import java.util.List;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The shared options, declared once on the tool and inherited by every command (CommandOptions
 * takes off each the ones it does not take), in the order --help lists them.
 */
final class Options {

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Database URL or connection string (see below)")
    String url;

    @Option(names = "--migrations", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of Flyway SQL migrations (see below)")
    Path migrations;

    @Option(names = "--seeds", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of seed files (see below)")
    Path seeds;

    @Option(names = "--env", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "The environment this run is for, one that seeds/environments.yaml declares (default: SEED_ENV, "
                    + "else APP_ENV, else development); recorded in the history")
    String environment;

    @Option(names = "--dry-run", scope = ScopeType.INHERIT,
            description = "Do everything, then roll it back: show what would change, write nothing")
    boolean dryRun;

    @Option(names = "--full", scope = ScopeType.INHERIT,
            description = "Compare every seed file with its table, also a file the last run proved unchanged since")
    boolean full;

    @Option(names = "--baseline", arity = "0..1", fallbackValue = Migrations.NEWEST, paramLabel = "VERSION",
            scope = ScopeType.INHERIT,
            description = "Adopt a database whose schema another tool made (tables, but no Flyway history): record the "
                    + "migrations up to VERSION (without one: all) as applied without running them, then go on; refused when "
                    + "they create tables the database does not have")
    String baseline;

    @Option(names = "--allow-delete", scope = ScopeType.INHERIT,
            description = "Let a production run delete rows (a seed file with removal: delete); off by default")
    boolean allowDelete;

    @Option(names = "--max-deletes", paramLabel = "N", scope = ScopeType.INHERIT,
            description = "Stop a run that would remove (deactivate or delete) more than N rows (default: ${DEFAULT-VALUE})")
    int maxDeletes = 10;

    @Option(names = "--lock-timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
            description = "How long to wait for a lock (another run's, or a table's) before giving up; 0: no limit "
                    + "(default: ${DEFAULT-VALUE})")
    int lockTimeout = Session.Limits.DEFAULT.lockTimeoutSeconds();

    @Option(names = "--statement-timeout", paramLabel = "SECONDS", scope = ScopeType.INHERIT,
            description = "How long one statement (a migration's, a load) may run; 0: no limit (default: ${DEFAULT-VALUE})")
    int statementTimeout = Session.Limits.DEFAULT.statementTimeoutSeconds();

    @Option(names = "--retries", paramLabel = "N", scope = ScopeType.INHERIT,
            description = "Run again, up to N times, when the connection fails or is lost (never after a data error; "
                    + "default: ${DEFAULT-VALUE})")
    int retries;

    @Option(names = "--follow-symlinks", scope = ScopeType.INHERIT,
            description = "Read a seed file that is a link to outside the seeds directory (refused otherwise)")
    boolean followSymlinks;

    @Option(names = "--format", paramLabel = "FORMAT", scope = ScopeType.INHERIT,
            description = "What stdout gets: text (the default), json (one document; schema in the README), and for "
                    + "check, plan and verify: github (the report, with an annotation at each finding's file and line, and "
                    + "$GITHUB_STEP_SUMMARY), junit (JUnit XML) or markdown (a pull-request comment)")
    Report.Format format;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "The same as --format json")
    boolean json;

    @Option(names = "--only", paramLabel = "TABLE", split = ",", scope = ScopeType.INHERIT,
            description = "Apply only the seed files of these tables (a file that refers to another table's rows finds them "
                    + "in the database)")
    List<String> onlyTables;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "Print nothing but errors and the last line (what changed, or in sync)")
    boolean quiet;

    @Option(names = "--history-table", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "Table that records every seed run (default: SEED_HISTORY_TABLE, else seed_history)")
    String historyTable;

    @Option(names = "--targets", paramLabel = "FILE", scope = ScopeType.INHERIT,
            description = "Run the command on each database this YAML file lists (targets: a list of name, url, and "
                    + "optionally env and vars); see \"Many tenants\" in the README")
    Path targets;

    @Option(names = "--databases", paramLabel = "PATTERN", scope = ScopeType.INHERIT,
            description = "Run the command on each database of the server whose name matches this SQL LIKE pattern "
                    + "(tenant_%%); maintenance databases only when named exactly")
    String databases;

    @Option(names = "--schemas", paramLabel = "PATTERN", scope = ScopeType.INHERIT,
            description = "Run the command on each schema of the database whose name matches this SQL LIKE pattern, each "
                    + "with its own search_path, Flyway history and seed history")
    String schemas;

    @Option(names = "--parallel", paramLabel = "N", scope = ScopeType.INHERIT,
            description = "With targets: how many at a time, each on a connection of its own (default: 4)")
    Integer parallel;

    @Option(names = "--fail-fast", scope = ScopeType.INHERIT,
            description = "With targets: start no further target once one has failed (those under way finish)")
    boolean failFast;

    @Option(names = "--atomic", scope = ScopeType.INHERIT,
            description = "With targets: all of them or none, by two-phase commit (PREPARE TRANSACTION on each, then "
                    + "COMMIT PREPARED); needs max_prepared_transactions > 0 on every server")
    boolean atomic;

    /** Whether the command runs over targets (--targets, --databases or --schemas) rather than one database. */
    boolean fleet() {
        return targets != null || databases != null || schemas != null;
    }

    /** When to colour the report. */
    enum ColorWhen { auto, always, never }

    @Option(names = "--color", paramLabel = "WHEN", scope = ScopeType.INHERIT,
            description = "Colour: auto (when stdout is a terminal; the default), always or never")
    ColorWhen color = ColorWhen.auto;

    @Option(names = "--no-color", scope = ScopeType.INHERIT, description = "No colour (as NO_COLOR does)")
    boolean noColor;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show Flyway's log, and the stack trace of an error")
    boolean verbose;

    /** The form of output of a command, as far as the options tell; refused when they contradict each other or it. */
    Report.Format format(Mode mode) {
        if (json && format != null && format != Report.Format.json) {
            throw SeedError.usage("--json is --format json, which cannot go with --format " + format, "give one of them");
        }
        var chosen = json ? Report.Format.json : format == null ? Report.Format.text : format;
        if (chosen.forCi() && !mode.takesCiFormats()) {
            throw SeedError.usage("--format " + chosen + " is for check, plan and verify", "for " + mode.command()
                    + ", use --format text or json");
        }
        return chosen;
    }
}
