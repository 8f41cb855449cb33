import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * Environments are declared once, in seeds/environments.yaml, with which of them are production:
 * a run for an undeclared name stops before anything is written, a seed file may name only
 * declared ones, and the production guard follows the declaration, not the name's spelling.
 */
class EnvironmentsTest extends FreshProject {

    static final String EXCHANGES = """
            table: exchanges
            key: mic
            removal: delete
            rows:
              - {mic: XNYS, name: New York Stock Exchange}
            %s
            """;
    static final String NASDAQ = "  - {mic: XNAS, name: Nasdaq}";
    static final String DECLARED = """
            # the environments of a trading desk
            environments:
              development: {}
              staging: {description: the release candidate}
              live: {production: true}
            default: development
            """;

    EnvironmentsTest() {
        super(Map.of(
                "migrations/V1__exchanges.sql", """
                        CREATE TABLE exchanges (
                            id   serial PRIMARY KEY,
                            mic  text   NOT NULL UNIQUE,
                            name text   NOT NULL
                        );
                        """,
                "seeds/exchanges.yaml", EXCHANGES.formatted(NASDAQ)));
    }

    /** Seeds both exchanges, then takes XNAS out of the file: the next run would delete it. */
    void aDeletionPending(String environment) {
        run(0, "--env", environment);
        seeds("exchanges.yaml", EXCHANGES.formatted(""));
    }

