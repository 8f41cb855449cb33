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
        var env = LauncherTest.cronEnvironment();
        env.put("JBANG_WRAPPER_CACHE", launch.getParent().getParent().toString());
        env.put("JBANG_WRAPPER_FORCE", "1");
        env.put("DATABASE_URL", db.url());
        env.put("SEED_DATABASE_HOME", workspace.toString());
        env.putAll(extra);
        var run = LauncherTest.launch(env, workspace, TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--json");
        assertEquals(0, run.exitCode(), run::toString);
        return run;
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

    /** A run's JSON without its durations: what every run of an unchanged project prints alike. */
    private static String withoutDurations(TestDatabase.Run run) {
        return run.out().replaceAll("\"duration_ms\": \\d+", "\"duration_ms\": 0");
    }

    @Test
    void one_run_records_the_classes_the_next_checks_and_keeps_them_the_runs_after_map_them_and_all_print_alike() throws Exception {
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
        assertEquals(List.of(), files(launch, "written.*"), "the cut archive is gone");
        assertEquals(List.of(), files(launch, "*.jsa"), "and was not kept");
        try (Stream<Path> left = Files.list(workspace)) {
            assertFalse(left.anyMatch(f -> f.getFileName().toString().startsWith("hs_err")), "the check's crash left no report behind");
        }
        seed(launch, Map.of());   // and later runs go on without an archive
    }

    @Test
    void where_no_archive_can_be_kept_the_runs_go_on_without_one() throws Exception {
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
