import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * export writes a reference by the referred row's natural key, never by an id that means another
 * row in another database: a whole schema is exported, table by table, and seeded into an empty
 * database, where every foreign key must point at the same natural key as before, although the
 * ids there are others.
 */
class ExportReferencesTest extends FreshProject {

    /** Several levels of references, a two-column key, a self reference, a table with two unique keys. */
    static final String SCHEMA = """
            CREATE TABLE regions (
                id   serial PRIMARY KEY,
                code text   NOT NULL UNIQUE
            );
            CREATE TABLE countries (
                id        serial  PRIMARY KEY,
                iso2      text    NOT NULL UNIQUE,
                iso3      text    NOT NULL UNIQUE,
                region_id integer NOT NULL REFERENCES regions (id)
            );
            CREATE TABLE currencies (
                code text PRIMARY KEY,
                name text NOT NULL
            );
            CREATE TABLE exchanges (
                id         serial  PRIMARY KEY,
                mic        text    NOT NULL UNIQUE,
                country_id integer NOT NULL REFERENCES countries (id)
            );
            CREATE TABLE listings (
                id           serial  PRIMARY KEY,
                venue        text    NOT NULL,
                symbol       text    NOT NULL,
                exchange_id  integer NOT NULL REFERENCES exchanges (id),
                currency     text    NOT NULL REFERENCES currencies (code),
                country_iso2 text    REFERENCES countries (iso2),
                UNIQUE (venue, symbol)
            );
            CREATE TABLE sectors (
                id        serial  PRIMARY KEY,
                code      text    NOT NULL UNIQUE,
                parent_id integer REFERENCES sectors (id)
            );
            CREATE TABLE holdings (
                id         serial  PRIMARY KEY,
                code       text    NOT NULL UNIQUE,
                listing_id integer NOT NULL REFERENCES listings (id),
                sector_id  integer REFERENCES sectors (id),
                country_id integer REFERENCES countries (id)
            );
            """;

    /**
     * Rows inserted out of key order, with gaps, so that a table seeded from its export (in key
     * order) numbers them otherwise.
     */
    static final String DATA = """
            INSERT INTO regions (code) VALUES ('gone'), ('nordics'), ('europe'), ('americas');
            DELETE FROM regions WHERE code = 'gone';
            INSERT INTO countries (iso2, iso3, region_id) VALUES
                ('SE', 'CCC', 2), ('NO', 'AAA', 2), ('US', 'BBB', 4), ('DE', 'DDD', 3);
            INSERT INTO currencies VALUES ('USD', 'US dollar'), ('NOK', 'Norwegian krone');
            INSERT INTO exchanges (mic, country_id) VALUES ('XOSL', 2), ('XNYS', 3), ('XSTO', 1), ('XETR', 4);
            INSERT INTO listings (venue, symbol, exchange_id, currency, country_iso2) VALUES
                ('oslo', 'EQNR', 1, 'NOK', 'NO'), ('nyse', 'EQNR', 2, 'USD', 'NO'), ('nyse', 'IBM', 2, 'USD', 'US'),
                ('stockholm', 'VOLV', 3, 'NOK', NULL);
            INSERT INTO sectors (code, parent_id) VALUES ('energy', NULL), ('oil', NULL), ('all', NULL), ('tech', NULL);
            UPDATE sectors SET parent_id = (SELECT id FROM sectors WHERE code = 'all') WHERE code IN ('energy', 'tech');
            UPDATE sectors SET parent_id = (SELECT id FROM sectors WHERE code = 'energy') WHERE code = 'oil';
            INSERT INTO holdings (code, listing_id, sector_id, country_id) VALUES
                ('h1', 2, 2, 3), ('h2', 1, 2, 2), ('h3', 3, 4, NULL), ('h4', 4, NULL, 1);
            """;

    /** Every foreign key of the schema, as the natural key of the row it is on and of the row it points at. */
    static final Map<String, String> WHAT_POINTS_AT_WHAT = new LinkedHashMap<>();

