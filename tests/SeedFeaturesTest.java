import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * References, order, environments, values from the environment and removal, each on a small
 * workspace of its own: a market data schema with exchanges, instruments and sectors.
 */
class SeedFeaturesTest extends FreshProject {

    static final String SCHEMA = """
            CREATE TABLE exchanges (
                id        serial  PRIMARY KEY,
                mic       text    NOT NULL UNIQUE,
                name      text    NOT NULL,
                is_active boolean NOT NULL DEFAULT true
            );
            CREATE TABLE sectors (
                id        serial  PRIMARY KEY,
                code      text    NOT NULL UNIQUE,
                parent_id integer REFERENCES sectors (id),
                name      text    NOT NULL
            );
            CREATE TABLE instruments (
                id          serial  PRIMARY KEY,
                exchange_id integer NOT NULL REFERENCES exchanges (id),
                symbol      text    NOT NULL,
                sector_id   integer REFERENCES sectors (id),
                feed_token  text,
                UNIQUE (exchange_id, symbol)
            );
            CREATE TABLE listings (
                id           serial PRIMARY KEY,
                exchange_mic text   NOT NULL,
                symbol       text   NOT NULL,
                UNIQUE (exchange_mic, symbol)
            );
            CREATE TABLE watchlist (
                list       text    NOT NULL,
                listing_id integer NOT NULL REFERENCES listings (id),
                UNIQUE (list, listing_id)
            );
            """;

    SeedFeaturesTest() {
        super(Map.of(
                "migrations/V1__market.sql", SCHEMA,
                "seeds/exchanges.yaml", """
                        table: exchanges
                        key: mic
                        removal: deactivate
                        rows:
                          - {mic: XNYS, name: New York Stock Exchange}
                          - {mic: XNAS, name: Nasdaq}
                          - {mic: XOSL, name: Oslo Børs}
                        """));
    }

    @Test
    void a_row_refers_to_its_parent_in_the_same_file_even_before_the_parent_comes() {
        seeds("sectors.yaml", """
                table: sectors
                key: code
                rows:
                  - {code: semiconductors, name: Semiconductors, parent_id: {code: technology}}
                  - {code: gpu, name: Graphics processors, parent_id: {code: semiconductors}}
                  - {code: technology, name: Technology}
                """);

        var run = run(0);

        assertTrue(run.out().contains("sectors.yaml → sectors: 3 inserted, 0 updated, 0 unchanged"), run::toString);
        assertEquals("gpu>semiconductors>technology", db.text("SELECT c.code || '>' || p.code || '>' || g.code FROM sectors c "
                + "JOIN sectors p ON p.id = c.parent_id JOIN sectors g ON g.id = p.parent_id"));
        assertTrue(run(0).out().contains("sectors: 0 inserted, 0 updated, 3 unchanged"));
    }

    @Test
    void rows_that_refer_to_each_other_in_a_circle_are_an_error() {
        seeds("sectors.yaml", """
                table: sectors
                key: code
                rows:
                  - {code: a, name: A, parent_id: {code: b}}
                  - {code: b, name: B, parent_id: {code: a}}
                """);

        var run = run(1);

        assertTrue(run.err().contains("rows of sectors refer to each other in a cycle: "), run::toString);
    }

    @Test
    void a_reference_by_a_composite_natural_key() {
        seeds("instruments.yaml", """
                table: instruments
                key: [exchange_id, symbol]
                rows:
                  - {exchange_id: {mic: XNAS}, symbol: NVDA}
                  - {exchange_id: {mic: XOSL}, symbol: EQNR}
                """);

        var run = run(0);

        assertTrue(run.out().contains("instruments.yaml → instruments: 2 inserted"), run::toString);
        assertEquals("XOSL EQNR, XNAS NVDA", db.text("SELECT string_agg(e.mic || ' ' || i.symbol, ', ' ORDER BY i.symbol) "
                + "FROM instruments i JOIN exchanges e ON e.id = i.exchange_id"));
        assertTrue(run(0).out().contains("instruments: 0 inserted, 0 updated, 2 unchanged"));
    }

