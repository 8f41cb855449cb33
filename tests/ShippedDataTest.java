import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * The shipped migrations/ and seeds/ are the user's data: a price edit, a new seed file or a new
 * migration there must never turn the project's own tests red. So the tests read their own
 * project (tests/fixtures), and this class holds the only two tests that look at the shipped
 * data: they apply, and a second pass changes nothing (no value is pinned); and the whole suite
 * passes in a copy of the project whose shipped data is something else entirely.
 */
class ShippedDataTest extends FreshProject {

    TestDatabase.Run shipped(String... args) {
        var arguments = new ArrayList<>(List.of(args));
        arguments.addAll(List.of("--migrations", TestDatabase.PROJECT.resolve("migrations").toString(),
                "--seeds", TestDatabase.PROJECT.resolve("seeds").toString()));
        return db.run(TestDatabase.PROJECT, arguments.toArray(String[]::new));
    }

    @Test
    void the_shipped_migrations_and_seeds_apply_and_a_second_pass_changes_nothing() {
        for (String environment : List.of("development", "production")) {
            db.recreate();
            var first = shipped("--env", environment);
            assertEquals(0, first.exitCode(), first::toString);
            String after = db.snapshot("seed_history", "seed_history_proofs");

            var check = shipped("check", "--env", environment);
            assertEquals(0, check.exitCode(), check::toString);
            var second = shipped("--env", environment);
            assertEquals(0, second.exitCode(), second::toString);

            assertEquals(after, db.snapshot("seed_history", "seed_history_proofs"), environment
                    + ": the second pass wrote nothing (seed_history and its proofs aside, the record of every run)");
        }
    }

    /**
     * The suite, run in a copy of the project whose shipped migrations and seeds are replaced by a
     * project that has nothing in common with ours: it must pass all the same. It runs in a JVM of
     * its own on this suite's class path, so only the tools' own processes compile anything.
     */
    @Test
    void the_whole_suite_passes_whatever_the_shipped_data_is() throws Exception {
        Path copy = TestDatabase.scratch("project_copy");
        copyProject(TestDatabase.PROJECT, copy);
        TestDatabase.deleteTree(copy.resolve("seeds"));
        TestDatabase.deleteTree(copy.resolve("migrations"));
        TestDatabase.write(copy.resolve("migrations/V1__warehouses.sql"), """
                CREATE TABLE warehouses (id bigserial PRIMARY KEY, code text NOT NULL UNIQUE, city text NOT NULL);
                """);
        TestDatabase.write(copy.resolve("migrations/V2__bins.sql"), """
                CREATE TABLE bins (code text PRIMARY KEY, warehouse_id bigint NOT NULL REFERENCES warehouses (id),
                                   capacity numeric(8, 1) NOT NULL);
                """);
        TestDatabase.write(copy.resolve("seeds/warehouses.yaml"), """
                table: warehouses
                key: code
                rows:
                  - {code: OSL, city: Oslo}
                """);
        TestDatabase.write(copy.resolve("seeds/bins.yaml"), """
                table: bins
                key: code
                rows:
                  - {code: A1, warehouse_id: {code: OSL}, capacity: 12.5}
                """);

        var classes = new ArrayList<String>();
        try (var files = Files.list(copy.resolve("tests"))) {
            files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith("Test.java"))
                    .map(n -> n.substring(0, n.length() - ".java".length()))
                    .filter(n -> !n.equals(ShippedDataTest.class.getSimpleName())).sorted().forEach(classes::add);
        }
        var command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "run_tests"));
        command.addAll(classes);
        Path log = TestDatabase.scratch("suite_in_copy").resolve("log.txt");
        var process = new ProcessBuilder(command).directory(copy.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        assertTrue(process.waitFor(20, TimeUnit.MINUTES), "the suite in the copy finished");
        var lines = Files.readAllLines(log);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 80), lines.size()));
        assertEquals(0, process.exitValue(), tail);
        String last = lines.get(lines.size() - 1);
        assertTrue(last.matches("\\d+ passed, 0 failed"), tail);
        assertTrue(Integer.parseInt(last.substring(0, last.indexOf(' '))) > 3 * classes.size(), "every class ran: " + last);
    }

    /** The project's files as a clone has them: everything but .git. */
    private static void copyProject(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path path : paths.filter(p -> !from.relativize(p).startsWith(".git")).toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(path)) {
                    Files.copy(path, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
