// The proof that a file needs no comparison: the file and its table are as the last run that compared them left them.

import java.util.List;
import java.util.Optional;


/**
 * When a run writes a file, it records a proof beside the history (table seed_history_proofs): the
 * file's fingerprint, and the table as the file's writes left it. A later run skips a file whose
 * proof holds: the file's rows are in sync with its table without staging or comparing one.
 *
 * <h2>The argument</h2>
 * After a file's writes, under the run's lock on its table (SHARE ROW EXCLUSIVE: no other
 * transaction writes the table until the run ends), the run counts the table's rows, then takes a
 * fresh transaction id P of its own (a subtransaction that writes a temporary row and is rolled
 * back: P is completed and newer than every id given out before it; the run's later writes get
 * ids newer than P) and a snapshot S. It records a proof only when S shows no transaction in
 * progress with an id at most P (then every id up to P, but the run's own, has ended: none of them
 * writes again; and the run's own end with it). A subtransaction's id is newer than its parent's,
 * so an open transaction holding any id up to P shows in S by its own. (The run's own top-level id
 * is older than P as well, and a deferred trigger fired by COMMIT writes with it: Session.commit and
 * prepare fire every deferred trigger before, in the newest subtransaction.) An open transaction of
 * another database does not count (pg_stat_activity says where each id's session is connected,
 * pg_prepared_xacts where a prepared transaction was, which has no session: a fleet run's targets
 * on one server; a transaction writes only in its own database); one that cannot be placed does. The run waits
 * up to 100 ms for such transactions to end; a longer one means no proof (the next run compares).
 *
 * <p>A row version in the table has the id of the transaction that wrote it (xmin); it never
 * changes (an UPDATE writes a new version, VACUUM FREEZE keeps the id as it was, since PostgreSQL
 * 9.4). So a later run, under the same lock, finds each row version either written after P (a
 * change since) or at most P: then it was in the table when the proof was taken (its writer had
 * ended by then, and the lock had let no writer in since the file was compared; a version
 * deleted since is gone for good). The versions at most P are therefore a subset of the table
 * as the proof saw it; when there are as many as it counted, and none is newer, the table is
 * that table. The row ids are 32 bits and wrap around: the age of each id is taken from the
 * run's own id, which is newer than any row's (taken under the lock), and the proof is used only
 * while fewer than 2^30 ids separate the two; a row whose id wrapped (frozen long ago) can then
 * only look newer than P, which makes the file be compared, never skipped.
 *
 * <p>What else a file's rows depend on is in its fingerprint, or makes it ineligible: its text
 * and its CSV file (the checksum), the environment, the tool's version, how each of its columns is
 * compared (a proof says what that comparison found: a tool that compares a column otherwise
 * compares again); the table's shape (its
 * oid and storage, columns, the labels of every enum a column's type reaches, through domains,
 * arrays, ranges and composites, row security), the settings that change what a value's text
 * means (DateStyle, IntervalStyle, TimeZone, array_nulls, …), the server (its system identifier:
 * a dump restored into another cluster is not the same table); its constraints and indexes, and
 * those of the domains its columns' types reach (a foreign key moved to another column, a key
 * dropped: what a reference reads, what the checks of a comparison look at); the database's own =
 * operators (rows, keys and references are matched by =, and the search for one may find such an
 * operator before pg_catalog's). Not skipped, ever: a file that gives a date, time or reg* column
 * (now and a table's name are read anew each time), whose table another file seeds too, or is not a plain table alone (partitions,
 * inheritance children and foreign tables bring rows in without writing them), or has row security
 * (the rows a run sees depend on its role, the role's memberships and the settings a policy reads);
 * and with --full, in verify, and in a run that applied a migration.
 *
 * <p>What a comparison reads besides the file's table is proved with it, by the same argument, as
 * row sets (RowSet): counted under a lock before P, none newer than P later. A file that removes
 * rows reads which of them it owns and what it listed: the rows of its table in the tool's
 * ownership tables (Ownership.record locks them, SHARE ROW EXCLUSIVE: runs wait for each other
 * anyway, on the run lock, and anyone else waits for the run), and the seed files there are (a
 * file gone hands its rows over), in the fingerprint. Its comparison, in sync, removes nothing: the
 * rows it would remove are its table's that it owns and does not list (and, to deactivate, still
 * active), all of which the proof holds fixed; a removal that did remove, after the proof, wrote
 * newer rows. A file with a foreign key column reads the rows of the tables it refers to (a
 * reference by key): each such table must have been locked by the run before the file (its own
 * file comes first), else the file is compared every run; its rows and its shape (for the types of
 * its unique keys' columns: a date key read as today would be read anew) are in the proof. A
 * file's turn comes before the later files' writes whether it is compared or skipped, but a
 * removal comes after every file's writes: a skipped file that removes rows checks again then
 * (stillHolds) that no later file's trigger or rule wrote its table, and is compared if one did.
 *
 * <p>A file whose values hold ${VAR} has rows that depend on the environment as well, which a proof must
 * not record (a hash of a short secret could be checked by guessing). Its cells written with ${…}
 * are checked instead, each time, against the table (variablesHold): the table is as the proof saw
 * it, in sync with the file's rows as the environment gave them then; the file's other cells are
 * as they were then; so when each such cell holds, now, the value the environment gives it (read
 * as its column's type and compared as Diff compares), the file is in sync. A cell is found by its
 * row's key, so a ${…} in a key, a reference by key or a CSV file's defaults makes the file
 * ineligible. Which cells took their value from the environment (not the values: a variable set
 * or not) is in the fingerprint, and the marks SecretCells keeps of them are a row set (locked in
 * take()): a comparison writes and reads them.
 *
 * <p>A table with triggers or rules of its own is proved only by a run that wrote none of its
 * rows for the file: a trigger may store a row otherwise than the file gives it (then every
 * comparison finds it changed, and a proof after the write would call it in sync), but a
 * comparison that found every row in sync wrote nothing for a trigger to rewrite; the table as
 * the proof sees it is then the table that comparison saw. The run after the one that wrote
 * compares the file again (finding it in sync, it takes the proof), and the runs after it skip.
 *
 * <p>The traps are tested in SkipProofTest: a transaction that took its id before the run and
 * writes after it, TRUNCATE, delete and insert of the same key, writes with triggers disabled or
 * session_replication_role = replica, VACUUM FREEZE, a restored dump, a statistics reset; and the
 * attacks on it in SkipProofAttackTest (partitions and children swapped, enum labels renamed at
 * any depth, database settings, a row moved between the YAML and the CSV file, now, regclass, a
 * deferred trigger that writes the table when the run ends); for ${VAR}, in SkipProofTest: a value
 * the same as the file's default but now from the environment, a mark removed, a value too long for
 * its varchar(5) that a cast would cut to its cell's, a value the column's domain now refuses.
 */
