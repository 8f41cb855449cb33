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

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Seed files written to do harm: object-constructing tags, an alias bomb, a 50 MB value, nesting
 * thousands deep, SQL in names, NUL bytes, invalid UTF-8, a directory, an unreadable file, a link
 * out of the seeds directory. Each is a clear error naming the file, writes nothing, runs nothing
 * and finishes in seconds. tests/hostile/ holds the cases that fit in a repository; the rest are
 * made here, next to them, before the corpus runs.
 */
class HostileInputTest extends FreshProject {

    final Path corpus = TestDatabase.scratch("hostile");
    final Path outside = TestDatabase.scratch("outside");

    @BeforeAll
    void theGeneratedCases() throws IOException {
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

        // Special files: never opened (a FIFO would block the run for ever, /dev/zero never end).
        TestDatabase.write(corpus.resolve("a-fifo/llm_models.yaml"), header);
        mkfifo(corpus.resolve("a-fifo/zz.yaml"));
        expect("a-fifo", "zz.yaml: this is a named pipe (FIFO), not a seed file");
        Files.createDirectories(corpus.resolve("a-link-to-dev-zero"));
        Files.createSymbolicLink(corpus.resolve("a-link-to-dev-zero/llm_models.yaml"), Path.of("/dev/zero"));
        expect("a-link-to-dev-zero", "llm_models.yaml: the file is a link to /dev/zero, outside the seeds directory");
        String csvSeed = "table: llm_models\nkey: model_id\nrows: models.csv\n";
        TestDatabase.write(corpus.resolve("a-fifo-for-rows/llm_models.yaml"), csvSeed);
        mkfifo(corpus.resolve("a-fifo-for-rows/models.csv"));
        expect("a-fifo-for-rows", "llm_models.yaml:3:7: rows names models.csv, which is a named pipe (FIFO), not a file of rows");

        // CSV lines and rows are bounded as YAML's are, as the bytes stream by: a file just over, not gigabytes.
        generated("a-csv-header-over-the-line-limit", csvSeed, "models.csv:1:1: line 1 is longer than the 262144 characters a "
                + "line of a seed file may have");
        TestDatabase.write(corpus.resolve("a-csv-header-over-the-line-limit/models.csv"), "x".repeat(262_145) + "\n");
        generated("a-csv-line-over-the-line-limit", csvSeed, "models.csv:3:1: line 3 is longer than the 262144 characters");
        TestDatabase.write(corpus.resolve("a-csv-line-over-the-line-limit/models.csv"), "model_id,description\ngpt-4o,short\ngpt-4,"
                + "\u00e9".repeat(262_140) + "\n");
        var longRow = new StringBuilder("model_id,description\ngpt-4o,short\ngpt-4,\"");
        for (int i = 0; i < 42; i++) {
            longRow.append("y".repeat(250_000)).append('\n');
        }
        generated("a-csv-row-over-the-row-limit", csvSeed, "models.csv:3:1: the row that starts on line 3 is longer than the "
                + "10485760 characters a row of a CSV seed file may have");
        TestDatabase.write(corpus.resolve("a-csv-row-over-the-row-limit/models.csv"), longRow.append("\"\n").toString());
    }

    @BeforeEach
    void seededDatabase() {
        runOk();
    }

    static void mkfifo(Path path) throws IOException {
        try {
            assertEquals(0, new ProcessBuilder("mkfifo", path.toString()).inheritIO().start().waitFor());
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
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
        List<Path> cases = TestDatabase.corpusCases(corpus);
        assertTrue(cases.size() >= 15, "the corpus is there: " + cases);
        return cases.stream().map(dir -> DynamicTest.dynamicTest(dir.getFileName().toString(), () -> {
            // Seconds, not minutes: no case may make the tool work exponentially or hang.
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TestDatabase.checkCorpusCase(db, dir));
            assertFalse(Files.exists(Path.of("/tmp/seed_database_pwned")), "no code of a seed file ran");
        }));
    }

    /** With --follow-symlinks a link is judged by what it points to: a device is still not a seed file, nor a file of rows. */
    @Test
    void a_link_to_the_zero_device_is_refused_even_when_links_are_followed() throws IOException {
        var dir = TestDatabase.scratch("dev-zero");
        Files.createSymbolicLink(dir.resolve("zz.yaml"), Path.of("/dev/zero"));
        TestDatabase.write(dir.resolve("expected.txt"), "exit 1\nzz.yaml: this is a link to /dev/zero, a character device, not a "
                + "seed file\nNothing was written.\n");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TestDatabase.checkCorpusCase(db, dir, "--follow-symlinks"));

