import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The tool as a user starts it: ./jbang seed_database.java, as a separate process, from another
 * working directory; and its help, version and usage errors.
 */
class CommandLineTest extends FreshProject {

    /** ./jbang <project>/seed_database.java ARGS, in its own process, from workingDir. */
    TestDatabase.Run jbang(Path workingDir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Path output = TestDatabase.scratch("jbang_run");
        var process = TestDatabase.startTool(workingDir, env, output, args);
        assertTrue(process.waitFor(180, TimeUnit.SECONDS), "the tool finished");
        // JBang's own notes on stderr ("[jbang] Building jar…") are not the tool's.
        String errors = Files.readString(output.resolve("err")).lines().filter(l -> !l.startsWith("[jbang]"))
                .map(l -> l + "\n").reduce("", String::concat);
        return new TestDatabase.Run(process.exitValue(), Files.readString(output.resolve("out")), errors);
    }

    @Test
    void the_tool_runs_through_the_jbang_wrapper_from_any_working_directory() throws Exception {
        Path elsewhere = TestDatabase.scratch("elsewhere");

        var first = jbang(elsewhere, Map.of("DATABASE_URL", db.url(), "SEED_DATABASE_HOME", workspace.toString()));

        assertEquals(0, first.exitCode(), first::toString);
        // The JVM's options (//RUNTIME_OPTIONS: -XX:-FlightRecorder among them, deprecated) print no warning of the JVM's.
        assertTrue(!first.err().contains("VM warning") && !first.err().contains("deprecated"), first::toString);
        assertTrue(first.out().contains("  seeds        " + workspace.resolve("seeds") + " (from SEED_DATABASE_HOME)"), first::toString);
        assertTrue(first.out().contains("llm_models.yaml → llm_models: 8 inserted, 0 updated, 0 unchanged"), first::toString);

        var unreachable = jbang(elsewhere, Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x",
                "SEED_DATABASE_HOME", workspace.toString()));
        assertEquals(3, unreachable.exitCode(), "the exit code passes through JBang:\n" + unreachable);
    }

    /**
     * main() turns off picocli's built-in converters of java.time and java.sql types (start-up work):
     * then no option or parameter of any command may have such a type, or its value would not convert.
     */
    @Test
    void no_option_has_a_type_whose_converter_the_tool_turns_off() {
        var excluded = java.util.Arrays.stream(seed_database.PICOCLI_UNUSED_CONVERTERS.split(","))
                .map(java.util.regex.Pattern::compile).toList();
        // Every option and parameter of every command, as picocli models it (the shared ones by hand, the commands'
        // from their annotations): the types picocli converts to.
        var named = new java.util.ArrayList<String>();
        var commands = new java.util.ArrayDeque<picocli.CommandLine>(List.of(seed_database.everyCommand()));
        while (!commands.isEmpty()) {
            var command = commands.pop();
            commands.addAll(command.getSubcommands().values());
            for (var arg : command.getCommandSpec().args()) {
                named.add(arg.type().getTypeName());
                java.util.Arrays.stream(arg.auxiliaryTypes()).map(Class::getTypeName).forEach(named::add);
            }
        }
        assertTrue(named.size() > 40 && named.contains("java.nio.file.Path") && named.contains("java.util.Map"),
                "the options were found: " + named);
        for (String name : named) {
            assertTrue(excluded.stream().noneMatch(e -> e.matcher(name).matches()), () -> "an option of type " + name
                    + ": its converter is one seed_database.PICOCLI_UNUSED_CONVERTERS turns off");
        }
        assertTrue(excluded.stream().anyMatch(e -> e.matcher("java.time.Duration").matches()), "the check can fail");
    }

    @Test
    void help_lists_the_commands_the_settings_and_the_exit_codes() {
        var help = TestDatabase.runWith(Map.of(), workspace, "--help");

        assertEquals(0, help.exitCode(), help::toString);
        for (String expected : List.of("Usage: seed_database", "migrate", "seed", "--url=URL", "--migrations=DIR", "--seeds=DIR",
                "DATABASE_URL", "SEED_DATABASE_HOME", "Exit codes:", "4     a lock wait or a statement took longer")) {
            assertTrue(help.out().contains(expected), () -> expected + "\n" + help);
        }
        var seedHelp = TestDatabase.runWith(Map.of(), workspace, "seed", "--help");
        assertEquals(0, seedHelp.exitCode(), seedHelp::toString);
        assertTrue(seedHelp.out().contains("Usage: seed_database seed"), seedHelp::toString);
        assertTrue(seedHelp.out().contains("--url=URL"), "the options work after the command too:\n" + seedHelp);
    }

    /**
     * A run with nothing on its command line goes without picocli (seed_database.withoutCommandLine):
     * sound only while picocli, reading no arguments, leaves every option as a new Options holds it,
     * runs the tool itself, and has no check that a line without a command could fail.
     */
    @Test
    void picocli_reading_nothing_leaves_every_option_as_a_new_options_holds_it() throws Exception {
        var cli = seed_database.everyCommand();
        var tool = (seed_database) cli.getCommandSpec().userObject();
        var fields = Options.class.getDeclaredFields();
        // Every option away from its initial value first, so that a parse that set nothing could not pass.
        var changed = cli.parseArgs("--url", "postgresql://x/y", "--dry-run", "--max-deletes", "3", "--only", "a,b",
                "--color", "never", "--parallel", "2", "-q", "-v");
        assertTrue(changed.matchedOptions().size() >= 8);
        var parsed = cli.parseArgs();
        assertTrue(parsed.matchedOptions().isEmpty() && !parsed.hasSubcommand() && parsed.unmatched().isEmpty());
        var fresh = new Options();
        int compared = 0;
        for (var field : fields) {
            if (java.lang.reflect.Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            field.setAccessible(true);
            assertEquals(field.get(fresh), field.get(tool.options), "--" + field.getName() + " as picocli leaves it reading nothing");
            compared++;
        }
        assertTrue(compared >= 25, "every option compared: " + compared);
        // And the one check picocli's execution strategy makes beyond the parse has nothing to say of such a line.
        CommandOptions.refuseMisplaced(parsed);
    }

    /** The same run with nothing on its command line (no picocli) and with "--" only (picocli reads it): alike. */
    @Test
    void a_run_without_arguments_and_one_picocli_reads_do_the_same() {
        for (int i = 0; i < 3; i++) {   // migrated, seeded, and every file's proof taken: the runs after print alike
            var settling = TestDatabase.runWith(Map.of("DATABASE_URL", db.url()), workspace);
            assertEquals(0, settling.exitCode(), settling::toString);
        }
        var first = TestDatabase.runWith(Map.of("DATABASE_URL", db.url()), workspace);
        var read = TestDatabase.runWith(Map.of("DATABASE_URL", db.url()), workspace, "--");
        assertEquals(0, read.exitCode(), read::toString);
        java.util.function.UnaryOperator<String> timeless = text -> text.replaceAll("Done in [0-9.]+ m?s", "Done in _");
        assertEquals(timeless.apply(first.out()), timeless.apply(read.out()));
        assertTrue(first.out().contains("not compared"), first::toString);
        assertEquals(first.err(), read.err());
        // A failure is said alike too: the tool's handler, as the run of the tool (exit code 3, one paragraph).
        var nowhere = Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere");
        var bare = TestDatabase.runWith(nowhere, workspace);
        var dashes = TestDatabase.runWith(nowhere, workspace, "--");
        assertEquals(3, bare.exitCode(), bare::toString);
        assertEquals(bare.exitCode(), dashes.exitCode());
        assertEquals(bare.err(), dashes.err());
        assertEquals(bare.out(), dashes.out());
    }

    @Test
    void every_command_ends_its_options_with_help_and_version_and_takes_them() {
        var tool = seed_database.everyCommand();
        var commands = new java.util.ArrayList<picocli.CommandLine>(List.of(tool));
        commands.addAll(tool.getSubcommands().values());
        for (var command : commands) {
            var options = command.getCommandSpec().options();
            String name = command.getCommandName();
            if (name.equals("help")) {
                continue;   // picocli's own help command, with its own --help
            }
            var help = options.get(options.size() - 2);
            var version = options.get(options.size() - 1);
            assertEquals(List.of("-h", "--help"), List.of(help.names()), name);
            assertTrue(help.usageHelp(), name);
            assertEquals("Show this help message and exit.", help.description()[0], name);
            assertEquals(List.of("-V", "--version"), List.of(version.names()), name);
            assertTrue(version.versionHelp(), name);
            assertEquals("Print version information and exit.", version.description()[0], name);
            var shown = TestDatabase.runWith(Map.of(), workspace, command == tool ? new String[]{"-V"} : new String[]{name, "-V"});
            assertEquals(0, shown.exitCode(), shown::toString);
            assertTrue(shown.out().startsWith("seed_database " + seed_database.VERSION + "\n"), shown::toString);
            var usage = TestDatabase.runWith(Map.of(), workspace, command == tool ? new String[]{"-h"} : new String[]{name, "-h"});
            assertEquals(0, usage.exitCode(), usage::toString);
            assertTrue(java.util.regex.Pattern.compile("\n  -h, --help +Show this help message and exit\\.\n"
                    + "  -V, --version +Print version information and exit\\.\n").matcher(usage.out()).find(), usage::toString);
        }
        assertTrue(commands.size() >= 10, "every command: " + commands.size());
    }

    @Test
    void options_with_values_that_make_no_sense_are_usage_errors() throws Exception {
        assertEquals(2, TestDatabase.runWith(Map.of(), workspace, "plan", "--color=bogus").exitCode());
        for (String limit : new String[]{"0", "-1"}) {
            var run = run("history", "--limit", limit);
            assertEquals(2, run.exitCode(), run::toString);
            assertTrue(run.err().contains("--limit is " + limit + "; it takes a number of runs, 1 or more"), run::toString);
        }
        assertEquals(0, run("migrate").exitCode());
        var notHistory = run("history", "--history-table", "llm_models");
        assertEquals(2, notHistory.exitCode(), notHistory::toString);
        assertTrue(notHistory.err().contains("the table \"llm_models\" is not a seed history table"), notHistory::toString);
        var qualified = run("--history-table", "audit.seed_runs");
        assertEquals(2, qualified.exitCode(), qualified::toString);
        assertEquals("", qualified.out(), "refused before anything is printed");

        var aFile = run("--seeds", "seeds/llm_models.yaml");
        assertEquals(2, aFile.exitCode(), aFile::toString);
        assertTrue(aFile.err().contains("(from --seeds) is a file, not a directory"), aFile::toString);
        Path empty = Files.createDirectories(workspace.resolve("no-seed-files"));
        var nothing = run("seed", "--seeds", empty.toString());
        assertEquals(0, nothing.exitCode(), nothing::toString);
        assertTrue(nothing.out().contains("Seeds: no seed files (*.yaml, *.yml) in " + empty), nothing::toString);
    }

    @Test
    void version_and_usage_errors() {
        var version = TestDatabase.runWith(Map.of(), workspace, "--version");
        assertEquals(0, version.exitCode(), version::toString);
        assertTrue(version.out().startsWith("seed_database " + seed_database.VERSION + "\n"), version::toString);

        var unknown = TestDatabase.runWith(Map.of(), workspace, "--sedes", "x");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        assertEquals("error: seed_database has no option --sedes; did you mean \"--seeds\"? See --help.\n",
                unknown.err(), "one paragraph, not the whole help");

        var help = TestDatabase.runWith(Map.of(), workspace, "help", "plan");
        assertEquals(0, help.exitCode(), help::toString);
        assertTrue(help.out().startsWith("Usage: seed_database plan"), help::toString);

        var afterCommand = run("migrate", "--migrations", "migrations");
        assertEquals(0, afterCommand.exitCode(), "options are accepted after the command:\n" + afterCommand);
    }

    /** Only the commands a line names are built; its mistakes are still worded with all of them. */
    @Test
    void a_line_is_read_and_its_mistakes_worded_alike_whichever_commands_it_names() {
        var typo = TestDatabase.runWith(Map.of(), workspace, "sed");
        assertEquals(2, typo.exitCode(), typo::toString);
        assertEquals("error: there is no command \"sed\"; did you mean \"seed\"? The commands are migrate, seed, plan, check, "
                + "info, history, verify, export, completion, help. See --help.\n", typo.err());

        var misplaced = TestDatabase.runWith(Map.of(), workspace, "migrate", "--seeds", "seeds");
        assertEquals(2, misplaced.exitCode(), misplaced::toString);
        assertTrue(misplaced.err().contains("migrate takes no option --seeds. --seeds is an option of a run (no command), "
                + "check, export, info, plan, seed, verify"), misplaced::toString);

        var ofAnother = TestDatabase.runWith(Map.of(), workspace, "migrate", "--keep");
        assertEquals(2, ofAnother.exitCode(), ofAnother::toString);
        assertTrue(ofAnother.err().contains("migrate has no option --keep; it is an option of verify"), ofAnother::toString);

        var asAValue = TestDatabase.runWith(Map.of(), workspace, "plan", "--env", "seed");
        assertEquals(2, asAValue.exitCode(), asAValue::toString);
        assertEquals("", asAValue.out(), asAValue::toString);

        var clustered = TestDatabase.runWith(Map.of(), workspace, "-qV");
        assertEquals(0, clustered.exitCode(), clustered::toString);
        assertTrue(clustered.out().startsWith("seed_database " + seed_database.VERSION + "\n"), clustered::toString);
    }

    /** main's warm-up of the libraries a run needs (Warmup): every class and call it names is there, and it ends. */
    @Test
    void the_start_up_warm_up_finds_everything_it_names_and_ends() {
        Warmup.start();
        Warmup.awaitConnecting();   // the whole warm-up: its last stage
        assertEquals(null, Warmup.failure(), "the warm-up failed: a library no longer has what it names");
    }
}
