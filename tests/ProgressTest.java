import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The progress line of a long load: drawn on stderr when stderr is a terminal, never otherwise.
 * The tool runs as users run it, in a process of its own (./jbang seed_database.java); the
 * terminal is a pseudo-terminal made by script(1).
 */
class ProgressTest extends FreshProject {

    /** Enough rows that the load lasts past the quiet first second on any machine. */
    static final int ROWS = 1_500_000;

    Path project;

    @Override
    Path newProject() {
        return project;
    }

    @BeforeAll
    void largeCsvSeed() {
        project = TestDatabase.scratch("progress");
        TestDatabase.write(project.resolve("migrations/V1__instruments.sql"),
                "CREATE TABLE instruments (symbol text PRIMARY KEY, name text NOT NULL, lot_size integer NOT NULL);\n");
        TestDatabase.write(project.resolve("seeds/instruments.yaml"), "table: instruments\nkey: symbol\nrows: instruments.csv\n");
        var csv = new StringBuilder("symbol,name,lot_size\n");
        for (int i = 1; i <= ROWS; i++) {
            csv.append('S').append(i).append(",\"Instrument ").append(i).append(", Class A\",").append(i % 7 + 1).append('\n');
        }
        TestDatabase.write(project.resolve("seeds/instruments.csv"), csv.toString());
    }

    /** Runs the tool in a process of its own; returns what it wrote on stderr (and stdout, under script). */
    String runTool(boolean onTerminal, Path output) throws IOException, InterruptedException {
        String tool = String.join(" ", TestDatabase.PROJECT.resolve("jbang").toString(),
                TestDatabase.PROJECT.resolve("seed_database.java").toString(), "--url", db.url(), "--no-color", "--seeds",
                project.resolve("seeds").toString(), "--migrations", project.resolve("migrations").toString());
        var command = onTerminal
                // script runs the command on a pseudo-terminal and copies all it writes to the file.
                ? List.of("script", "--quiet", "--return", "--command", tool + " 2>&1", output.toString())
                : List.of("bash", "-c", tool);
        var builder = new ProcessBuilder(command).directory(project.toFile());
        builder.environment().put("TERM", "xterm");
        if (!onTerminal) {
            builder.redirectErrorStream(true).redirectOutput(output.toFile());
        } else {
            builder.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        var process = builder.start();
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the run ends");
        String text = Files.readString(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text);
        return text;
    }

    @Test
    void a_long_load_on_a_terminal_shows_rows_and_rows_per_second_then_clears_the_line() throws Exception {
        String text = runTool(true, TestDatabase.scratch("tty").resolve("typescript"));

        assertTrue(text.contains("instruments.yaml  reading  ["), text);
        assertTrue(text.matches("(?s).*\\d rows  [\\d,]+ rows/s.*"), text);
        assertTrue(text.contains("\r\033[K"), "the line is drawn in place: " + text);
        assertTrue(text.contains("instruments.yaml → instruments: " + ROWS + " inserted"), text);
        int report = text.indexOf("instruments.yaml → instruments:");
        assertTrue(text.lastIndexOf("\r\033[K", report) > text.lastIndexOf("rows/s", report),
                "the line is cleared before the report: " + text);
    }

    @Test
    void a_long_load_into_a_log_shows_no_progress() throws Exception {
        String text = runTool(false, TestDatabase.scratch("log").resolve("log.txt"));

        assertTrue(text.contains("instruments.yaml → instruments: " + ROWS + " inserted"), text);
        assertFalse(text.contains("\r"), text);
        assertFalse(text.contains("rows/s"), text);
    }
}
