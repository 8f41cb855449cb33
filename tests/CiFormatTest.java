import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * check, plan and verify in the forms CI shows: GitHub annotations at the file and line of each
 * finding (and the job summary), JUnit XML read back by a real XML parser, and Markdown.
 */
class CiFormatTest extends FreshProject {

    /** The line of the workspace's llm_models.yaml on which the row with this model_id starts. */
    int lineOf(String modelId) throws Exception {
        var lines = Files.readAllLines(workspace.resolve("seeds/llm_models.yaml"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals("- model_id: " + modelId)) {
                return i + 1;
            }
        }
        throw new AssertionError("no row " + modelId);
    }

    void driftOnePrice() {
        runOk();
        db.execute("UPDATE llm_models SET cost_per_1k_output_tokens = 0.012 WHERE model_id = 'o1-mini'");
    }

    static Document xml(String text) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> testCases(Document document) {
        var cases = new ArrayList<Element>();
        var nodes = document.getElementsByTagName("testcase");
        for (int i = 0; i < nodes.getLength(); i++) {
            cases.add((Element) nodes.item(i));
        }
        return cases;
    }

    @Test
    void github_annotates_each_drifting_row_at_its_line_and_writes_the_job_summary() throws Exception {
        driftOnePrice();
        Path summary = workspace.resolve("summary.md");

        var check = run(Map.of("GITHUB_STEP_SUMMARY", summary.toString()), "check", "--format", "github");

        assertEquals(1, check.exitCode(), check::toString);
        assertTrue(check.out().contains("::error file=seeds/llm_models.yaml,line=" + lineOf("o1-mini")
                + ",title=seed_database check::o1-mini cost_per_1k_output_tokens 0.012000 → 0.004400\n"), check::toString);
        assertEquals(1, check.out().lines().filter(l -> l.startsWith("::")).count(), "one finding, one annotation: " + check);
        assertTrue(check.out().contains("Out of sync: 1 row to write"), "the log keeps the report: " + check);
        String markdown = Files.readString(summary);
        assertTrue(markdown.startsWith("### seed_database check: out of sync"), markdown);
        assertTrue(markdown.contains("| ✏️ update | o1-mini | cost_per_1k_output_tokens | 0.012000 | 0.004400 |"), markdown);

        var fromElsewhere = runFrom(workspace.resolve("seeds"), Map.of("GITHUB_WORKSPACE", workspace.toString()),
                "check", "--format", "github");
        assertTrue(fromElsewhere.out().contains("::error file=seeds/llm_models.yaml,line=" + lineOf("o1-mini") + ","),
                "the path is the repository's, whatever the working directory: " + fromElsewhere);

        var plan = run(Map.of(), "plan", "--format", "github");
        assertEquals(0, plan.exitCode(), plan::toString);
        assertTrue(plan.out().contains("::notice file=seeds/llm_models.yaml,line=" + lineOf("o1-mini") + ",title=seed_database plan::"),
                "a plan lists, it does not fail: " + plan);

        runOk();
        var inSync = run(Map.of(), "check", "--format", "github");
        assertEquals(0, inSync.exitCode(), inSync::toString);
        assertFalse(inSync.out().contains("::"), "nothing to annotate: " + inSync);
    }

    @Test
    void github_escapes_what_would_end_a_workflow_command() {
        runOk();
        db.execute("UPDATE llm_models SET description = E'two\\nlines, 100% :: done' WHERE model_id = 'o1-mini'");

        var check = run(Map.of(), "check", "--format", "github");

        var annotation = check.out().lines().filter(l -> l.startsWith("::error")).findFirst().orElseThrow(() -> new AssertionError(check));
        assertTrue(annotation.contains("two\\nlines, 100%25 :: done"), annotation);
    }

    @Test
    void junit_has_a_test_case_per_seed_file_and_one_for_the_migrations_failing_where_it_drifts() throws Exception {
        driftOnePrice();

        var check = run(Map.of(), "check", "--format", "junit");

        assertEquals(1, check.exitCode(), check::toString);
        var document = xml(check.out());
        var suite = (Element) document.getElementsByTagName("testsuite").item(0);
        assertEquals("seed_database check", suite.getAttribute("name"));
        var cases = testCases(document);
        assertEquals(List.of("migrations", "llm_models.yaml", "pipeline_templates.yaml", "scanners.yaml", "strategies.yaml",
                "tutorial_data.yaml"), cases.stream().map(c -> c.getAttribute("name")).toList());
        assertEquals("6", suite.getAttribute("tests"));
        assertEquals("1", suite.getAttribute("failures"));
        var failure = (Element) cases.get(1).getElementsByTagName("failure").item(0);
        assertEquals("1 row of llm_models to write", failure.getAttribute("message"));
        assertEquals("o1-mini cost_per_1k_output_tokens 0.012000 → 0.004400", failure.getTextContent());
        for (var other : List.of(cases.get(0), cases.get(2), cases.get(3))) {
            assertEquals(0, other.getElementsByTagName("failure").getLength(), other.getAttribute("name"));
        }

        var production = run(Map.of(), "check", "--format", "junit", "--env", "production");
        var skipped = testCases(xml(production.out())).stream().filter(c -> c.getElementsByTagName("skipped").getLength() == 1).toList();
        assertEquals(List.of("tutorial_data.yaml"), skipped.stream().map(c -> c.getAttribute("name")).toList(), production::toString);
    }

