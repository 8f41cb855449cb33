// The diff: which staged rows a file inserts or changes, with the old and new value of each
// changed column, for the plan, the report and the write.

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Compares a slice of the stage (a column group, a layer) with the table. */
final class Diff extends FileContext.Step {

    private final References refs;

    Diff(FileContext c, References refs) {
        super(c);
        this.refs = refs;
    }

    /**
     * What a group (and layer) inserts and changes: how many of each, the first {@code keep} with
     * their values, and the first row to insert. The rows themselves are in the file's changes
     * table, marked by slice, for the writes to take: the diff is the one place that decides
     * which rows differ.
     */
    record Found(int slice, long inserted, long updated, List<Results.Change> kept, Results.Change firstInsert) {}

    /**
     * Rows of the group (and layer) that the run inserts or changes, with every changed column's old
     * and new value (and every value of a new row), read as a stream: only the first {@code keep} are kept.
     */
    Found diff(FileContext.Group group, int layer, int keep) {
        var values = valueColumns(group);
        var select = new StringBuilder("SELECT s." + ROW + ", t." + Catalog.quote(file.key().get(0)) + " IS NULL, "
                + refs.keyShown("s"));
        for (var c : values) {
            select.append(", ").append(refs.shownValue(c, "t")).append(", ").append(refs.shownValue(c, "s")).append(", ")
                    .append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        if (c.tableHasSecretCells) {
            // The columns of the row whose stored values came from the environment: shown as *** ever after (marked by
            // the stored row's key, which the file may spell otherwise).
            select.append(", ARRAY(SELECT m.column_name FROM ").append(run.secretCellsTable).append(" m WHERE m.table_name = ? ")
                    .append("AND m.key_columns = ?::text[] AND m.row_key = ").append(keyExpression("t")).append(")");
        }
        if (c.differing == null) {
            c.differing = session.scratchTable("seed_changes_" + session.staged.size(),
                    "slice integer, " + ROW + " integer, staged tid, stored tid");
        }
        int slice = ++c.slices;
        // Which rows differ: one join of every staged row, its rows (and where they are: ctid) kept in the changes table.
        var differ = new StringBuilder("WITH d AS (INSERT INTO ").append(c.differing).append(" SELECT ?, s.").append(ROW)
                .append(", s.ctid, t.ctid FROM ").append(c.stage).append(" s LEFT JOIN ").append(table.qualified()).append(" t ON ")
                .append(keyMatch("t", "s")).append(" WHERE ").append(slice()).append(" AND (t.")
                .append(Catalog.quote(file.key().get(0))).append(" IS NULL");
        for (var c : values) {
            differ.append(" OR ").append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        differ.append(") RETURNING stored IS NULL AS inserted) SELECT count(*) FILTER (WHERE inserted), count(*) FILTER "
                + "(WHERE NOT inserted) FROM d");
        var differing = handle.createQuery(differ.toString()).bind(0, slice);
        bindSlice(differing, group, layer, 1);
        long[] counts = differing.map((rs, ctx) -> new long[]{rs.getLong(1), rs.getLong(2)}).one();
        // The first of them, where they are: their values are read by ctid, not by another join of every row.
        var stagedAt = new StringJoiner(",", "{", "}");
        var storedAt = new StringJoiner(",", "{", "}");
        handle.createQuery("SELECT staged::text, stored::text FROM " + c.differing + " WHERE slice = ? ORDER BY " + ROW + " LIMIT ?")
                .bind(0, slice).bind(1, keep).map((rs, ctx) -> {
                    stagedAt.add('"' + rs.getString(1) + '"');
                    if (rs.getString(2) != null) {
                        storedAt.add('"' + rs.getString(2) + '"');
                    }
                    return 0;
                }).forEach(row -> { });
        select.append(" FROM (SELECT * FROM ").append(c.stage).append(" WHERE ctid = ANY (?::tid[])) s LEFT JOIN (SELECT * FROM ")
                .append(table.qualified()).append(" WHERE ctid = ANY (?::tid[])) t ON ").append(keyMatch("t", "s"))
                .append(" ORDER BY s.").append(ROW);
        var kept = new ArrayList<Results.Change>();
        Results.Change[] firstInsert = new Results.Change[1];
        // At most keep rows: held as text, so that the rows whose values may come from the environment
        // are looked up together afterwards (a large YAML file's in one more pass).
        record Listing(int index, boolean inserted, String key, String[] old, String[] now, boolean[] differs, Set<String> secret) {}
        var query = handle.createQuery(select.toString());
        int parameter = 0;
        if (c.tableHasSecretCells) {
            query.bind(parameter++, table.qualified()).bind(parameter++, file.key().toArray(String[]::new));
        }
        var listed = stagedAt.length() == 2 ? List.<Listing>of() : query
                .bind(parameter++, stagedAt.toString()).bind(parameter, storedAt.toString()).map((rs, ctx) -> {
            int n = values.size();
            var secret = c.tableHasSecretCells ? Set.of((String[]) rs.getArray(4 + 3 * n).getArray()) : Set.<String>of();
            var listedRow = new Listing(rs.getInt(1), rs.getBoolean(2), rs.getString(3), new String[n], new String[n], new boolean[n],
                    secret);
            for (int i = 0; i < n; i++) {
                listedRow.old()[i] = rs.getString(4 + 3 * i);
                listedRow.now()[i] = rs.getString(5 + 3 * i);
                listedRow.differs()[i] = rs.getBoolean(6 + 3 * i);
            }
            return listedRow;
        }).list();
        // Only a YAML file's values (a CSV file's defaults among them) can come from the environment.
        var rowsRead = c.secretCells.isEmpty() ? Map.<Integer, SeedFile.Row>of()
                : rows.get(listed.stream().map(Listing::index).collect(Collectors.toCollection(TreeSet::new)));
        listed.stream().map(listedRow -> {
            int index = listedRow.index();
            var row = rowsRead.get(index);
            boolean inserted = listedRow.inserted();
            var changed = new ArrayList<Results.ColumnChange>();
            for (int i = 0; i < values.size(); i++) {
                if (inserted || listedRow.differs()[i]) {
                    String name = values.get(i).name();
                    var value = row == null ? null : row.values().get(name);
                    // A value from the environment, in the file or (as the database remembers) in the table, is
                    // perhaps a secret: shown as where it comes from, or as ***, never as what it is.
                    String old = listedRow.old()[i] != null && (listedRow.secret().contains(name)
                            || value != null && value.fromEnvironment()) ? Secrets.MASK : listedRow.old()[i];
                    changed.add(new Results.ColumnChange(name, old, value != null && value.fromEnvironment() ? templateOf(value, file)
                            : listedRow.now()[i]));
                }
            }
            // The key as PostgreSQL stores it (0x10 is 16), not as the file spells it.
            return new Results.Change(listedRow.key(), rows.pos(index), inserted ? Results.Action.INSERT : Results.Action.UPDATE, changed);
        }).forEach(change -> {
            if (change.inserted() && firstInsert[0] == null) {
                firstInsert[0] = change;
            }
            kept.add(change);
        });
        if (firstInsert[0] == null && counts[0] > 0) {
            // Past the list, rows to insert may still come: the first of them is checked before any is written.
            firstInsert[0] = handle.createQuery("SELECT s." + ROW + ", " + refs.keyShown("s") + " FROM " + c.stage + " s WHERE s.ctid = "
                            + "(SELECT staged FROM " + c.differing + " WHERE slice = ? AND stored IS NULL ORDER BY " + ROW + " LIMIT 1)")
                    .bind(0, slice)
                    .map((rs, ctx) -> new Results.Change(rs.getString(2), rows.pos(rs.getInt(1)), Results.Action.INSERT, List.of()))
                    .one();
        }
        return new Found(slice, counts[0], counts[1], kept, firstInsert[0]);
    }

    /** The rows of the stage of one group and layer: a condition whose parameters come first, bound by {@link #bindSlice}. */
    private String slice() {
        // No condition when it is the whole stage: one that every row meets still bends the planner's estimates.
        return c.wholeStage ? "TRUE" : "s." + GROUP + " = ? AND s." + LAYER + " = ?";
    }

    /** Binds the parameters of {@link #slice} from a position; returns the position of the statement's next parameter. */
    private int bindSlice(org.jdbi.v3.core.statement.SqlStatement<?> statement, FileContext.Group group, int layer, int from) {
        if (c.wholeStage) {
            return from;
        }
        statement.bind(from, group.id()).bind(from + 1, layer);
        return from + 2;
    }

    /** How a value from the environment is shown: as the file writes it, ${VAR:-default}, also inside JSON. */
    private static String templateOf(SeedFile.Value value, SeedFile file) {
        return value.template() != null ? value.template() : Values.jsonWithTemplates(value, file);
    }
}
