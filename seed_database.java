///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Keeps a PostgreSQL database's reference data in step with seed files: Flyway migrations, then idempotent upserts.
//JAVA 17+

//DEPS info.picocli:picocli:4.7.7

//DEPS org.postgresql:postgresql:42.7.14
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.flywaydb:flyway-core:13.12.0
//DEPS org.flywaydb:flyway-database-postgresql:13.12.0

//DEPS org.yaml:snakeyaml:2.7

//DEPS org.slf4j:slf4j-jdk14:2.0.17

//SOURCES src/SeedError.java
//SOURCES src/DatabaseTarget.java
//SOURCES src/Session.java
//SOURCES src/Migrations.java
//SOURCES src/Catalog.java
//SOURCES src/SeedFile.java
//SOURCES src/Seeder.java
//SOURCES src/History.java
//SOURCES src/Json.java
//SOURCES src/Report.java
//SOURCES src/Verify.java
//SOURCES src/CsvRows.java
//SOURCES src/Progress.java
//SOURCES src/YamlRows.java
//SOURCES src/Export.java

// The sources hold → and …: UTF-8 whatever the locale of the machine that builds them (cron, env -i).
//JAVAC_OPTIONS -encoding UTF-8
// A short run: the C1 compiler and the serial collector start fastest and keep memory small. The
// default charset UTF-8, as on JDK 18 and later, also under a POSIX locale.
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dfile.encoding=UTF-8

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
                seed_database.VerifyCommand.class, seed_database.ExportCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nWhere things are found:%n",
        footer = {
                "  The database: --url, else DATABASE_URL, else the libpq variables PGHOST,",
                "  PGPORT, PGDATABASE, PGUSER and PGPASSWORD, else the database postgres",
                "  of the user postgres at localhost:5432.",
                "  A URL is postgresql://user:password@host:5432/database (or postgres://,",
                "  postgresql+psycopg2://, postgresql+asyncpg://, jdbc:postgresql://), or libpq's",
                "  host=... port=... dbname=... user=... password=...",
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
                "130:interrupted (SIGINT, Ctrl-C): the run was rolled back",
                "143:terminated (SIGTERM): the run was rolled back"})