    @Test
    void a_key_that_holds_a_reference_is_compared_and_shown_by_the_referred_rows_key() {
        seeds("instruments.yaml", """
                table: instruments
                key: [exchange_id, symbol]
                rows:
                  - {exchange_id: {mic: XNYS}, symbol: IBM}
                  - {exchange_id: {mic: XNAS}, symbol: IBM}
                """);
        seeds("listings.yaml", """
                table: listings
                key: [exchange_mic, symbol]
                rows:
                  - {exchange_mic: XNAS, symbol: NVDA}
                  - {exchange_mic: XNYS, symbol: IBM}
                """);
        seeds("watchlist.yaml", """
                table: watchlist
                key: [list, listing_id]
                rows:
                  - {list: tech, listing_id: {exchange_mic: XNAS, symbol: NVDA}}
                  - {list: tech, listing_id: {symbol: IBM, exchange_mic: XNYS}}
                """);

        var run = run(0);

        assertTrue(run.out().contains("    + (XNYS,IBM)\n    + (XNAS,IBM)\n"), "not two IBMs with a null exchange:\n" + run);
        assertTrue(run.out().contains("    + (tech,\"(XNAS,NVDA)\")\n"), run::toString);
        assertEquals(2, db.count("SELECT count(*) FROM watchlist"));
    }

    @Test
    void a_reference_by_columns_that_are_not_a_unique_key_is_refused() {
        seeds("instruments.yaml", """
                table: instruments
                key: [exchange_id, symbol]
                rows:
                  - {exchange_id: {name: Nasdaq}, symbol: NVDA}
                """);

        var run = run(1);

        assertTrue(run.err().contains("instruments.yaml:4:19: exchange_id refers to exchanges by (name), which is not a unique "
                + "key of exchanges, so it could find more than one row. Its unique keys are (id) or (mic)"), run::toString);
    }

    @Test
    void depends_on_orders_files_the_foreign_keys_do_not() {
        TestDatabase.write(workspace.resolve("migrations/V2__notes.sql"), "CREATE TABLE notes (code text PRIMARY KEY, body text);\n");
        seeds("a_notes.yaml", "table: notes\nkey: code\ndepends_on: exchanges.yaml\nrows:\n  - {code: n1, body: after the exchanges}\n");

        var run = run(0);

        assertTrue(run.out().indexOf("exchanges.yaml →") < run.out().indexOf("a_notes.yaml →"), run::toString);
        seeds("a_notes.yaml", "table: notes\nkey: code\ndepends_on: exchange.yaml\nrows: []\n");
        var unknown = run(1);
        assertTrue(unknown.err().contains("depends_on names \"exchange.yaml\", which is neither a seed file nor the table of one; "
                + "did you mean \"exchanges.yaml\"?"), unknown::toString);
    }

    @Test
    void a_cycle_of_tables_is_no_cycle_when_one_file_leaves_its_reference_out() {
        teamsAndPeople("{code: desk}");

        var run = run(0);

        assertTrue(run.out().indexOf("teams.yaml →") < run.out().indexOf("people.yaml →"), run::toString);
    }

    /** Two tables that refer to each other, and seeds for both: ana works at the desk; the desk row is {@code team}. */
    private void teamsAndPeople(String team) {
        TestDatabase.write(workspace.resolve("migrations/V2__cycle.sql"), """
                CREATE TABLE teams (code text PRIMARY KEY, lead text);
                CREATE TABLE people (code text PRIMARY KEY, team text REFERENCES teams (code));
                ALTER TABLE teams ADD FOREIGN KEY (lead) REFERENCES people (code);
                """);
        seeds("people.yaml", "table: people\nkey: code\nrows:\n  - {code: ana, team: desk}\n");
        seeds("teams.yaml", "table: teams\nkey: code\nrows:\n  - " + team + "\n");
    }

