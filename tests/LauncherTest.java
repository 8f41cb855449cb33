import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * ./jbang as a user's shell, cron or container starts it: the remembered command that runs a
 * script never runs old code (an edit of any file the script includes is a new key), arguments
 * pass through as given, and the tool builds and reads well under any locale.
 */
class LauncherTest extends FreshProject {

    final Path dir = TestDatabase.scratch("launcher");

    /** A run of ./jbang ARGS in workingDir with nothing but env for its environment (as env -i gives). */
    static TestDatabase.Run launch(Map<String, String> env, Path workingDir, String... args) throws Exception {
        var command = new ArrayList<>(List.of(TestDatabase.PROJECT.resolve("jbang").toString()));
        command.addAll(List.of(args));
        return start(env, workingDir, command);
    }

    /** A run of command in workingDir with nothing but env for its environment. */
    static TestDatabase.Run start(Map<String, String> env, Path workingDir, List<String> command) throws Exception {
        var builder = new ProcessBuilder(command).directory(workingDir.toFile());
        builder.environment().clear();
        builder.environment().putAll(env);
        var process = builder.start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the run ends");
        return new TestDatabase.Run(process.exitValue(), out, err.get());
    }

    /**
     * A wrapper cache of a test's own (JBANG_WRAPPER_CACHE) holding the pinned JBang, a link to the
     * one already fetched; returns where it remembers commands (its launch/, not made yet).
     */
    static Path wrapperCache(String prefix) throws java.io.IOException {
        String version = TestDatabase.read(TestDatabase.PROJECT.resolve("jbang")).lines().filter(l -> l.startsWith("jbang_version="))
                .findFirst().orElseThrow().substring("jbang_version=".length());
        String home = System.getenv("XDG_CACHE_HOME") != null ? System.getenv("XDG_CACHE_HOME") : System.getenv("HOME") + "/.cache";
        Path jar = Path.of(System.getenv().getOrDefault("JBANG_WRAPPER_CACHE", home + "/jbang-wrapper"), version, "jbang.jar");
        Path cache = TestDatabase.scratch(prefix);
        Files.createDirectories(cache.resolve(version));
        Files.createSymbolicLink(cache.resolve(version).resolve("jbang.jar"), jar);
        return cache.resolve(version).resolve("launch");
    }

    /** What a cron job has: a PATH, a HOME, and no locale (LANG, LC_ALL and LC_CTYPE unset: POSIX). */
    static Map<String, String> cronEnvironment() {
        var env = new java.util.HashMap<String, String>();
        for (String name : List.of("PATH", "HOME", "JAVA_HOME", "TEST_DATABASE_URL")) {
            if (System.getenv(name) != null) {
                env.put(name, System.getenv(name));
            }
        }
        return env;
    }

