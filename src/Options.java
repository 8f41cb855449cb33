// The options the commands share, as given (a picocli mixin of the tool); Config is what they amount to.

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

/**
 * The shared options, declared once on the tool and inherited by every command (CommandOptions
 * takes off each the ones it does not take), in the order --help lists them.
 */
final class Options {

    String url;
    Path migrations;
    Path seeds;
    String environment;
    boolean dryRun;
    boolean full;
    String baseline;
    boolean allowDelete;
    int maxDeletes = 10;
    int lockTimeout = Session.Limits.DEFAULT.lockTimeoutSeconds();
    int statementTimeout = Session.Limits.DEFAULT.statementTimeoutSeconds();
    int retries;
    boolean followSymlinks;
    Report.Format format;
    boolean json;
    List<String> onlyTables;
    boolean quiet;
    String historyTable;
    Path targets;
    String databases;
    String schemas;
    Integer parallel;
    boolean failFast;
    boolean atomic;
    ColorWhen color = ColorWhen.auto;
    boolean noColor;
    boolean verbose;

    /** When to colour the report. */
    enum ColorWhen { auto, always, never }

    /**
     * The options as picocli's model, built here rather than by picocli's reflection over annotated
     * fields: that reflection (every field's annotations read and parsed, a proxy made for each kind)
     * took more of a no-op run than building them does. Each option reads and writes its field.
     */
    CommandSpec spec() {
        var spec = CommandSpec.create();
        add(spec, option("--url").paramLabel("URL")
                .description("Database URL or connection string (see below)"),
                String.class, () -> url, v -> url = v);
        add(spec, option("--migrations").paramLabel("DIR")
                .description("Directory of Flyway SQL migrations (see below)"),
                Path.class, () -> migrations, v -> migrations = v);
        add(spec, option("--seeds").paramLabel("DIR")
                .description("Directory of seed files (see below)"),
                Path.class, () -> seeds, v -> seeds = v);
        add(spec, option("--env").paramLabel("NAME")
                .description("The environment this run is for, one that seeds/environments.yaml declares (default: SEED_ENV, "
                        + "else APP_ENV, else development); recorded in the history"),
                String.class, () -> environment, v -> environment = v);
        add(spec, option("--dry-run")
                .description("Do everything, then roll it back: show what would change, write nothing"),
                boolean.class, () -> dryRun, v -> dryRun = v);
        add(spec, option("--full")
                .description("Compare every seed file with its table, also a file the last run proved unchanged since"),
                boolean.class, () -> full, v -> full = v);
        add(spec, option("--baseline").paramLabel("VERSION").arity("0..1").fallbackValue(Migrations.NEWEST)
                .description("Adopt a database whose schema another tool made (tables, but no Flyway history): record the "
                        + "migrations up to VERSION (without one: all) as applied without running them, then go on; refused"
                        + " when they create tables the database does not have"),
                String.class, () -> baseline, v -> baseline = v);
        add(spec, option("--allow-delete")
                .description("Let a production run delete rows (a seed file with removal: delete); off by default"),
                boolean.class, () -> allowDelete, v -> allowDelete = v);
        add(spec, option("--max-deletes").paramLabel("N")
                .description("Stop a run that would remove (deactivate or delete) more than N rows (default: ${DEFAULT-VALUE})"),
                int.class, () -> maxDeletes, v -> maxDeletes = v);
        add(spec, option("--lock-timeout").paramLabel("SECONDS")
                .description("How long to wait for a lock (another run's, or a table's) before giving up; 0: no limit "
                        + "(default: ${DEFAULT-VALUE})"),
                int.class, () -> lockTimeout, v -> lockTimeout = v);
        add(spec, option("--statement-timeout").paramLabel("SECONDS")
                .description("How long one statement (a migration's, a load) may run; 0: no limit (default: ${DEFAULT-VALUE})"),
                int.class, () -> statementTimeout, v -> statementTimeout = v);
        add(spec, option("--retries").paramLabel("N")
                .description("Run again, up to N times, when the connection fails or is lost (never after a data error; "
                        + "default: ${DEFAULT-VALUE})"),
                int.class, () -> retries, v -> retries = v);
        add(spec, option("--follow-symlinks")
                .description("Read a seed file that is a link to outside the seeds directory (refused otherwise)"),
                boolean.class, () -> followSymlinks, v -> followSymlinks = v);
        add(spec, option("--format").paramLabel("FORMAT")
                .description("What stdout gets: text (the default), json (one document; schema in the README), and for check, "
                        + "plan and verify: github (the report, with an annotation at each finding's file and line, and "
                        + "$GITHUB_STEP_SUMMARY), junit (JUnit XML) or markdown (a pull-request comment)"),
                Report.Format.class, () -> format, v -> format = v);
        add(spec, option("--json")
                .description("The same as --format json"),
                boolean.class, () -> json, v -> json = v);
        add(spec, option("--only").paramLabel("TABLE").splitRegex(",").auxiliaryTypes(String.class)
                .description("Apply only the seed files of these tables (a file that refers to another table's rows finds them"
                        + " in the database)"),
                List.class, () -> onlyTables, v -> onlyTables = v);
        add(spec, option("-q", "--quiet")
                .description("Print nothing but errors and the last line (what changed, or in sync)"),
                boolean.class, () -> quiet, v -> quiet = v);
        add(spec, option("--history-table").paramLabel("NAME")
                .description("Table that records every seed run (default: SEED_HISTORY_TABLE, else seed_history)"),
                String.class, () -> historyTable, v -> historyTable = v);
        add(spec, option("--targets").paramLabel("FILE")
                .description("Run the command on each database this YAML file lists (targets: a list of name, url, and "
                        + "optionally env and vars); see \"Many tenants\" in the README"),
                Path.class, () -> targets, v -> targets = v);
        add(spec, option("--databases").paramLabel("PATTERN")
                .description("Run the command on each database of the server whose name matches this SQL LIKE pattern "
                        + "(tenant_%%); maintenance databases only when named exactly"),
                String.class, () -> databases, v -> databases = v);
        add(spec, option("--schemas").paramLabel("PATTERN")
                .description("Run the command on each schema of the database whose name matches this SQL LIKE pattern, each "
                        + "with its own search_path, Flyway history and seed history"),
                String.class, () -> schemas, v -> schemas = v);
        add(spec, option("--parallel").paramLabel("N")
                .description("With targets: how many at a time, each on a connection of its own (default: 4)"),
                Integer.class, () -> parallel, v -> parallel = v);
        add(spec, option("--fail-fast")
                .description("With targets: start no further target once one has failed (those under way finish)"),
                boolean.class, () -> failFast, v -> failFast = v);
        add(spec, option("--atomic")
                .description("With targets: all of them or none, by two-phase commit (PREPARE TRANSACTION on each, then COMMIT"
                        + " PREPARED); needs max_prepared_transactions > 0 on every server"),
                boolean.class, () -> atomic, v -> atomic = v);
        add(spec, option("--color").paramLabel("WHEN")
                .description("Colour: auto (when stdout is a terminal; the default), always or never"),
                ColorWhen.class, () -> color, v -> color = v);
        add(spec, option("--no-color")
                .description("No colour (as NO_COLOR does)"),
                boolean.class, () -> noColor, v -> noColor = v);
        add(spec, option("-v", "--verbose")
                .description("Show Flyway's log, and the stack trace of an error"),
                boolean.class, () -> verbose, v -> verbose = v);
        return spec;
    }

    private static OptionSpec.Builder option(String... names) {
        return OptionSpec.builder(names).scopeType(ScopeType.INHERIT);
    }

    /** Adds the option, of this type, bound to a field: picocli reads it through get and sets it through set. */
    @SuppressWarnings("unchecked")
    private static <T> void add(CommandSpec spec, OptionSpec.Builder option, Class<? super T> type, Supplier<T> get, Consumer<T> set) {
        spec.addOption(option.type(type).initialValue(get.get()).hasInitialValue(true)
                .getter(new IGetter() {
                    @Override
                    public <V> V get() {
                        return (V) get.get();
                    }
                })
                .setter(new ISetter() {
                    @Override
                    public <V> V set(V value) {
                        V old = (V) get.get();
                        set.accept((T) value);
                        return old;
                    }
                })
                .build());
    }

    /** Whether the command runs over targets (--targets, --databases or --schemas) rather than one database. */
    boolean fleet() {
        return targets != null || databases != null || schemas != null;
    }

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