    @Test
    void files_that_depend_on_each_other_in_a_cycle_are_an_error_naming_the_tables() {
        teamsAndPeople("{code: desk, lead: ana}");

        var run = run(1);

        assertTrue(run.err().matches("(?s)error: seeds/(people|teams)\\.yaml: the seed files depend on each other in a cycle: "
                + "(people → teams → people|teams → people → teams)\\..*"), run::toString);
    }

    @Test
    void environments_select_files_and_rows() {
        seeds("exchanges.yaml", """
                table: exchanges
                key: mic
                rows:
                  - {mic: XNYS, name: New York Stock Exchange}
                  - {mic: TEST, name: Test exchange, _environments: [development, test]}
                  - {mic: XOSL, name: Oslo Børs, _environments: production}
                """);
        seeds("sectors.yaml", "table: sectors\nkey: code\nenvironments: [test]\nrows:\n  - {code: fixture, name: Fixture}\n");

        var production = run(0, "--env", "production");
        assertTrue(production.out().contains("exchanges.yaml → exchanges: 2 inserted, 0 updated, 0 unchanged (1 row for other environments)"),
                production::toString);
        assertTrue(production.out().contains("sectors.yaml → skipped: it is for test, and this run is for production"), production::toString);
        assertEquals("XNYS,XOSL", db.text("SELECT string_agg(mic, ',' ORDER BY mic) FROM exchanges"));

        db.recreate();
        var test = run(0, Map.of("APP_ENV", "test"));
        assertTrue(test.out().contains("  environment  test"), test::toString);
        assertEquals("TEST,XNYS", db.text("SELECT string_agg(mic, ',' ORDER BY mic) FROM exchanges"));
        assertEquals(1, db.count("SELECT count(*) FROM sectors"));
    }

    @Test
    void environment_names_match_whatever_their_case() {
        seeds("sectors.yaml", "table: sectors\nkey: code\nenvironments: [Production]\nrows:\n  - {code: live, name: Live}\n");

        var upper = run(0, "--env", "PRODUCTION");
        assertTrue(upper.out().contains("  environment  production (production, built in:"), upper::toString);
        assertEquals(1, db.count("SELECT count(*) FROM sectors"));
    }

    @Test
    void values_from_the_environment_with_defaults_and_an_unset_variable_is_an_error() {
        seeds("instruments.yaml", """
                table: instruments
                key: [exchange_id, symbol]
                rows:
                  - {exchange_id: {mic: XNAS}, symbol: NVDA, feed_token: "${FEED_TOKEN:-demo-token}"}
                  - {exchange_id: {mic: XNAS}, symbol: AAPL, feed_token: "cost $${PRICE}"}
                """);

        run(0);
        assertEquals("demo-token|cost ${PRICE}", db.text("SELECT string_agg(feed_token, '|' ORDER BY symbol DESC) FROM instruments"));
        run(0, Map.of("FEED_TOKEN", "tok_live_1234567890"));
        assertEquals("tok_live_1234567890", db.text("SELECT feed_token FROM instruments WHERE symbol = 'NVDA'"));

        seeds("instruments.yaml", "table: instruments\nkey: [exchange_id, symbol]\nrows:\n"
                + "  - {exchange_id: {mic: XNAS}, symbol: NVDA, feed_token: \"${FEED_TOKEN}\"}\n");
        var unset = run(1);
        assertTrue(unset.err().startsWith("error: seeds/instruments.yaml:4:58: the environment variable FEED_TOKEN is not set. "
                + "Set it, or give a default: ${FEED_TOKEN:-value}."), unset::toString);
    }

    @Test
    void a_secret_from_the_environment_stays_out_of_error_messages() {
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nrows:\n  - {mic: XNYS, name: NYSE, is_active: \"${ACTIVE}\"}\n");

        var run = run(1, Map.of("ACTIVE", "not-a-boolean-but-a-secret"), "--verbose");

        assertTrue(run.err().contains("invalid input syntax for type boolean: \"***\""), run::toString);
        assertTrue(!run.output().contains("not-a-boolean-but-a-secret"), run::toString);

        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nrows:\n  - {mic: \"${MIC}\", name: NYSE}\n");
        var key = run(1, Map.of("MIC", "XNYS-secret"));
        assertTrue(key.err().contains("the key column mic takes its value from the environment (${MIC}). A key names a row in "
                + "every plan, diff and history, so it cannot be a secret"), key::toString);
        assertTrue(!key.output().contains("XNYS-secret"), key::toString);
    }