    static {
        WHAT_POINTS_AT_WHAT.put("countries.region_id", "SELECT c.iso2, r.code FROM countries c JOIN regions r ON r.id = c.region_id");
        WHAT_POINTS_AT_WHAT.put("exchanges.country_id", "SELECT e.mic, c.iso2 FROM exchanges e JOIN countries c ON c.id = e.country_id");
        WHAT_POINTS_AT_WHAT.put("listings.exchange_id", "SELECT l.venue || '/' || l.symbol, e.mic FROM listings l "
                + "JOIN exchanges e ON e.id = l.exchange_id");
        WHAT_POINTS_AT_WHAT.put("listings.currency, country_iso2", "SELECT l.venue || '/' || l.symbol, l.currency, l.country_iso2 "
                + "FROM listings l");
        WHAT_POINTS_AT_WHAT.put("sectors.parent_id", "SELECT s.code, p.code FROM sectors s LEFT JOIN sectors p ON p.id = s.parent_id");
        WHAT_POINTS_AT_WHAT.put("holdings.listing_id", "SELECT h.code, l.venue || '/' || l.symbol FROM holdings h "
                + "JOIN listings l ON l.id = h.listing_id");
        WHAT_POINTS_AT_WHAT.put("holdings.sector_id", "SELECT h.code, s.code FROM holdings h LEFT JOIN sectors s ON s.id = h.sector_id");
        WHAT_POINTS_AT_WHAT.put("holdings.country_id", "SELECT h.code, c.iso3 FROM holdings h LEFT JOIN countries c ON c.id = h.country_id");
    }

    /** Where the export's files are seeded into, to compare with the database they came from (db). */
    final TestDatabase copy = TestDatabase.create(ExportReferencesTest.class);

    ExportReferencesTest() {
        super(Map.of("migrations/V1__schema.sql", SCHEMA, "seeds/.keep", ""));
    }

    @BeforeEach
    void schemaWithData() {
        copy.recreate();
        assertEquals(0, run("migrate").exitCode());
        db.execute(DATA);
    }

    @AfterAll
    void dropCopy() {
        copy.close();
    }

    TestDatabase.Run run(TestDatabase database, String... args) {
        return TestDatabase.runWith(Map.of("DATABASE_URL", database.url()), workspace, args);
    }

    /** export TABLE, into seeds/TABLE.yaml, as a user adopting the table does. */
    String export(String table, String... options) {
        var arguments = new java.util.ArrayList<>(List.of("export", table, "--output", "seeds/" + table + ".yaml"));
        arguments.addAll(List.of(options));
        var run = run(arguments.toArray(String[]::new));
        assertEquals(0, run.exitCode(), run::toString);
        return TestDatabase.read(workspace.resolve("seeds/" + table + ".yaml"));
    }

    static List<Map<String, Object>> pointers(TestDatabase db, String sql) {
        return db.query(sql + " ORDER BY 1");
    }

    @Test
    void every_table_exported_and_seeded_into_an_empty_database_points_at_the_same_rows() {
        // countries has two natural keys: its export chooses one, and references to it then follow its seed file.
        var refused = run("export", "exchanges");
        assertEquals(1, refused.exitCode(), refused::toString);
        assertTrue(refused.err().startsWith("error: exchanges.country_id refers to countries by its primary key (id), an id "
                + "that means another row in another database, and countries has several natural keys to write the reference "
                + "by instead: (iso2) or (iso3). Choose one with --reference-key countries=iso2 (a seed file of countries in "
                + "the seeds directory chooses its key: by itself)."), refused::toString);

        String countries = export("countries", "--key", "iso3");
        export("regions");
        export("currencies");
        String exchanges = export("exchanges");
        String listings = export("listings");
        String sectors = export("sectors");
        String holdings = export("holdings", "--reference-key", "countries=iso2");

        assertTrue(countries.contains("  - iso2: SE\n    iso3: CCC\n    region_id: {code: nordics}\n"), countries);
        assertTrue(exchanges.contains("  - mic: XETR\n    country_id: {iso3: DDD}\n"), "by the key of seeds/countries.yaml:\n" + exchanges);
        assertTrue(listings.contains("  - venue: nyse\n    symbol: EQNR\n    exchange_id: {mic: XNYS}\n    currency: USD\n"
                + "    country_iso2: \"NO\"\n"), "a foreign key to a natural key is its value:\n" + listings);
        assertTrue(sectors.contains("  - code: oil\n    parent_id: {code: energy}\n"), sectors);
        assertTrue(holdings.contains("  - code: h1\n    listing_id: {venue: nyse, symbol: EQNR}\n    sector_id: {code: oil}\n"
                + "    country_id: {iso2: US}\n"), "--reference-key chose iso2:\n" + holdings);
        for (String file : List.of(countries, exchanges, listings, sectors, holdings)) {
            assertFalse(file.matches("(?s).*_id: \\d.*"), "no id is written:\n" + file);
        }

        var seeded = run(copy);
        assertEquals(0, seeded.exitCode(), seeded::toString);

        assertNotEquals(db.text("SELECT id FROM countries WHERE iso2 = 'SE'"), copy.text("SELECT id FROM countries WHERE iso2 = 'SE'"),
                "the ids differ, so an id written would point elsewhere");
        assertNotEquals(db.text("SELECT id FROM sectors WHERE code = 'all'"), copy.text("SELECT id FROM sectors WHERE code = 'all'"));
        WHAT_POINTS_AT_WHAT.forEach((foreignKey, sql) -> {
            var before = pointers(db, sql);
            assertFalse(before.isEmpty(), foreignKey);
            assertEquals(before, pointers(copy, sql), foreignKey);
        });
        var again = run(copy, "check");
        assertEquals(0, again.exitCode(), "the copy is in sync with the files:\n" + again);
    }