    String hello(String... args) throws Exception {
        var command = new ArrayList<>(List.of(TestDatabase.PROJECT.resolve("jbang").toString(), "Hello.java"));
        command.addAll(List.of(args));
        var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), "the run ends");
        assertEquals(0, process.exitValue(), output);
        return output.lines().filter(line -> !line.startsWith("[jbang]")).reduce("", (a, b) -> a + b + "\n");
    }

    void word(String word) {
        TestDatabase.write(dir.resolve("lib/Word.java"), "class Word { static String WORD = \"" + word + "\"; }\n");
    }

    @Test
    void an_edit_of_an_included_file_is_run_at_once_and_arguments_pass_through_unchanged() throws Exception {
        TestDatabase.write(dir.resolve("Hello.java"), """
                //SOURCES lib/*.java
                class Hello {
                    public static void main(String[] args) {
                        System.out.println(Word.WORD + " " + String.join("|", args));
                    }
                }
                """);
        word("one");
        assertEquals("one a b|c\"d|$HOME|*\n", hello("a b", "c\"d", "$HOME", "*"));
        assertEquals("one \n", hello(), "the remembered command, without arguments");

        word("two");
        assertEquals("two x\n", hello("x"), "a file included through a glob is part of the key");
        word("one");
        assertEquals("one y\n", hello("y"), "and back: the first command, remembered, is right again");
    }

    @Test
    void under_the_posix_locale_it_builds_in_a_fresh_cache_reads_names_and_values_whole_and_prints_its_symbols_in_ascii()
            throws Exception {
        Path project = TestDatabase.scratch("posix-locale");
        TestDatabase.write(project.resolve("migrations/V1__create_places.sql"),
                "CREATE TABLE places (code text PRIMARY KEY, name text NOT NULL);\n");
        TestDatabase.write(project.resolve("seeds/lieux_été.yaml"),
                "table: places\nkey: code\nrows:\n  - {code: café, name: \"${PLACE_NAME}\"}\n");
        var env = cronEnvironment();
        env.put("PLACE_NAME", "Le Café d'Été");
        // A JBang cache of its own: the tool is compiled here, under this locale, not found built.
        env.put("JBANG_CACHE_DIR", TestDatabase.scratch("jbang-cache").toString());
        String[] seed = {TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--url", db.url(),
                "--migrations", project.resolve("migrations").toString(), "--seeds", project.resolve("seeds").toString()};
        db.recreate();

        var posix = launch(env, project, seed);

        assertEquals(0, posix.exitCode(), posix::toString);
        assertEquals("Le Café d'Été", db.text("SELECT name FROM places WHERE code = 'café'"), "a value from the environment, whole");
        assertTrue(posix.out().contains("seed_database " + seed_database.VERSION + "\n"), posix::toString);
        assertTrue(posix.out().contains("  lieux_été.yaml -> places: 1 inserted, 0 updated, 0 unchanged\n"), posix::toString);
        assertTrue(posix.out().contains("    + café\n"), "names and values are shown as they are, in UTF-8: " + posix);
        assertEquals("", posix.out().replace("été", "").replace("café", "").replaceAll("[\\x00-\\x7f]", ""),
                "no other character beyond ASCII");
        assertTrue(posix.err().lines().allMatch(line -> line.startsWith("[jbang]")), "nothing but JBang's build lines: " + posix);

        env.put("LANG", "C.UTF-8");
        env.put("PLACE_NAME", "Le Café");
        var utf8 = launch(env, project, seed);

        assertEquals(0, utf8.exitCode(), utf8::toString);
        assertTrue(utf8.out().contains("  lieux_été.yaml → places: 0 inserted, 1 updated, 0 unchanged\n"), utf8::toString);
        assertEquals("Le Café", db.text("SELECT name FROM places WHERE code = 'café'"));
    }

    @Test
    void runs_started_together_on_a_cold_cache_build_the_tool_once_and_all_of_them_work() throws Exception {
        // JBang alone would build it four times at once into one cache entry and leave a broken jar there.
        var env = cronEnvironment();
        env.put("LANG", "C.UTF-8");
        env.put("JBANG_WRAPPER_FORCE", "1");
        env.put("JBANG_CACHE_DIR", TestDatabase.scratch("cold-jbang-cache").toString());
        var runs = new ArrayList<java.util.concurrent.CompletableFuture<TestDatabase.Run>>();
        for (int i = 0; i < 4; i++) {
            runs.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return launch(env, dir, TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--version");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        for (var run : runs) {
            assertEquals(0, run.get().exitCode(), run.get()::toString);
            assertTrue(run.get().out().startsWith("seed_database " + seed_database.VERSION + "\n"), run.get()::toString);
        }
        var after = launch(env, dir, TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--version");
        assertEquals(0, after.exitCode(), "the jar they left works: " + after);
    }

    @Test
    void a_cache_where_no_command_can_be_remembered_only_costs_time() throws Exception {
        // The pinned JBang, in a cache whose launch/ cannot be made (a file is in its place): as a read-only cache is.
        Path launch = wrapperCache("unwritable-cache");
        Files.writeString(launch, "");
        Path cache = launch.getParent().getParent();
        TestDatabase.write(dir.resolve("Hello.java"), "class Hello { public static void main(String[] a) { System.out.println(\"hello \" + a[0]); } }\n");
        var env = cronEnvironment();
        env.put("JBANG_WRAPPER_CACHE", cache.toString());
        env.put("JBANG_WRAPPER_FORCE", "1");

        for (String word : List.of("once", "twice")) {
            var run = launch(env, dir, "Hello.java", word);
            assertEquals(0, run.exitCode(), run::toString);
            assertEquals("hello " + word + "\n", run.out(), run::toString);
        }
        assertTrue(Files.isRegularFile(launch), "nothing was remembered");
    }

    @Test
    void an_environment_value_java_could_not_read_is_refused_not_written() throws Exception {
        Path project = TestDatabase.scratch("unreadable-value");
        TestDatabase.write(project.resolve("migrations/V1__create_places.sql"),
                "CREATE TABLE places (code text PRIMARY KEY, name text NOT NULL);\n");
        TestDatabase.write(project.resolve("seeds/places.yaml"), "table: places\nkey: code\nrows:\n  - {code: a, name: \"${PLACE_NAME}\"}\n");
        db.recreate();

        // What System.getenv gives for "Café" under the POSIX locale: the two bytes of é each read as U+FFFD.
        var run = runFrom(project, Map.of("PLACE_NAME", "Caf\uFFFD\uFFFD"));

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.err().startsWith("error: seeds/places.yaml:4:21: the environment variable PLACE_NAME holds bytes that are not "
                + "text in this locale ("), run::toString);
        assertTrue(run.err().contains("Run under a UTF-8 locale, e.g. LC_ALL=C.UTF-8"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'places'"), "nothing was written");
    }

    @Test
    void the_locale_is_read_as_posix_orders_it_and_the_progress_bar_has_an_ascii_form() {
        assertTrue(Report.PlainSymbols.utf8Locale(Map.of("LANG", "en_US.UTF-8")));
        assertTrue(Report.PlainSymbols.utf8Locale(Map.of("LC_CTYPE", "de_DE.utf8", "LANG", "C")));
        assertTrue(!Report.PlainSymbols.utf8Locale(Map.of("LC_ALL", "C", "LANG", "en_US.UTF-8")), "LC_ALL wins");
        assertTrue(!Report.PlainSymbols.utf8Locale(Map.of("LANG", "POSIX")));
        assertTrue(!Report.PlainSymbols.utf8Locale(Map.of()), "nothing set: the POSIX locale");

        var text = new java.io.StringWriter();
        var plain = Report.PlainSymbols.around(text);
        plain.print(Progress.line("instruments.csv", "loading", 0.5, 523_000, 1));
        plain.println(" → café …");
        assertEquals(Progress.line("instruments.csv", "loading", 0.5, 523_000, 1).replace('█', '#').replace('░', '-')
                + " -> café ...\n", text.toString());
        assertTrue(text.toString().contains("  [############------------]  50%"), text::toString);
    }

    /** The tool as a container holds it: ./jbang, seed_database.java and src/ in dir, with a migration and a seed file of its own. */
    static Path installCopy(Path dir, String place) throws Exception {
        Files.copy(TestDatabase.PROJECT.resolve("jbang"), dir.resolve("jbang"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        Files.copy(TestDatabase.PROJECT.resolve("seed_database.java"), dir.resolve("seed_database.java"));
        TestDatabase.copyTree(TestDatabase.PROJECT.resolve("src"), dir.resolve("src"));
        TestDatabase.write(dir.resolve("migrations/V1__create_places.sql"), "CREATE TABLE IF NOT EXISTS places (code text PRIMARY KEY);\n");
        TestDatabase.write(dir.resolve("seeds/places.yaml"), "table: places\nkey: code\nrows:\n  - {code: " + place + "}\n");
        return dir;
    }

    @Test
    void from_another_directory_the_wrapper_finds_the_directories_beside_the_script_and_remembers_no_other_place() throws Exception {
        // Two copies of the same tool: the same files, so only their place tells their remembered commands apart.
        Path app = installCopy(TestDatabase.scratch("app"), "from-app");
        Path other = installCopy(TestDatabase.scratch("other-app"), "from-other-app");
        Path elsewhere = TestDatabase.scratch("elsewhere");
        var env = cronEnvironment();
        env.put("DATABASE_URL", db.url());
        env.put("LANG", "C.UTF-8");

        for (Path copy : List.of(app, other, app)) {
            db.recreate();
            var run = start(env, elsewhere, List.of(copy.resolve("jbang").toString(), copy.resolve("seed_database.java").toString()));

            assertEquals(0, run.exitCode(), run::toString);
            assertTrue(run.out().contains("  seeds        " + copy.resolve("seeds") + " (found where seed_database.java is)\n"), run::toString);
            assertTrue(run.out().contains("  places.yaml → places: 1 inserted, 0 updated, 0 unchanged\n"), run::toString);
            assertEquals(copy == app ? "from-app" : "from-other-app", db.text("SELECT string_agg(code, ',') FROM places"));
        }
    }

    /** The PATH without any directory that holds a jbang: as on a machine where JBang is not installed. */
    static String pathWithoutJBang() {
        return java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .filter(dir -> !dir.isEmpty() && !Files.isExecutable(Path.of(dir, "jbang")))
                .collect(java.util.stream.Collectors.joining(":"));
    }

    @Test
    void app_install_makes_a_command_that_works_from_any_directory_without_jbang_on_the_path() throws Exception {
        Path app = installCopy(TestDatabase.scratch("installed-app"), "installed");
        Path jbangDir = TestDatabase.scratch("jbang-dir"), elsewhere = TestDatabase.scratch("elsewhere");
        var env = cronEnvironment();
        env.put("PATH", pathWithoutJBang());
        env.put("JBANG_DIR", jbangDir.toString());
        env.put("LANG", "C.UTF-8");
        var install = List.of(app.resolve("jbang").toString(), "app", "install", "--name", "seed-database", "seed_database.java");

        var installed = start(env, app, install);

        assertEquals(0, installed.exitCode(), installed::toString);
        Path command = jbangDir.resolve("bin/seed-database");
        assertTrue(installed.out().contains("Installed the command seed-database (" + command + "): it runs "
                + app.resolve("seed_database.java").toRealPath() + ".\n"), installed::toString);
        assertTrue(installed.out().contains(jbangDir.resolve("bin") + " is not on your PATH: add it"), installed::toString);

        env.put("PATH", jbangDir.resolve("bin") + ":" + env.get("PATH"));
        env.put("DATABASE_URL", db.url());
        db.recreate();
        var run = start(env, elsewhere, List.of("/bin/sh", "-c", "command -v jbang || seed-database \"$@\"", "sh", "--dry-run"));

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.out().contains("  seeds        " + app.resolve("seeds").toRealPath() + " (found where seed_database.java is)\n"), run::toString);
        assertTrue(run.out().contains("  places.yaml → places: 1 to insert, 0 to update, 0 unchanged\n"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'places'"), "a dry run writes nothing");

        var again = start(env, app, install);
        assertEquals(1, again.exitCode(), again::toString);
        assertTrue(again.err().contains("error: " + command + " is already there; --force replaces it"), again::toString);
    }
}
