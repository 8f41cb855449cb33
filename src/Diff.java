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
     * A group's rows to insert and to update, listed up to a limit: complete when that was all of
     * them (then the counts are exact, a write with nothing to do is skipped, and the writes take
     * the rows found: updatedRows and insertedRows, by their index in the file).
     */
    record Found(long inserted, long updated, List<Results.Change> kept, Results.Change firstInsert, boolean complete,
                 List<Integer> updatedRows, List<Integer> insertedRows) {}

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
            // The columns of the row whose stored values came from the environment: shown as *** ever after.
            select.append(", ARRAY(SELECT m.column_name FROM ").append(run.secretCellsTable).append(" m WHERE m.table_name = ? ")
                    .append("AND m.key_columns = ?::text[] AND m.row_key = ").append(keyExpression("s")).append(")");
        }
        // Which rows differ, first: one join of every staged row, giving only where the rows are (ctid).
        var differ = new StringBuilder("SELECT s.ctid::text, t.ctid::text FROM ").append(c.stage).append(" s LEFT JOIN ")
                .append(table.qualified()).append(" t ON ").append(keyMatch("t", "s")).append(" WHERE ").append(slice())
                .append(" AND (t.").append(Catalog.quote(file.key().get(0))).append(" IS NULL");
        for (var c : values) {
            differ.append(" OR ").append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        // One more than are kept: whether there are more than the list shows.
        differ.append(") ORDER BY s.").append(ROW).append(" LIMIT ?");
        var stagedAt = new StringJoiner(",", "{", "}");
        var storedAt = new StringJoiner(",", "{", "}");
        var differing = handle.createQuery(differ.toString());
        differing.bind(bindSlice(differing, group, layer), keep + 1).map((rs, ctx) -> {
            stagedAt.add('"' + rs.getString(1) + '"');
            if (rs.getString(2) != null) {
                storedAt.add('"' + rs.getString(2) + '"');
            }
            return 0;
        }).forEach(row -> { });
        // Then their values as text, for those rows only: found by ctid, not by another join of every row.
        select.append(" FROM (SELECT * FROM ").append(c.stage).append(" WHERE ctid = ANY (?::tid[])) s LEFT JOIN (SELECT * FROM ")
                .append(table.qualified()).append(" WHERE ctid = ANY (?::tid[])) t ON ").append(keyMatch("t", "s"))
                .append(" ORDER BY s.").append(ROW);
        var kept = new ArrayList<Results.Change>();
        long[] counts = new long[2];
        Results.Change[] firstInsert = new Results.Change[1];
        var updatedRows = new ArrayList<Integer>();
        var insertedRows = new ArrayList<Integer>();
        // At most keep + 1 rows: held as text, so that the rows whose values may come from the environment
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
            return Map.entry(index, new Results.Change(listedRow.key(), rows.pos(index), inserted ? Results.Action.INSERT : Results.Action.UPDATE, changed));
        }).forEach(indexed -> {
            var change = indexed.getValue();
            counts[change.inserted() ? 0 : 1]++;
            (change.inserted() ? insertedRows : updatedRows).add(indexed.getKey());
            if (change.inserted() && firstInsert[0] == null) {
                firstInsert[0] = change;
            }
            if (kept.size() < keep) {
                kept.add(change);
            }
        });
        boolean complete = counts[0] + counts[1] <= keep;
        if (!complete && firstInsert[0] == null) {
            // Past the list, rows to insert may still come: the first of them is checked before any is written.
            var firstNew = handle.createQuery("SELECT s." + ROW + ", " + refs.keyShown("s") + " FROM " + c.stage + " s WHERE "
                    + slice() + " AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + keyMatch("t", "s")
                    + ") ORDER BY s." + ROW + " LIMIT 1");
            bindSlice(firstNew, group, layer);
            firstInsert[0] = firstNew
                    .map((rs, ctx) -> new Results.Change(rs.getString(2), rows.pos(rs.getInt(1)), Results.Action.INSERT, List.of()))
                    .findOne().orElse(null);
        }
        return new Found(counts[0], counts[1], kept, firstInsert[0], complete, updatedRows, insertedRows);
    }

    /** How a value from the environment is shown: as the file writes it, ${VAR:-default}, also inside JSON. */
    private static String templateOf(SeedFile.Value value, SeedFile file) {
        return value.template() != null ? value.template() : Values.jsonWithTemplates(value, file);
    }
}
