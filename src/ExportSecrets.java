// Export's view of the cells whose values came from the environment (${VAR}), as the table beside the seed history
// remembers them: export writes such a cell as its ${VAR}, never as the value.

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

final class ExportSecrets {
    private ExportSecrets() {
    }

    /** A cell that holds a value from the environment: the key its row was seeded with, that key's value, the ${VAR}. */
    private record SecretCell(List<String> keyColumns, String rowKey, String columnName, String template) {}

    /**
     * The cells of the table that hold a value from the environment, by the key they were seeded
     * with (its columns), then the row's key as text, then the column: the ${VAR} template each came from.
     */
    static Map<List<String>, Map<String, Map<String, String>>> read(Handle handle, String secretCellsTable, Catalog.Table table) {
        var cells = new LinkedHashMap<List<String>, Map<String, Map<String, String>>>();
        if (!handle.createQuery("SELECT to_regclass(?) IS NOT NULL").bind(0, secretCellsTable).mapTo(Boolean.class).one()) {
            return cells;
        }
        handle.createQuery("SELECT key_columns, row_key, column_name, template FROM " + secretCellsTable + " WHERE table_name = ?")
                .bind(0, table.qualified())
                .registerRowMapper(ConstructorMapper.factory(SecretCell.class)).mapTo(SecretCell.class)
                .forEach(cell -> {
                    if (table.columns().keySet().containsAll(cell.keyColumns())) {   // a key column dropped since: no row has that key
                        cells.computeIfAbsent(List.copyOf(cell.keyColumns()), k -> new LinkedHashMap<>())
                                .computeIfAbsent(cell.rowKey(), k -> new LinkedHashMap<>()).put(cell.columnName(), cell.template());
                    }
                });
        return cells;
    }

    /**
     * A cell whose value came from the environment is written as the ${VAR} it came from, never as
     * the value: the file then reads it from the environment again. A value from the environment
     * inside a JSON value or an array has no such form: the export stops, naming the cell.
     */
    static void mask(Map<String, Object> row, Map<String, String> cells, String rowName) {
        cells.forEach((column, template) -> {
            if (!row.containsKey(column)) {
                return;
            }
            if (template == null) {
                throw Export.tableError("the column " + column + " of the row " + rowName + " holds a value that came from the "
                        + "environment (a ${VAR} inside it), which export does not show", "write that value in the seed "
                        + "file by hand; export the other columns with --where to leave the row out");
            }
            row.put(column, new SeedYaml.Template(template));
        });
    }
}
