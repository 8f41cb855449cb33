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
// default charset UTF-8, as on JDK 18 and later, also under a POSIX locale. No flight recorder: Jdbi
// registers its statement event with JFR at its first statement when JFR is there, a tenth of a
// no-op run's CPU, for recordings nobody makes. -FlightRecorder is deprecated (a warning on every
// run, which -PrintWarnings keeps off the user's terminal) and, once a JDK drops it, unrecognized
// (ignored, not a JVM that does not start; so is a mistyped -XX option given with -R or JAVA_TOOL_OPTIONS).
// No training data in JDK 25's AOT cache (ignored before 25): the method profiles it holds are for C2,
// which never runs here, and replaying them had C1 compile a fifth more methods, early, on a second
// core the run needs (a no-op: 0.72 s and 0.90 s of CPU without them, 0.75 s and 0.99 s with them,
// medians of 21 alternating runs).
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx1g -Dfile.encoding=UTF-8
//RUNTIME_OPTIONS -XX:+IgnoreUnrecognizedVMOptions -XX:-PrintWarnings -XX:-FlightRecorder
//RUNTIME_OPTIONS -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -XX:-AOTReplayTraining

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;

/**
 * seed_database: one command that migrates a PostgreSQL database with Flyway, then upserts the
 * reference data in seeds/*.yaml, writing only the rows that differ, all in one transaction.
 * Each command here turns the options into a Config and hands it to a Runner, which its Mode
 * steers; an error a user can cause is a SeedError, said once by {@link SeedError.Handler}.
 * The tool itself and its shared options are modelled for picocli by hand ({@link #commandSpec},
 * {@link Options#spec}), the commands by their annotations (each read only when named).
 */
public class seed_database implements Callable<Integer> {

    static final String VERSION = Config.VERSION;

    /** The subcommands, in the order --help and every message list them. */
    private static final List<String> COMMANDS = List.of("migrate", "seed", "plan", "check", "info", "history", "verify",
            "export", "completion");

    final Options options;
    /** The tool as picocli models it, once its command line is built. */
    private CommandSpec spec;

    /** The process environment and working directory; tests hand in their own. */
    private final Map<String, String> env;
    private final Path workingDir;
    /** The directory of seed_database.java, when the launcher said where it is. */
    private final Path scriptDir;
    /** The values that ${VAR} gave while the seed files were read: every output masks them. */
    private final Secrets secrets;
    private final PrintWriter out, err;
    private final SeedError.Handler failures;

    private seed_database(Map<String, String> env, Path workingDir, Path scriptDir, Secrets secrets, PrintWriter out,
                          PrintWriter err) {
        this.env = env;
        this.workingDir = workingDir;
        this.scriptDir = scriptDir;
        this.secrets = secrets;
        this.out = out;
        this.err = err;
        this.options = new Options();
        this.failures = new SeedError.Handler(out, err, options, file -> Config.inRepository(file, env, workingDir));
    }

    public static void main(String... args) {
        Timing.mark("the JVM started, main");
        Warmup.start();
        // picocli's start-up work this tool has no use for (its own settings, left to whoever sets them):
        // looking for Groovy on the class path, and converters for java.time and java.sql types, which
        // no option has (CommandLineTest checks that). A no-op run is that much sooner done.
        setIfUnset("picocli.disable.closures", "true");
        setIfUnset("picocli.converters.excludes", PICOCLI_UNUSED_CONVERTERS);
        // UTF-8 always; under a locale that is not UTF-8 the tool's own symbols in ASCII (see Report.PlainSymbols).
        var utf8 = new PrintWriter(new OutputStreamWriter(System.err, UTF_8), true);
        var err = Report.PlainSymbols.utf8Reader(System.getenv()) ? utf8 : Report.PlainSymbols.around(utf8);
        Runtime.getRuntime().addShutdownHook(Runner.onSignal(err));
        int exitCode = execute(args, System.getenv(), Path.of("").toAbsolutePath(), Layout.scriptLocation(),
                new PrintWriter(new OutputStreamWriter(System.out, UTF_8), true), err);
        Layout.tellTheWrapperIfUnfitToRecord(Session.everConnected());
        System.exit(exitCode);
    }

