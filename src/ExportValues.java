// How export reads a column's value as text and turns that text into the value a seed file
// writes: PostgreSQL's own output, JSON for json and arrays, base64 for bytea.

import java.util.List;

final class ExportValues {
    private ExportValues() {
    }

    /** A column's value as text the file can hold: PostgreSQL's own output, JSON for json and arrays, base64 for bytea. */
    static String asText(Catalog.Column column, String value) {
        if (column.array()) {
            // Each element as its type's text, keeping NULLs and the dimensions: [["1.10", null], ["2", "3"]].
            return "array_to_json(" + value + "::text[])::text";
        }
        if (column.json()) {
            return value + "::jsonb::text";
        }
        if (column.baseType().equals("bytea")) {
            return "translate(encode(" + value + "::bytea, 'base64'), E'\\n', '')";
        }
        return value + "::text";
    }

    /** A column's text as the file writes it, as its type reads it; a value the file cannot write stops the export. */
    static Object value(Catalog.Column column, String text, String tableName, String rowName) {
        if (column.array()) {
            return element(column, Json.parse(text), tableName, rowName);
        }
        if (column.json()) {
            return json(column, text, tableName, rowName);
        }
        if (column.baseType().equals("bytea")) {
            return new SeedYaml.Binary(text);
        }
        return SeedYaml.typed(text, column.category());
    }

    /** An array element (or a list of them, for more dimensions), as its element type reads it. */
    private static Object element(Catalog.Column column, Object item, String tableName, String rowName) {
        if (item instanceof List<?> list) {
            return list.stream().map(i -> element(column, i, tableName, rowName)).toList();
        }
        if (item == null || !column.elementJson()) {
            return item == null ? null : SeedYaml.typed((String) item, column.elementCategory());
        }
        var json = json(column, (String) item, tableName, rowName);
        if (json instanceof List) {
            // A YAML list in an array is one more dimension, not a JSON array.
            throw cannotWrite(column, tableName, rowName, "a JSON array as an element of an array");
        }
        return json;
    }

    private static Object json(Catalog.Column column, String text, String tableName, String rowName) {
        Object json = Json.parse(text);
        if (json == null) {
            throw cannotWrite(column, tableName, rowName, "JSON's null (null in a seed file is SQL NULL)");
        }
        return SeedYaml.fromJson(json);
    }

    private static SeedError cannotWrite(Catalog.Column column, String tableName, String rowName, String what) {
        return Export.tableError("row " + rowName + " of " + tableName + ": " + column.name() + " holds " + what
                + ", which a seed file cannot write", "leave the row out with --where");
    }
}
