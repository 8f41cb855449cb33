// The target table as PostgreSQL describes it: seed files are checked against this.

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.jdbi.v3.core.Handle;

final class Catalog {

    record Table(String schema, String name, Map<String, Column> columns, List<List<String>> uniqueKeys) {
        String qualified() {
            return quote(schema) + "." + quote(name);
        }
    }

    record Column(String name, String type, char category, String baseType, boolean array, char elementCategory,
                  String elementType, boolean notNull, boolean hasDefault, boolean generated, boolean identityAlways) {

        /** The scale of a numeric(p,s) column: values with more decimals would be rounded. Null for other types. */
        Integer numericScale() {
            var m = java.util.regex.Pattern.compile("numeric\\(\\d+,(\\d+)\\)").matcher(type);
            return !array && m.matches() ? Integer.valueOf(m.group(1)) : null;
        }

        boolean json() {
            return baseType.equals("json") || baseType.equals("jsonb");
        }

        boolean elementJson() {
            return "json".equals(elementType) || "jsonb".equals(elementType);
        }

        /** The expression compared to decide whether a value changed; json has no equality, xml and geometry neither. */
        String comparable(String alias) {
            String column = alias + "." + quote(name);
            if (array) {
                return elementJson() || elementCategory == 'G' || "xml".equals(elementType) ? column + "::text" : column;
            }
            if (baseType.equals("json")) {
                return column + "::jsonb";
            }
            return category == 'G' || baseType.equals("xml") ? column + "::text" : column;
        }
    }

    /** An identifier from the catalog, quoted for SQL. */
    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static Table table(Handle handle, SeedFile file) {
        String schema = null, name = file.table();
        int dot = name.indexOf('.');
        if (dot > 0 && dot == name.lastIndexOf('.')) {
            schema = name.substring(0, dot);
            name = name.substring(dot + 1);
        }
        var found = handle.createQuery("""
                        SELECT n.nspname, c.relname, c.oid::bigint
                        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                        WHERE c.relname = ? AND c.relkind IN ('r', 'p')
                          AND CASE WHEN ?::text IS NULL THEN n.nspname = ANY (current_schemas(false)) ELSE n.nspname = ? END
                        ORDER BY array_position(current_schemas(false), n.nspname)
                        LIMIT 1""")
                .bind(0, name).bind(1, schema).bind(2, schema)
                .map((rs, ctx) -> new Object[]{rs.getString(1), rs.getString(2), rs.getLong(3)})
                .findOne();
        if (found.isEmpty()) {
            var tables = handle.createQuery("""
                            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))""")
                    .mapTo(String.class).list();
            throw SeedError.in(file.displayPath(), file.tablePos(), "the database has no table \"" + file.table() + "\""
                    + SeedError.didYouMean(file.table(), tables)).hint("tables are created by migrations: check the name, "
                    + "or add a migration that creates it");
        }
        long oid = (Long) found.get()[2];
        var columns = new LinkedHashMap<String, Column>();
        handle.createQuery("""
                        SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typcategory, bt.typname,
                               bt.typcategory = 'A', coalesce(et.typcategory, ' '), et.typname,
                               a.attnotnull, a.atthasdef OR a.attidentity <> '', a.attgenerated <> '', a.attidentity = 'a'
                        FROM pg_attribute a
                        JOIN pg_type t ON t.oid = a.atttypid
                        JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
                        LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
                        WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
                        ORDER BY a.attnum""")
                .bind(0, oid)
                .map((rs, ctx) -> new Column(rs.getString(1), rs.getString(2), rs.getString(3).charAt(0),
                        rs.getString(4), rs.getBoolean(5), rs.getString(6).charAt(0), rs.getString(7),
                        rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10), rs.getBoolean(11)))
                .forEach(c -> columns.put(c.name(), c));
        var uniqueKeys = handle.createQuery("""
                        SELECT array_agg(a.attname::text ORDER BY k.position)
                        FROM pg_index i
                        CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                        WHERE i.indrelid = ? AND i.indisunique AND i.indimmediate AND i.indisvalid
                          AND i.indpred IS NULL AND i.indexprs IS NULL AND k.position <= i.indnkeyatts
                        GROUP BY i.indexrelid""")
                .bind(0, oid)
                .map((rs, ctx) -> List.of((String[]) rs.getArray(1).getArray()))
                .list();
        return new Table((String) found.get()[0], (String) found.get()[1], columns, uniqueKeys);
    }
}