    @Test
    void a_misspelt_environment_is_a_usage_error_naming_the_closest_declared_one_and_writes_nothing() {
        var typo = run(2, "--env", "prodution");
        assertEquals("error: the environment prodution (from --env) is not declared; did you mean \"production\"? Without a "
                + "seeds/environments.yaml, the environments are the built-in development, test, production (production); "
                + "declare yours in it\n", typo.err(), typo::toString);
        assertEquals("", typo.out(), typo::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "nothing was written, not even migrations");

        var verify = run(2, "verify", "--env", "prodution");
        assertTrue(verify.err().startsWith("error: the environment prodution (from --env) is not declared"), verify::toString);
        assertFalse(verify.err().contains("throwaway"), "no throwaway database is made for a run that cannot start:\n" + verify);
        assertEquals(2, run(2, "info", "--env", "prodution").exitCode());
        assertEquals(2, run(2, "migrate", "--env", "prodution").exitCode());

        var undeclared = run(2, "--env", "live");
        assertTrue(undeclared.err().startsWith("error: the environment live (from --env) is not declared. Without a "), undeclared::toString);

        seeds("environments.yaml", DECLARED);
        var fromVariable = run(2, Map.of("SEED_ENV", "Stagin"));
        assertTrue(fromVariable.err().startsWith("error: the environment stagin (from SEED_ENV) is not declared; did you mean "
                + "\"staging\"? The environments declared in seeds/environments.yaml are development, staging, live (production); "
                + "declare another there\n"), fromVariable::toString);
        var fromAppEnv = run(2, Map.of("APP_ENV", "production"), "plan");
        assertTrue(fromAppEnv.err().startsWith("error: the environment production (from APP_ENV) is not declared"), fromAppEnv::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    @Test
    void an_environment_declared_production_gets_the_production_guard_whatever_its_name() {
        seeds("environments.yaml", DECLARED);
        aDeletionPending("live");

        var refused = run(1, "--env", "live");
        assertTrue(refused.out().contains("  environment  live (production, declared in seeds/environments.yaml)"), refused::toString);
        assertTrue(refused.err().contains("seeds/exchanges.yaml:3:10: this run for live (declared production) would delete 1 row "
                + "of exchanges (XNAS), and deleting in production needs --allow-delete"), refused::toString);
        assertEquals(2, db.count("SELECT count(*) FROM exchanges"));

        assertTrue(run(0, "plan", "--env", "live", "--json").out().contains("\n  \"environment\": \"live\",\n  \"production\": true,\n"),
                "--json says so too");

        var allowed = run(0, "--env", "live", "--allow-delete");
        assertTrue(allowed.out().contains("    - XNAS  (deleted)"), allowed::toString);
        assertEquals(1, db.count("SELECT count(*) FROM exchanges"));
        assertEquals("live", db.text("SELECT environment FROM seed_history ORDER BY id DESC LIMIT 1"), "the history records it");
    }

    @Test
    void a_declared_non_production_environment_deletes_without_the_guard_even_when_named_production() {
        seeds("environments.yaml", "environments:\n  staging:\n  production: {production: false}\n");
        run(2, "--env", "development");   // not declared here, and not the default either
        var noDefault = run(2);
        assertTrue(noDefault.err().contains("this run names no environment (--env, SEED_ENV or APP_ENV), and the default, "
                + "development, is not declared"), noDefault::toString);

        aDeletionPending("staging");
        assertTrue(run(0, "plan", "--env", "staging", "--json").out().contains("\"production\": false,"));
        var staging = run(0, "--env", "staging");
        assertTrue(staging.out().contains("  environment  staging (declared in seeds/environments.yaml)"), staging::toString);
        assertTrue(staging.out().contains("    - XNAS  (deleted)"), staging::toString);

        seeds("exchanges.yaml", EXCHANGES.formatted(NASDAQ));
        aDeletionPending("production");
        var production = run(0, "--env", "production");
        assertTrue(production.out().contains("    - XNAS  (deleted)"), "the declaration decides, not the spelling:\n" + production);
    }

    @Test
    void a_seed_file_that_names_an_undeclared_environment_is_an_error_at_its_line() {
        seeds("environments.yaml", DECLARED);
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nenvironments: [development, Live, prod]\nrows: []\n");
        var file = run(1);
        assertTrue(file.err().startsWith("error: seeds/exchanges.yaml:3:35: environments names the environment prod, which is "
                + "not declared. The environments declared in seeds/environments.yaml are development, staging, live (production); "
                + "declare another there."), file::toString);

        seeds("exchanges.yaml", """
                table: exchanges
                key: mic
                rows:
                  - {mic: XNYS, name: New York Stock Exchange}
                  - {mic: TEST, name: Test exchange, _environments: stagign}
                """);
        var row = run(1, "plan");
        assertTrue(row.err().startsWith("error: seeds/exchanges.yaml:5:53: _environments names the environment stagign, which is "
                + "not declared; did you mean \"staging\"?"), row::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }

    @Test
    void the_shipped_names_need_no_declaration_and_production_is_not_warned_about() {
        var production = run(0, "--env", "production");
        assertTrue(production.out().contains("  environment  production (production, built in: development, test, "
                + "production (production); no seeds/environments.yaml)"), production::toString);
        assertFalse(production.output().contains("warning"), production::toString);
        assertEquals(2, db.count("SELECT count(*) FROM exchanges"));

        seeds("exchanges.yaml", EXCHANGES.formatted(""));
        var refused = run(1, Map.of("APP_ENV", "Production"));
        assertTrue(refused.err().contains("this production run would delete 1 row of exchanges (XNAS), and deleting in "
                + "production needs --allow-delete"), refused::toString);

        var development = run(0);
        assertTrue(development.out().contains("  environment  development (built in:"), development::toString);
        assertEquals(1, db.count("SELECT count(*) FROM exchanges"));
    }

    @Test
    void the_declaration_is_read_by_the_rules_of_seed_files_and_is_not_one() throws Exception {
        seeds("environments.yaml", "environments:\n  development: {}\n  Development: {}\n");
        assertTrue(run(1).err().startsWith("error: seeds/environments.yaml:3:3: the environment development is declared twice"));

        seeds("environments.yaml", "environments:\n  live: {production: yes}\n");
        assertTrue(run(1).err().startsWith("error: seeds/environments.yaml:2:22: production is true or false."));

        seeds("environments.yaml", "environments:\n  live: {prodution: true}\n");
        assertTrue(run(1).err().startsWith("error: seeds/environments.yaml:2:10: unknown setting \"prodution\" of the environment "
                + "live; did you mean \"production\"?"));

        seeds("environments.yaml", "environment:\n  live: {}\n");
        assertTrue(run(1).err().startsWith("error: seeds/environments.yaml:1:1: unknown setting \"environment\"; did you mean "
                + "\"environments\"?"));

        seeds("environments.yaml", "environments: {live: !!java.io.File [x]}\n");
        assertTrue(run(1).err().contains("seeds/environments.yaml:1:22: the tag !!java.io.File is not allowed"));

        seeds("environments.yaml", "environments: {live: {}}\ndefault: development\n");
        assertTrue(run(1).err().startsWith("error: seeds/environments.yaml:2:10: default is development, which is not declared"));

        seeds("environments.yml", "environments: {live: {}}\n");
        assertTrue(run(1).err().contains("the environments are declared twice"));
        TestDatabase.deleteTree(workspace.resolve("seeds/environments.yaml"));

        // A link out of the seeds directory is refused, as a seed file's is, unless --follow-symlinks.
        Path outside = TestDatabase.scratch("outside").resolve("environments.yaml");
        TestDatabase.write(outside, "environments: {live: {}}\n");
        TestDatabase.deleteTree(workspace.resolve("seeds/environments.yml"));
        java.nio.file.Files.createSymbolicLink(workspace.resolve("seeds/environments.yml"), outside);
        assertTrue(run(1, "--env", "live").err().contains("seeds/environments.yml: the file is a link to " + outside
                + ", outside the seeds directory"));
        assertTrue(run(0, "--env", "live", "--follow-symlinks").out().contains("environment  live (declared in"));
        TestDatabase.deleteTree(workspace.resolve("seeds/environments.yml"));
        java.nio.file.Files.createSymbolicLink(workspace.resolve("seeds/environments.yml"), workspace.resolve("nowhere.yaml"));
        assertTrue(run(1, "--env", "live").err().contains("seeds/environments.yml: the file cannot be read: it is a link to "),
                "a link that leads nowhere is not a declaration that is absent");
        TestDatabase.deleteTree(workspace.resolve("seeds/environments.yml"));
        seeds("environments.yml", "environments: {live: {}}\n");

        // Declared right, it is not read as a seed file: the run seeds exchanges and nothing else.
        var run = run(0, "--env", "live");
        assertTrue(run.out().contains("  environment  live (declared in seeds/environments.yml)"), run::toString);
        assertFalse(run.out().contains("environments.yml →"), run::toString);
        assertEquals(2, db.count("SELECT count(*) FROM exchanges"));
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = 'environments'"));
    }
}