    @Test
    void max_deletes_stops_a_run_that_would_remove_too_much_and_a_plan_shows_it_as_a_warning() {
        seeds("sectors.yaml", "table: sectors\nkey: code\nremoval: delete\nrows:\n  - {code: a, name: A}\n  - {code: b, name: B}\n");
        run(0);
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: deactivate\nrows:\n  - {mic: XNYS, name: New York Stock Exchange}\n");
        String before = db.snapshot();

        var stopped = run(1, "--max-deletes", "1");
        assertTrue(stopped.err().contains("this run would remove 2 rows (deactivate or delete), more than --max-deletes 1 allows: "
                + "2 of exchanges (exchanges.yaml)"), stopped::toString);
        assertTrue(stopped.err().contains("seed file that lost its rows looks like this; if the removals are meant, rerun with "
                + "--max-deletes 2"), stopped::toString);
        assertEquals(before, db.snapshot());

        var plan = run(0, "plan", "--max-deletes", "1");
        assertTrue(plan.out().contains("    - XNAS  is_active: true → false"), plan::toString);
        assertTrue(plan.out().contains("warning: a run would stop here: this run would remove 2 rows"), plan::toString);
        assertTrue(plan.out().contains("would be written, but a run would stop (see the warnings above). Nothing was written."),
                plan::toString);

        seeds("sectors.yaml", "table: sectors\nkey: code\nremoval: delete\nrows:\n  - {code: a, name: A}\n");
        var total = run(1, "--max-deletes", "2");
        assertTrue(total.err().contains("this run would remove 3 rows (deactivate or delete), more than --max-deletes 2 allows: "
                + "2 of exchanges (exchanges.yaml), 1 of sectors (sectors.yaml)"), "one total for the whole run:\n" + total);

        var allowed = run(0, "--max-deletes", "3");
        assertTrue(allowed.out().contains("exchanges: 0 inserted, 0 updated, 1 unchanged, 2 deactivated"), allowed::toString);
        assertTrue(allowed.out().contains("sectors: 0 inserted, 0 updated, 1 unchanged, 1 deleted"), allowed::toString);
    }

    /** A table whose ids the application makes: no default for id, as in schemas made for an ORM. */
    void accounts() {
        TestDatabase.write(workspace.resolve("migrations/V2__accounts.sql"), """
                CREATE TABLE accounts (id uuid PRIMARY KEY, code text NOT NULL UNIQUE, handle text NOT NULL, points integer);
                """);
    }

    @Test
    void a_new_row_without_a_value_for_a_column_the_database_does_not_fill_is_an_error_that_suggests_generate() {
        accounts();
        seeds("accounts.yaml", "table: accounts\nkey: code\nrows:\n  - {code: a, handle: alpha}\n");

        var run = run(1);

        assertTrue(run.err().contains("seeds/accounts.yaml:4:5: the new row a gives no value for id, which is NOT NULL without "
                + "a default"), run::toString);
        assertTrue(run.err().contains("let the tool make one for each new row: generate: {id: uuid}"), run::toString);
        assertEquals(0, db.count("SELECT count(*) FROM pg_tables WHERE tablename = 'exchanges'"), "nothing of the run was written");
    }