final class SkipProof extends FileContext.Step {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger("seed_database.seeds");

    /** Ids further apart than this are not compared: the file is compared instead. */
    private static final long MAX_AGE = 1L << 30;

    /** A proof as recorded. */
    record Recorded(String fingerprint, String tableShape, long tableRows, long upTo,
                    long fileRows, long notInFile, List<String> notInFileKeys, List<Counted> others) {}

    /** What a file's writes left, taken under its lock, recorded when the run records its history. */
    record Taken(String tableShape, long tableRows, long upTo, List<Counted> others) {}

    /**
     * Rows besides its table's that a run's work with the file reads, proved by the same argument:
     * every row of a table the file refers to (ofTable null), or the rows of the file's table in one
     * of the tool's tables of ownership (ofTable its name). The shape is what must stay the same.
     */
    record RowSet(String relation, String ofTable, String shape) {}

    /** A row set as a proof saw it: how many rows it held. */
    record Counted(RowSet set, long rows) {}

    private final String proofs;
    /**
     * The table's shape when the file began, under its lock (what a proof records: a change later
     * voids it), and whether it had triggers or rules of its own then; null before holds().
     */
    private Shape atStart;
    /** The tables referred to as the file began, as row sets (null when one cannot hold a proof). */
    private List<RowSet> referredAtStart;
    /** The proof that let the file be skipped, while it holds. */
    private Recorded held;
    Taken taken;

    SkipProof(FileContext c) {
        super(c);
        this.proofs = run.proofsTable;
    }

    /** Why the file is compared whatever a proof says, and takes none; null when a proof may let it be skipped. */
    String ineligible() {
        var unlocked = referredTables().filter(referred -> !session.lockedTables.contains(referred)).findFirst();
        return !run.otherFilesOf(file, table).isEmpty() ? "another file seeds its table"
                : unlocked.isPresent() ? "it refers to rows of " + unlocked.get() + ", which no file of this run seeds (none locks it)"
                : variables().unprovable();
    }

    /** A cell of the file written with ${…}: its column, its row's key and its value, as COPY would get them. */
    private record Variable(String column, String[] key, String value) {}

    /** The file's cells written with ${…}; unprovable says why they cannot be checked one by one (then they are none). */
    private record Variables(List<Variable> cells, String unprovable) {}

    /** At most this many cells of a file are checked one by one (beyond, comparing the file costs about as much). */
    private static final int MAX_VARIABLES = 10_000;

    private Variables variables;

