// A first load at COPY's speed: a CSV file's rows COPYed straight into its empty table, when that
// writes and refuses exactly what the staged path would; on any refusal the staged path words it.

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.jdbi.v3.core.JdbiException;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * The direct path of a first load. The staged path (Stage, References, Checks, Diff, Writes) COPYs
 * the rows into a temporary table, checks them there and inserts them with INSERT … SELECT; into an
 * empty table every row is an insert, so COPY into the table itself writes the same rows, if every
 * check the staged path makes is one the table's own constraints make too, or one made here on the
 * way. Why that holds, for the files this path takes ({@link #eligible}):
 * <ul>
 * <li>The table is empty, checked after the run locked it in SHARE ROW EXCLUSIVE mode, which
 *     conflicts with the ROW EXCLUSIVE lock of every INSERT, UPDATE, DELETE and COPY FROM and with
 *     TRUNCATE's: no other transaction writes it until the run ends (READ COMMITTED: the check sees
 *     every committed row). So every row of the file is new, as the staged path's diff would find.</li>
 * <li>Values: the stage's columns have the table's types (PostgreSQL parses the same text with the
 *     same input functions), but for numeric(p,s), staged as numeric to refuse a value with more
 *     decimals where the column rounds it: here each such field is read on its way to COPY
 *     ({@link Values#keepsDecimals}); a value with more decimals, or one not plainly a number, sends
 *     the file to the staged path.</li>
 * <li>The staged path's checks over the stage: a NULL key (the key's columns must be NOT NULL here,
 *     so the table refuses it), NOT NULL columns (the table's NOT NULL), a key given twice (the key is
 *     a unique, immediate, non-partial key: Checks.validate and Catalog), a NOT NULL column without a
 *     default that the file leaves out (the table's NOT NULL refuses the row), rows loaded = rows
 *     counted (compared here too), and CsvRows' own refusals of the file (the same code here).</li>
 * <li>What the staged path adds or changes: references by natural key (no header field a.b),
 *     defaults: and removal: deactivate's active flag (the file's rows give exactly the header's
 *     columns), generate: rules (none), ${VAR} cells (none, and none remembered for the table), keys
 *     another file of the table gives (no other seed file, of any environment, seeds the table),
 *     layers (only references by natural key make them), a plan (a dry run stages).</li>
 * <li>What COPY does otherwise than INSERT: it ignores rules, and a trigger could change a row after
 *     the values the report shows were read (the table has neither); it refuses a table with row
 *     security (then the staged path runs). Defaults (a sequence's next value) are taken in file order
 *     by both. Deferred constraints are checked here, before the rows count as loaded.</li>
 * </ul>
 * Whatever PostgreSQL refuses, the direct path is rolled back to its savepoint, and the staged path
 * runs: it words the error as ever (the same message, file and line), and nothing is written. What the
 * run reports and records is the staged path's: the changes listed are the first rows of the file,
 * read back from the table with the same expressions the diff reads from the stage; later steps
 * (Ownership, Removal) read the file's keys from the table, which holds exactly those rows.
 */
final class FirstLoad extends FileContext.Step {

    /** How many files this process loaded straight into their table: how a test tells the two paths apart. */
    static final java.util.concurrent.atomic.AtomicInteger LOADED = new java.util.concurrent.atomic.AtomicInteger();

    private final References refs;

    FirstLoad(FileContext c, References refs) {
        super(c);
        this.refs = refs;
    }

    /** The direct path refused: the staged path runs. */
    private static final class NotDirect extends RuntimeException {
        NotDirect(Throwable cause) {
            super(null, cause, false, false);
        }
    }

    /**
     * Loads the file straight into its table when it may (a CSV file into an empty table, as the
     * class comment says); returns whether it did. False: nothing was written, and the staged path runs.
     */
    boolean load() {
        var csv = rows.asWritten();
        if (!eligible(csv)) {
            return false;
        }
        var beforeLoad = savepoint("seed_first_load");
        try {
            copy(csv);
            listChanges();
            // Deferred constraints, as Writes checks them after each file: a refusal goes to the staged path.
            handle.execute("SET CONSTRAINTS ALL IMMEDIATE");
            handle.execute("SET CONSTRAINTS ALL DEFERRED");
            handle.getConnection().releaseSavepoint(beforeLoad);
        } catch (NotDirect | SeedError | JdbiException | SQLException refused) {
            var sql = refused instanceof SQLException e ? e : SeedError.causeOf(refused, SQLException.class);
            rollbackTo(beforeLoad, sql != null ? sql : new SQLException(refused));
            if (sql != null && !refusesTheRows(sql)) {
                // Not a refusal of the rows (a cancelled run, a lost connection, a lock not granted): not for the staged path either.
                throw SeedError.fromSql(sql, session.target);
            }
            c.rowCount = 0;
            c.changes.clear();
            return false;
        }
        c.inserted = c.rowCount;
        LOADED.incrementAndGet();
        // The stage of a direct load is the table itself: it holds exactly the file's rows (only their keys are read).
        c.stage = table.qualified();
        return true;
    }

    /**
     * Whether PostgreSQL refused the rows themselves, which the staged path words: a value (class
     * 22, a CSV line COPY cannot read among them), a constraint (23), COPY into a table with row
     * security (0A000), a privilege (42501). Anything else stops the run as it is.
     */
    private static boolean refusesTheRows(SQLException e) {
        String state = java.util.Objects.requireNonNullElse(e.getSQLState(), "");
        return state.startsWith("22") || state.startsWith("23") || state.equals("0A000") || state.equals("42501");
    }

    /** Whether the direct path writes and refuses what the staged path would, for this file now (see the class comment). */
    private boolean eligible(SeedFile.AsWritten csv) {
        if (run.dryRun || csv == null || !file.generated().isEmpty() || !c.secretCells.isEmpty() || c.tableHasSecretCells
                || !references.isEmpty() || !run.otherFilesOf(file, table).isEmpty()
                || csv.header().stream().anyMatch(h -> h.lookup() != null)
                || !csv.shape().values().keySet().equals(csv.header().stream().map(CsvRows.Header::column).collect(Collectors.toSet()))
                || file.key().stream().anyMatch(k -> !table.columns().get(k).notNull())) {
            return false;
        }
        return handle.createQuery("SELECT c.relkind = 'r' AND NOT c.relhasrules AND NOT EXISTS (SELECT FROM pg_trigger g "
                        + "WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AND NOT EXISTS (SELECT FROM " + table.qualified()
                        + ") FROM pg_class c WHERE c.oid = ?::regclass")
                .bind(0, table.qualified()).mapTo(Boolean.class).one();
    }

    /** COPY of the file as written into the table, each numeric(p,s) field checked on its way; rows loaded = rows counted. */
    private void copy(SeedFile.AsWritten csv) throws SQLException {
        run.progress.step(file.name(), "reading", csv::fractionRead);
        var header = csv.header();
        var scales = header.stream().map(h -> table.columns().get(h.column()).numericScale()).toArray(Integer[]::new);
        var check = new SeedFile.FieldCheck() {
            @Override
            public boolean wants(int field) {
                return field < scales.length && scales[field] != null;
            }

            @Override
            public void field(int field, byte[] bytes, int length, boolean quoted) {
                if ((length > 0 || quoted) && !keepsDecimals(bytes, length, scales[field])) {
                    throw new NotDirect(null);
                }
            }
        };
        String copy = "COPY " + table.qualified() + " (" + header.stream().map(h -> Catalog.quote(h.column()))
                .collect(Collectors.joining(", ")) + ") FROM STDIN WITH (FORMAT csv, HEADER true)";
        CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(copy);
        try {
            var copied = csv.copyTo(bytes -> {
                try {
                    in.writeToCopy(bytes.array(), 0, bytes.limit());
                } catch (SQLException e) {
                    throw new NotDirect(e);
                }
            }, run.progress::advance, -1, check);
            if (in.endCopy() != copied.rows()) {
                throw new NotDirect(null);
            }
            c.rowCount = copied.rows();
        } finally {
            if (in.isActive()) {
                try {
                    in.cancelCopy();
                } catch (SQLException ignored) {
                    // the refusal that got us here sends the file to the staged path
                }
            }
        }
    }

    /**
     * Values.keepsDecimals over a field's bytes, without making a String of the common form
     * [+-]digits[.digits], whose decimals are the digits after the point but trailing zeros.
     */
    static boolean keepsDecimals(byte[] bytes, int length, int scale) {
        int at = length > 0 && (bytes[0] == '-' || bytes[0] == '+') ? 1 : 0, digits = 0, point = -1, lastNonZero = -1;
        for (int i = at; i < length; i++) {
            byte b = bytes[i];
            if (b == '.' && point < 0) {
                point = i;
            } else if (b >= '0' && b <= '9') {
                digits++;
                if (b != '0') {
                    lastNonZero = i;
                }
            } else {
                return Values.keepsDecimals(new String(bytes, 0, length, java.nio.charset.StandardCharsets.UTF_8), scale);
            }
        }
        if (digits == 0) {
            return Values.keepsDecimals(new String(bytes, 0, length, java.nio.charset.StandardCharsets.UTF_8), scale);
        }
        return (point < 0 || lastNonZero < point ? 0 : lastNonZero - point) <= scale;
    }

    /**
     * The changes the staged path lists for a first load: its first rows (up to DETAIL_LIMIT), in file
     * order, each an insert with every value column, shown by the same expressions as the diff's, read
     * back from the table by key (every row of it is the file's).
     */
    private void listChanges() {
        int listed = Math.min(c.rowCount, Results.FileOutcome.DETAIL_LIMIT);
        if (listed == 0) {
            return;
        }
        var read = rows.get(IntStream.range(0, listed).boxed().collect(Collectors.toCollection(TreeSet::new)));
        var key = file.key();
        var keyTexts = new ArrayList<String[]>();
        for (String k : key) {
            var column = table.columns().get(k);
            keyTexts.add(IntStream.range(0, listed).mapToObj(i -> Values.text(read.get(i).values().get(k), column, file))
                    .toArray(String[]::new));
        }
        var values = valueColumns(c.streamedGroup);
        String names = IntStream.range(0, key.size()).mapToObj(i -> "k" + i).collect(Collectors.joining(", "));
        var select = handle.createQuery("SELECT f.n, " + refs.keyShown("t")
                + values.stream().map(v -> ", " + refs.shownValue(v, "t")).collect(Collectors.joining())
                + " FROM unnest(" + key.stream().map(k -> "?::text[]").collect(Collectors.joining(", ")) + ") WITH ORDINALITY AS f("
                + names + ", n) JOIN " + table.qualified() + " t ON " + IntStream.range(0, key.size())
                .mapToObj(i -> "t." + Catalog.quote(key.get(i)) + " = CAST(f.k" + i + " AS " + table.columns().get(key.get(i)).type() + ")")
                .collect(Collectors.joining(" AND ")) + " ORDER BY f.n");
        for (int i = 0; i < keyTexts.size(); i++) {
            select.bind(i, keyTexts.get(i));
        }
        var changes = select.map((rs, ctx) -> {
            var columns = new ArrayList<Results.ColumnChange>();
            for (int i = 0; i < values.size(); i++) {
                columns.add(new Results.ColumnChange(values.get(i).name(), null, rs.getString(3 + i)));
            }
            return new Results.Change(rs.getString(2), rows.pos(rs.getInt(1) - 1), Results.Action.INSERT, columns);
        }).list();
        if (changes.size() != listed) {
            throw new NotDirect(null);   // cannot happen: every row the file gives is in the table, once
        }
        c.changes.addAll(changes);
    }
}
