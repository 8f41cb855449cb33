import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case under tests/bad-input/: a seeds directory with one mistake in it (and, beside the
 * mistake, a real price change, so that "nothing was written" means something), and the
 * expected.txt that says the exit code and what the error must say. Each run goes against a
 * database that holds the real seeds, and must leave it exactly as it was.
 */
class BadInputTest extends FreshProject {

    final Path corpus = TestDatabase.PROJECT.resolve("tests/bad-input");

    @BeforeEach
    void seedTheRealData() {
        runOk();
    }

    @TestFactory
    Stream<DynamicTest> each_bad_input_is_a_clear_error_and_writes_nothing() throws IOException {
        List<Path> cases = TestDatabase.corpusCases(corpus);
        assertTrue(cases.size() >= 20, "the corpus is there: " + cases);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> check(dir)));
    }

    void check(Path dir) {
        TestDatabase.checkCorpusCase(db, dir);
    }
}