    /**
     * The cells whose values depend on the environment (${VAR}, whether it gives the value or the
     * file's default does): a proof holds for them only when each value is, now, the one its cell
     * holds (variablesHold). Each is found by its row's key, so a ${…} in a key, in a reference by
     * key or in a CSV file's defaults (its rows are not read one by one) makes the file be compared,
     * and so do more than MAX_VARIABLES of them, or a value or key that cannot be read (then its
     * comparison says why). Read in one pass over the rows (a large YAML file's are read as a stream).
     */
    private Variables variables() {
        if (variables != null) {
            return variables;
        }
        if (!file.usesVariables()) {
            return variables = new Variables(List.of(), null);
        }
        if (rows.asWritten() != null) {
            return variables = new Variables(List.of(), "its defaults hold ${…} (a CSV file's rows are not checked one by one)");
        }
        var keyColumns = file.key().stream().map(k -> table.columns().get(k)).toList();
        var cells = new java.util.ArrayList<Variable>();
        String[] unprovable = {null};
        rows.forEach((row, i) -> row.values().forEach((name, value) -> {
            if (!value.holdsVariable() || unprovable[0] != null) {
                return;
            }
            if (file.key().contains(name) || value.kind() == SeedFile.Kind.MAP && table.referenceFrom(name).isPresent()) {
                unprovable[0] = "a ${…} gives " + (file.key().contains(name) ? "a key" : "a reference by key") + " (" + name + ")";
                return;
            }
            if (cells.size() == MAX_VARIABLES) {
                unprovable[0] = "more than " + MAX_VARIABLES + " of its values hold ${…}";
                return;
            }
            try {
                var key = new String[keyColumns.size()];
                for (int k = 0; k < key.length; k++) {
                    key[k] = Values.text(row.values().get(keyColumns.get(k).name()), keyColumns.get(k), file);
                }
                String text = Values.text(value, table.columns().get(name), file);
                if (text == null || java.util.Arrays.asList(key).contains(null)) {
                    unprovable[0] = "a key or a value from ${…} is missing (its comparison says why)";
                } else {
                    cells.add(new Variable(name, key, text));
                }
            } catch (SeedError unreadable) {
                unprovable[0] = "a key or a value from ${…} cannot be read (its comparison says why)";
            }
        }));
        return variables = unprovable[0] != null ? new Variables(List.of(), unprovable[0]) : new Variables(List.copyOf(cells), null);
    }

    /**
     * Whether each cell written with ${…} holds, now, the value the environment gives it: then the
     * file, whose other cells are as the proof saw them, is in sync. A cell's text must be the
     * value's (so that no cast below shortens or rounds it: the value fits its column), and its
     * value the value's, read as the column's type and compared as Diff compares. Nothing of a
     * value is kept: it is compared with the table, never recorded. A value that cannot be read as
     * its column's type makes the file be compared (its comparison says why).
     */
    private boolean variablesHold() {
        var cells = variables().cells();
        if (cells.isEmpty()) {
            return true;
        }
        // A value its cell's text reads as, but not as its type (a domain's check that the cell predates): compared.
        session.run("SAVEPOINT seed_variables");
        try {
            boolean hold = cellsHold(cells);
            session.run("RELEASE SAVEPOINT seed_variables");
            return hold;
        } catch (org.jdbi.v3.core.JdbiException refused) {
            session.run("ROLLBACK TO SAVEPOINT seed_variables; RELEASE SAVEPOINT seed_variables");
            return false;
        }
    }

