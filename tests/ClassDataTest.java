import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * ./jbang's archive of the classes a remembered command loads: recorded by one run, checked,
 * then mapped by the runs after it; never visible in a run's output, never used when it was cut
 * short, and nothing but time lost where it cannot be kept.
 */
class ClassDataTest extends FreshProject {

    private TestDatabase.Run seed(Path launch, Map<String, String> extra) throws Exception {
        return tool(launch, extra, "--json");
    }

    private TestDatabase.Run tool(Path launch, Map<String, String> extra, String... args) throws Exception {
        return newestJdk(launch, pathJdk(extra), args);
    }

    /** extra, on the PATH's JDK (JBANG_WRAPPER_NEWEST_JDK=0) unless it says otherwise. */
    private static Map<String, String> pathJdk(Map<String, String> extra) {
        var env = new java.util.HashMap<>(Map.of("JBANG_WRAPPER_NEWEST_JDK", "0"));
        env.putAll(extra);
        return env;
    }

    /** The tool through ./jbang on the newest JDK, 25 or later, when there is one (JBANG_WRAPPER_NEWEST_JDK=1). */
    private TestDatabase.Run newestJdk(Path launch, Map<String, String> extra, String... args) throws Exception {
        var run = launched(launch, extra, args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }

    /** The tool through ./jbang, whatever its exit code (on the PATH's JDK unless extra says otherwise). */
    private TestDatabase.Run launched(Path launch, Map<String, String> extra, String... args) throws Exception {
        var env = LauncherTest.cronEnvironment();
        env.put("JBANG_WRAPPER_NEWEST_JDK", "1");
        env.put("JBANG_WRAPPER_CACHE", launch.getParent().getParent().toString());
        env.put("JBANG_WRAPPER_FORCE", "1");
        env.put("DATABASE_URL", db.url());
        env.put("SEED_DATABASE_HOME", workspace.toString());
        env.putAll(extra);
        var command = new java.util.ArrayList<>(List.of(TestDatabase.PROJECT.resolve("seed_database.java").toString()));
        command.addAll(List.of(args));
        return LauncherTest.launch(env, workspace, command.toArray(String[]::new));
    }

    private static List<Path> files(Path launch, String glob) throws IOException {
        try (Stream<Path> dirs = Files.list(launch)) {
            return dirs.filter(Files::isDirectory).flatMap(dir -> {
                try (var in = Files.newDirectoryStream(dir, glob)) {
                    return java.util.stream.StreamSupport.stream(in.spliterator(), false).toList().stream();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    /**
     * The database as a run leaves it that has nothing left to do: migrated, and every file's proof
     * taken (the run after a run that wrote a table with a trigger takes its proof), so that every
     * run after it prints alike, whichever JVM and archive it has.
     */
    private void settled() {
        for (int i = 0; i < 3; i++) {
            runJson();
        }
        assertEquals(withoutDurations(runJson()), withoutDurations(runJson()), "settled: two runs print alike");
    }

    /** A run's JSON without its durations: what every run of an unchanged project prints alike. */
    private static String withoutDurations(TestDatabase.Run run) {
        return run.out().replaceAll("\"duration_ms\": \\d+", "\"duration_ms\": 0");
    }

    @Test
    void one_run_records_the_classes_the_next_checks_and_keeps_them_the_runs_after_map_them_and_all_print_alike() throws Exception {
        settled();
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());   // JBang is asked for the command; it is remembered
        var noOp = seed(launch, Map.of());   // the first remembered run records its classes at exit
        assertEquals("", noOp.err(), "recording is silent");
        assertEquals(1, files(launch, "written.*").size(), "one archive written");

        var checked = seed(launch, Map.of());
        assertEquals(withoutDurations(noOp), withoutDurations(checked));
        assertEquals(List.of(), files(launch, "written.*"), "the archive written was checked and kept");
        assertEquals(1, files(launch, "*.jsa").size() + files(launch, "*.aot").size(), "one archive kept");

        Path log = TestDatabase.scratch("class-load").resolve("classes.log");
        var mapped = seed(launch, Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log));
        assertEquals(withoutDurations(noOp), withoutDurations(mapped));
        String loaded = Files.readString(log);
        assertTrue(loaded.lines().anyMatch(line -> line.contains(" seed_database ") && line.contains("shared objects file")),
                "the tool's own classes come from the archive: " + loaded.lines().filter(l -> l.contains(" seed_database ")).toList());
    }

    /**
     * On JDK 25 and later (which ./jbang runs by default where one is installed): a run records, the next
     * makes the AOT cache from that record in the background, a run after that checks and keeps it,
     * and the runs after map it; all print alike.
     */
    @Test
    void on_jdk_25_the_aot_cache_is_made_in_the_background_then_kept_and_mapped() throws Exception {
        settled();
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        var version = newestJdk(launch, Map.of(), "--version");   // JBang is asked for the command; it is remembered
        int feature = Integer.parseInt(version.out().lines().filter(l -> l.startsWith("Java ")).findFirst().orElseThrow()
                .replaceAll("^Java (\\d+).*", "$1"));
        org.junit.jupiter.api.Assumptions.assumeTrue(feature >= 25, "no JDK 25 or later installed: " + version.out());

        var recorded = newestJdk(launch, Map.of(), "--json");
        assertEquals("", recorded.err(), "recording is silent");
        assertEquals(1, files(launch, "record.*").size(), "the classes recorded");
        var making = newestJdk(launch, Map.of(), "--json");   // a no-op, like the runs after it
        assertEquals("", making.err(), making::toString);
        for (int i = 0; i < 240 && !files(launch, "creating.*").isEmpty(); i++) {
            Thread.sleep(500);   // the cache is made in the background (seconds; on a busy machine up to a minute)
        }
        var made = files(launch, "*");
        // The next run checks it and keeps it (or the one after, should the making process not have exited yet).
        for (int i = 0; i < 3 && files(launch, "*.aot").isEmpty(); i++) {
            var kept = newestJdk(launch, Map.of(), "--json");
            assertEquals(withoutDurations(making), withoutDurations(kept));
        }
        var now = files(launch, "*");
        assertEquals(1, files(launch, "*.aot").size(), () -> "the AOT cache checked and kept; made: " + made + ", now: " + now);

        Path log = TestDatabase.scratch("class-load").resolve("classes.log");
        var mapped = newestJdk(launch, Map.of("JAVA_TOOL_OPTIONS", "-Xlog:class+load=info:file=" + log), "--json");
        assertEquals(withoutDurations(making), withoutDurations(mapped));
        assertTrue(Files.readString(log).lines().anyMatch(line -> line.contains(" seed_database ")
                && line.contains("shared objects file")), "the tool's own classes come from the cache");
    }

    /** ./jbang runs the tool on the newest JDK installed unless told otherwise; 0 keeps the PATH's. */
    @Test
    void the_newest_jdk_installed_runs_the_tool_by_default_and_0_keeps_the_one_on_the_path() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        java.util.function.Function<TestDatabase.Run, String> java = run -> run.out().lines()
                .filter(l -> l.startsWith("Java ")).findFirst().orElseThrow(() -> new AssertionError(run.toString()));
        String byDefault = java.apply(newestJdk(launch, Map.of("JBANG_WRAPPER_NEWEST_JDK", ""), "--version"));
        assertEquals(java.apply(newestJdk(launch, Map.of(), "--version")), byDefault);
        var path = new ProcessBuilder("java", "-XshowSettings:properties", "-version").redirectErrorStream(true).start();
        String pathVersion = new String(path.getInputStream().readAllBytes()).lines().filter(l -> l.contains("java.version = "))
                .findFirst().orElseThrow().replaceAll(".*java.version = ", "");
        assertTrue(java.apply(tool(launch, Map.of(), "--version")).startsWith("Java " + pathVersion + " "),
                "JBANG_WRAPPER_NEWEST_JDK=0: the PATH's " + pathVersion);
    }

    @Test
    void a_run_that_prints_its_version_or_help_records_nothing_the_next_real_run_does() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        tool(launch, Map.of(), "--version");   // JBang is asked for the command; it is remembered
        assertTrue(tool(launch, Map.of(), "--version").out().startsWith("seed_database "));
        assertEquals(0, tool(launch, Map.of(), "help", "seed").exitCode());
        assertEquals(0, tool(launch, Map.of(), "-qV").exitCode());
        assertTrue(tool(launch, Map.of(), "completion", "bash").out().contains("complete"));
        assertEquals(List.of(), files(launch, "*"), "no archive of the few classes that printing a version loads");

        seed(launch, Map.of());
        assertEquals(1, files(launch, "written.*").size() + files(launch, "record.*").size(), "a run records its classes");
    }

    @Test
    void an_archive_of_a_class_path_rebuilt_since_is_dropped_and_its_classes_recorded_again() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());   // JBang is asked for the command; it is remembered
        seed(launch, Map.of());   // records
        seed(launch, Map.of());   // checks and keeps
        assertEquals(1, files(launch, "*.jsa").size(), "one archive kept");
        // The script's jar as JBang leaves it when it builds it anew for a run on another JDK (the same path, a newer
        // file): the JVM would refuse the archive on every run, silently.
        Path remembered;
        try (Stream<Path> entries = Files.list(launch)) {
            remembered = entries.filter(Files::isRegularFile).filter(f -> Files.isDirectory(Path.of(f + ".classes"))).findFirst()
                    .orElseThrow();
        }
        Path jar = Path.of(Files.readAllLines(remembered).get(1));
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.from(java.time.Instant.now()));
        var after = seed(launch, Map.of());
        assertEquals("", after.err(), after::toString);
        assertEquals(List.of(), files(launch, "*.jsa"), "the archive of the old jar is gone");
        assertEquals(1, files(launch, "written.*").size(), "and the run recorded the classes anew");
        seed(launch, Map.of());
        assertEquals(1, files(launch, "*.jsa").size(), "which the next run checks and keeps");
    }

    @Test
    void an_archive_cut_short_is_removed_not_used() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());
        seed(launch, Map.of());
        Path written = files(launch, "written.*").get(0);
        // As a run killed while it wrote the archive leaves it: a JVM that mapped this one would crash.
        byte[] bytes = Files.readAllBytes(written);
        Files.write(written, java.util.Arrays.copyOf(bytes, bytes.length / 2));

        var after = seed(launch, Map.of());
        assertEquals("", after.err(), after::toString);
        assertEquals(List.of(), files(launch, "*.jsa"), "the cut archive was not kept");
        assertFalse(files(launch, "written.*").contains(written), "the cut archive is gone");
        try (Stream<Path> left = Files.list(workspace)) {
            assertFalse(left.anyMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the check's crash left no report behind");
        }
        // Nothing was kept of the first recording: the run recorded again, and the next keeps that.
        assertEquals(1, files(launch, "written.*").size(), "recorded anew");
        assertEquals(2, files(launch, "try.*").size(), "the second recording");
        seed(launch, Map.of());
        assertEquals(1, files(launch, "*.jsa").size(), "the second archive kept");
    }

    /**
     * A new user's first run often reaches no database (none is running yet, the URL is wrong): it
     * loads too few classes for an archive of them to help every run after it. It says so, and the
     * wrapper lets the next run record instead; after three recordings it keeps what it has.
     */
    @Test
    void a_run_that_reaches_no_database_leaves_the_recording_to_a_later_run() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());   // JBang is asked for the command; it is remembered
        var nowhere = Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere");
        var unreachable = launched(launch, pathJdk(nowhere), "--json");
        assertEquals(3, unreachable.exitCode(), unreachable::toString);
        assertEquals(1, files(launch, "unfit.*").size(), "the run said it was no run to record");
        assertEquals(1, files(launch, "written.*").size(), "and the JVM recorded it all the same");

        var real = seed(launch, Map.of());
        assertEquals("", real.err(), real::toString);
        assertEquals(List.of(), files(launch, "unfit.*"));
        assertEquals(2, files(launch, "try.*").size(), "the unfit recording was dropped, and this run recorded");
        seed(launch, Map.of());
        assertEquals(1, files(launch, "*.jsa").size(), "the real run's archive is kept");
        assertEquals(List.of(), files(launch, "written.*"));

        // Where every run fails, the third recording is kept all the same: an archive of few classes beats none.
        Path other = LauncherTest.wrapperCache("class-data-cache");
        seed(other, Map.of());
        for (int i = 1; i <= 3; i++) {
            assertEquals(3, launched(other, pathJdk(nowhere), "--json").exitCode());
            assertEquals(i, files(other, "try.*").size(), "recording " + i);
        }
        assertEquals(3, launched(other, pathJdk(nowhere), "--json").exitCode());
        assertEquals(1, files(other, "*.jsa").size(), "the third recording kept");
        assertEquals(List.of(), files(other, "unfit.*"));
    }

    /** A recording whose maker was killed (JDK 25 makes its AOT cache in the background) leaves the next run to record again. */
    @Test
    void a_recording_whose_maker_was_killed_is_recorded_again() throws Exception {
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());   // JBang is asked for the command; it is remembered
        seed(launch, Map.of());   // records: try.1, written.PID
        Path written = files(launch, "written.*").get(0);
        Path dir = written.getParent();
        // As a maker killed with its cache half made leaves the directory: the record, the half-made cache, and the
        // maker's pid (2^22 + 1: above any pid Linux gives, so no process has it).
        String recorder = written.getFileName().toString().replace("written.", "");
        Files.move(written, dir.resolve("creating." + recorder));
        Files.writeString(dir.resolve("making." + recorder), "half");
        Files.writeString(dir.resolve("maker." + recorder), "4194305\n");
        // and what a run killed between saying it was unfit and its exit, or a maker's pid written after it ended, leave
        Files.writeString(dir.resolve("unfit.4194306"), "");
        Files.writeString(dir.resolve("maker.4194307"), "4194308\n");
        var after = seed(launch, Map.of());
        assertEquals("", after.err(), after::toString);
        assertEquals(List.of(), files(launch, "creating.*"), "the dead maker's files are gone");
        assertEquals(List.of(), files(launch, "making.*"));
        assertEquals(List.of(), files(launch, "maker.*"));
        assertEquals(List.of(), files(launch, "unfit.*"));
        assertEquals(1, files(launch, "written.*").size(), "and the run recorded again");
        assertEquals(2, files(launch, "try.*").size());
        seed(launch, Map.of());
        assertEquals(1, files(launch, "*.jsa").size(), "which the next run keeps");
    }

    @Test
    void where_no_archive_can_be_kept_the_runs_go_on_without_one() throws Exception {
        settled();
        Path launch = LauncherTest.wrapperCache("class-data-cache");
        seed(launch, Map.of());
        try (Stream<Path> remembered = Files.list(launch)) {
            for (Path command : remembered.toList()) {   // a file where the archive's directory would go: as a read-only cache is
                Files.writeString(Path.of(command + ".classes"), "");
            }
        }
        var first = seed(launch, Map.of());
        var second = seed(launch, Map.of());
        assertEquals(withoutDurations(first), withoutDurations(second));
        assertEquals("", second.err(), second::toString);
    }
}