public class seed_database implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    /** The exit codes, as --help and the README list them. */
    static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_LOCKED = 4;

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
            description = "The environment this run is for (default: SEED_ENV, else APP_ENV, else development); "
                    + "recorded in the history")
    String environmentOption;

    @Option(names = "--dry-run", scope = ScopeType.INHERIT,
            description = "Do everything, then roll it back: show what would change, write nothing")
    boolean dryRun;

    @Option(names = "--baseline", arity = "0..1", fallbackValue = Migrations.NEWEST, paramLabel = "VERSION",
            scope = ScopeType.INHERIT,
            description = "Adopt a database whose schema another tool made (tables, but no Flyway history): record the "
                    + "migrations up to VERSION (without one: all) as applied without running them, then go on")
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

    @Option(names = "--json", scope = ScopeType.INHERIT,
            description = "Print one JSON document on stdout instead of the report (schema in the README)")
    boolean json;

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

    /** The process environment and working directory; tests hand in their own. */
    Map<String, String> env = System.getenv();
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
    Report.Run lastRun;
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
    static int execute(String[] args, Map<String, String> env, Path workingDir, Path scriptDir, PrintWriter out, PrintWriter err) {
        var tool = new seed_database();
        tool.env = env;
        tool.workingDir = workingDir;
        tool.scriptDir = scriptDir;
        var cli = new CommandLine(tool).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> tool.reportFailure(e, out, err));
        cli.setParameterExceptionHandler((e, arguments) -> {
            // One paragraph, like every other error; the full help is one --help away.
            var suggestions = e instanceof CommandLine.UnmatchedArgumentException unmatched ? unmatched.getSuggestions() : List.<String>of();
            String message = e.getMessage().replaceAll("\\.$", "")
                    + (suggestions.isEmpty() ? "." : ". Did you mean " + String.join(" or ", suggestions) + "?");
            err.println("error: " + message + " See --help for the options.");
            if (List.of(arguments).contains("--json")) {
                out.println(Json.pretty(jsonError("usage", EXIT_USAGE, null, message, "see --help for the options")));
            }
            return EXIT_USAGE;
        });
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
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

        @Override
        public Integer call() {
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

        @Override
        public Integer call() {
            return tool.export(new Export.Request(table, key, where, include, allColumns), output);
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
        String environment = environment();
        // Every seed file is read and checked before the database is touched.
        var seedFiles = seed ? SeedFile.readAll(layout.seeds(), workingDir, env, followSymlinks) : List.<SeedFile>of();
        var skipped = seedFiles.stream().filter(f -> !f.appliesTo(environment)).toList();
        warnAboutAnUnknownEnvironment(report, seedFiles, environment);
        report.header(passTitle != null ? passTitle : dryRun ? (command.equals("check") ? "check" : "plan: nothing is written") : null,
                target, environment, layout, migrate, seed);

        Migrations.Outcome migrated = null;
        List<Seeder.Outcome> seeded = List.of();
        String recordedIn = null;
        for (int attempt = 1; ; attempt++) {
            try (var session = Session.open(target, limits(), this::note);
                 var progressLine = Progress.onTerminal(spec.commandLine().getErr(), env == System.getenv())) {
                progress = progressLine;
                migrated = migrate ? Migrations.apply(session, layout.migrations(), workingDir, baseline) : null;
                try {
                    seeded = seed(session, seedFiles, environment, dryRun);
                } catch (SeedError e) {
                    throw migrate ? e : withPendingMigrations(e, session, layout);
                }
                if (!dryRun) {
                    if (!seeded.isEmpty()) {
                        recordedIn = historyTable();
                        new History(session, recordedIn).record(new History.RunInfo(UUID.randomUUID(), startedAt, environment,
                                gitCommit.join(), host.join()), seeded);
                    }
                    session.commit();
                }
                break;
            } catch (SeedError e) {
                if (!e.connectionFailure() || attempt > retries) {
                    throw e;
                }
                // Nothing of the failed attempt was committed: the whole run starts again.
                long pause = Math.min(10, 1L << (attempt - 1));
                note(e.paragraph().replace(" Nothing was written.", "") + " Retrying in " + pause + " s (retry " + attempt
                        + " of " + retries + ").");
                try {
                    Thread.sleep(pause * 1000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
        var result = new Report.Run(command, dryRun, environment, target, migrated, seeded, skipped, layout.seeds(),
                System.nanoTime() - started, recordedIn);
        report.run(result);
        lastRun = result;
        return command.equals("check") && !result.inSync() ? EXIT_FAILED : EXIT_OK;
    }

    /**
     * The seed files for this environment, in dependency order: each writes its rows, then, in
     * reverse order, each removes the rows it no longer lists.
     */
    private List<Seeder.Outcome> seed(Session session, List<SeedFile> files, String environment, boolean dryRun) {
        var run = new Seeder.Run(session, environment, allowDelete, maxDeletes, dryRun, historyTable(), files);
        run.progress = progress;
        var seeders = Seeder.order(session, files.stream().filter(f -> f.appliesTo(environment)).toList()).stream()
                .map(planned -> new Seeder(run, planned.file(), planned.table())).toList();
        seeders.forEach(Seeder::write);
        seeders.forEach(Seeder::countRemovals);
        Seeder.guardRemovals(run, seeders);
        for (int i = seeders.size() - 1; i >= 0; i--) {
            seeders.get(i).remove();
        }
        return seeders.stream().map(Seeder::outcome).toList();
    }

    /** A typo in --env would quietly skip files and remove rows: say so when no seed file knows the name. */
    private static void warnAboutAnUnknownEnvironment(Report report, List<SeedFile> files, String environment) {
        var named = new java.util.TreeSet<String>();
        for (var file : files) {
            if (file.environments() != null) {
                named.addAll(file.environments());
            }
            named.addAll(file.rows().environments());
        }
        if (!named.isEmpty() && !named.contains(environment) && !environment.equals("development")) {
            report.warnings.add("no seed file names the environment " + environment + " (they name " + String.join(", ", named)
                    + "); is it spelled right?");
        }
    }

    /** When seed (which never migrates) fails, pending migrations are a likely reason: say so. */
    private SeedError withPendingMigrations(SeedError e, Session session, Layout layout) {
        if (e.exitCode != EXIT_FAILED || layout.migrations() == null || !Files.isDirectory(layout.migrations())) {
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
        String environment = environment();
        var seedFiles = SeedFile.readAll(layout.seeds(), workingDir, env, followSymlinks);
        report.header(null, target, environment, layout, true, true);
        try (var session = Session.open(target, limits(), this::note)) {
            var migrations = Migrations.info(session, layout.migrations(), workingDir);
            var migrated = Migrations.apply(session, layout.migrations(), workingDir, null);
            var seeded = seed(session, seedFiles, environment, true);
            session.rollback();
            var history = new History(session, historyTable());
            var lastRun = history.exists() ? history.entries(null, 1).stream().findFirst().orElse(null) : null;
            report.info(migrations, new Report.Run("info", true, environment, target, migrated, seeded,
                    seedFiles.stream().filter(f -> !f.appliesTo(environment)).toList(), layout.seeds(), System.nanoTime() - started, null),
                    lastRun, historyTable());
        }
        return EXIT_OK;
    }

    /**
     * Both passes of a verify on a throwaway database, which is dropped whatever happens. The
     * second pass must find nothing to do: a seed that writes again on every run is not idempotent.
     */
    int verify(boolean keep, String database) {
        command = "verify";
        String name = Verify.name(database);
        prepare();
        Layout.resolve(migrationsOption, seedsOption, env, workingDir, scriptDir, true, true);
        var throwaway = Verify.create(target, name);
        note("verify: created the throwaway database " + throwaway.name + " on " + target.describe().replaceFirst("/[^/]*$", ""));
        var documents = new ArrayList<Map<String, Object>>();
        passDocuments = documents;
        try {
            targetOverride = throwaway.target;
            passTitle = "verify, first pass: migrations and seeds on an empty database";
            run("verify", true, true, false);
            var first = lastRun;
            if (!json) {
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
            if (keep) {
                Verify.current = null;
                note("verify: kept the throwaway database " + throwaway.name + " (--keep); drop it with DROP DATABASE "
                        + throwaway.name);
            } else {
                note(throwaway.drop() ? "verify: dropped the throwaway database " + throwaway.name
                        : "verify: could not drop the throwaway database " + throwaway.name + "; drop it with DROP DATABASE "
                                + throwaway.name);
            }
        }
    }

    /** The verdict of a verify: the second pass changed nothing, or what it changed, by file. */
    private int verified(Verify throwaway, Report.Run first, Report.Run second, List<Map<String, Object>> documents) {
        var changed = second.seeds().stream().filter(o -> o.written() > 0).toList();
        String problem = changed.isEmpty() && second.migrationsApplied() == 0 ? null
                : "the second pass changed " + Report.count(second.rowsWritten(), "row") + " (" + changed.stream()
                        .map(o -> o.file().name() + ": " + String.join(", ", o.changes().stream().limit(5).map(Seeder.RowChange::key).toList())
                                + (o.written() > 5 ? " and " + (o.written() - 5) + " more" : ""))
                        .collect(java.util.stream.Collectors.joining("; ")) + "), so every run would write them again";
        if (json) {
            var document = Report.document("verify");
            document.put("database", throwaway.name);
            document.put("passes", documents);
            document.put("idempotent", problem == null);
            if (problem != null) {
                document.put("error", Map.of("exit_code", EXIT_FAILED, "message", problem));
            }
            spec.commandLine().getOut().println(Json.pretty(document));
        }
        if (problem != null) {
            var error = new SeedError(EXIT_FAILED, changed.isEmpty() ? null : changed.get(0).file().displayPath(), problem,
                    "a seeded value that the database stores differently from the file (a trigger or rule that rewrites "
                            + "it, a default that changes it) makes the seeds write on every run: make the file say what the "
                            + "database keeps", null);
            spec.commandLine().getErr().println("error: " + error.paragraph().replace(" Nothing was written.", ""));
            return EXIT_FAILED;
        }
        if (!json) {
            spec.commandLine().getOut().println("Verified: " + Report.count(first.migrationsApplied(), "migration") + " and "
                    + Report.count(first.rowsWritten(), "row") + " apply cleanly to an empty database, and a second pass "
                    + "changes nothing.");
        }
        return EXIT_OK;
    }

    int history(String file, String key, String table, int limit) {
        command = "history";
        var report = prepare();
        String historyTable = historyTable();
        try (var session = Session.openForReading(target, limits())) {
            var history = new History(session, historyTable);
            if (key != null) {
                report.timeline(key, historyTable, history.exists() ? history.timeline(key, table, limit) : List.of());
            } else {
                report.history(historyTable, history.exists() ? history.entries(file, limit) : List.of());
            }
        }
        return EXIT_OK;
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
            result = Export.run(session, request, Instant.now());
        }
        if (file == null) {
            spec.commandLine().getOut().print(result.yaml());
            spec.commandLine().getOut().flush();
        } else {
            writeAtOnce(file, result.yaml());
            note("Exported " + Report.count(result.rows(), "row") + " of " + result.table() + " to "
                    + SeedFile.displayPath(file, workingDir));
        }
        return EXIT_OK;
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
        var report = new Report(spec.commandLine().getOut(), json,
                Report.Style.resolve(noColor, color.name(), env, System.console() != null && env == System.getenv(),
                        env == System.getenv()));
        report.target = target;
        if (passDocuments != null) {
            report.jsonSink = passDocuments::add;
        }
        target.unknownParameters().forEach(name -> report.warnings.add("the connection setting " + name
                + " is not one the PostgreSQL driver knows; it is ignored"));
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
        spec.commandLine().getErr().println(message);
        spec.commandLine().getErr().flush();
    }

    /** The environment the run is for, in lower case: environment names match whatever their case. */
    String environment() {
        return DatabaseTarget.firstNonBlank(environmentOption, env.get("SEED_ENV"), env.get("APP_ENV"), "development")
                .trim().toLowerCase(java.util.Locale.ROOT);
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

    int reportFailure(Exception e, PrintWriter out, PrintWriter err) {
        var failure = e instanceof SeedError error ? error : SeedError.unexpected(e, target);
        // Commands that only read have nothing to reassure about.
        boolean reads = Set.of("info", "history", "export").contains(command);
        err.println("error: " + (reads ? failure.paragraph().replace(" Nothing was written.", "") : failure.paragraph()));
        if (verbose) {
            e.printStackTrace(err);
        } else if (!(e instanceof SeedError)) {
            err.println("(rerun with --verbose for the stack trace)");
        }
        if (json) {
            out.println(Json.pretty(jsonError(command, failure.exitCode, failure.where, failure.getMessage(), failure.hint)));
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
