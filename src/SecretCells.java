// Which cells of a table hold a value from the environment (${VAR}), remembered beside the history
// so that no later output shows it; never the value.

/** The marks of one file's cells whose values come from the environment. */
final class SecretCells extends FileContext.Step {

    SecretCells(FileContext c) {
        super(c);
    }

    /** Whether the database remembers cells of this file's table that hold a value from the environment. */
    boolean remembered() {
        if (!run.secretCellsExist) {
            run.secretCellsExist = handle.createQuery("SELECT to_regclass(?) IS NOT NULL").bind(0, run.secretCellsTable)
                    .mapTo(Boolean.class).one();
        }
        return run.secretCellsExist && handle.createQuery("SELECT EXISTS (SELECT 1 FROM " + run.secretCellsTable + " WHERE table_name = ?)")
                .bind(0, table.qualified()).mapTo(Boolean.class).one();
    }

    /** Created like the ownership table, beside the history: the cells, never their values. */
    static String createTable(String quotedName) {
        return """
                CREATE TABLE IF NOT EXISTS %1$s (
                    table_name  text   NOT NULL,
                    key_columns text[] NOT NULL,
                    row_key     text   NOT NULL,
                    column_name text   NOT NULL,
                    template    text,
                    PRIMARY KEY (table_name, key_columns, row_key, column_name)
                );
                COMMENT ON TABLE %1$s IS 'Written by seed_database: which cells hold a value from the environment (${VAR}), so that no output shows it; never the value.';
                """.formatted(quotedName);
    }

    /**
     * The database remembers which cells hold a value from the environment (table, key, column; never
     * the value), so that the value is masked when a later file no longer uses the variable. A cell
     * is named by its row's key as the table holds it, not as the file spells it (1.00 for a numeric
     * 1.0, QUOTES for a citext quotes): every reader of the marks looks them up by the stored row. A cell
     * this file writes forgets its mark when its value is no longer from the environment.
     */
    void record(java.util.Collection<FileContext.Group> groups) {
        if (c.secretCells.isEmpty() && !c.tableHasSecretCells) {
            return;
        }
        session.run(createTable(run.secretCellsTable));
        String[] keyColumns = file.key().toArray(String[]::new);
        var everyRow = c.secretCells.stream().filter(cell -> cell.row() == FileContext.SecretCell.EVERY_ROW).toList();
        var someRows = c.secretCells.stream().filter(cell -> cell.row() != FileContext.SecretCell.EVERY_ROW).toList();
        if (c.tableHasSecretCells) {
            // Only the marks of cells this file now writes with a value not from the environment go: a rerun
            // that marks the same cells rewrites none of them.
            for (var group : groups) {
                handle.createUpdate("DELETE FROM " + run.secretCellsTable + " m USING " + c.stage + " s, " + table.qualified()
                                + " t WHERE " + keyMatch("t", "s") + " AND m.table_name = ? "
                                + "AND m.key_columns = ?::text[] AND m.row_key = " + keyExpression("t") + " AND s." + GROUP + " = ? "
                                + "AND m.column_name = ANY (?) AND m.column_name <> ALL (?) AND NOT EXISTS (SELECT 1 FROM "
                                + "unnest(?::int[], ?::text[]) AS c(row_index, column_name) WHERE c.row_index = s." + ROW
                                + " AND c.column_name = m.column_name)")
                        .bind(0, table.qualified()).bind(1, keyColumns).bind(2, group.id())
                        .bind(3, group.columns().stream().map(Catalog.Column::name).toArray(String[]::new))
                        .bind(4, everyRow.stream().map(FileContext.SecretCell::column).toArray(String[]::new))
                        .bind(5, someRows.stream().map(FileContext.SecretCell::row).toArray(Integer[]::new))
                        .bind(6, someRows.stream().map(FileContext.SecretCell::column).toArray(String[]::new)).execute();
            }
        }
        String insert = "INSERT INTO " + run.secretCellsTable + " AS m (table_name, key_columns, row_key, column_name, template) "
                + "SELECT ?, ?, " + keyExpression("t") + ", c.column_name, c.template FROM " + c.stage + " s JOIN " + table.qualified()
                + " t ON " + keyMatch("t", "s") + " ";
        String upsert = " ON CONFLICT (table_name, key_columns, row_key, column_name) DO UPDATE SET template = EXCLUDED.template"
                + " WHERE m.template IS DISTINCT FROM EXCLUDED.template";
        if (!everyRow.isEmpty()) {
            handle.createUpdate(insert + "CROSS JOIN unnest(?::text[], ?::text[]) AS c(column_name, template)" + upsert)
                    .bind(0, table.qualified()).bind(1, keyColumns)
                    .bind(2, everyRow.stream().map(FileContext.SecretCell::column).toArray(String[]::new))
                    .bind(3, everyRow.stream().map(FileContext.SecretCell::template).toArray(String[]::new)).execute();
        }
        if (!someRows.isEmpty()) {
            handle.createUpdate(insert + "JOIN unnest(?::int[], ?::text[], ?::text[]) AS c(row_index, column_name, template) "
                            + "ON c.row_index = s." + ROW + upsert)
                    .bind(0, table.qualified()).bind(1, keyColumns)
                    .bind(2, someRows.stream().map(FileContext.SecretCell::row).toArray(Integer[]::new))
                    .bind(3, someRows.stream().map(FileContext.SecretCell::column).toArray(String[]::new))
                    .bind(4, someRows.stream().map(FileContext.SecretCell::template).toArray(String[]::new)).execute();
        }
    }

    /** A deleted row's cells hold nothing any more: a row inserted later with the same key starts unmarked. */
    void forgetDeletedRows() {
        if (c.tableHasSecretCells) {
            handle.createUpdate("DELETE FROM " + run.secretCellsTable + " m WHERE m.table_name = ? AND m.key_columns = ?::text[] "
                            + "AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + keyExpression("t") + " = m.row_key)")
                    .bind(0, table.qualified()).bind(1, file.key().toArray(String[]::new)).execute();
        }
    }
}
