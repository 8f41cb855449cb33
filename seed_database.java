///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Keeps a PostgreSQL database's reference data in step with seed files: Flyway migrations, then idempotent upserts.
//JAVA 17+

//DEPS info.picocli:picocli:4.7.7

//DEPS org.postgresql:postgresql:42.7.14
// Unix-domain sockets for pgjdbc (a socket factory): junixsocket, with its native library for each platform.
//DEPS com.kohlschutter.junixsocket:junixsocket-common:2.10.1
//DEPS com.kohlschutter.junixsocket:junixsocket-native-common:2.10.1
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.flywaydb:flyway-core:13.12.0
//DEPS org.flywaydb:flyway-database-postgresql:13.12.0

//DEPS org.yaml:snakeyaml:2.7

//DEPS org.slf4j:slf4j-jdk14:2.0.17

//SOURCES src/*.java

// The sources hold → and …: UTF-8 whatever the locale of the machine that builds them (cron, env -i).
//JAVAC_OPTIONS -encoding UTF-8
// A short run: the C1 compiler and the serial collector start fastest and keep memory small. The heap
// is bounded (a million CSV rows take under 200 MB, five million under 500 MB): an input that needs
// more is a clear error (exit code 5), not a machine swapping or a process killed by the kernel. The
// default charset UTF-8, as on JDK 18 and later, also under a POSIX locale.
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx1g -Dfile.encoding=UTF-8

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * seed_database: one command that migrates a PostgreSQL database with Flyway, then upserts the
 * reference data in seeds/*.yaml, writing only the rows that differ, all in one transaction.
 *
 * <p>A run flows through one class per step, each in src/ under its own name: the CLI here →
 * DatabaseTarget (URL forms) → Layout (where migrations/ and seeds/ are) → SeedFile (YAML → rows
 * with their line numbers) → Session (one connection, one transaction, one advisory lock) →
 * Migrations (Flyway, inside that transaction) → Catalog → Seeder (stage with COPY, diff, write)
 * → Report. Errors a user can cause are SeedErrors, turned into a paragraph and an exit code in
 * exactly one place, {@link #reportFailure}.
 */
@Command(name = "seed_database", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        version = {"seed_database " + seed_database.VERSION, "Java ${java.version} (${java.vendor})"},
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
                "Keeps a PostgreSQL database's reference data in step with this repository:",
                "applies the Flyway migrations in migrations/, then upserts the rows of",
                "seeds/*.yaml, writing only the rows that differ. All of it happens in one",
                "transaction: a run applies completely or not at all.",
                "",
                "Without a command: migrate, then seed.",
                ""},
        subcommands = {seed_database.MigrateCommand.class, seed_database.SeedCommand.class, seed_database.PlanCommand.class,
                seed_database.CheckCommand.class, seed_database.InfoCommand.class, seed_database.HistoryCommand.class,
                seed_database.VerifyCommand.class, seed_database.ExportCommand.class, seed_database.CompletionCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%nWhere things are found:%n",
        footer = {
                "  The database: --url, else DATABASE_URL, else the libpq variables PGHOST,",
                "  PGPORT, PGDATABASE, PGUSER and PGPASSWORD, else libpq's defaults: the",
                "  operating system's user, the database named after it, the Unix socket in",
                "  /var/run/postgresql or /tmp when a server listens there, else localhost:5432.",
                "  A maintenance database (postgres, template*) is written only when named.",
                "  A URL is postgresql://user:password@host:5432/database (or postgres://,",
                "  postgresql+psycopg2://, postgresql+asyncpg://, jdbc:postgresql://), or libpq's",
                "  host=... port=... dbname=... user=... password=...; a host that begins with /",
                "  is a socket directory: postgresql:///database?host=/var/run/postgresql.",
                "  A password not given: PGPASSWORD, else PGPASSFILE, else $HOME/.pgpass.",
                "  The directories: --migrations and --seeds, else the migrations/ and seeds/",
                "  of $SEED_DATABASE_HOME, else those beside seed_database.java when ./jbang runs",
                "  it (it says where the script is), else those of the nearest of the working",
                "  directory and its parents that holds seed_database.java or a seeds/ directory."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:a seed file, a migration or the data is wrong (the message names the file); nothing was written. "
                        + "For check: the database is not in sync. For export: no such table or column, or no key to use",
                "2:usage error: an unknown option, a directory that is not there, a URL that is not PostgreSQL's",
                "3:the database is unreachable or does not exist, refused the connection or the credentials, or the "
                        + "connection was lost; nothing was written",
                "4:a lock wait or a statement took longer than --lock-timeout or --statement-timeout allow; nothing was written",
                "5:the tool ran out of memory (its heap is bounded: -Xmx1g) or of stack; nothing was written",
                "130:interrupted (SIGINT, Ctrl-C): the run was rolled back",
                "143:terminated (SIGTERM): the run was rolled back"})
public class seed_database implements Callable<Integer> {

    static final String VERSION = Config.VERSION;

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Database URL or connection string (see below)")
    String url;

    @Option(names = "--migrations", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of Flyway SQL migrations (see below)")
    Path migrationsOption;

    @Option(names = "--seeds", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of seed files (see below)")
    Path seedsOption;

    @Option(names = "--env", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "The environment this run is for, one that seeds/environments.yaml declares (default: SEED_ENV, "
                    + "else APP_ENV, else development); recorded in the history")
    String environmentOption;

    @Option(names = "--dry-run", scope = ScopeType.INHERIT,
            description = "Do everything, then roll it back: show what would change, write nothing")
    boolean dryRun;

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
    Report.Format formatOption;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "The same as --format json")
    boolean json;

    /** The form of output, once the options are read (before that, as far as they tell). */
    Report.Format format() {
        if (json && formatOption != null && formatOption != Report.Format.json) {
            throw SeedError.usage("--json is --format json, which cannot go with --format " + formatOption, "give one of them");
        }
        var chosen = json ? Report.Format.json : formatOption == null ? Report.Format.text : formatOption;
        if (chosen.forCi() && !Set.of("check", "plan", "verify").contains(command)) {
            throw SeedError.usage("--format " + chosen + " is for check, plan and verify", "for " + command
                    + ", use --format text or json");
        }
        return chosen;
    }

    @Option(names = "--only", paramLabel = "TABLE", split = ",", scope = ScopeType.INHERIT,
            description = "Apply only the seed files of these tables (a file that refers to another table's rows finds them "
                    + "in the database)")
    List<String> onlyTables;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT,
            description = "Print nothing but errors and the last line (what changed, or in sync)")
    boolean quiet;