    private boolean cellsHold(List<Variable> cells) {
        var keyColumns = file.key().stream().map(k -> table.columns().get(k)).toList();
        var byColumn = cells.stream().collect(java.util.stream.Collectors.groupingBy(Variable::column,
                java.util.TreeMap::new, java.util.stream.Collectors.toList()));
        for (var entry : byColumn.entrySet()) {
            var column = table.columns().get(entry.getKey());
            int n = entry.getValue().size();
            var keys = new String[keyColumns.size()][n];
            var values = new String[n];
            for (int j = 0; j < n; j++) {
                var cell = entry.getValue().get(j);
                for (int k = 0; k < keyColumns.size(); k++) {
                    keys[k][j] = cell.key()[k];
                }
                values[j] = cell.value();
            }
            // Each cell's key finds exactly one row (under a key column's collation, which may be case-insensitive, a
            // key may match two rows that a unique index in another collation tells apart), and its cell holds the value.
            var sql = new StringBuilder("SELECT count(*) = ? AND count(DISTINCT v.cell) = ? AND coalesce(bool_and(");
            // The text first (CASE keeps the order), byte for byte (COLLATE "C": under a nondeterministic collation, text
            // that is not the same may be equal), but for json and jsonb: a cast of text to varchar(n), char(n) or bit(n)
            // cuts what a COPY would refuse, but not of a value that is its cell's text (it fits). Json has no such length.
            String cell = "t." + Catalog.quote(column.name());
            String same = column.comparableValue(cell) + " IS NOT DISTINCT FROM " + column.comparableValue("(v.value::" + column.stagedType() + ")");
            sql.append(column.json() && !column.array() ? same
                    : "CASE WHEN " + cell + "::text COLLATE \"C\" = v.value COLLATE \"C\" THEN " + same + " ELSE false END");
            sql.append("), false) FROM unnest(");
            for (int k = 0; k < keyColumns.size(); k++) {
                sql.append("?::text[], ");
            }
            sql.append("?::text[]) WITH ORDINALITY AS v(");
            for (int k = 0; k < keyColumns.size(); k++) {
                sql.append("k").append(k).append(", ");
            }
            sql.append("value, cell) JOIN ").append(table.qualified()).append(" t ON ");
            for (int k = 0; k < keyColumns.size(); k++) {
                var key = keyColumns.get(k);
                sql.append(k == 0 ? "" : " AND ").append("t.").append(Catalog.quote(key.name())).append(" = v.k").append(k).append("::")
                        .append(key.stagedType());
            }
            var query = handle.createQuery(sql.toString()).bind(0, n).bind(1, n);
            for (int k = 0; k < keyColumns.size(); k++) {
                query.bind(2 + k, keys[k]);
            }
            query.bind(2 + keyColumns.size(), values);
            if (!query.mapTo(Boolean.class).one()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The tables besides its own that the file's foreign key columns refer to: a reference by key
     * reads their rows. Each must be locked by this run before the file is (its file comes first):
     * then no other transaction writes it between the reading and the proof.
     */
    private java.util.stream.Stream<String> referredTables() {
        return fileColumns().map(table::referenceFrom).flatMap(Optional::stream).map(Catalog.ForeignKey::to)
                .filter(referred -> !referred.equals(table.qualified())).distinct().sorted();
    }

    /**
     * The row sets besides its table's that the file depends on, in a fixed order: those of the
     * ownership tables now, and those of the tables referred to as the file began (an enum label of
     * one renamed while the file is compared voids the proof); null when one of them cannot hold a
     * proof (a referred table with partitions, say).
     */
    private List<RowSet> otherRowSets() {
        if (referredAtStart == null) {
            return null;
        }
        var sets = new java.util.ArrayList<RowSet>();
        boolean owns = !file.removal().keeps() && !file.ownsTable();
        boolean marks = file.usesVariables() || c.tableHasSecretCells;
        if (owns || marks) {
            var oids = handle.createQuery("SELECT to_regclass(?)::oid::text, to_regclass(?)::oid::text, to_regclass(?)::oid::text")
                    .bind(0, run.ownershipTable).bind(1, run.listingsTable).bind(2, run.secretCellsTable)
                    .map((rs, ctx) -> new String[]{rs.getString(1), rs.getString(2), rs.getString(3)}).one();
            if (owns) {
                // Which rows the file owns and what it listed: what its ownership and its removal read (Ownership, Removal).
                if (oids[0] == null || oids[1] == null) {
                    return null;
                }
                sets.add(new RowSet(run.ownershipTable, table.qualified(), oids[0]));
                sets.add(new RowSet(run.listingsTable, table.qualified(), oids[1]));
            }
            if (marks && oids[2] != null) {
                // Which of its cells hold values from the environment: what its comparison's SecretCells reads and writes.
                sets.add(new RowSet(run.secretCellsTable, table.qualified(), oids[2]));
            }
        }
        sets.addAll(referredAtStart);
        return sets;
    }

    /** The tables referred to as row sets, with their shapes now; null when one of them cannot hold a proof. */
    private List<RowSet> referredRowSets() {
        var sets = new java.util.ArrayList<RowSet>();
        for (String referred : referredTables().toList()) {
            String shape = shape(referred, null).text();
            if (shape == null) {
                return null;
            }
            sets.add(new RowSet(referred, null, shape));
        }
        return sets;
    }

    /** The columns the file gives: its rows' and its defaults'. */
    private java.util.stream.Stream<String> fileColumns() {
        return java.util.stream.Stream.concat(rows.columns().stream(), file.defaults().keySet().stream()).distinct();
    }

    /** The file's fingerprint: what, besides its table, its rows' meaning depends on. */
    private String fingerprint() {
        // A file that removes rows also takes over those that files now gone owned (Ownership): which files there are.
        String files = file.removal().keeps() ? "" : run.allFiles.stream().map(SeedFile::name).sorted()
                .collect(java.util.stream.Collectors.joining("/"));
        // Which cells took their value from the environment (not the values): what SecretCells marks, and a diff masks.
        String fromEnvironment = c.secretCells.stream().map(cell -> cell.row() + ":" + cell.column() + ":" + cell.template())
                .collect(java.util.stream.Collectors.joining("/"));
        // How each of its columns is compared (Catalog.Column.comparableValue): "in sync" is what the comparison of the
        // run that took the proof found, and a tool that compares a column otherwise (text byte for byte, say, where it
        // once took the column's =) must compare again before it may skip.
        String compared = fileColumns().map(name -> table.columns().get(name)).filter(java.util.Objects::nonNull)
                .map(column -> column.comparableValue("v")).collect(java.util.stream.Collectors.joining("/"));
        return SeedFile.sha256(String.join("\n", Config.VERSION, run.environment, file.checksum(), table.qualified(),
                String.join(",", file.key()), files, fromEnvironment, compared).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * The table's shape: what would change its rows' values, or what the file's text means, without
     * writing a row. Null when the table is not one whose rows alone hold what the file is compared
     * with: not a plain table, a table with children (partitions, inheritance, foreign tables: rows
     * come and go with them), or a column of the file whose values are read anew each time (a date or time:
     * now, today; a reg* type: a name looked up in the catalog) at any depth of its type.
     */
    private Shape shape() {
        return shape(table.qualified(), fileColumns().toArray(String[]::new));
    }

    /**
     * The shape of a table as {@link #shape()} takes it, with the types of the given columns; null
     * columns: those of its unique keys (a table referred to is read by its keys: by a value the
     * file gives, which may be today's date).
     */
    private Shape shape(String relation, String[] columns) {
        return handle.createQuery("""
                        WITH RECURSIVE used(type) AS (
                            SELECT a.atttypid FROM pg_attribute a
                            WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND CASE WHEN ?
                                THEN a.attnum IN (SELECT unnest(i.indkey::int2[]) FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisunique)
                                ELSE a.attname = ANY (?) END
                          UNION
                            SELECT n.type FROM used u JOIN pg_type y ON y.oid = u.type CROSS JOIN LATERAL (
                                SELECT y.typbasetype UNION ALL SELECT y.typelem
                                UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = y.oid
                                UNION ALL SELECT r.rngtypid FROM pg_range r WHERE r.rngmultitypid = y.oid
                                UNION ALL SELECT a.atttypid FROM pg_attribute a
                                          WHERE a.attrelid = y.typrelid AND a.attnum > 0 AND NOT a.attisdropped) n(type)
                            WHERE n.type <> 0)
                        SELECT CASE WHEN c.relkind = 'r' AND NOT c.relrowsecurity
                                    AND NOT EXISTS (SELECT FROM pg_inherits i WHERE i.inhparent = c.oid)
                                    AND NOT EXISTS (SELECT FROM used JOIN pg_type y ON y.oid = used.type WHERE y.typcategory = 'D'
                                                    OR y.typnamespace = 'pg_catalog'::regnamespace AND y.typname LIKE 'reg%')
                               THEN concat_ws('|', c.oid, c.relfilenode, c.relrowsecurity, c.relforcerowsecurity,
                            (SELECT string_agg(concat_ws(':', a.attnum, a.attname, a.atttypid, a.atttypmod, a.attisdropped,
                                        a.atthasmissing, a.attmissingval::text, a.attgenerated, a.attcollation, a.attidentity,
                                        a.attnotnull, a.atthasdef), ',' ORDER BY a.attnum)
                             FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0),
                            -- its keys and constraints: what a reference is read by (a foreign key moved to another
                            -- column writes no row) and what the checks of a comparison look at
                            (SELECT string_agg(concat_ws(':', k.conname, k.confrelid, pg_get_constraintdef(k.oid)), ',' ORDER BY k.conname)
                             FROM pg_constraint k WHERE k.conrelid = c.oid),
                            (SELECT string_agg(concat_ws(':', pg_get_indexdef(i.indexrelid), i.indisvalid, i.indimmediate), ','
                                               ORDER BY i.indexrelid)
                             FROM pg_index i WHERE i.indrelid = c.oid),
                            (SELECT string_agg(e.enumtypid || '=' || e.enumlabel, ',' ORDER BY e.enumtypid, e.enumsortorder)
                             FROM pg_enum e WHERE e.enumtypid IN (SELECT type FROM used)),
                            -- the constraints of the domains a column's type reaches (what the checks would refuse)
                            (SELECT string_agg(concat_ws(':', k.contypid, k.conname, pg_get_constraintdef(k.oid)), ',' ORDER BY k.oid)
                             FROM pg_constraint k WHERE k.contypid IN (SELECT type FROM used)),
                            -- every = of the database's own: a comparison, a key and a reference match by =, which the
                            -- search for an operator may find outside pg_catalog (one made or dropped writes no row)
                            (SELECT string_agg(concat_ws(':', o.oid, o.oprleft, o.oprright, o.oprcode), ',' ORDER BY o.oid)
                             FROM pg_operator o WHERE o.oprname = '=' AND o.oprnamespace <> 'pg_catalog'::regnamespace),
                            -- the settings that change what a value's text means
                            (SELECT string_agg(current_setting(name), ',') FROM unnest(ARRAY['DateStyle', 'IntervalStyle', 'TimeZone',
                                'timezone_abbreviations', 'array_nulls', 'extra_float_digits', 'bytea_output', 'standard_conforming_strings',
                                'backslash_quote', 'lc_monetary', 'lc_numeric', 'xmlbinary', 'xmloption', 'search_path',
                                'default_text_search_config', 'transform_null_equals']) name),
                            (SELECT system_identifier FROM pg_control_system()))
                               END,
                               c.relhasrules OR EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal)
                        FROM pg_class c WHERE c.oid = ?::regclass""")
                .bind(0, relation).bind(1, columns == null).bind(2, columns == null ? new String[0] : columns).bind(3, relation)
                .map((rs, ctx) -> new Shape(rs.getString(1), rs.getBoolean(2))).one();
    }

    /** The table's shape (null when no proof can hold for it), and whether it has triggers or rules of its own. */
    private record Shape(String text, boolean rewrites) {}

    /** Whether the table of proofs is there; one of that name that is something else is an error, as the history's is. */
    private boolean proofsExist() {
        return History.toolTable(handle, proofs, java.util.Set.of("file", "fingerprint", "table_shape", "up_to"),
                () -> SeedError.usage("the table " + proofs + " is not seed_database's table of proofs (it keeps them beside the "
                        + "history)", "rename that table, or name another history table with --history-table"));
    }

    /**
     * Whether the last run's proof holds for this file now (under the lock on its table): then it
     * is in sync, and the proof gives what the file's outcome reports.
     */
    Optional<Recorded> holds() {
        if (c.refusal != null) {
            return Optional.empty();   // its comparison says why
        }
        String ineligible = ineligible();
        if (ineligible != null) {
            LOG.info(() -> file.name() + ": compared in every run, without a proof: " + ineligible);
            return Optional.empty();
        }
        // Taken before the file is compared: an enum label renamed while it is would void the proof, not hide in it.
        atStart = shape();
        if (atStart.text() == null) {
            LOG.info(() -> file.name() + ": compared in every run, without a proof: " + table.name() + " is not a plain table "
                    + "alone, has row security, or a column the file gives is a date, a time or a reg* type (at any depth of its type)");
            return Optional.empty();
        }
        referredAtStart = referredRowSets();
        // --full, verify and a run that migrated compare every file, and take proofs for the next run.
        if (run.full || run.migrated) {
            return Optional.empty();
        }
        // Asked once a run: no file's proof is recorded (nor the table made) before every file has been written.
        if (run.proofsExist == null) {
            run.proofsExist = proofsExist();
        }
        if (!run.proofsExist) {
            return Optional.empty();
        }
        // (other_rows through to_jsonb: a table of proofs an older version made has no such column, and no such rows.)
        // With this run's own id: newer than every row's, the table being locked; the age of every id is taken from it.
        long[] now = new long[1];
        var recorded = handle.createQuery("SELECT fingerprint, table_shape, table_rows, up_to, file_rows, "
                        + "not_in_file, ARRAY(SELECT jsonb_array_elements_text(not_in_file_keys)), to_jsonb(p) -> 'other_rows', "
                        + "pg_current_xact_id()::text::bigint FROM " + proofs + " p WHERE file = ? AND table_name = ?")
                .bind(0, file.name()).bind(1, table.qualified()).map((rs, ctx) -> {
                    now[0] = rs.getLong(9);
                    return new Recorded(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6),
                            List.of((String[]) rs.getArray(7).getArray()), others(rs.getString(8)));
                }).findOne();
        if (recorded.isEmpty() || !recorded.get().fingerprint().equals(fingerprint()) || !recorded.get().tableShape().equals(atStart.text())) {
            return Optional.empty();
        }
        var proof = recorded.get();
        if (now[0] - proof.upTo() <= 0 || now[0] - proof.upTo() >= MAX_AGE) {
            return Optional.empty();
        }
        var found = handle.createQuery("SELECT count(*), count(*) FILTER (WHERE age(xmin) < age(?::xid)), age(?::xid) FROM "
                        + table.qualified())
                .bind(0, Long.toString(proof.upTo() & 0xFFFF_FFFFL)).bind(1, Long.toString(proof.upTo() & 0xFFFF_FFFFL))
                .map((rs, ctx) -> new long[]{rs.getLong(1), rs.getLong(2), rs.getLong(3)}).one();
        // The ages are taken from this run's id (the check of the third figure): then newer rows are newer than the proof.
        boolean holds = found[0] == proof.tableRows() && found[1] == 0 && found[2] == now[0] - proof.upTo();
        if (!holds) {
            LOG.info(() -> file.name() + ": " + table.name() + " changed since the last run (" + found[0] + " rows, " + found[1]
                    + " written since; " + proof.tableRows() + " then): compared");
            return Optional.empty();
        }
        var expected = otherRowSets();
        if (expected == null || !expected.equals(proof.others().stream().map(Counted::set).toList())) {
            LOG.info(() -> file.name() + ": what it refers to or owns is not what the last run proved: compared");
            return Optional.empty();
        }
        var countedNow = rowsAndNewer(expected, proof.upTo());
        for (int i = 0; i < expected.size(); i++) {
            var other = proof.others().get(i);
            var set = other.set();
            var counted = countedNow.get(i);
            if (counted[0] != other.rows() || counted[1] != 0) {
                LOG.info(() -> file.name() + ": " + set.relation() + (set.ofTable() == null ? "" : " (of " + table.name() + ")")
                        + " changed since the last run (" + counted[0] + " rows, " + counted[1] + " written since; " + other.rows()
                        + " then): compared");
                return Optional.empty();
            }
        }
        if (!variablesHold()) {
            LOG.info(() -> file.name() + ": a value it takes from the environment (${…}) is not what its cell holds: compared");
            return Optional.empty();
        }
        LOG.info(() -> file.name() + ": not compared: it, " + table.name() + " and what it depends on are as the last run left them");
        held = proof;
        return recorded;
    }

    /**
     * Whether the proof that held at the file's turn still holds for its table once every file has
     * written: a later file's trigger or rule may have written the table since. (A file's own turn
     * comes before the later files' writes whether it is compared or skipped; its removal, though,
     * comes after all of them.)
     */
    boolean stillHolds() {
        var found = rowsAndNewer(List.of(new RowSet(table.qualified(), null, null)), held.upTo()).get(0);
        boolean holds = found[0] == held.tableRows() && found[1] == 0;
        if (!holds) {
            LOG.info(() -> file.name() + ": compared after all: a later file of this run wrote " + table.name()
                    + " (a trigger or a rule), and its removal would find rows the proof does not hold");
            held = null;
        }
        return holds;
    }

    /** The row sets a proof recorded (its column other_rows, as JSON; none where there is no such column). */
    private static List<Counted> others(String json) {
        if (json == null) {
            return List.of();
        }
        return ((List<?>) Json.parse(json)).stream().map(item -> (java.util.Map<?, ?>) item)
                .map(set -> new Counted(new RowSet((String) set.get("relation"), (String) set.get("of_table"), (String) set.get("shape")),
                        Long.parseLong(((Json.Literal) set.get("rows")).text())))
                .toList();
    }

    private static String json(List<Counted> others) {
        return Json.compact(others.stream().map(other -> {
            var set = new java.util.LinkedHashMap<String, Object>();
            set.put("relation", other.set().relation());
            set.put("of_table", other.set().ofTable());
            set.put("shape", other.set().shape());
            set.put("rows", other.rows());
            return set;
        }).toList());
    }

    /**
     * How many rows each row set holds (a relation's, or those of one table_name in it), and how many
     * of them were written by a transaction newer than upTo, in one query: the ages are taken from
     * this run's id, which holds() has checked against the proof's.
     */
    private List<long[]> rowsAndNewer(List<RowSet> sets, long upTo) {
        if (sets.isEmpty()) {
            return List.of();
        }
        var sql = new StringBuilder();
        for (int i = 0; i < sets.size(); i++) {
            var set = sets.get(i);
            sql.append(i == 0 ? "" : " UNION ALL ").append("SELECT ").append(i).append(", count(*), count(*) FILTER (WHERE age(xmin) < ")
                    .append("age(?::xid)) FROM ").append(set.relation()).append(set.ofTable() == null ? "" : " WHERE table_name = ?");
        }
        var query = handle.createQuery(sql.toString());
        int parameter = 0;
        for (var set : sets) {
            query.bind(parameter++, Long.toString(upTo & 0xFFFF_FFFFL));
            if (set.ofTable() != null) {
                query.bind(parameter++, set.ofTable());
            }
        }
        var counted = new long[sets.size()][];
        query.map((rs, ctx) -> counted[rs.getInt(1)] = new long[]{rs.getLong(2), rs.getLong(3)}).forEach(row -> { });
        return List.of(counted);
    }

    /** How many rows a row set holds now. */
    private long count(RowSet set) {
        var query = handle.createQuery("SELECT count(*) FROM " + set.relation() + (set.ofTable() == null ? "" : " WHERE table_name = ?"));
        if (set.ofTable() != null) {
            query.bind(0, set.ofTable());
        }
        return query.mapTo(Long.class).one();
    }

    /**
     * After the file's writes, under its lock: the table's count (knownRows when the writes know it,
     * else -1), and an id P newer than every row of it. Taken only when no other transaction with an id up to P is in progress.
     */
    void take(long knownRows) {
        if (atStart == null || atStart.text() == null || ineligible() != null || run.dryRun) {
            return;
        }
        if (atStart.rewrites() && c.inserted + c.updated > 0) {
            LOG.info(() -> file.name() + ": no proof taken (the next run compares it): " + table.name() + " has triggers or "
                    + "rules, and this run wrote rows of it");
            return;
        }
        long rows = knownRows >= 0 ? knownRows : handle.createQuery("SELECT count(*) FROM " + table.qualified()).mapTo(Long.class).one();
        var sets = otherRowSets();
        if (sets == null) {
            return;
        }
        // Under the run's locks as well: the tables referred to by theirs (ineligible() says), the ownership tables by
        // Ownership.record's, the table of secret cells by this one (SecretCells writes it only when cells are marked).
        for (var set : sets) {
            if (set.ofTable() != null && !session.lockedTables.contains(set.relation())) {
                session.lockTable(set.relation(), set.relation().replace("\"", ""), file.displayPath());
            }
        }
        var others = sets.stream().map(set -> new Counted(set, count(set))).toList();
        // Temporary normally; in two-phase mode a table of the transaction's scratch schema (Session.proofProbe).
        String probe = session.proofProbe();
        session.run("SAVEPOINT seed_proof");
        long sub = handle.createQuery("INSERT INTO " + probe + " VALUES (1) RETURNING xmin::text::bigint")
                .mapTo(Long.class).one();
        // Rolled back, the probe's id has ended (the snapshot's horizon passes it); the run's next writes get newer ones:
        // ROLLBACK TO leaves the savepoint open, so whatever the run writes next (its removals, its history, a trigger)
        // writes in a new subtransaction of it, whose id is newer than P. (A RELEASE here, or a rollback to an outer
        // savepoint, would let them write with an older one: SkipProofTest's trigger on the table of proofs catches that.)
        session.run("ROLLBACK TO SAVEPOINT seed_proof");
        long top = handle.createQuery("SELECT pg_current_xact_id()::text::bigint").mapTo(Long.class).one();
        // The probe's full id: the run's own (a parent's id is older than its subtransactions') plus the distance in 32 bits.
        long upTo = top + ((sub - top) & 0xFFFF_FFFFL);
        // Transactions that began before the probe and are still open could write the table later with an older id than
        // P: the proof waits a moment for them to end (most are short), then goes without (the next run compares).
        for (int attempt = 0; attempt < (run.proofWaited ? 1 : 10); attempt++) {
            if (attempt > 0) {
                pause();
            }
            // Fresh from the server: pg_stat_activity is otherwise read once a transaction.
            handle.createQuery("SELECT pg_stat_clear_snapshot()").mapTo(String.class).one();
            if (handle.createQuery("""
                            SELECT pg_snapshot_xmax(s)::text::bigint > ? AND NOT EXISTS (
                                SELECT FROM pg_snapshot_xip(s) x WHERE x::text::bigint <= ? AND NOT EXISTS (
                                    SELECT FROM pg_stat_activity a
                                    WHERE a.backend_xid::text::bigint = x::text::bigint % 4294967296
                                      AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))
                                AND NOT EXISTS (
                                    SELECT FROM pg_prepared_xacts p
                                    WHERE p.transaction::text::bigint = x::text::bigint % 4294967296
                                      AND p.database <> current_database()))
                            FROM pg_current_snapshot() s""").bind(0, upTo).bind(1, upTo).mapTo(Boolean.class).one()) {
                taken = new Taken(atStart.text(), rows, upTo, others);
                return;
            }
        }
        run.proofWaited = true;
        LOG.info(() -> file.name() + ": no proof taken (the next run compares it): a transaction that began before this "
                + "run's writes is still open");
    }

    private static void pause() {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Records the proof this run took for the file, in place of an older one (which the run's writes may have voided). */
    void record(Results.FileOutcome outcome) {
        boolean exists = proofsExist();
        if (exists) {
            // By file and table: files of one name in two seed directories keep a proof each.
            handle.createUpdate("DELETE FROM " + proofs + " WHERE file = ? AND table_name = ?").bind(0, file.name())
                    .bind(1, table.qualified()).execute();
        }
        if (taken == null) {
            return;
        }
        if (!exists) {
            session.run("""
                    CREATE TABLE %s (
                        file              text        NOT NULL,
                        table_name        text        NOT NULL,
                        fingerprint       text        NOT NULL,
                        table_shape       text        NOT NULL,
                        table_rows        bigint      NOT NULL,
                        up_to             bigint      NOT NULL,
                        file_rows         bigint      NOT NULL,
                        not_in_file       bigint      NOT NULL,
                        not_in_file_keys  jsonb       NOT NULL,
                        recorded_at       timestamptz NOT NULL DEFAULT now(),
                        other_rows        jsonb       NOT NULL DEFAULT '[]',
                        PRIMARY KEY (file, table_name)
                    );
                    COMMENT ON TABLE %1$s IS 'Written by seed_database: for each seed file, what lets a run skip it while it and its table are unchanged (SkipProof.java).';
                    """.formatted(proofs));
        } else if (!handle.createQuery("SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = ?::regclass AND attname = 'other_rows' "
                + "AND NOT attisdropped)").bind(0, proofs).mapTo(Boolean.class).one()) {
            // Made by an older version of the tool: the row sets besides the table get their column.
            session.run("ALTER TABLE " + proofs + " ADD COLUMN other_rows jsonb NOT NULL DEFAULT '[]'");
        }
        handle.createUpdate("INSERT INTO " + proofs + " (file, table_name, fingerprint, table_shape, table_rows, up_to, "
                        + "file_rows, not_in_file, not_in_file_keys, other_rows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)")
                .bind(0, file.name()).bind(1, table.qualified()).bind(2, fingerprint()).bind(3, taken.tableShape())
                .bind(4, taken.tableRows()).bind(5, taken.upTo()).bind(6, (long) c.rowCount)
                .bind(7, outcome.notInFile()).bind(8, Json.compact(outcome.notInFileKeys())).bind(9, json(taken.others())).execute();
    }
}
