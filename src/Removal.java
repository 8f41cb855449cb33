// Removal: the rows a file owns but no longer lists, counted, guarded and deactivated or deleted.

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The second half of a run for one file, after every file has written: the rows it owns but no
 * longer lists are counted (for the run's guard), then deactivated or deleted as its removal mode
 * says; and the rows no seed file lists are counted for the report. Files remove in reverse
 * order, so rows that refer to others are removed before the rows they refer to.
 */
final class Removal extends FileContext.Step {

    private final References refs;
    private final Writes writes;
    private final Ownership ownership;
    private final SecretCells secretCells;
    /** The rows this file removes, once every file has written: where, with which parameters, how many. */
    private String removalWhere;
    private final List<Object> removalParameters = new ArrayList<>();
    private long removalCount;

    Removal(FileContext c, References refs, Writes writes, Ownership ownership, SecretCells secretCells) {
        super(c);
        this.refs = refs;
        this.writes = writes;
        this.ownership = ownership;
        this.secretCells = secretCells;
    }

    /** Rows that no seed file of this run lists for the table (others may share it). */
    private String listedByNoFile() {
        return session.staged.stream().filter(s -> s.table().equals(table.qualified()))
                .map(s -> "NOT EXISTS (SELECT 1 FROM " + s.stage() + " s WHERE " + keyMatch("t", "s") + ")")
                .collect(Collectors.joining(" AND "));
    }

    /**
     * Counts the rows this file would remove, before any file removes anything: the run's guard
     * against removing too much needs the run's total.
     */
    long count() {
        if (file.removal().keeps()) {
            return 0;
        }
        return session.withoutNestedLoops(this::countOwnedNotListed);
    }

    private long countOwnedNotListed() {
        String owned;
        if (file.ownsTable()) {
            owned = listedByNoFile();
        } else {
            owned = "NOT EXISTS (SELECT 1 FROM " + c.stage + " s WHERE " + keyMatch("t", "s") + ") AND EXISTS (SELECT 1 FROM "
                    + run.ownershipTable + " o WHERE o.table_name = ? AND o.row_key = " + keyExpression("t") + " AND o.file = ?)";
            removalParameters.addAll(List.of(table.qualified(), file.name()));
        }
        removalWhere = owned + (file.removal().mode().equals("delete") ? ""
                : " AND t." + Catalog.quote(file.removal().column()) + " IS DISTINCT FROM false");
        // Every row the files of this run list is in the table now: a table that holds no other row (a
        // first load, a rerun) has nothing to remove, which its row count says without a join.
        long listed = file.ownsTable() ? listedRows() : c.rowCount;
        if (session.rowsOf(table.qualified()) == listed) {
            removalCount = 0;
        } else {
            if (!file.ownsTable()) {
                ownership.writePending();
            }
            removalCount = query("SELECT count(*) FROM " + table.qualified() + " t WHERE " + removalWhere, removalParameters,
                    Long.class).get(0);
        }
        return removalCount;
    }

    /** How many rows the files of this run list for the table (none twice: a key belongs to one file). */
    private long listedRows() {
        return session.staged.stream().filter(s -> s.table().equals(table.qualified())).mapToLong(Session.Staged::rowCount).sum();
    }

    /**
     * The run's guard against a truncated or mistaken seed file: it stops before removing (deactivating
     * or deleting) more than --max-deletes rows in all; in a plan, it warns.
     */
    static void guard(Seeder.Run run, List<Removal> removals) {
        long total = removals.stream().mapToLong(r -> r.removalCount).sum();
        if (total <= run.maxRemovals) {
            return;
        }
        var removing = removals.stream().filter(r -> r.removalCount > 0).toList();
        var first = removing.get(0);
        first.problem(SeedError.in(first.file.displayPath(), first.file.settings().get("removal"), "this run would remove "
                + Report.count(total, "row") + " (deactivate or delete), more than --max-deletes " + run.maxRemovals + " allows: "
                + removing.stream().map(r -> r.removalCount + " of " + r.table.name() + " (" + r.file.name() + ")")
                        .collect(Collectors.joining(", ")))
                .hint("a seed file that lost its rows looks like this; if the removals are meant, rerun with --max-deletes " + total));
    }

    /** Deactivates or deletes the rows {@link #count} found, then counts those no seed file lists. */
    void remove() {
        long started = System.nanoTime();
        try {
            session.withoutNestedLoops(() -> {
                removeAndCount();
                return null;
            });
        } finally {
            c.durationNanos += System.nanoTime() - started;
        }
    }

    private void removeAndCount() {
        String listedByNoFile = listedByNoFile();
        var removedKeys = new HashSet<String>();
        if (removalCount > 0) {
            removedKeys.addAll(removeRows());
        }
        // Every row the files of this table list is in it now, once: the rest is what they do not list.
        c.notInFile = session.rowsOf(table.qualified()) - listedRows()
                - (file.removal().mode().equals("deactivate") ? removedKeys.size() : 0);
        if (c.notInFile == 0) {
            c.notInFileKeys = List.of();
        } else if (file.removal().keeps()) {
            c.notInFileKeys = query("SELECT " + refs.keyShown("t") + " FROM " + table.qualified() + " t WHERE " + listedByNoFile
                    + " ORDER BY 1 LIMIT ?", List.of(Results.FileOutcome.KEYS_LISTED), String.class);
        } else if (file.ownsTable()) {
            // Every row of the table is this file's: the ones it does not list it has just removed, or retired before.
            c.notInFile = 0;
            c.notInFileKeys = List.of();
        } else {
            // A row this file retired (deactivated) in an earlier run is still its own, not a row no seed file lists.
            String unowned = listedByNoFile + " AND NOT EXISTS (SELECT 1 FROM " + run.ownershipTable + " o WHERE o.table_name = ? "
                    + "AND o.row_key = " + keyExpression("t") + ")";
            c.notInFile = query("SELECT count(*) FROM " + table.qualified() + " t WHERE " + unowned, List.of(table.qualified()),
                    Long.class).get(0);
            c.notInFileKeys = c.notInFile == 0 ? List.of() : query("SELECT " + refs.keyShown("t") + " FROM " + table.qualified() + " t WHERE "
                    + unowned + " ORDER BY 1 LIMIT ?", List.of(table.qualified(), Results.FileOutcome.KEYS_LISTED), String.class);
        }
    }

    /** Deactivates or deletes the rows that count() found; returns their keys. */
    private List<String> removeRows() {
        boolean deleting = file.removal().mode().equals("delete");
        String column = deleting ? null : Catalog.quote(file.removal().column());
        String where = removalWhere;
        var parameters = removalParameters;
        long count = removalCount;
        // (owns: table counts without the ownership table; what it deletes is no longer owned, pending or not.)
        ownership.writePending();
        if (deleting) {
            refuseWhileReferenced(where, parameters);
        }
        String shownValue = deleting ? null : "coalesce(t." + column + "::text, 'null')";
        var shownParameters = new ArrayList<Object>();
        if (!deleting && c.tableHasSecretCells) {
            // A removal column whose value came from the environment is shown as ***, as every such cell is.
            shownValue = "CASE WHEN EXISTS (SELECT 1 FROM " + run.secretCellsTable + " m WHERE m.table_name = ? AND m.key_columns = "
                    + "?::text[] AND m.row_key = " + keyExpression("t") + " AND m.column_name = ?) THEN ? ELSE " + shownValue + " END";
            shownParameters.addAll(List.of(table.qualified(), file.key().toArray(String[]::new), file.removal().column(), Secrets.MASK));
        }
        shownParameters.addAll(parameters);
        var removed = query("SELECT " + refs.keyShown("t") + (deleting ? "" : " || E'\\t' || " + shownValue)
                + " FROM " + table.qualified() + " t WHERE " + where + " ORDER BY 1", shownParameters, String.class);
        if (deleting && run.production && !run.allowDelete) {
            problem(SeedError.in(file.displayPath(), file.settings().get("removal"), (run.environment.equals("production") ? "this production run"
                    : "this run for " + run.environment + " (declared production)") + " would delete "
                    + Report.count(count, "row") + " of " + table.name() + " (" + String.join(", ", removed.subList(0, Math.min(5,
                    removed.size()))) + (count > 5 ? ", …" : "") + "), and deleting in production needs --allow-delete")
                    .hint("check the plan; if the deletions are meant, rerun with --allow-delete"));
        }
        for (String removedRow : removed.subList(0, Math.min(removed.size(), Math.max(0, Results.FileOutcome.DETAIL_LIMIT - c.changes.size())))) {
            if (deleting) {
                c.changes.add(new Results.Change(removedRow, null, Results.Action.DELETE, List.of()));
            } else {
                int tab = removedRow.lastIndexOf('\t');
                c.changes.add(new Results.Change(removedRow.substring(0, tab), null, Results.Action.DEACTIVATE,
                        List.of(new Results.ColumnChange(file.removal().column(), removedRow.substring(tab + 1), "false"))));
            }
        }
        var statement = handle.createUpdate(deleting ? "DELETE FROM " + table.qualified() + " t WHERE " + where
                : "UPDATE " + table.qualified() + " t SET " + column + " = false WHERE " + where);
        for (int i = 0; i < parameters.size(); i++) {
            statement.bind(i, parameters.get(i));
        }
        var savepoint = savepoint("seed_removal");
        session.tableChanged(table.qualified());
        try {
            statement.execute();
        } catch (RuntimeException e) {
            var sql = SeedError.causeOf(e, SQLException.class);
            if (sql == null) {
                throw e;
            }
            rollbackTo(savepoint, sql);
            throw writes.constraintError(sql, null);
        }
        if (deleting) {
            c.deleted += count;
            secretCells.forgetDeletedRows();
            int released = handle.createUpdate("DELETE FROM " + run.ownershipTable + " o WHERE o.table_name = ? AND o.file = ? "
                            + "AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + keyExpression("t") + " = o.row_key)")
                    .bind(0, table.qualified()).bind(1, file.name()).execute();
            // None of them is listed (every listed row is in the table): what the file lists, it still owns.
            handle.createUpdate("UPDATE " + run.listingsTable + " SET owned = owned - ? WHERE table_name = ? AND file = ?")
                    .bind(0, released).bind(1, table.qualified()).bind(2, file.name()).execute();
        } else {
            c.deactivated += count;
        }
        return deleting ? removed : removed.stream().map(r -> r.substring(0, r.lastIndexOf('\t'))).toList();
    }

    /** A delete never cascades silently: rows that still refer to a row to delete stop the run, by name. */
    private void refuseWhileReferenced(String where, List<Object> parameters) {
        for (var foreignKey : table.referencedBy()) {
            var from = foreignKey.selfReference() ? table
                    : session.table(foreignKey.fromSchema() + "." + foreignKey.fromTable()).orElseThrow();
            var naming = from.naturalKeys().stream().findFirst().orElse(from.primaryKey());
            String describe = naming == null ? "x.ctid::text" : naming.size() == 1 ? "x." + Catalog.quote(naming.get(0)) + "::text"
                    : "concat_ws(', ', " + naming.stream().map(k -> "x." + Catalog.quote(k) + "::text").collect(Collectors.joining(", ")) + ")";
            String matches = "(" + foreignKey.columns().stream().map(c -> "x." + Catalog.quote(c)).collect(Collectors.joining(", "))
                    + ") IN (SELECT " + foreignKey.toColumns().stream().map(c -> "t." + Catalog.quote(c)).collect(Collectors.joining(", "))
                    + " FROM " + table.qualified() + " t WHERE " + where + ")";
            var params = new ArrayList<>(parameters);
            if (foreignKey.selfReference()) {
                // Rows of the same table that are deleted too may refer to each other.
                matches += " AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + where + " AND t.ctid = x.ctid)";
                params.addAll(parameters);
            }
            var referring = query("SELECT " + describe + " FROM " + from.qualified() + " x WHERE " + matches + " ORDER BY 1 LIMIT 6",
                    params, String.class);
            if (!referring.isEmpty()) {
                throw SeedError.in(file.displayPath(), file.settings().get("removal"), "removal: delete would delete rows of "
                        + table.name() + " that rows of " + from.name() + " still refer to (through " + foreignKey.name() + "): "
                        + String.join(", ", referring.subList(0, Math.min(5, referring.size()))) + (referring.size() > 5 ? ", …" : ""))
                        .hint("deleting them would cascade or fail; use removal: deactivate, or stop referring to them first");
            }
        }
    }
}