    @Option(names = "--history-table", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "Table that records every seed run (default: SEED_HISTORY_TABLE, else seed_history)")
    String historyTableOption;

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

    @Spec CommandSpec spec;

    /** seed FILE…: the seed files to apply, by name; null for all of them. */
    List<String> onlyFiles;

    /** The process environment and working directory; tests hand in their own. */
    Map<String, String> env = System.getenv();
    /** The values that ${VAR} gave while the seed files were read: every output masks them. */
    final Secrets secrets = new Secrets();
    Path workingDir = Path.of("").toAbsolutePath();
    /** The directory of seed_database.java, when the launcher said where it is. */
    Path scriptDir;
    /** Where this run connects, once known: error messages name it. */
    DatabaseTarget target;
    /** The command that runs, for --json documents (errors too). */
    String command = "run";
    /** For verify: the throwaway database its passes run on, the title of each, and their --json documents. */
    DatabaseTarget targetOverride;
    String passTitle;
    List<Map<String, Object>> passDocuments;
    /** What the last run did, for verify to compare its passes. */
    Results.RunOutcome lastRun;
    /** The report of the last command prepared (verify's second pass, for its job summary). */
    Report lastReport;
    /** The progress line of the run in progress (none unless stderr is a terminal). */
    Progress progress = Progress.NONE;

