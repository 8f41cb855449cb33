import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * For test classes whose every test starts from scratch: a database of the class's own, emptied
 * before each test, and a fresh copy of the project's migrations/ and seeds/ to edit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FreshProject {

    final TestDatabase db = TestDatabase.create(getClass());
    Path workspace;

    @BeforeEach
    void freshDatabaseAndFiles() {
        db.recreate();
        workspace = TestDatabase.workspace();
    }

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    /** The tool, run in the workspace against the class's database. */
    TestDatabase.Run run(String... args) {
        return db.run(workspace, args);
    }

    /** The same, which must succeed. */
    TestDatabase.Run runOk(String... args) {
        var run = run(args);
        assertEquals(0, run.exitCode(), run::toString);
        return run;
    }
}
