import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * Seed files written to do harm: object-constructing tags, an alias bomb, a 50 MB value, nesting
 * thousands deep, SQL in names, NUL bytes, invalid UTF-8, a directory, an unreadable file, a link
 * out of the seeds directory. Each is a clear error naming the file, writes nothing, runs nothing
 * and finishes in seconds. tests/hostile/ holds the cases that fit in a repository; the rest are
 * made here, next to them, before the corpus runs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileInputTest {

    final TestDatabase db = TestDatabase.create(HostileInputTest.class);
    final Path corpus = TestDatabase.scratch("hostile");
    final Path outside = TestDatabase.scratch("outside");

    @BeforeAll
    void seededDatabaseAndTheGeneratedCases() throws IOException {
        var run = db.run(TestDatabase.PROJECT);
        assertEquals(0, run.exitCode(), run::toString);
        TestDatabase.copyTree(TestDatabase.PROJECT.resolve("tests/hostile"), corpus);

        String header = "table: llm_models\nkey: model_id\nrows:\n  - model_id: gpt-4o\n    typical_agent_cost: 0.045\n";
        generated("a-50-mb-value", header + "  - model_id: gpt-4\n    description: " + "x".repeat(50 * 1024 * 1024) + "\n",
                "llm_models.yaml:7:1: line 7 is 52428817 characters long; a line of a seed file may have 262144");
        var folded = new StringBuilder(header + "  - model_id: gpt-4\n    description: >\n");
        for (int i = 0; i < 48; i++) {
            folded.append("      ").append("y".repeat(250_000)).append('\n');
        }
        generated("an-11-mb-value-over-many-lines", folded.toString(),
                "llm_models.yaml:7:18: a value of 12000048 characters is larger than the 10485760 a seed value may have");
        // Counting its decimals with BigDecimal.stripTrailingZeros took minutes (a division per zero).
        generated("a-number-of-250-thousand-digits", header + "  - model_id: gpt-4\n    typical_agent_cost: 1" + "0".repeat(250_000) + "\n",
                "llm_models.yaml:7:25: typical_agent_cost (numeric(10,4)): numeric field overflow");
        Files.createDirectories(corpus.resolve("a-directory/llm_models.yaml"));
        expect("a-directory", "llm_models.yaml: this is a directory, not a seed file");
        Files.createDirectories(corpus.resolve("unreadable"));
        Files.createSymbolicLink(corpus.resolve("unreadable/llm_models.yaml"), Path.of("gone.yaml"));
        expect("unreadable", "llm_models.yaml: the file cannot be read: it is a link to gone.yaml, which is not there");
        TestDatabase.write(outside.resolve("models.yaml"), header);
        Files.createDirectories(corpus.resolve("link-out-of-the-seeds-directory"));
        Files.createSymbolicLink(corpus.resolve("link-out-of-the-seeds-directory/llm_models.yaml"), outside.resolve("models.yaml"));
        expect("link-out-of-the-seeds-directory", "llm_models.yaml: the file is a link to " + outside.toRealPath().resolve("models.yaml")
                + ", outside the seeds directory. Seed files are read from the seeds directory only; pass --follow-symlinks");
    }

    @AfterAll
    void dropDatabase() {
        db.close();
    }

    void generated(String name, String content, String error) throws IOException {
        TestDatabase.write(corpus.resolve(name).resolve("llm_models.yaml"), content);
        expect(name, error);
    }

    void expect(String name, String error) {
        TestDatabase.write(corpus.resolve(name).resolve("expected.txt"), "exit 1\n" + error + "\nNothing was written.\n");
    }

    @TestFactory
    Stream<DynamicTest> every_hostile_file_is_a_clear_error_that_writes_and_runs_nothing() throws IOException {
        List<Path> cases;
        try (var dirs = Files.list(corpus)) {
            cases = dirs.filter(Files::isDirectory).sorted().toList();
        }
        assertTrue(cases.size() >= 15, "the corpus is there: " + cases);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            // Seconds, not minutes: no case may make the tool work exponentially or hang.
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TestDatabase.checkCorpusCase(db, dir));
            assertFalse(Files.exists(Path.of("/tmp/seed_database_pwned")), "no code of a seed file ran");
        }));
    }

    @Test
    void a_link_out_of_the_seeds_directory_is_read_when_allowed() {
        var run = db.run(TestDatabase.PROJECT, "seed", "--seeds", corpus.resolve("link-out-of-the-seeds-directory").toString(),
                "--follow-symlinks");

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("0.0450", db.text("SELECT typical_agent_cost::text FROM llm_models WHERE model_id = 'gpt-4o'"));
    }

    @Test
    void sql_in_values_is_only_ever_data() {
        String payloads = """
                table: llm_models
                key: model_id
                rows:
                  - model_id: "x'); DROP TABLE llm_models; --"
                    provider: "'; DELETE FROM seed_history; --"
                    display_name: "\\\\'; COPY llm_models TO PROGRAM 'touch /tmp/seed_database_pwned'; --"
                    description: "$$; DROP SCHEMA public CASCADE; $$"
                    max_tokens: 1
                    model_metadata: {"'; DROP TABLE x; --": "\\"); DROP TABLE x; --"}
                """;
        Path dir = TestDatabase.scratch("sql-values");
        TestDatabase.write(dir.resolve("payloads.yaml"), payloads);

        var run = db.run(TestDatabase.PROJECT, "seed", "--seeds", dir.toString());

        assertEquals(0, run.exitCode(), run::toString);
        var row = db.query("SELECT provider, display_name, description, model_metadata::text AS meta FROM llm_models "
                + "WHERE model_id = 'x''); DROP TABLE llm_models; --'").get(0);
        assertEquals("'; DELETE FROM seed_history; --", row.get("provider"));
        assertEquals("\\'; COPY llm_models TO PROGRAM 'touch /tmp/seed_database_pwned'; --", row.get("display_name"));
        assertEquals("$$; DROP SCHEMA public CASCADE; $$", row.get("description"));
        assertEquals("{\"'; DROP TABLE x; --\": \"\\\"); DROP TABLE x; --\"}", row.get("meta"));
        assertTrue(db.count("SELECT count(*) FROM seed_history") > 0, "the history is still there");
        assertFalse(Files.exists(Path.of("/tmp/seed_database_pwned")));
        var tables = new ArrayList<>(db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"));
        assertEquals(8, tables.size(), "every table is still there: " + tables);
    }
}
