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
//SOURCES src/Report.java

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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
        subcommands = {seed_database.MigrateCommand.class, seed_database.SeedCommand.class},
        footerHeading = "%nWhere things are found:%n",
        footer = {
                "  The database: --url, else DATABASE_URL, else the libpq variables PGHOST,",
                "  PGPORT, PGDATABASE, PGUSER and PGPASSWORD, else postgres@localhost:5432.",
                "  The directories: --migrations and --seeds, else the migrations/ and seeds/",
                "  of $SEED_DATABASE_HOME, else those of the nearest of the working directory",
                "  and its parents that holds seed_database.java or a seeds/ directory."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:a seed file, a migration or the data is wrong (the message names the file); nothing was written",
                "2:usage error: an unknown option, a directory that is not there",
                "3:the database is unreachable, or refused the connection or the credentials"})
public class seed_database implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    /** The exit codes, as --help and the README list them. */
    static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3;

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = {"Database URL, e.g. postgresql://user:password@host:5432/db (also the postgres://, "
                    + "postgresql+psycopg2://, postgresql+asyncpg:// and jdbc:postgresql:// forms)"})
    String url;

    @Option(names = "--migrations", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of Flyway SQL migrations (see below)")
    Path migrationsOption;

    @Option(names = "--seeds", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of seed files (see below)")
    Path seedsOption;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show Flyway's log, and the stack trace of an error")
    boolean verbose;

    @Spec CommandSpec spec;

    /** The process environment and working directory; tests hand in their own. */
    Map<String, String> env = System.getenv();
    Path workingDir = Path.of("").toAbsolutePath();
    /** Where this run connects, once known: error messages name it. */
    DatabaseTarget target;

    public static void main(String... args) {
        System.exit(execute(args, System.getenv(), Path.of("").toAbsolutePath(),
                new PrintWriter(new OutputStreamWriter(System.out, UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, UTF_8), true)));
    }

    /** Runs one command line; the single place where errors become a paragraph and an exit code. */
    static int execute(String[] args, Map<String, String> env, Path workingDir, PrintWriter out, PrintWriter err) {
        var tool = new seed_database();
        tool.env = env;
        tool.workingDir = workingDir;
        var cli = new CommandLine(tool).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> tool.reportFailure(e, err));
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    @Override
    public Integer call() {
        return run(true, true);
    }

    @Command(name = "migrate", description = "Apply the pending Flyway migrations, and nothing else.")
    static class MigrateCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run(true, false);
        }
    }

    @Command(name = "seed", description = "Upsert seeds/*.yaml into the database, without running migrations.")
    static class SeedCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run(false, true);
        }
    }

    int run(boolean migrate, boolean seed) {
        long started = System.nanoTime();
        var out = spec.commandLine().getOut();
        Logging.configure(verbose, spec.commandLine().getErr());

        target = DatabaseTarget.resolve(url, env);
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, migrate, seed);
        // Every seed file is read and checked before the database is touched.
        var seedFiles = seed ? SeedFile.readAll(layout.seeds(), workingDir) : List.<SeedFile>of();

        var report = new Report(out);
        report.header(target, layout, migrate, seed);
        Migrations.Outcome migrated;
        var seeded = new ArrayList<Seeder.Outcome>();
        try (var session = Session.open(target)) {
            migrated = migrate ? Migrations.apply(session, layout.migrations(), workingDir) : null;
            for (var file : seedFiles) {
                seeded.add(new Seeder(session, file).apply());
            }
            session.commit();
        }
        if (migrated != null) {
            report.migrations(migrated);
        }
        if (seed) {
            report.seeds(seeded);
        }
        report.done(migrated, seeded, started);
        return EXIT_OK;
    }

    int reportFailure(Exception e, PrintWriter err) {
        var failure = e instanceof SeedError error ? error : SeedError.unexpected(e, target);
        err.println("error: " + failure.paragraph());
        if (verbose) {
            e.printStackTrace(err);
        } else if (!(e instanceof SeedError)) {
            err.println("(rerun with --verbose for the stack trace)");
        }
        return failure.exitCode;
    }

    /**
     * Where migrations/ and seeds/ are. A JBang script is not told where its source file lies, so:
     * --migrations/--seeds, else SEED_DATABASE_HOME, else the nearest of the working directory and
     * its parents that holds seed_database.java or a seeds/ directory. Each says how it was found.
     */
    record Layout(Path migrations, String migrationsFrom, Path seeds, String seedsFrom) {

        static Layout resolve(Path migrationsOption, Path seedsOption, Map<String, String> env, Path workingDir,
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
                requireDirectory(layout.migrations(), "migrations", "--migrations", workingDir);
            }
            if (needSeeds) {
                requireDirectory(layout.seeds(), "seeds", "--seeds", workingDir);
            }
            return layout;
        }

        private static void requireDirectory(Path dir, String name, String option, Path workingDir) {
            if (dir == null) {
                throw SeedError.usage("no " + name + "/ directory found in " + workingDir + " or its parents",
                        "run from the directory that holds seed_database.java, set SEED_DATABASE_HOME to it, or pass "
                                + option + " DIR");
            }
            if (!Files.isDirectory(dir)) {
                throw SeedError.usage(dir + " is not a directory", "pass " + option + " DIR, or set SEED_DATABASE_HOME");
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