    @Test
    void an_error_is_a_failed_test_case_an_annotation_and_markdown_at_its_file_and_line() throws Exception {
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "as well as text.\n    max_tokens: 128000",
                "as well as text.\n    max_tokens: 8k");

        var junit = run(Map.of(), "check", "--format", "junit");
        assertEquals(1, junit.exitCode(), junit::toString);
        assertTrue(junit.err().startsWith("error: seeds/llm_models.yaml:"), "the error is on stderr as always: " + junit);
        var error = (Element) xml(junit.out()).getElementsByTagName("error").item(0);
        assertTrue(error.getAttribute("message").contains("max_tokens (integer): invalid input syntax for type integer: \"8k\""),
                junit::toString);

        var github = run(Map.of(), "check", "--format", "github");
        assertTrue(github.out().lines().anyMatch(l -> l.matches("::error file=seeds/llm_models.yaml,line=67,col=17,"
                + "title=seed_database check::max_tokens \\(integer\\): invalid input syntax for type integer: \"8k\"")), github::toString);

        var markdown = run(Map.of(), "plan", "--format", "markdown");
        assertTrue(markdown.out().startsWith("### seed_database plan: error\n\n`seeds/llm_models.yaml:"), markdown::toString);
    }

    @Test
    void markdown_is_a_table_per_changed_file_of_rows_to_insert_update_and_remove() {
        runOk();
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "typical_agent_cost: 0.050", "typical_agent_cost: 0.045");
        String models = TestDatabase.read(workspace.resolve("seeds/llm_models.yaml"));
        int gpt4 = models.indexOf("  - model_id: gpt-4\n");
        int next = models.indexOf("  - model_id:", gpt4 + 5);
        TestDatabase.write(workspace.resolve("seeds/llm_models.yaml"), models.substring(0, gpt4) + models.substring(next));

        var plan = run(Map.of(), "plan", "--format", "markdown");

        assertEquals(0, plan.exitCode(), plan::toString);
        String out = plan.out();
        assertTrue(out.startsWith("### seed_database plan: 2 rows to write\n"), out);
        assertTrue(out.contains("**llm_models.yaml** → `llm_models`: 0 to insert, 1 to update, 1 to remove, 6 unchanged"), out);
        assertTrue(out.contains("| ✏️ update | gpt-4o | typical_agent_cost | 0.0500 | 0.0450 |"), out);
        assertTrue(out.contains("| ➖ deactivate | gpt-4 | is_active | true | false |"), out);
        assertTrue(out.contains("In sync: `pipeline_templates.yaml` (4 rows)"), out);
        assertFalse(out.contains("seed_database 0.1.0"), "only the Markdown: " + out);
    }

    @Test
    void verify_reports_its_second_pass_in_each_form() throws Exception {
        var junit = run(Map.of(), "verify", "--format", "junit");
        assertEquals(0, junit.exitCode(), junit::toString);
        var document = xml(junit.out());
        assertEquals("seed_database verify", ((Element) document.getElementsByTagName("testsuite").item(0)).getAttribute("name"));
        assertEquals("0", ((Element) document.getElementsByTagName("testsuite").item(0)).getAttribute("failures"));
        assertEquals(1, document.getElementsByTagName("testsuites").getLength(), "one document for both passes: " + junit);

        var markdown = run(Map.of(), "verify", "--format", "markdown");
        assertTrue(markdown.out().startsWith("### seed_database verify: idempotent\n"), markdown::toString);

        Path summary = workspace.resolve("verify-summary.md");
        var github = run(Map.of("GITHUB_STEP_SUMMARY", summary.toString()), "verify", "--format", "github");
        assertEquals(0, github.exitCode(), github::toString);
        assertFalse(github.out().contains("::error"), github::toString);
        assertTrue(Files.readString(summary).startsWith("### seed_database verify: idempotent\n"), Files.readString(summary));
    }

    @Test
    void the_ci_forms_are_for_check_plan_and_verify_and_json_is_one_of_the_forms() {
        var history = run(Map.of(), "history", "--format", "junit");
        assertEquals(2, history.exitCode(), history::toString);
        assertTrue(history.err().contains("--format junit is for check, plan and verify"), history::toString);

        var both = run(Map.of(), "check", "--json", "--format", "markdown");
        assertEquals(2, both.exitCode(), both::toString);

        var json = run(Map.of(), "plan", "--format", "json");
        assertEquals(0, json.exitCode(), json::toString);
        assertTrue(json.out().startsWith("{\n  \"command\": \"plan\""), json::toString);
    }
}
