// Ownership: which seed file seeded which row (the _rows table) and what it listed last (the
// _listings table), so that a file removes only rows it seeded.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.Comparator;
import java.util.HexFormat;

import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/** The rows one file owns, recorded after it writes and read by its removal. */
final class Ownership extends FileContext.Step {

    Ownership(FileContext c) {
        super(c);
    }

    /**
     * A file whose removal mode removes owns the rows it lists: the ownership table remembers them
     * (table, key, file), so that a later run removes only rows this file once seeded — never rows
     * the application or its users added. Kept only for such files: a file that keeps costs nothing.
     */
    void record() {
        if (file.removal().keeps()) {
            return;
        }
        session.withoutNestedLoops(() -> {
            recordOwnershipOfStage();
            return null;
        });
    }

    private void recordOwnershipOfStage() {
        session.run("""
                CREATE TABLE IF NOT EXISTS %1$s (
                    table_name text NOT NULL,
                    row_key    text NOT NULL,
                    file       text NOT NULL,
                    PRIMARY KEY (table_name, row_key)
                );
                COMMENT ON TABLE %1$s IS 'Written by seed_database: which seed file owns which row, so that it removes only rows it seeded.';
                CREATE TABLE IF NOT EXISTS %2$s (
                    table_name text   NOT NULL,
                    file       text   NOT NULL,
                    listing    text   NOT NULL,
                    owned      bigint NOT NULL,
                    pending    text[],
                    PRIMARY KEY (table_name, file)
                );
                COMMENT ON TABLE %2$s IS 'Written by seed_database: the keys a seed file listed when it last recorded its rows in %3$s, how many it owned then, and the keys of a first load that it owns but are not yet there (pending).';
                """.formatted(run.ownershipTable, run.listingsTable, run.ownershipTable.replace("'", "''")));
        // Runs wait for each other (the run lock); anyone else who would write who owns what waits for this run to end:
        // what it reads here and in Removal is what its skip proof records (SkipProof).
        for (String tool : java.util.List.of(run.ownershipTable, run.listingsTable)) {
            session.lockTable(tool, tool.replace("\"", ""), file.displayPath());
        }
        // A rerun lists what the file listed when it last recorded them: those keys are still its own if it
        // owns as many rows as it did then (only a run of this file adds to them; another file's claim, or
        // the owner of a file that is gone taking them over, takes some away). Then nothing is written,
        // and no join of the stage and the ownership table is made: at a million rows, that join was most
        // of what owning rows cost a rerun.
        String listing = listing();
        var recorded = handle.createQuery("SELECT listing, owned FROM " + run.listingsTable + " WHERE table_name = ? AND file = ?")
                .bind(0, table.qualified()).bind(1, file.name())
                .registerRowMapper(ConstructorMapper.factory(Listing.class)).mapTo(Listing.class).findOne();
        if (recorded.isPresent() && recorded.get().listing().equals(listing) && recorded.get().owned() == owned()) {
            return;
        }
        boolean firstOfTable = !handle.createQuery("SELECT EXISTS (SELECT FROM " + run.ownershipTable + " WHERE table_name = ?) "
                        + "OR EXISTS (SELECT FROM " + run.listingsTable + " WHERE table_name = ? AND pending IS NOT NULL)")
                .bind(0, table.qualified()).bind(1, table.qualified()).mapTo(Boolean.class).one();
        if (firstOfTable) {
            // Nothing of this table is owned yet (its first load, say): the keys are kept as one array, pending, and
            // written to the ownership table row by row only when a later run needs them there (one that lists other
            // keys, or may remove rows). A million of them cost a first load a second, not a second INSERT of a
            // million rows; a rerun that lists the same keys never writes them.
            handle.createUpdate("INSERT INTO " + run.listingsTable + " AS l (table_name, file, listing, owned, pending) SELECT ?, ?, ?, "
                            + "count(*), array_agg(" + keyExpression("t") + ") FROM " + storedRows() + " ON CONFLICT (table_name, file) DO UPDATE "
                            + "SET listing = EXCLUDED.listing, owned = EXCLUDED.owned, pending = EXCLUDED.pending")
                    .bind(0, table.qualified()).bind(1, file.name()).bind(2, listing).execute();
            return;
        }
        writePending();
        if (run.otherFilesOf(file, table).stream().noneMatch(f -> !f.removal().keeps())) {
            // The only file that removes rows of this table takes over what files that are gone (a renamed
            // file's old name) owned, so that renaming a file and dropping a row at once still removes it.
            handle.createUpdate("UPDATE " + run.ownershipTable + " SET file = ? WHERE table_name = ? AND file <> ALL (?)")
                    .bind(0, file.name()).bind(1, table.qualified())
                    .bind(2, run.allFiles.stream().map(SeedFile::name).toArray(String[]::new)).execute();
        }
        // Only the staged keys that this file does not own yet are written.
        handle.createUpdate("INSERT INTO " + run.ownershipTable + " AS o (table_name, row_key, file) SELECT ?, "
                        + keyExpression("t") + ", ? FROM " + storedRows() + " LEFT JOIN " + run.ownershipTable + " x ON x.table_name = ? "
                        + "AND x.row_key = " + keyExpression("t") + " WHERE x.file IS DISTINCT FROM ? "
                        + "ON CONFLICT (table_name, row_key) DO UPDATE SET file = EXCLUDED.file WHERE o.file IS DISTINCT FROM EXCLUDED.file")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, table.qualified()).bind(3, file.name()).execute();
        handle.createUpdate("INSERT INTO " + run.listingsTable + " (table_name, file, listing, owned) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (table_name, file) DO UPDATE SET listing = EXCLUDED.listing, owned = EXCLUDED.owned")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, listing).bind(3, owned()).execute();
    }

    /**
     * The table's rows that the file's staged rows are, as t: a row is owned by its key as the table
     * holds it, which Removal and every other reader of ownership look up by the stored row (a numeric
     * key the file writes 1.00 is the stored 1.0; a citext QUOTES is quotes). After a first load the
     * stage is the table itself.
     */
    private String storedRows() {
        return c.stage.equals(table.qualified()) ? table.qualified() + " t"
                : c.stage + " s JOIN " + table.qualified() + " t ON " + keyMatch("t", "s");
    }

    /** What the listings table remembers of a file: what it listed (as listing() says it), and how many rows it owned. */
    private record Listing(String listing, long owned) {}

    /** How many rows of the table this file owns: in the ownership table, and pending. */
    private long owned() {
        return handle.createQuery("SELECT (SELECT count(*) FROM " + run.ownershipTable + " WHERE table_name = ? AND file = ?) "
                        + "+ coalesce((SELECT cardinality(pending) FROM " + run.listingsTable + " WHERE table_name = ? AND file = ?), 0)")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, table.qualified()).bind(3, file.name())
                .mapTo(Long.class).one();
    }

    /**
     * Writes the pending keys of the table's first load to the ownership table, row by row: every
     * statement that reads or changes who owns which row of the table comes after this.
     */
    void writePending() {
        if (handle.createUpdate("INSERT INTO " + run.ownershipTable + " (table_name, row_key, file) SELECT table_name, "
                        + "unnest(pending), file FROM " + run.listingsTable + " WHERE table_name = ? AND pending IS NOT NULL")
                .bind(0, table.qualified()).execute() > 0) {
            handle.createUpdate("UPDATE " + run.listingsTable + " SET pending = NULL WHERE table_name = ? AND pending IS NOT NULL")
                    .bind(0, table.qualified()).execute();
        }
    }

    /**
     * What the ownership of this file's rows depends on, as one text: the staged keys (how many, and
     * two sums of 64-bit hashes of them, which two different sets of keys share once in 2^128), and
     * the seed files there are with the removal modes of those of this table (which decide whether a
     * gone file's rows are taken over).
     */
    private String listing() {
        String keys = handle.createQuery("SELECT count(*) || ':' || coalesce(sum(hashtextextended(k, 0)), 0) || ':' "
                + "|| coalesce(sum(hashtextextended(k, 1)), 0) FROM (SELECT " + keyExpression("s") + " AS k FROM " + c.stage + " s) keys")
                .mapTo(String.class).one();
        var files = new StringBuilder();
        run.allFiles.stream().sorted(Comparator.comparing(SeedFile::name)).forEach(f -> files.append(f.name()).append('\n')
                .append(f == file || run.otherFilesOf(file, table).contains(f) ? f.removal().mode() + "\n" : ""));
        try {
            return keys + ":" + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(files.toString().getBytes(UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