    /** The types of picocli's built-in converters that no option of the tool has (regular expressions). */
    static final String PICOCLI_UNUSED_CONVERTERS = "java\\.time\\..*,java\\.sql\\..*";

    private static void setIfUnset(String property, String value) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, value);
        }
    }

    /** Runs one command line; its errors become a paragraph and an exit code in SeedError.Handler. */
    static int execute(String[] args, Map<String, String> env, Path workingDir, PrintWriter out, PrintWriter err) {
        return execute(args, env, workingDir, null, out, err);
    }

    /** scriptDir: the directory of seed_database.java, when the launcher said where it is (else null). */
    static int execute(String[] args, Map<String, String> env, Path workingDir, Path scriptDir, PrintWriter rawOut,
                       PrintWriter rawErr) {
        // The only writers a command is given: whatever it prints (reports, errors, stack traces, Flyway's
        // log) passes through the one scrubber of the values that came from the environment.
        var secrets = new Secrets();
        var maskedOut = secrets.masking(rawOut);
        var maskedErr = secrets.masking(rawErr);
        var out = new PrintWriter(maskedOut, true);
        var err = new PrintWriter(maskedErr, true);
        Supplier<seed_database> newTool = () -> new seed_database(env, workingDir, scriptDir, secrets, out, err);
        try {
            if (args.length == 0) {
                return withoutCommandLine(newTool.get());
            }
            var named = CommandOptions.commandsNamed(COMMANDS, args);
            var tool = newTool.get();
            var cli = commandLine(tool, named);
            if (!named.equals(CommandOptions.everyCommand(COMMANDS)) && !CommandOptions.parses(cli, args)) {
                // A mistake is worded with every command at hand (did you mean, the commands there are), by a tool not yet read into.
                tool = newTool.get();
                cli = commandLine(tool, CommandOptions.everyCommand(COMMANDS));
            }
            Timing.mark("picocli: the commands built");
            try {
                return cli.execute(args);
            } catch (VirtualMachineError e) {
                // picocli hands its handler Exceptions only; memory or stack running out comes here.
                var parsed = cli.getParseResult();
                return tool.failures.report(e, parsed == null ? cli : parsed.asCommandLineList().get(parsed.asCommandLineList()
                        .size() - 1));
            }
        } finally {
            out.flush();
            err.flush();
            try {
                maskedOut.drain();
                maskedErr.drain();
            } catch (IOException e) {
                // a closed stdout or stderr: nothing more can be said
            }
        }
    }

    /**
     * The daily run, with nothing on its command line, without picocli: there is nothing for it to
     * read, and what it would do is what this does. Reading no arguments, picocli sets every option
     * to its initial value, which is what a new Options holds (CommandLineTest checks both, field by
     * field, and that no command-line check applies to a line without a command), runs the tool
     * (call) after the warm-up (the execution strategy of commandLine), and hands what call throws
     * to the tool's handler, as the run of the tool itself (Mode.RUN). Building the command line
     * costs a tenth of a no-op run and more: picocli's classes are loaded from its jar in every run
     * (it is compiled for Java 5, and the JVM archives no such class; see the README).
     */
    private static int withoutCommandLine(seed_database tool) {
        Timing.mark("no command line to read: picocli not needed");
        try {
            Warmup.awaitReading();
            return tool.call();
        } catch (Exception | VirtualMachineError e) {
            return tool.failures.report(e, Mode.RUN);
        }
    }

    /**
     * The tool's command line with the commands named (each costs picocli a pass of reflection,
     * a tenth of a no-op run's time for all of them), the shared options pruned, and every
     * failure handed to the tool's handler.
     */
    private static CommandLine commandLine(seed_database tool, Set<String> commands) {
        var cli = new CommandLine(commandSpec(tool));
        COMMANDS.stream().filter(commands::contains).forEach(name -> cli.addSubcommand(new CommandLine(
                CommandLine.getCommandMethods(seed_database.class, name).get(0))));
        if (commands.contains("help")) {
            cli.addSubcommand(new CommandLine.HelpCommand());
        }
        standardHelpOptions(cli.getCommandSpec(), false);
        cli.getSubcommands().values().stream().map(CommandLine::getCommandSpec)
                .filter(sub -> sub.findOption("--help") == null)   // the help command has its own
                .forEach(sub -> standardHelpOptions(sub, true));
        CommandOptions.prune(cli);
        // Set once every subcommand is there: picocli hands these down to the subcommands it has.
        cli.setOut(tool.out).setErr(tool.err).setExecutionExceptionHandler(tool.failures)
                .setParameterExceptionHandler(tool.failures);
        cli.setExecutionStrategy(parsed -> {
            Warmup.awaitReading();
            try {
                CommandOptions.refuseMisplaced(parsed);
            } catch (SeedError misplaced) {
                return tool.failures.report(misplaced, cli);
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        return cli;
    }

    /**
     * The tool as picocli models it: what --help says of it, its version, the exit codes, and the
     * shared options (inherited by every command, as are the standard --help and --version). Built
     * by hand, without picocli's reflection over an annotated class, for a shorter start-up.
     */
    private static CommandSpec commandSpec(seed_database tool) {
        var spec = CommandSpec.wrapWithoutInspection(tool).name("seed_database").scopeType(ScopeType.INHERIT)
                .version("seed_database " + VERSION, "Java ${java.version} (${java.vendor})");
        spec.usageMessage().sortOptions(false).autoWidth(true)
                .description(
                        "Keeps a PostgreSQL database's reference data in step with this repository:",
                        "applies the Flyway migrations in migrations/, then upserts the rows of",
                        "seeds/*.yaml, writing only the rows that differ. All of it happens in one",
                        "transaction: a run applies completely or not at all.",
                        "",
                        "Without a command: migrate, then seed.",
                        "")
                .footerHeading("%nWhere things are found:%n")
                .footer(
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
                        "  directory and its parents that holds seed_database.java or a seeds/ directory.")
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(exitCodes(
                        "0", "success",
                        "1", "a seed file, a migration or the data is wrong (the message names the file); nothing was written. "
                                + "For check: the database is not in sync. For export: no such table or column, or no key to use",
                        "2", "usage error: an unknown option, a directory that is not there, a URL that is not PostgreSQL's; or "
                                + "a server where a run is not safe (CockroachDB, a YugabyteDB without advisory locks or "
                                + "transactional DDL, a Citus worker, PostgreSQL before 13); nothing was written",
                        "3", "the database is unreachable or does not exist, refused the connection or the credentials, or the "
                                + "connection was lost; nothing was written",
                        "4", "a lock wait or a statement took longer than --lock-timeout or --statement-timeout allow; nothing "
                                + "was written",
                        "5", "the tool ran out of memory (its heap is bounded: -Xmx1g) or of stack; nothing was written",
                        "130", "interrupted (SIGINT, Ctrl-C): the run was rolled back",
                        "143", "terminated (SIGTERM): the run was rolled back"));
        spec.addMixin("options", tool.options.spec());
        tool.spec = spec;
        return spec;
    }

    /**
     * --help and --version, as picocli's mixinStandardHelpOptions words them, after the shared
     * options (CommandOptions.prune lists them last in every command too). Built by hand: picocli
     * builds its own by reflection over an annotated class of its, once for every command, about a
     * tenth of a no-op run's time; CommandLineTest checks that the help is what it was.
     */
    private static void standardHelpOptions(CommandSpec spec, boolean inherited) {
        spec.addOption(OptionSpec.builder("-h", "--help").type(boolean.class).usageHelp(true).inherited(inherited)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").type(boolean.class).versionHelp(true).inherited(inherited)
                .description("Print version information and exit.").build());
    }

    /** Codes and what each means, in order. */
    private static Map<String, String> exitCodes(String... codesAndMeanings) {
        var codes = new java.util.LinkedHashMap<String, String>();
        for (int i = 0; i < codesAndMeanings.length; i += 2) {
            codes.put(codesAndMeanings[i], codesAndMeanings[i + 1]);
        }
        return codes;
    }

    /** Every command, as picocli models them: what CommandLineTest looks through. */
    static CommandLine everyCommand() {
        var none = new PrintWriter(java.io.Writer.nullWriter());
        return commandLine(new seed_database(Map.of(), Path.of(""), null, new Secrets(), none, none),
                CommandOptions.everyCommand(COMMANDS));
    }

    // ── the commands ────────────────────────────────────────────────────────────────────────

    @Override
    public Integer call() {
        return run(Mode.RUN, null);
    }

    @Command(name = "migrate", description = "Apply the pending Flyway migrations, and nothing else.")
    int migrate() {
        return run(Mode.MIGRATE, null);
    }

    @Command(name = "seed", description = "Upsert seeds/*.yaml into the database, without running migrations.")
    int seed(@Parameters(paramLabel = "FILE", arity = "0..*", description = "Apply only these seed files of the seeds "
            + "directory (llm_models.yaml); a file that refers to another file's rows finds them in the database")
             List<String> files) {
        return run(Mode.SEED, files);
    }

    @Command(name = "plan", description = "Show what a run would change, and write nothing: the pending migrations, and "
            + "every row to insert or update with its old and new values (it is the run itself, rolled back).")
    int plan() {
        return run(Mode.PLAN, null);
    }

    @Command(name = "check", description = "Exit 0 when the database matches the migrations and the seeds, 1 (and show "
            + "the plan) when it does not: for CI, or a cron job that notices a hand-edited price.")
    int check() {
        return run(Mode.CHECK, null);
    }

    @Command(name = "info", description = "One screen of status: each migration (applied or pending), each seed file "
            + "(in sync or not), the last seed run.")
    int info() {
        return each(Mode.INFO, null, config -> {
            new Runner(config).info();
            return Fleet.Done.shown(SeedError.EXIT_OK);
        });
    }

    @Command(name = "history", description = "The recorded seed runs, newest first, with what each changed; with --key, "
            + "one row's timeline: when its values changed, from what to what, in which run.")
    int history(
            @Option(names = "--file", paramLabel = "FILE", description = "Only runs that applied this seed file (e.g. "
                    + "llm_models.yaml)") String file,
            @Option(names = "--key", paramLabel = "KEY", description = "One row's timeline (e.g. gpt-4o)") String key,
            @Option(names = "--table", paramLabel = "TABLE", description = "With --key: the row's table, when keys repeat "
                    + "across tables") String table,
            @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "How many runs (with --key: "
                    + "changes) to show (default: ${DEFAULT-VALUE})") int limit) {
        var request = new Reading.HistoryRequest(file, key, table, limit);
        return each(Mode.HISTORY, null, config -> Fleet.Done.shown(Reading.history(config, request)));
    }

    @Command(name = "verify", description = "Prove that the migrations and the seeds apply cleanly to an empty database, "
            + "twice: creates a throwaway database on the same server, runs everything, runs it again (which must change "
            + "nothing), and drops the database, also when it fails. For CI, before a seed change is merged.")
    int verify(
            @Option(names = "--keep", description = "Keep the throwaway database afterwards, to look at it") boolean keep,
            @Option(names = "--database", paramLabel = "NAME", description = "The throwaway database's name, for a server "
                    + "with naming rules (default: seed_verify_ and the time); a NAME that ends in _ is a prefix, to which the "
                    + "time and a random suffix are added. A database that is there already is refused") String database) {
        if (options.fleet() && database != null && !database.endsWith("_")) {
            throw SeedError.usage("verify --database " + database + " names one throwaway database; over targets, each "
                    + "needs its own", "give a prefix, a NAME that ends in _ (" + database + "_)");
        }
        return each(Mode.VERIFY, null, config -> Fleet.Done.verified(Verify.run(config, Verify.name(database), keep)));
    }

    @Command(name = "export", description = "Write a table's rows as a seed file (on stdout, or to --output FILE) that "
            + "changes nothing when seeded back: keyed and sorted by the natural key, without surrogate ids, timestamps "
            + "and columns at their default, a foreign key as the referred row's key. Only reads.")
    int export(
            @Parameters(paramLabel = "TABLE", description = "The table (schema.table also works)") String table,
            @Option(names = "--key", paramLabel = "COLUMN", split = ",", description = "The natural key, a unique key of the "
                    + "table (default: its one unique key besides the primary key, else the primary key)") List<String> key,
            @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the file here (replacing it at "
                    + "once, when it is there) instead of on stdout") Path output,
            @Option(names = "--where", paramLabel = "SQL", description = "Only the rows for which this SQL condition holds, "
                    + "as in WHERE (SQL); it runs read-only") String where,
            @Option(names = "--include", paramLabel = "COLUMN", split = ",", description = "Keep these columns, which would "
                    + "be left out") List<String> include,
            @Option(names = "--all-columns", description = "Keep every column but generated ones") boolean allColumns,
            @Option(names = "--reference-key", paramLabel = "TABLE=COLUMN[,COLUMN]", description = "Write references to rows "
                    + "of TABLE by this unique key of it (default: the key of its seed file in the seeds directory, else its "
                    + "one unique key besides the primary key); may be repeated") Map<String, String> referenceKeys) {
        return Reading.export(config(Mode.EXPORT, null), new Export.Request(table, key, where, include, allColumns,
                Reading.columnsByTable(referenceKeys)), output);
    }

    @Command(name = "completion", description = "Print a completion script for bash or zsh, for your ~/.bashrc or "
            + "~/.zshrc: source <(seed-database completion bash)")
    int completion(
            @Parameters(paramLabel = "SHELL", description = "bash or zsh") String shell,
            @Option(names = "--name", paramLabel = "COMMAND", defaultValue = "seed-database", description = "The command to "
                    + "complete, as you type it (default: ${DEFAULT-VALUE})") String name) {
        if (!Set.of("bash", "zsh").contains(shell)) {
            throw SeedError.usage("completion is for bash or zsh, not \"" + shell + "\"", null);
        }
        if (!name.matches("[A-Za-z0-9._-]+")) {
            throw SeedError.usage("--name " + name + " is not a command name", "letters, digits, . _ and - only");
        }
        // picocli's script is for bash, and for zsh too: there it turns on bashcompinit itself.
        out.print(picocli.AutoComplete.bash(name, spec.commandLine()));
        return SeedError.EXIT_OK;
    }

    /** Migrate and/or seed as mode says; check exits 1 when the database is not in sync. */
    private int run(Mode mode, List<String> files) {
        return each(mode, files, config -> Fleet.Done.of(new Runner(config).run()));
    }

    /** A command on the one database of the options, or on each target of --targets, --databases or --schemas. */
    private int each(Mode mode, List<String> files, Fleet.Command command) {
        var config = config(mode, files);
        if (options.fleet()) {
            return Fleet.run(config, options, command);
        }
        if (options.atomic || options.parallel != null || options.failFast) {
            String option = options.atomic ? "--atomic" : options.parallel != null ? "--parallel" : "--fail-fast";
            throw SeedError.usage(option + " is for a run over targets; this run has one database (" + config.target()
                    + ")", "give the targets: --targets FILE, --databases PATTERN or --schemas PATTERN");
        }
        return command.run(config).exitCode();
    }

    /** What every command does first: logging, then its settings, so that an error names the database. */
    private Config config(Mode mode, List<String> files) {
        Timing.mark("the command line read, the warm-up done");
        Logging.configure(options.verbose, err);
        var config = Config.of(mode, options, files, env, workingDir, scriptDir, secrets, out, err);
        Timing.mark("the configuration");
        failures.target = config.target();
        return config;
    }
}