    public static void main(String... args) {
        // UTF-8 always; under a locale that is not UTF-8 the tool's own symbols in ASCII (see Report.PlainSymbols).
        var utf8 = new PrintWriter(new OutputStreamWriter(System.err, UTF_8), true);
        var err = Report.PlainSymbols.utf8Reader(System.getenv()) ? utf8 : Report.PlainSymbols.around(utf8);
        // SIGINT and SIGTERM: end the run's connection, so that PostgreSQL rolls back at once.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            var session = Session.current;
            if (session != null) {
                err.println("interrupted: the run was rolled back; nothing was written.");
                session.abort();
            }
            var verify = Verify.current;
            if (verify != null) {
                err.println((verify.drop() ? "dropped" : "could not drop") + " the throwaway database " + verify.name + ".");
            }
        }));
        System.exit(execute(args, System.getenv(), Path.of("").toAbsolutePath(), Layout.scriptLocation(),
                new PrintWriter(new OutputStreamWriter(System.out, UTF_8), true), err));
    }

    /** Runs one command line; the single place where errors become a paragraph and an exit code. */
    static int execute(String[] args, Map<String, String> env, Path workingDir, PrintWriter out, PrintWriter err) {
        return execute(args, env, workingDir, null, out, err);
    }

    /** scriptDir: the directory of seed_database.java, when the launcher said where it is (else null). */
    static int execute(String[] args, Map<String, String> env, Path workingDir, Path scriptDir, PrintWriter rawOut,
                       PrintWriter rawErr) {
        var tool = new seed_database();
        tool.env = env;
        tool.workingDir = workingDir;
        tool.scriptDir = scriptDir;
        // The only writers a command is given: whatever it prints (reports, errors, stack traces, Flyway's
        // log) passes through the one scrubber of the values that came from the environment.
        var maskedOut = tool.secrets.masking(rawOut);
        var maskedErr = tool.secrets.masking(rawErr);
        var out = new PrintWriter(maskedOut, true);
        var err = new PrintWriter(maskedErr, true);
        var cli = new CommandLine(tool).setOut(out).setErr(err);
        CommandOptions.prune(cli);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> tool.reportFailure(e, out, err));
        cli.setExecutionStrategy(parseResult -> {
            try {
                CommandOptions.refuseMisplaced(parseResult);
            } catch (SeedError misplaced) {
                return tool.reportFailure(misplaced, out, err);
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        cli.setParameterExceptionHandler((e, arguments) -> {
            // One paragraph, like every other error; the full help is one --help away.
            String message = CommandOptions.describe(e);
            String help = e.getCommandLine() == cli ? "--help" : "help " + e.getCommandLine().getCommandName();
            err.println("error: " + message + (message.matches("(?s).*[.?!]$") ? " " : ". ") + "See " + help + ".");
            if (List.of(arguments).contains("--json")) {
                out.println(Json.pretty(jsonError("usage", SeedError.EXIT_USAGE, null, message, "see " + help)));
            }
            return SeedError.EXIT_USAGE;
        });
        try {
            return cli.execute(args);
        } catch (VirtualMachineError e) {
            // picocli hands its handler Exceptions only; memory or stack running out comes here.
            return tool.reportFailure(e, out, err);
        } finally {
            out.flush();
            err.flush();
            try {
                maskedOut.drain();
                maskedErr.drain();
            } catch (java.io.IOException e) {
                // a closed stdout or stderr: nothing more can be said
            }
        }
    }

    // ── the commands ────────────────────────────────────────────────────────────────────────

    @Override
    public Integer call() {
        return run("run", true, true, dryRun);
    }

    @Command(name = "migrate", description = "Apply the pending Flyway migrations, and nothing else.")
    static class MigrateCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run("migrate", true, false, tool.dryRun);
        }
    }

    @Command(name = "seed", description = "Upsert seeds/*.yaml into the database, without running migrations.")
    static class SeedCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Parameters(paramLabel = "FILE", arity = "0..*", description = "Apply only these seed files of the seeds directory "
                + "(llm_models.yaml); a file that refers to another file's rows finds them in the database")
        List<String> files;

        @Override
        public Integer call() {
            tool.onlyFiles = files;
            return tool.run("seed", false, true, tool.dryRun);
        }
    }

    @Command(name = "plan", description = "Show what a run would change, and write nothing: the pending migrations, and "
            + "every row to insert or update with its old and new values (it is the run itself, rolled back).")
    static class PlanCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run("plan", true, true, true);
        }
    }

    @Command(name = "check", description = "Exit 0 when the database matches the migrations and the seeds, 1 (and show "
            + "the plan) when it does not: for CI, or a cron job that notices a hand-edited price.")
    static class CheckCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run("check", true, true, true);
        }
    }

    @Command(name = "info", description = "One screen of status: each migration (applied or pending), each seed file "
            + "(in sync or not), the last seed run.")
    static class InfoCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.info();
        }
    }

    @Command(name = "history", description = "The recorded seed runs, newest first, with what each changed; with --key, "
            + "one row's timeline: when its values changed, from what to what, in which run.")
    static class HistoryCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Option(names = "--file", paramLabel = "FILE", description = "Only runs that applied this seed file (e.g. llm_models.yaml)")
        String file;

        @Option(names = "--key", paramLabel = "KEY", description = "One row's timeline (e.g. gpt-4o)")
        String key;

        @Option(names = "--table", paramLabel = "TABLE", description = "With --key: the row's table, when keys repeat across tables")
        String table;

        @Option(names = "--limit", paramLabel = "N", description = "How many runs (with --key: changes) to show "
                + "(default: ${DEFAULT-VALUE})")
        int limit = 20;

        @Override
        public Integer call() {
            if (limit < 1) {
                throw SeedError.usage("--limit is " + limit + "; it takes a number of runs, 1 or more", null);
            }
            if (table != null && key == null) {
                throw SeedError.usage("--table goes with --key: it says which table's row --key names", "history --key KEY --table "
                        + table);
            }
            if (file != null && key != null) {
                throw SeedError.usage("--file and --key cannot go together: --key shows one row's timeline, whatever the file",
                        "leave out --file, or give --table for the row's table");
            }
            // A path works as well as a name: seeds/llm_models.yaml is llm_models.yaml.
            return tool.history(file == null ? null : Path.of(file).getFileName().toString(), key, table, limit);
        }
    }

    @Command(name = "verify", description = "Prove that the migrations and the seeds apply cleanly to an empty database, "
            + "twice: creates a throwaway database on the same server, runs everything, runs it again (which must change "
            + "nothing), and drops the database, also when it fails. For CI, before a seed change is merged.")
    static class VerifyCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Option(names = "--keep", description = "Keep the throwaway database afterwards, to look at it")
        boolean keep;

        @Option(names = "--database", paramLabel = "NAME", description = "The throwaway database's name, for a server with "
                + "naming rules (default: seed_verify_ and the time); a NAME that ends in _ is a prefix, to which the time and a "
                + "random suffix are added. A database that is there already is refused")
        String database;

        @Override
        public Integer call() {
            return tool.verify(keep, database);
        }
    }

    @Command(name = "export", description = "Write a table's rows as a seed file (on stdout, or to --output FILE) that "
            + "changes nothing when seeded back: keyed and sorted by the natural key, without surrogate ids, timestamps "
            + "and columns at their default, a foreign key as the referred row's key. Only reads.")
    static class ExportCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Parameters(paramLabel = "TABLE", description = "The table (schema.table also works)")
        String table;

        @Option(names = "--key", paramLabel = "COLUMN", split = ",", description = "The natural key, a unique key of the table "
                + "(default: its one unique key besides the primary key, else the primary key)")
        List<String> key;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the file here (replacing it at once, "
                + "when it is there) instead of on stdout")
        Path output;

        @Option(names = "--where", paramLabel = "SQL", description = "Only the rows for which this SQL condition holds, "
                + "as in WHERE (SQL); it runs read-only")
        String where;

        @Option(names = "--include", paramLabel = "COLUMN", split = ",", description = "Keep these columns, which would be "
                + "left out")
        List<String> include;

        @Option(names = "--all-columns", description = "Keep every column but generated ones")
        boolean allColumns;

        @Option(names = "--reference-key", paramLabel = "TABLE=COLUMN[,COLUMN]", description = "Write references to rows of "
                + "TABLE by this unique key of it (default: the key of its seed file in the seeds directory, else its one "
                + "unique key besides the primary key); may be repeated")
        Map<String, String> referenceKeys = new java.util.LinkedHashMap<>();

        @Override
        public Integer call() {
            var byTable = new java.util.LinkedHashMap<String, List<String>>();
            referenceKeys.forEach((name, columns) -> byTable.put(name, List.of(columns.split(",", -1)).stream().map(String::trim).toList()));
            return tool.export(new Export.Request(table, key, where, include, allColumns, byTable), output);
        }
    }

    @Command(name = "completion", description = "Print a completion script for bash or zsh, for your ~/.bashrc or "
            + "~/.zshrc: source <(seed-database completion bash)")
    static class CompletionCommand implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "SHELL", description = "bash or zsh")
        String shell;

        @Option(names = "--name", paramLabel = "COMMAND", description = "The command to complete, as you type it "
                + "(default: ${DEFAULT-VALUE})")
        String name = "seed-database";

        @Override
        public Integer call() {
            if (!Set.of("bash", "zsh").contains(shell)) {
                throw SeedError.usage("completion is for bash or zsh, not \"" + shell + "\"", null);
            }
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw SeedError.usage("--name " + name + " is not a command name", "letters, digits, . _ and - only");
            }
            // picocli's script is for bash, and for zsh too: there it turns on bashcompinit itself.
            spec.commandLine().getOut().print(picocli.AutoComplete.bash(name, spec.root().commandLine()));
            return SeedError.EXIT_OK;
        }
    }

    /**
     * Which of the shared options each command takes. The others are taken off it, so that its
     * help lists only what applies and a misplaced option is refused rather than ignored.
     */
    static final class CommandOptions {
        private static final Set<String> CONNECTION = Set.of("--url", "--lock-timeout", "--statement-timeout", "--retries",
                "--verbose", "--color", "--no-color", "--format", "--json");
        private static final Set<String> SEEDING = Set.of("--seeds", "--env", "--only", "--follow-symlinks", "--history-table",
                "--allow-delete", "--max-deletes", "--quiet");
        private static final Map<String, Set<String>> TAKES = Map.of(
                "migrate", union(CONNECTION, Set.of("--migrations", "--baseline", "--dry-run", "--quiet")),
                "seed", union(CONNECTION, SEEDING, Set.of("--migrations", "--dry-run")),
                "plan", union(CONNECTION, SEEDING, Set.of("--migrations", "--baseline")),
                "check", union(CONNECTION, SEEDING, Set.of("--migrations", "--baseline")),
                "info", union(CONNECTION, Set.of("--migrations", "--seeds", "--env", "--follow-symlinks", "--history-table")),
                "history", Set.of("--url", "--lock-timeout", "--statement-timeout", "--verbose", "--color", "--no-color",
                        "--format", "--json", "--history-table"),
                "verify", union(CONNECTION, Set.of("--migrations", "--seeds", "--env", "--only", "--follow-symlinks",
                        "--history-table", "--quiet")),
                "export", Set.of("--url", "--lock-timeout", "--statement-timeout", "--verbose", "--seeds", "--follow-symlinks"),
                "completion", Set.of(),
                "help", Set.of());
        /** Every command takes these. */
        private static final Set<String> ALWAYS = Set.of("--help", "--version");

        @SafeVarargs
        private static Set<String> union(Set<String>... sets) {
            var all = new java.util.HashSet<String>();
            for (var set : sets) {
                all.addAll(set);
            }
            return Set.copyOf(all);
        }

        private static boolean takes(String command, picocli.CommandLine.Model.OptionSpec option) {
            var takes = TAKES.get(command);
            return takes == null || ALWAYS.contains(option.longestName()) || takes.contains(option.longestName());
        }

        /** Takes off each subcommand the inherited options it does not take. */
        static void prune(CommandLine cli) {
            for (var sub : cli.getSubcommands().values()) {
                var spec = sub.getCommandSpec();
                for (var option : List.copyOf(spec.options())) {
                    if (option.inherited() && !takes(sub.getCommandName(), option)) {
                        spec.remove(option);
                    }
                }
            }
        }

        /** An option given before the command (seed_database --dry-run history) must be one the command takes. */
        static void refuseMisplaced(CommandLine.ParseResult parsed) {
            if (!parsed.hasSubcommand()) {
                return;
            }
            String command = parsed.subcommand().commandSpec().name();
            for (var option : parsed.matchedOptions()) {
                if (!takes(command, option)) {
                    throw misplaced(option.longestName(), command);
                }
            }
        }

        private static SeedError misplaced(String option, String command) {
            var takenBy = TAKES.entrySet().stream().filter(e -> e.getValue().contains(option)).map(Map.Entry::getKey).sorted()
                    .toList();
            return SeedError.usage(command + " takes no option " + option, takenBy.isEmpty() ? null
                    : option + " is an option of " + String.join(", ", Stream.concat(Stream.of("a run (no command)"),
                            takenBy.stream()).toList()));
        }

        /** A command-line mistake in the words every other error uses. */
        static String describe(CommandLine.ParameterException e) {
            var line = e.getCommandLine();
            String command = line.getParent() == null ? "seed_database" : line.getCommandName();
            if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
                String argument = unmatched.getUnmatched().get(0);
                if (argument.startsWith("-")) {
                    String name = argument.contains("=") ? argument.substring(0, argument.indexOf('=')) : argument;
                    var root = line.getParent() == null ? line : line.getParent();
                    if (line.getParent() != null && root.getCommandSpec().findOption(name) != null) {
                        return misplaced(root.getCommandSpec().findOption(name).longestName(), command).paragraph();
                    }
                    var ofOthers = root.getSubcommands().values().stream()
                            .filter(c -> c != line && c.getCommandSpec().findOption(name) != null
                                    && !c.getCommandSpec().findOption(name).inherited())
                            .map(CommandLine::getCommandName).toList();
                    if (!ofOthers.isEmpty()) {
                        return command + " has no option " + name + "; it is an option of " + String.join(", ", ofOthers);
                    }
                    return command + " has no option " + name + SeedError.didYouMean(name, line.getCommandSpec().options()
                            .stream().flatMap(o -> Stream.of(o.names())).filter(n -> n.startsWith("--")).toList());
                }
                if (line.getParent() == null) {
                    String suggestion = SeedError.didYouMean(argument, line.getSubcommands().keySet());
                    return "there is no command \"" + argument + "\"" + (suggestion.isEmpty() ? "; the" : suggestion + " The")
                            + " commands are " + String.join(", ", line.getSubcommands().keySet());
                }
                return command + " takes no argument \"" + argument + "\"";
            }
            return e.getMessage().replaceAll("\\.$", "");
        }
    }

    // ── what they do ────────────────────────────────────────────────────────────────────────

    /**
     * Migrate and/or seed, in one transaction that is committed, or rolled back for a dry run (so
     * that a plan is the run itself, with the last step changed). A check exits 1 when the plan
     * is not empty.
     */
    int run(String command, boolean migrate, boolean seed, boolean dryRun) {
        this.command = command;
        long started = System.nanoTime();
        var startedAt = Instant.now();
        var report = prepare();
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, migrate, seed);
        // For the history: git status and the host name take a moment, so they are found while the run works.
        boolean recorded = seed && !dryRun;
        var gitCommit = recorded ? CompletableFuture.supplyAsync(() -> History.gitCommit(layout.seeds()))
                : CompletableFuture.<String>completedFuture(null);
        var host = recorded ? CompletableFuture.supplyAsync(seed_database::hostName) : CompletableFuture.<String>completedFuture(null);
        var declared = Environments.read(layout.seeds(), workingDir, followSymlinks);
        var chosen = declared.choose(environmentOption, env);
        String environment = chosen.name();
        // Every seed file is read and checked before the database is touched.
        var seedFiles = seed ? SeedFile.readAll(layout.seeds(), workingDir, env, secrets, followSymlinks, declared)
                : List.<SeedFile>of();
        var selected = selection(seedFiles, seed);
        report.only = selected.size() < seedFiles.size() ? selected.stream().map(SeedFile::name).toList() : null;
        var skipped = selected.stream().filter(f -> !f.appliesTo(environment)).toList();
        report.header(passTitle != null ? passTitle : dryRun ? (command.equals("check") ? "check" : "plan: nothing is written") : null,
                target, environment, declared.describe(chosen), layout, migrate, seed);

        record Done(Migrations.Outcome migrated, List<Results.FileOutcome> seeded, String recordedIn) {}
        var done = withRetries(session -> {
            try (var progressLine = Progress.onTerminal(spec.commandLine().getErr(), env == System.getenv())) {
                progress = progressLine;
                var migrated = migrate ? Migrations.apply(session, layout.migrations(), workingDir, baseline) : null;
                List<Results.FileOutcome> seeded;
                try {
                    seeded = seed(session, seedFiles, selected, chosen, dryRun);
                } catch (SeedError e) {
                    throw migrate ? e : withPendingMigrations(e, session, layout);
                }
                String recordedIn = null;
                if (!dryRun) {
                    if (!seeded.isEmpty()) {
                        recordedIn = historyTable();
                        new History(session, recordedIn).record(new History.RunInfo(UUID.randomUUID(), startedAt, environment,
                                gitCommit.join(), host.join()), seeded, secrets);
                    }
                    session.commit();
                }
                return new Done(migrated, seeded, recordedIn);
            }
        });
        var result = new Results.RunOutcome(command, dryRun, environment, chosen.production(), target, done.migrated(), done.seeded(),
                skipped, layout.seeds(), System.nanoTime() - started, done.recordedIn());
        report.run(result);
        lastRun = result;
        return command.equals("check") && !result.inSync() ? SeedError.EXIT_FAILED : SeedError.EXIT_OK;
    }

    /**
     * One attempt after another, each on a session of its own that takes the run lock, until one
     * ends without a lost connection or --retries are used up. Nothing of a failed attempt was
     * committed, so the next starts from the beginning.
     */
    private <T> T withRetries(java.util.function.Function<Session, T> attempt) {
        for (int attempts = 1; ; attempts++) {
            Session session = null;
            RuntimeException failure;
            try {
                session = Session.connect(target, true);
                session.begin(limits(), true, this::note);
                return attempt.apply(session);
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                if (session != null) {
                    session.close();
                }
            }
            // Whatever ended the attempt, in whichever phase, is judged here, once the session knows whether its connection broke.
            var error = SeedError.endingAttempt(failure, target, session != null && session.connectionLost());
            if (!error.connectionFailure() || session != null && session.aborted()) {
                throw failure;
            }
            if (attempts > retries) {
                throw error;
            }
            long pause = Math.min(10, 1L << (attempts - 1));
            note(error.paragraph().replace(" Nothing was written.", "") + " Retrying in " + pause + " s (retry " + attempts
                    + " of " + retries + ").");
            try {
                Thread.sleep(pause * 1000);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw error;
            }
        }
    }

    /**
     * The seed files for this environment, in dependency order: each writes its rows, then, in
     * reverse order, each removes the rows it no longer lists.
     */
    private List<Results.FileOutcome> seed(Session session, List<SeedFile> files, List<SeedFile> selected,
                                      Environments.Environment environment, boolean dryRun) {
        var run = new Seeder.Run(session, environment.name(), environment.production(), allowDelete, maxDeletes, dryRun,
                historyTable(), files);
        run.progress = progress;
        run.subset = selected.size() < files.size();
        return Seeder.seedAll(run, selected.stream().filter(f -> f.appliesTo(environment.name())).toList());
    }

    /** The directory the seed files were read from, for a message. */
    private static String layoutSeeds(List<SeedFile> files) {
        return files.isEmpty() ? "" : String.valueOf(files.get(0).path().toAbsolutePath().normalize().getParent());
    }

    /**
     * The seed files this run applies: those named by seed FILE… and those of the tables --only
     * names; all of them when neither is given. A name that matches nothing is a usage error.
     */
    private List<SeedFile> selection(List<SeedFile> files, boolean seed) {
        if (onlyFiles == null || onlyFiles.isEmpty()) {
            if (onlyTables == null || onlyTables.isEmpty()) {
                return files;
            }
        }
        if (!seed) {
            throw SeedError.usage("--only chooses seed files, and " + command + " applies none", null);
        }
        var chosen = new java.util.LinkedHashSet<SeedFile>();
        for (String name : onlyFiles == null ? List.<String>of() : onlyFiles) {
            String fileName = Path.of(name).getFileName().toString();
            if (Path.of(name).getParent() != null) {
                // A path names that very file: one of the seeds directory, not another file of the same name.
                Path named = workingDir.resolve(name).normalize();
                var file = files.stream().filter(f -> f.path().toAbsolutePath().normalize().equals(named)).findFirst();
                if (file.isEmpty()) {
                    throw SeedError.usage(name + " is not a seed file of the seeds directory " + layoutSeeds(files),
                            "seed FILE… applies files of the seeds directory; for another directory, pass --seeds DIR");
                }
                chosen.add(file.get());
                continue;
            }
            var file = files.stream().filter(f -> f.name().equals(fileName)).findFirst().orElseThrow(() -> SeedError.usage(
                    "there is no seed file " + fileName + " in the seeds directory" + SeedError.didYouMean(fileName,
                            files.stream().map(SeedFile::name).toList()), "seed FILE… takes the names of seed files, as in "
                            + "seed llm_models.yaml"));
            chosen.add(file);
        }
        for (String table : onlyTables == null ? List.<String>of() : onlyTables) {
            var ofTable = files.stream().filter(f -> f.table().equals(table) || f.table().endsWith("." + table)).toList();
            if (ofTable.isEmpty()) {
                throw SeedError.usage("--only " + table + ": no seed file seeds a table " + table + SeedError.didYouMean(table,
                        files.stream().map(SeedFile::table).toList()), null);
            }
            chosen.addAll(ofTable);
        }
        // In the order of the directory, as every run reads them.
        return files.stream().filter(chosen::contains).toList();
    }

    /** When seed (which never migrates) fails, pending migrations are a likely reason: say so. */
    private SeedError withPendingMigrations(SeedError e, Session session, Layout layout) {
        if (e.exitCode != SeedError.EXIT_FAILED || layout.migrations() == null || !Files.isDirectory(layout.migrations())) {
            return e;
        }
        try {
            session.rollback();
            long pending = Migrations.info(session, layout.migrations(), workingDir).stream()
                    .filter(m -> m.installedOn() == null).count();
            return pending == 0 ? e : e.alsoHint(pending + (pending == 1 ? " migration is" : " migrations are")
                    + " pending: seed does not migrate; run migrate first, or run without a command");
        } catch (RuntimeException cannotTell) {
            return e;
        }
    }

    /** Flyway's list of migrations, the plan of a run, and the last recorded run, on one screen. */
    int info() {
        command = "info";
        long started = System.nanoTime();
        var report = prepare();
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, true, true);
        var declared = Environments.read(layout.seeds(), workingDir, followSymlinks);
        var chosen = declared.choose(environmentOption, env);
        String environment = chosen.name();
        var seedFiles = SeedFile.readAll(layout.seeds(), workingDir, env, secrets, followSymlinks, declared);
        report.header(null, target, environment, declared.describe(chosen), layout, true, true);
        record Status(List<Migrations.Info> migrations, Migrations.Outcome migrated, List<Results.FileOutcome> seeded, History.Entry lastRun) {}
        var status = withRetries(session -> {
            var migrations = Migrations.info(session, layout.migrations(), workingDir);
            var migrated = Migrations.apply(session, layout.migrations(), workingDir, null);
            var seeded = seed(session, seedFiles, seedFiles, chosen, true);
            session.rollback();
            var history = new History(session, historyTable());
            return new Status(migrations, migrated, seeded,
                    history.exists() ? history.entries(null, 1).stream().findFirst().orElse(null) : null);
        });
        report.info(status.migrations(), new Results.RunOutcome("info", true, environment, chosen.production(), target, status.migrated(),
                status.seeded(), seedFiles.stream().filter(f -> !f.appliesTo(environment)).toList(), layout.seeds(),
                System.nanoTime() - started, null), status.lastRun(), historyTable());
        return SeedError.EXIT_OK;
    }

    /**
     * Both passes of a verify on a throwaway database, which is dropped whatever happens. The
     * second pass must find nothing to do: a seed that writes again on every run is not idempotent.
     */
    int verify(boolean keep, String database) {
        command = "verify";
        String name = Verify.name(database);
        prepare();
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, true, true);
        // An undeclared environment is refused before a throwaway database is made for nothing.
        Environments.read(layout.seeds(), workingDir, followSymlinks).choose(environmentOption, env);
        var throwaway = Verify.create(target, name);
        note("verify: created the throwaway database " + throwaway.name + " on " + target.describe().replaceFirst("/[^/]*$", ""));
        var documents = new ArrayList<Map<String, Object>>();
        passDocuments = documents;
        try {
            targetOverride = throwaway.target;
            passTitle = "verify, first pass: migrations and seeds on an empty database";
            run("verify", true, true, false);
            var first = lastRun;
            if (format().prose() && !quiet) {
                spec.commandLine().getOut().println();
            }
            passTitle = "verify, second pass: the same again, which must change nothing";
            run("verify", true, true, false);
            var second = lastRun;
            return verified(throwaway, first, second, documents);
        } finally {
            targetOverride = null;
            passTitle = null;
            passDocuments = null;
            // A database left behind is said even with --quiet: someone must drop it.
            if (keep) {
                Verify.current = null;
                tell("verify: kept the throwaway database " + throwaway.name + " (--keep); drop it with DROP DATABASE " + throwaway.name);
            } else if (throwaway.drop()) {
                note("verify: dropped the throwaway database " + throwaway.name);
            } else {
                tell("verify: could not drop the throwaway database " + throwaway.name + "; drop it with DROP DATABASE " + throwaway.name);
            }
        }
    }

    /** The verdict of a verify: the second pass changed nothing, or what it changed, by file. */
    private int verified(Verify throwaway, Results.RunOutcome first, Results.RunOutcome second, List<Map<String, Object>> documents) {
        var changed = second.seeds().stream().filter(o -> o.written() > 0).toList();
        String problem = changed.isEmpty() && second.migrationsApplied() == 0 ? null
                : "the second pass changed " + Report.count(second.rowsWritten(), "row") + " (" + changed.stream()
                        .map(o -> o.file().name() + ": " + String.join(", ", o.changes().stream().limit(5).map(Results.Change::key).toList())
                                + (o.written() > 5 ? " and " + (o.written() - 5) + " more" : ""))
                        .collect(java.util.stream.Collectors.joining("; ")) + "), so every run would write them again";
        if (json) {
            var document = Report.document("verify");
            document.put("database", throwaway.name);
            document.put("passes", documents);
            document.put("idempotent", problem == null);
            if (problem != null) {
                document.put("error", Map.of("exit_code", SeedError.EXIT_FAILED, "message", problem));
            }
            spec.commandLine().getOut().println(Json.pretty(document));
        }
        // For CI: the second pass is what verify judges; each row it wrote is a finding.
        var out = spec.commandLine().getOut();
        String verdict = problem == null ? "idempotent" : "the second pass changed " + Report.count(second.rowsWritten(), "row");
        switch (format()) {
            case github -> {
                out.print(CiReport.github(second, true, this::inRepository));
                lastReport.appendStepSummary(CiReport.markdown(second, verdict));
            }
            case junit -> out.print(CiReport.junit(second, true));
            case markdown -> out.print(CiReport.markdown(second, verdict));
            default -> { }
        }
        if (problem != null) {
            var error = new SeedError(SeedError.EXIT_FAILED, changed.isEmpty() ? null : changed.get(0).file().displayPath(), problem,
                    "a seeded value that the database stores differently from the file (a trigger or rule that rewrites "
                            + "it, a default that changes it) makes the seeds write on every run: make the file say what the "
                            + "database keeps", null);
            spec.commandLine().getErr().println("error: " + error.paragraph().replace(" Nothing was written.", ""));
            return SeedError.EXIT_FAILED;
        }
        if (format().prose()) {
            spec.commandLine().getOut().println("Verified: " + Report.count(first.migrationsApplied(), "migration") + " and "
                    + Report.count(first.rowsWritten(), "row") + " apply cleanly to an empty database, and a second pass "
                    + "changes nothing.");
        }
        return SeedError.EXIT_OK;
    }

    int history(String file, String key, String table, int limit) {
        command = "history";
        var report = prepare();
        String historyTable = historyTable();
        try (var session = Session.openForReading(target, limits())) {
            var history = new History(session, historyTable);
            if (key != null) {
                if (table != null && history.exists() && !history.tables().contains(table)) {
                    var tables = history.tables();
                    throw SeedError.usage("--table " + table + ": no run recorded in " + historyTable + " seeded a table "
                            + table + SeedError.didYouMean(table, tables), tables.isEmpty() ? null
                            : "the tables it has recorded are " + String.join(", ", tables));
                }
                report.timeline(key, historyTable, history.exists() ? history.timeline(key, table, limit) : List.of());
            } else {
                var entries = history.exists() ? history.entries(file, limit) : List.<History.Entry>of();
                if (file != null && entries.isEmpty() && history.exists()) {
                    var files = history.files();
                    throw SeedError.usage("no seed file " + file + " was ever recorded in " + historyTable
                            + SeedError.didYouMean(file, files), files.isEmpty() ? null : "the files it has recorded are "
                            + String.join(", ", files));
                }
                report.history(historyTable, entries);
            }
        }
        return SeedError.EXIT_OK;
    }

    /**
     * A table's rows as a seed file: on stdout, which then holds only the file (so that > file
     * works), or written to a file at once (a temporary file, then moved over it).
     */
    int export(Export.Request request, Path output) {
        command = "export";
        var report = prepare();
        if (json) {
            throw SeedError.usage("export writes a seed file, which is YAML; --json does not apply to it", "leave out --json");
        }
        report.warnings.forEach(warning -> note("warning: " + warning));
        Path file = output == null ? null : writableFile(workingDir.resolve(output).normalize());
        Export.Result result;
        try (var session = Session.openForReading(target, limits())) {
            result = Export.run(session, request, this::seedFilesForExport, Instant.now(), History.secretCellsTable(historyTable()));
        }
        if (file == null) {
            spec.commandLine().getOut().print(result.yaml());
            spec.commandLine().getOut().flush();
        } else {
            writeAtOnce(file, result.yaml());
            note("Exported " + Report.count(result.rows(), "row") + " of " + result.table() + " to "
                    + SeedFile.displayPath(file, workingDir));
        }
        return SeedError.EXIT_OK;
    }

    /** The seed files of the seeds directory, if there is one: their keys are how an export writes references. */
    private List<SeedFile> seedFilesForExport() {
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, false, false);
        if (layout.seeds() == null || !Files.isDirectory(layout.seeds())) {
            return List.of();
        }
        try {
            return SeedFile.readAll(layout.seeds(), workingDir, env, secrets, followSymlinks,
                    Environments.read(layout.seeds(), workingDir, followSymlinks));
        } catch (SeedError e) {
            throw e.alsoHint("export reads the seed files in " + layout.seeds() + " for the key each one seeds its table by, "
                    + "which is the key references to that table are written by; fix the file, or choose the key with "
                    + "--reference-key TABLE=COLUMN");
        }
    }

    /** --output, checked before the database is asked anything. */
    private static Path writableFile(Path file) {
        if (Files.isDirectory(file)) {
            throw SeedError.usage("--output " + file + " is a directory; name the file to write", null);
        }
        if (file.getParent() == null || !Files.isDirectory(file.getParent())) {
            throw SeedError.usage("--output " + file + ": the directory " + file.getParent() + " is not there", null);
        }
        return file;
    }

    /** Writes a file so that a reader sees the old content or the new, never a part: a temporary file, then a move. */
    private static void writeAtOnce(Path file, String text) {
        // Created like any new file (the umask decides who may read it), beside the file, so that the move is atomic.
        Path temporary = file.getParent().resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            Files.writeString(temporary, text, UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW);
            Files.move(temporary, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw SeedError.usage("cannot write --output " + file + ": " + e.getMessage(), null);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (java.io.IOException e) {
                // nothing more to do; the file itself was written, or the error above says why not
            }
        }
    }

    /** What every command does first: logging, where to connect, and how to report. */
    private Report prepare() {
        Logging.configure(verbose, spec.commandLine().getErr());
        target = targetOverride != null ? targetOverride : DatabaseTarget.resolve(url, env);
        historyTable();   // a bad name is a usage error before anything else happens
        var format = format();
        json = format == Report.Format.json;
        var report = new Report(spec.commandLine().getOut(), format,
                Report.Style.resolve(noColor, color.name(), env, System.console() != null && env == System.getenv(),
                        env == System.getenv()));
        report.target = target;
        report.quiet = quiet;
        if (passDocuments != null) {
            report.jsonSink = passDocuments::add;
            report.passesReportedTogether = true;
        }
        String summary = DatabaseTarget.blankToNull(env.get("GITHUB_STEP_SUMMARY"));
        report.stepSummary = format == Report.Format.github && summary != null ? workingDir.resolve(summary) : null;
        report.mask = secrets::scrub;
        report.inRepository = this::inRepository;
        // The database's password is masked like a value from the environment, whatever prints it.
        if (target.password() != null) {
            secrets.add(target.password());
        }
        report.warnings.addAll(target.warnings());
        lastReport = report;
        return report;
    }

    Session.Limits limits() {
        if (maxDeletes < 0) {
            throw SeedError.usage("--max-deletes is " + maxDeletes + "; it takes a number of rows, 0 or more", null);
        }
        if (lockTimeout < 0 || statementTimeout < 0) {
            throw SeedError.usage("a timeout is a number of seconds, 0 or more", null);
        }
        return new Session.Limits(lockTimeout, statementTimeout);
    }

    /** A line about the run's progress on stderr, where it does not mix with --json. */
    void note(String message) {
        if (!quiet) {
            tell(message);
        }
    }

    /**
     * A file as GitHub names it in an annotation: relative to the checkout (GITHUB_WORKSPACE, else
     * the git repository the file is in), whatever directory the tool runs from.
     */
    String inRepository(String file) {
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

    /** A line on stderr that --quiet does not hold back. */
    void tell(String message) {
        spec.commandLine().getErr().println(message);
        spec.commandLine().getErr().flush();
    }

    String historyTable() {
        return History.checkedName(DatabaseTarget.firstNonBlank(historyTableOption, env.get("SEED_HISTORY_TABLE"),
                History.DEFAULT_TABLE));
    }

    static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return null;
        }
    }

    int reportFailure(Throwable e, PrintWriter out, PrintWriter err) {
        var exhausted = SeedError.exhaustion(e);
        var failure = exhausted != null ? exhausted
                : SeedError.endingAttempt(e instanceof Exception x ? x : new IllegalStateException(e), target, false);
        // Commands that only read have nothing to reassure about.
        boolean reads = Set.of("info", "history", "export").contains(command);
        err.println("error: " + (reads ? failure.paragraph().replace(" Nothing was written.", "") : failure.paragraph()));
        if (verbose) {
            // PostgreSQL's errors in it carry their detail, and a failing row's values are not for showing.
            var trace = new java.io.StringWriter();
            e.printStackTrace(new PrintWriter(trace));
            err.print(SeedError.withoutFailingRow(trace.toString()));
        } else if (!(e instanceof SeedError) && exhausted == null) {
            err.println("(rerun with --verbose for the stack trace)");
        }
        Report.Format format;
        try {
            format = format();
        } catch (SeedError unusable) {
            format = json ? Report.Format.json : Report.Format.text;
        }
        String message = failure.getMessage() + (failure.hint == null ? "" : ". " + failure.hint);
        switch (format) {
            case json -> out.println(Json.pretty(jsonError(command, failure.exitCode, failure.where, failure.getMessage(),
                    failure.hint)));
            case github -> out.print(CiReport.githubError(command, failure.where, message, this::inRepository));
            case junit -> out.print(CiReport.junitError(command, failure.where, message));
            case markdown -> out.print(CiReport.markdownError(command, failure.where, message));
            default -> { }
        }
        return failure.exitCode;
    }

    /** The --json document of a run that failed: {"command", "tool_version", "error": {exit_code, where, message, hint}}. */
    static Map<String, Object> jsonError(String command, int exitCode, String where, String message, String hint) {
        var document = Report.document(command);
        var error = new java.util.LinkedHashMap<String, Object>();
        error.put("exit_code", exitCode);
        error.put("where", where);
        error.put("message", message);
        error.put("hint", hint);
        document.put("error", error);
        return document;
    }

    /**
     * Where migrations/ and seeds/ are: --migrations/--seeds, else SEED_DATABASE_HOME, else the
     * directory of seed_database.java when the launcher said where that is (JBang itself does not
     * tell a script; ./jbang does), else the nearest of the working directory and its parents that
     * holds seed_database.java or a seeds/ directory. Each says how it was found.
     */
    record Layout(Path migrations, String migrationsFrom, Path seeds, String seedsFrom) {

        /** What ./jbang passes: the script's path, in the system property jbang.wrapper.script. */
        static final String SCRIPT_PROPERTY = "jbang.wrapper.script";

        /**
         * The directory of seed_database.java, when ./jbang said where the script it runs is, and
         * that script is this tool (another script that includes it is not its project).
         */
        static Path scriptLocation() {
            String script = DatabaseTarget.blankToNull(System.getProperty(SCRIPT_PROPERTY));
            if (script == null) {
                return null;
            }
            Path file = Path.of(script).toAbsolutePath().normalize();
            return file.getFileName().toString().equals("seed_database.java") && Files.isRegularFile(file) ? file.getParent() : null;
        }

        static Layout resolve(Path migrationsOption, Path seedsOption, Map<String, String> env, Path workingDir, Path scriptDir,
                              boolean needMigrations, boolean needSeeds) {
            Path home = null;
            String homeFrom;
            String homeVariable = DatabaseTarget.blankToNull(env.get("SEED_DATABASE_HOME"));
            if (homeVariable != null) {
                home = workingDir.resolve(homeVariable).normalize();
                if (!Files.isDirectory(home)) {
                    throw SeedError.usage("SEED_DATABASE_HOME is " + home + ", which is not a directory", null);
                }
                homeFrom = "from SEED_DATABASE_HOME";
            } else if (scriptDir != null) {
                home = scriptDir;
                homeFrom = "found where seed_database.java is";
            } else {
                for (Path dir = workingDir; dir != null && home == null; dir = dir.getParent()) {
                    if (Files.isRegularFile(dir.resolve("seed_database.java")) || Files.isDirectory(dir.resolve("seeds"))) {
                        home = dir;
                    }
                }
                homeFrom = "found from the working directory";
            }
            var layout = new Layout(
                    migrationsOption != null ? workingDir.resolve(migrationsOption).normalize()
                            : home == null ? null : home.resolve("migrations"),
                    migrationsOption != null ? "from --migrations" : homeFrom,
                    seedsOption != null ? workingDir.resolve(seedsOption).normalize() : home == null ? null : home.resolve("seeds"),
                    seedsOption != null ? "from --seeds" : homeFrom);
            if (needMigrations) {
                requireDirectory(layout.migrations(), layout.migrationsFrom(), "migrations", "--migrations", workingDir);
            }
            if (needSeeds) {
                requireDirectory(layout.seeds(), layout.seedsFrom(), "seeds", "--seeds", workingDir);
            }
            return layout;
        }

        private static void requireDirectory(Path dir, String from, String name, String option, Path workingDir) {
            if (dir == null) {
                throw SeedError.usage("no " + name + "/ directory found in " + workingDir + " or its parents",
                        "run from the directory that holds seed_database.java, set SEED_DATABASE_HOME to it, or pass "
                                + option + " DIR");
            }
            if (!Files.isDirectory(dir)) {
                throw SeedError.usage("the " + name + " directory " + dir + " (" + from + ") is "
                        + (Files.exists(dir) ? "a file, not a directory" : "not there"), null);
            }
        }
    }

    /** Flyway and the driver log through java.util.logging: short lines on stderr; more with --verbose. */
    static final class Logging {
        private static final java.util.logging.Formatter FORMATTER = new java.util.logging.SimpleFormatter();
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
}
