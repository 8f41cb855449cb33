import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The base of every test class: a database of the class's own, dropped after its tests, and the
 * tool run in-process in the class's project (workspace) against it. FreshProject empties both
 * before each test; a class that keeps a prepared state across its tests extends this directly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class WithDatabase {

    final TestDatabase db = TestDatabase.create(getClass());
    Path workspace;

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    /** Settings every run of this class has beside DATABASE_URL. */
    Map<String, String> environment() {
        return Map.of();
    }

    /** The tool, run in the workspace against the class's database. */
    TestDatabase.Run run(String... args) {
        return run(Map.of(), args);
    }

    /** The same, with these settings too (DATABASE_URL stays the class's database). */
    TestDatabase.Run run(Map<String, String> env, String... args) {
        return runFrom(workspace, env, args);
    }

    /** The same, from another working directory. */
    TestDatabase.Run runFrom(Path workingDir, Map<String, String> env, String... args) {
        var environment = new HashMap<>(environment());
        environment.putAll(env);
        environment.put("DATABASE_URL", db.url());
        return TestDatabase.runWith(environment, workingDir, args);
    }

    /** A run that must end with this exit code. */
    TestDatabase.Run run(int exit, String... args) {
        return run(exit, Map.of(), args);
    }

    TestDatabase.Run run(int exit, Map<String, String> env, String... args) {
        var run = run(env, args);
        assertEquals(exit, run.exitCode(), run::toString);
        return run;
    }

    /** Writes a seed file (or a file of rows) into the workspace's seeds/. */
    void seeds(String file, String text) {
        TestDatabase.write(workspace.resolve("seeds/" + file), text);
    }

    /** A run that must succeed. */
    TestDatabase.Run runOk(String... args) {
        return run(0, args);
    }

    /** A run that must succeed, with --json. */
    TestDatabase.Run runJson(String... args) {
        var arguments = new java.util.ArrayList<>(java.util.List.of(args));
        arguments.add("--json");
        return run(0, arguments.toArray(String[]::new));
    }

    /** The first seed file's outcome in a run's --json document. */
    static com.fasterxml.jackson.databind.JsonNode file(TestDatabase.Run run) {
        return run.json().get("seeds").get(0);
    }

    /** A seed file's outcome, by its name, in a run's --json document. */
    static com.fasterxml.jackson.databind.JsonNode file(TestDatabase.Run run, String name) {
        for (var outcome : run.json().get("seeds")) {
            if (outcome.get("file").asText().equals(name)) {
                return outcome;
            }
        }
        throw new AssertionError("no " + name + " in " + run.out());
    }
}
