import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;


/** verify: migrations and seeds on a throwaway database, twice; the database is gone afterwards, whatever happened. */
class VerifyTest extends FreshProject {

    private static final Pattern CREATED = Pattern.compile("created the throwaway database (seed_verify_\\w+)");

    TestDatabase.Run verify(int expectedExit, String... args) {
        var arguments = new String[args.length + 1];
        arguments[0] = "verify";
        System.arraycopy(args, 0, arguments, 1, args.length);
        return run(expectedExit, arguments);
    }

    /** The throwaway database a verify named on stderr. */
    static String throwaway(TestDatabase.Run run) {
        var m = CREATED.matcher(run.err());
        assertTrue(m.find(), "the verify names its database:\n" + run);
        return m.group(1);
    }

    /** Whether a database is on the server (pg_database is the server's, whichever database asks). */
    boolean exists(String database) {
        return !db.query("SELECT 1 FROM pg_database WHERE datname = ?", database).isEmpty();
    }

    @Test
    void the_shipped_seeds_verify_and_the_throwaway_database_is_dropped() {
        String before = db.snapshot();

        var run = verify(0);

        String name = throwaway(run);
        assertTrue(run.out().contains("seed_database 0.1.0 · verify, first pass: migrations and seeds on an empty database\n"
                + "  database     postgres@127.0.0.1:5432/" + name), run::toString);
        assertTrue(run.out().contains("llm_models.yaml → llm_models: 8 inserted"), run::toString);
        assertTrue(run.out().contains("verify, second pass: the same again, which must change nothing"), run::toString);
        assertTrue(run.out().contains("llm_models.yaml → llm_models: 0 inserted, 0 updated, 8 unchanged"), run::toString);
        assertTrue(run.out().endsWith("Verified: 6 migrations and 22 rows apply cleanly to an empty database, and a second "
                + "pass changes nothing.\n"), run::toString);
        assertTrue(run.err().contains("verify: dropped the throwaway database " + name), run::toString);
        assertTrue(!exists(name), name + " is gone");
        assertEquals(before, db.snapshot(), "the target database is not touched");
    }

    @Test
    void a_seed_the_database_stores_differently_fails_the_second_pass() {
        // A trigger that rewrites a seeded value: the file says GPT-4o, the table keeps gpt-4o, every run writes again.
        TestDatabase.write(workspace.resolve("migrations/V20260301__lower_case_names.sql"), """
                CREATE FUNCTION lower_display_name() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN NEW.display_name := lower(NEW.display_name); RETURN NEW; END $$;
                CREATE TRIGGER lower_display_name BEFORE INSERT OR UPDATE ON llm_models
                    FOR EACH ROW EXECUTE FUNCTION lower_display_name();
                """);

        var run = verify(1);

        String name = throwaway(run);
        assertTrue(run.err().contains("error: seeds/llm_models.yaml: the second pass changed 8 rows (llm_models.yaml: "
                + "gpt-3.5-turbo, gpt-4, gpt-4-turbo, gpt-4o, gpt-4o-mini and 3 more), so every run would write them again"), run::toString);
        assertTrue(run.out().contains("~ gpt-4o          display_name: gpt-4o → GPT-4o"), run::toString);
        assertTrue(!run.out().contains("Verified"), run::toString);
        assertTrue(!exists(name), "dropped after a failure too");
    }

    @Test
    void a_seed_that_breaks_a_constraint_fails_the_first_pass_and_the_database_is_dropped() {
        TestDatabase.edit(workspace.resolve("seeds/llm_models.yaml"), "max_tokens: 16385", "max_tokens: -1");

        var run = verify(1);

        String name = throwaway(run);
        assertTrue(run.err().contains("error: seeds/llm_models.yaml:29:17: row gpt-3.5-turbo: "), run::toString);
        assertTrue(run.err().contains("llm_models_max_tokens_check"), run::toString);
        assertTrue(run.err().contains("verify: dropped the throwaway database " + name), run::toString);
        assertTrue(!exists(name), "dropped after a failure too");
    }

