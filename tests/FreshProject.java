import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;

/**
 * For test classes whose every test starts from scratch: the class's database emptied before
 * each test, and a fresh project to edit: a copy of tests/fixtures, or the class's own files.
 */
abstract class FreshProject extends WithDatabase {

    /** The class's own project, by path (migrations/V1__x.sql, seeds/x.yaml) and text; null for tests/fixtures. */
    private final Map<String, String> files;

    FreshProject() {
        this(null);
    }

    FreshProject(Map<String, String> files) {
        this.files = files;
    }

    @BeforeEach
    void freshDatabaseAndFiles() {
        db.recreate();
        workspace = newProject();
    }

    /** The project each test starts from: a scratch copy of tests/fixtures, or of the class's own files. */
    Path newProject() {
        if (files == null) {
            return TestDatabase.workspace();
        }
        Path project = TestDatabase.scratch("project");
        files.forEach((file, text) -> TestDatabase.write(project.resolve(file), text));
        return project;
    }
}