        Files.delete(dir.resolve("zz.yaml"));
        TestDatabase.write(dir.resolve("llm_models.yaml"), "table: llm_models\nkey: model_id\nrows: models.csv\n");
        Files.createSymbolicLink(dir.resolve("models.csv"), Path.of("/dev/zero"));
        TestDatabase.write(dir.resolve("expected.txt"), "exit 1\nllm_models.yaml:3:7: rows names models.csv, which is a link to "
                + "/dev/zero, a character device, not a file of rows\nNothing was written.\n");
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TestDatabase.checkCorpusCase(db, dir, "--follow-symlinks"));
    }

    /**
     * Memory running out, for real: the tool in a process of its own, with a heap too small for the
     * seed file it reads (a YAML file just under the size that is streamed, parsed whole). One
     * paragraph, exit code 5, no stack trace, nothing written.
     */
    @Test
    void running_out_of_memory_is_one_paragraph_and_exit_code_5() throws Exception {
        var dir = TestDatabase.scratch("out-of-memory");
        var yaml = new StringBuilder("table: llm_models\nkey: model_id\nrows:\n");
        for (int i = 0; yaml.length() < 8_000_000; i++) {
            yaml.append("  - {model_id: m").append(i).append(", provider: p, display_name: d, max_tokens: 1}\n");
        }
        TestDatabase.write(dir.resolve("seeds/llm_models.yaml"), yaml.toString());

        String error = exhausted(dir, "-R-Xmx48m");

        assertTrue(error.startsWith("error: the tool ran out of memory: its heap is bounded at "), error);
        assertTrue(error.endsWith("or give the tool more heap: ./jbang -R-Xmx4g seed_database.java seed. Nothing was written."), error);
    }

    /**
     * Stack running out, for real: the tool in a process of its own, interpreted only (so that its
     * frames have the same size on every run) with a small stack, reads a value nested 60 deep
     * (a seed file may nest 64): every reader of a value recurses.
     */
    @Test
    void running_out_of_stack_is_one_paragraph_and_exit_code_5() throws Exception {
        var dir = TestDatabase.scratch("out-of-stack");
        TestDatabase.write(dir.resolve("seeds/llm_models.yaml"), "table: llm_models\nkey: model_id\nrows:\n  - model_id: gpt-4o\n"
                + "    model_metadata: " + "[".repeat(60) + "1" + "]".repeat(60) + "\n");

        String error = exhausted(dir, "-R-Xint", "-R-Xss160k");

        assertEquals("error: the tool ran out of stack: something in the input is nested too deeply to follow. Please report the "
                + "input that did this. Nothing was written.", error);
    }

    /** Runs the tool on dir/seeds in a process of its own, with these JVM options; asserts exit code 5, one paragraph, nothing written. */
    String exhausted(Path dir, String... jvmOptions) throws Exception {
        String before = db.snapshot();
        var command = new ArrayList<>(List.of(TestDatabase.PROJECT.resolve("jbang").toString()));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of(TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--url", db.url(), "--seeds",
                dir.resolve("seeds").toString(), "seed"));
        var output = dir.resolve("output.txt");
        var process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        assertTrue(process.waitFor(5, java.util.concurrent.TimeUnit.MINUTES), "the run ends");
        String text = Files.readString(output).lines().filter(line -> !line.startsWith("[jbang]")).reduce("", (a, b) -> a + b + "\n");

        assertEquals(5, process.exitValue(), text);
        var errors = text.lines().filter(line -> line.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), text);
        assertFalse(text.contains("Error") || text.contains("\tat ") || text.contains("--verbose"), "no stack trace: " + text);
        assertEquals(before, db.snapshot(), "nothing was written");
        return errors.get(0);
    }

    @Test
    void a_link_out_of_the_seeds_directory_is_read_when_allowed() {
        var run = db.run(TestDatabase.FIXTURES, "seed", "--seeds", corpus.resolve("link-out-of-the-seeds-directory").toString(),
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

        var run = db.run(TestDatabase.FIXTURES, "seed", "--seeds", dir.toString());

        assertEquals(0, run.exitCode(), run::toString);
        var row = db.query("SELECT provider, display_name, description, model_metadata::text AS meta FROM llm_models "
                + "WHERE model_id = 'x''); DROP TABLE llm_models; --'").get(0);
        assertEquals("'; DELETE FROM seed_history; --", row.get("provider"));
        assertEquals("\\'; COPY llm_models TO PROGRAM 'touch /tmp/seed_database_pwned'; --", row.get("display_name"));
        assertEquals("$$; DROP SCHEMA public CASCADE; $$", row.get("description"));
        assertEquals("{\"'; DROP TABLE x; --\": \"\\\"); DROP TABLE x; --\"}", row.get("meta"));
        assertTrue(db.count("SELECT count(*) FROM seed_history") > 0, "the history is still there");
        assertFalse(Files.exists(Path.of("/tmp/seed_database_pwned")));
        // (seed_history_proofs aside: the run may have left one there.)
        var tables = new ArrayList<>(db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                + "AND tablename <> 'seed_history_proofs'"));
        assertEquals(9, tables.size(), "every table is still there: " + tables);
    }
}