    @Test
    void a_reference_that_cannot_be_written_by_a_natural_key_stops_the_export() {
        db.execute("""
                CREATE TABLE instruments (
                    id          serial  PRIMARY KEY,
                    exchange_id integer NOT NULL REFERENCES exchanges (id),
                    symbol      text    NOT NULL,
                    UNIQUE (exchange_id, symbol)
                );
                CREATE TABLE positions (code text PRIMARY KEY, instrument_id integer REFERENCES instruments (id));
                INSERT INTO instruments (exchange_id, symbol) VALUES (1, 'EQNR');
                INSERT INTO positions VALUES ('p1', 1);
                CREATE TABLE tickers (id serial PRIMARY KEY, code text NOT NULL, isin text UNIQUE, UNIQUE (code));
                CREATE TABLE quotes (code text PRIMARY KEY, ticker_id integer REFERENCES tickers (id));
                INSERT INTO tickers (code, isin) VALUES ('EQNR', NULL);
                INSERT INTO quotes VALUES ('q1', 1);
                CREATE TABLE accounts (id serial, tenant integer, code text NOT NULL UNIQUE, PRIMARY KEY (id, tenant));
                CREATE TABLE trades (code text PRIMARY KEY, account_id integer, tenant integer,
                                     FOREIGN KEY (account_id, tenant) REFERENCES accounts (id, tenant));
                INSERT INTO accounts (tenant, code) VALUES (7, 'main');
                INSERT INTO trades VALUES ('t1', 1, 7);
                """);

        var nested = run("export", "positions");
        assertEquals(1, nested.exitCode(), nested::toString);
        assertTrue(nested.err().startsWith("error: positions.instrument_id refers to instruments by (exchange_id, symbol), and "
                + "exchange_id holds an id of exchanges, which means another row in another database; a reference inside a "
                + "reference is not supported."), nested::toString);

        var severalColumns = run("export", "trades");
        assertEquals(1, severalColumns.exitCode(), severalColumns::toString);
        assertTrue(severalColumns.err().startsWith("error: trades.(account_id, tenant) refers to accounts by its primary key, ids "
                + "that mean another row in another database, and a reference by natural key is of one column"),
                severalColumns::toString);

        var nullKey = run("export", "quotes", "--reference-key", "tickers=isin");
        assertEquals(1, nullKey.exitCode(), nullKey::toString);
        assertTrue(nullKey.err().startsWith("error: row q1 of quotes: ticker_id refers to a row of tickers whose isin is null, "
                + "so the row cannot be named by its key (isin)"), nullKey::toString);
        assertTrue(run("export", "quotes", "--reference-key", "tickers=code").out().contains("    ticker_id: {code: EQNR}\n"));

        var notUnique = run("export", "quotes", "--reference-key", "tickers=id,code");
        assertEquals(1, notUnique.exitCode(), notUnique::toString);
        assertTrue(notUnique.err().startsWith("error: --reference-key tickers=id,code: (id, code) is not a unique key of tickers"),
                notUnique::toString);
        var noTable = run("export", "quotes", "--reference-key", "ticker=code");
        assertEquals(1, noTable.exitCode(), noTable::toString);
        assertTrue(noTable.err().startsWith("error: --reference-key ticker=code: the database has no table \"ticker\"; did you "
                + "mean \"tickers\"?"), noTable::toString);

        // Seed files that seed a table by different keys leave the choice to --reference-key.
        TestDatabase.write(workspace.resolve("seeds/tickers_by_code.yaml"), "table: tickers\nkey: code\nrows: []\n");
        TestDatabase.write(workspace.resolve("seeds/tickers_by_isin.yaml"), "table: tickers\nkey: isin\nrows: []\n");
        var twoFiles = run("export", "quotes");
        assertEquals(1, twoFiles.exitCode(), twoFiles::toString);
        assertTrue(twoFiles.err().contains("the seed files seed tickers by different keys: seeds/tickers_by_code.yaml by (code), "
                + "seeds/tickers_by_isin.yaml by (isin)"), twoFiles::toString);
    }
}