    @Test
    void generate_fills_a_uuid_for_new_rows_only_and_a_rerun_keeps_it() {
        accounts();
        seeds("accounts.yaml", """
                table: accounts
                key: code
                generate: {id: uuid, handle: uuid}
                rows:
                  - {code: a}
                  - {code: b, handle: bravo}
                  - {code: c, handle: charlie, id: 00000000-0000-4000-8000-00000000000c}
                """);

        var run = run(0);

        assertTrue(run.out().contains("accounts.yaml → accounts: 3 inserted"), run::toString);
        assertEquals(3, db.count("SELECT count(DISTINCT id) FROM accounts"));
        assertEquals("00000000-0000-4000-8000-00000000000c", db.text("SELECT id::text FROM accounts WHERE code = 'c'"),
                "a row's own value wins");
        assertTrue(db.text("SELECT handle FROM accounts WHERE code = 'a'").matches("[0-9a-f-]{36}"), "a text column takes one too");
        assertEquals("bravo", db.text("SELECT handle FROM accounts WHERE code = 'b'"));
        var ids = db.snapshot("seed_history");

        var rerun = run(0);

        assertTrue(rerun.out().contains("accounts: 0 inserted, 0 updated, 3 unchanged"), rerun::toString);
        assertEquals(ids, db.snapshot("seed_history"), "generated once, on insert");
    }

    @Test
    void a_generate_rule_is_checked_against_the_catalog() {
        accounts();
        String rows = "rows:\n  - {code: a, handle: alpha}\n";
        seeds("accounts.yaml", "table: accounts\nkey: code\ngenerate: {idd: uuid}\n" + rows);
        assertTrue(run(1).err().contains("seeds/accounts.yaml:3:12: table accounts has no column \"idd\"; did you mean \"id\"?"));

        seeds("accounts.yaml", "table: accounts\nkey: code\ngenerate: {id: uuid4}\n" + rows);
        var rule = run(1);
        assertTrue(rule.err().contains("seeds/accounts.yaml:3:16: generate knows no rule \"uuid4\"; did you mean \"uuid\"?"), rule::toString);

        seeds("accounts.yaml", "table: accounts\nkey: code\ngenerate: {points: uuid}\n" + rows);
        var type = run(1);
        assertTrue(type.err().contains("generate: points is integer, and uuid makes a uuid (for a uuid or text column)"), type::toString);

        seeds("accounts.yaml", "table: accounts\nkey: code\ngenerate: {code: uuid}\n" + rows);
        var key = run(1);
        assertTrue(key.err().contains("generate: code is part of the key, which every row gives"), key::toString);
    }

    @Test
    void a_production_run_deletes_only_with_allow_delete() {
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: delete\nrows:\n  - {mic: XNYS, name: NYSE}\n  - {mic: XNAS, name: Nasdaq}\n");
        run(0, "--env", "production");
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: delete\nrows:\n  - {mic: XNYS, name: NYSE}\n");

        var refused = run(1, "--env", "production");
        assertTrue(refused.err().contains("this production run would delete 1 row of exchanges (XNAS), and deleting in production "
                + "needs --allow-delete"), refused::toString);
        assertEquals(2, db.count("SELECT count(*) FROM exchanges"));

        var allowed = run(0, "--env", "production", "--allow-delete");
        assertTrue(allowed.out().contains("    - XNAS  (deleted)"), allowed::toString);
        assertEquals(1, db.count("SELECT count(*) FROM exchanges"));
    }

    @Test
    void removal_settings_are_checked() {
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: {deactivate: name}\nrows: []\n");
        assertTrue(run(1).err().contains("removal deactivates through name, which is text, not boolean"));
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: archive\nrows: []\n");
        assertTrue(run(1).err().contains("removal is keep, delete, deactivate, or {deactivate: <boolean column>}, not \"archive\""));
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nowns: table\nrows: []\n");
        assertTrue(run(1).err().contains("owns: table only matters with a removal mode that removes"));
        seeds("exchanges.yaml", "table: exchanges\nkey: mic\nremoval: delete\nowns: table\nrows: []\n");
        seeds("more_exchanges.yaml", "table: exchanges\nkey: mic\nenvironments: [test]\nrows: []\n");
        assertTrue(run(1).err().contains("owns: table says this file owns every row of exchanges, but more_exchanges.yaml seeds it too"));
        seeds("more_exchanges.yaml", "table: exchanges\nkey: mic\nenvironments: []\nrows: []\n");
        assertTrue(run(1).err().contains("environments names nothing; leave it out for all"));
    }
}