    @Test
    void keep_leaves_the_database_to_look_at() {
        var run = verify(0, "--keep");

        String name = throwaway(run);
        try {
            assertTrue(run.err().contains("kept the throwaway database " + name + " (--keep)"), run::toString);
            assertTrue(exists(name));
        } finally {
            TestDatabase.admin("DROP DATABASE IF EXISTS " + name);
        }
    }

    @Test
    void verify_needs_only_the_server_and_says_so_as_one_json_document() throws Exception {
        var run = TestDatabase.runWith(Map.of("DATABASE_URL", TestDatabase.urlFor("no_such_database_for_verify")), workspace,
                "verify", "--json");

        assertEquals(0, run.exitCode(), run::toString);
        var document = run.json();
        assertEquals("verify", document.get("command").asText());
        assertEquals(throwaway(run), document.get("database").asText());
        assertTrue(document.get("idempotent").asBoolean(), run::toString);
        assertEquals(2, document.get("passes").size());
        assertEquals(22, document.get("passes").get(0).get("seeds").findValues("inserted").stream().mapToInt(n -> n.asInt()).sum());
        assertEquals(0, document.get("passes").get(1).get("seeds").findValues("inserted").stream().mapToInt(n -> n.asInt()).sum());
        assertTrue(!exists(throwaway(run)));
    }

    @Test
    void database_names_the_throwaway_database_or_with_a_trailing_underscore_its_prefix() {
        var named = verify(0, "--database", "ci_team_seed_check");

        assertTrue(named.err().contains("verify: created the throwaway database ci_team_seed_check on "), named::toString);
        assertTrue(named.out().contains("  database     postgres@127.0.0.1:5432/ci_team_seed_check (from a throwaway database for verify)"),
                named::toString);
        assertTrue(named.err().contains("verify: dropped the throwaway database ci_team_seed_check"), named::toString);
        assertTrue(!exists("ci_team_seed_check"));

        var prefixed = verify(0, "--database", "ci_team_");

        var m = Pattern.compile("created the throwaway database (ci_team_\\d{8}_\\d{6}_[0-9a-f]{4}) on ").matcher(prefixed.err());
        assertTrue(m.find(), prefixed::toString);
        assertTrue(prefixed.err().contains("verify: dropped the throwaway database " + m.group(1)), prefixed::toString);
        assertTrue(!exists(m.group(1)));
    }

    @Test
    void a_database_that_is_there_is_refused_and_left_as_it_is() {
        TestDatabase.admin("DROP DATABASE IF EXISTS verify_not_ours");
        TestDatabase.admin("CREATE DATABASE verify_not_ours");
        try {
            var run = verify(2, "--database", "verify_not_ours");

            assertEquals("error: the database verify_not_ours is already there on postgres@127.0.0.1:5432, and verify uses only a "
                    + "database it makes itself (it drops it afterwards). Name one that is not there with --database, or one "
                    + "that ends in _ to have the time and a random suffix added\n", run.err(), run::toString);
            assertTrue(exists("verify_not_ours"), "a database verify did not make is never dropped");

            // Nor the target itself, which is there by definition.
            var target = verify(2, "--database", db.url().replaceFirst(".*/", ""));
            assertTrue(target.err().contains("is already there"), target::toString);
            assertTrue(exists(db.url().replaceFirst(".*/", "")));
        } finally {
            TestDatabase.admin("DROP DATABASE IF EXISTS verify_not_ours");
        }
    }

    @Test
    void a_database_name_that_is_not_a_plain_identifier_or_too_long_is_a_usage_error_before_anything_is_made() {
        for (String bad : List.of("Seed-Check", "1st_check", "check; DROP DATABASE postgres", "", "x".repeat(64))) {
            var run = verify(2, "--database", bad);
            assertTrue(run.err().startsWith("error: --database " + bad + " "), run::toString);
            assertTrue(!run.err().contains("created the throwaway database"), run::toString);
        }
        var tooLong = verify(2, "--database", "p".repeat(44) + "_");
        assertTrue(tooLong.err().contains(", 65 characters; PostgreSQL's names have at most 63. Use a prefix of at most 43 characters\n"),
                tooLong::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_database WHERE datname LIKE 'pppp%' OR datname LIKE 'xxxx%'"));
        verify(0, "--database", "p".repeat(42) + "_");
    }
}
