// The target table as PostgreSQL describes it: seed files are checked against this.

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jdbi.v3.core.Handle;

final class Catalog {

    /**
     * A table: its columns, its unique keys, the foreign keys that leave it (references: what its
     * columns point at) and those that arrive at it (referencedBy: who points at it).
     */
    record Table(String schema, String name, Map<String, Column> columns, List<List<String>> uniqueKeys,
                 List<String> primaryKey, List<ForeignKey> references, List<ForeignKey> referencedBy) {
        /** Its schema and name: agrees with equals, without hashing every column and key at each lookup. */
        @Override
        public int hashCode() {
            return java.util.Objects.hash(schema, name);
        }

        String qualified() {
            return quote(schema) + "." + quote(name);
        }

        boolean isUnique(List<String> columnNames) {
            return uniqueKeys.stream().anyMatch(k -> Set.copyOf(k).equals(Set.copyOf(columnNames)));
        }

        /**
         * The unique keys that are not the primary key, each once (a unique constraint and a unique
         * index on the same columns are one key): the candidates for a natural key.
         */
        List<List<String>> naturalKeys() {
            var keys = new LinkedHashMap<Set<String>, List<String>>();
            uniqueKeys.stream().filter(k -> primaryKey == null || !Set.copyOf(k).equals(Set.copyOf(primaryKey)))
                    .forEach(k -> keys.putIfAbsent(Set.copyOf(k), k));
            return List.copyOf(keys.values());
        }

        /** The foreign key that leaves from exactly this one column, if there is one. */
        java.util.Optional<ForeignKey> referenceFrom(String column) {
            return references.stream().filter(f -> f.columns().equals(List.of(column))).findFirst();
        }
    }

    /** A foreign key: columns of one table that hold the values of (usually the key of) another's. */
    record ForeignKey(String name, String fromSchema, String fromTable, List<String> columns, String toSchema, String toTable,
                      List<String> toColumns) {
        String from() {
            return quote(fromSchema) + "." + quote(fromTable);
        }

        String to() {
            return quote(toSchema) + "." + quote(toTable);
        }

        boolean selfReference() {
            return from().equals(to());
        }
    }

    /**
     * A column; collation is the column's own when it is nondeterministic (case-insensitive, say:
     * then text that is not the same may be equal), qualified and quoted, else null (equal is the same).
     */
    record Column(String name, String type, char category, String baseType, boolean array, char elementCategory,
                  String elementType, boolean notNull, boolean hasDefault, boolean generated, boolean identityAlways,
                  String collation) {

        /**
         * The scale of a numeric(p,s) column, or of the elements of a numeric(p,s)[] column: values
         * with more decimals would be rounded. Null for other types.
         */
        Integer numericScale() {
            var m = NUMERIC_TYPE.matcher(type);
            return m.matches() ? Integer.valueOf(m.group(2)) : null;
        }

        /** The largest absolute value a numeric(p,s) column (or element) cannot hold, 10^(p-s); null for other types. */
        java.math.BigDecimal numericLimit() {
            var m = NUMERIC_TYPE.matcher(type);
            return m.matches() ? java.math.BigDecimal.TEN.pow(Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2))) : null;
        }

        /** The type a value is staged as: a numeric(p,s) one as numeric, so that more decimals are refused, not rounded. */
        String stagedType() {
            return numericScale() == null ? type : array ? "numeric[]" : "numeric";
        }

        /**
         * A stage's column for this one: of its staged type, in its collation when that is nondeterministic,
         * so that the stage tells two keys apart exactly when the table does (a and A, case-insensitively, are one).
         */
        String stagedColumn() {
            return stagedType() + (collation == null ? "" : " COLLATE " + collation);
        }

        boolean json() {
            return baseType.equals("json") || baseType.equals("jsonb");
        }

        boolean elementJson() {
            return "json".equals(elementType) || "jsonb".equals(elementType);
        }

        /** The expression compared to decide whether a value changed; json has no equality, xml and geometry neither. */
        String comparable(String alias) {
            return comparableValue(alias + "." + quote(name));
        }

        /**
         * The same for any expression of this column's type (its default, say). Text is compared
         * byte for byte where its own = would not: in a nondeterministic collation (case-insensitive,
         * say) and as citext, ALICE equals Alice, and a file that changes only a value's case would
         * never be written. (A key is still matched by its column's =: FileContext's keyMatch.)
         */
        String comparableValue(String column) {
            // An enum by its label: PostgreSQL finds no = for a domain over a domain over an enum.
            if (array) {
                return elementJson() || elementCategory == 'G' || elementCategory == 'E' || "xml".equals(elementType)
                        || "citext".equals(elementType) ? column + "::text" : exact(column);
            }
            if (baseType.equals("json")) {
                return column + "::jsonb";
            }
            return category == 'G' || category == 'E' || baseType.equals("xml") || baseType.equals("citext") ? column + "::text"
                    : exact(column);
        }

        private String exact(String column) {
            return collation == null ? column : "(" + column + ") COLLATE \"C\"";
        }
    }

    private static final java.util.regex.Pattern NUMERIC_TYPE = java.util.regex.Pattern.compile("numeric\\((\\d+),(\\d+)\\)(\\[])?");

    /** An identifier from the catalog, quoted for SQL. */
    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** The table a seed file names; an error at its table: setting if there is none. */
    static Table table(Handle handle, SeedFile file) {
        return table(handle, file.table(), file.displayPath(), file.tablePos());
    }

    /** A table by name; an error (at the file and position, when given) with the closest name if there is none. */
    static Table table(Handle handle, String qualifiedName, String file, SeedFile.Pos pos) {
        return find(handle, qualifiedName).orElseThrow(() -> {
            var tables = handle.createQuery("""
                            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))""")
                    .mapTo(String.class).list();
            return SeedError.in(file, pos, "the database has no table \"" + qualifiedName + "\""
                    + SeedError.didYouMean(qualifiedName, tables)).hint("tables are created by migrations: check the name, "
                    + "or add a migration that creates it");
        });
    }

    /** Unique keys as a person reads them: (model_id) or (exchange, symbol). */
    static String keysText(List<List<String>> keys) {
        return keys.stream().map(k -> "(" + String.join(", ", k) + ")").collect(java.util.stream.Collectors.joining(" or "));
    }

    /** A table by name (schema.name, or name on the search path), exactly as the catalog spells it. */
    static java.util.Optional<Table> find(Handle handle, String qualifiedName) {
        return findAll(handle, List.of(qualifiedName)).get(qualifiedName);
    }

    /**
     * Tables by name, each as {@link #find} finds it, in a few queries for all of them (a run's
     * files: each query is planned once, not once a table).
     */
    static Map<String, java.util.Optional<Table>> findAll(Handle handle, java.util.Collection<String> qualifiedNames) {
        var names = List.copyOf(new java.util.LinkedHashSet<>(qualifiedNames));
        var schemas = new String[names.size()];
        var relations = new String[names.size()];
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            int dot = name.indexOf('.');
            boolean qualified = dot > 0 && dot == name.lastIndexOf('.');
            // "" for none, not a null element: under the database's array_nulls = off the driver's NULL would be a name.
            schemas[i] = qualified ? name.substring(0, dot) : "";
            relations[i] = qualified ? name.substring(dot + 1) : name;
        }
        // The schemas first, then each one's table by the catalog's unique indexes: a join of pg_class with pg_namespace
        // filtered by the search path would be planned, without statistics, as a loop over every schema (a database of a
        // thousand tenant schemas: most of a second per lookup).
        var oids = new Long[names.size()];
        handle.createQuery("""
                        SELECT q.i, (SELECT c.oid::bigint
                                     FROM unnest(CASE WHEN q.schema = '' THEN current_schemas(false) ELSE ARRAY[q.schema::name] END)
                                          WITH ORDINALITY AS s (nspname, position)
                                     JOIN pg_namespace n ON n.nspname = s.nspname
                                     JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = q.name
                                     WHERE c.relkind IN ('r', 'p')
                                     ORDER BY s.position
                                     LIMIT 1)
                        FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS q (schema, name, i)""")
                .bind(0, schemas).bind(1, relations)
                .map((rs, ctx) -> oids[rs.getInt(1) - 1] = rs.getObject(2) == null ? null : rs.getLong(2)).forEach(oid -> { });
        var described = describe(handle, java.util.Arrays.stream(oids).filter(java.util.Objects::nonNull).distinct().toList());
        var found = new LinkedHashMap<String, java.util.Optional<Table>>();
        for (int i = 0; i < names.size(); i++) {
            found.put(names.get(i), java.util.Optional.ofNullable(oids[i] == null ? null : described.get(oids[i])));
        }
        return found;
    }

    /** A table by its oid, described. */
    static Table table(Handle handle, long oid) {
        return describe(handle, List.of(oid)).get(oid);
    }

    /** Tables by their oids, described: one query for their names, one for their columns, keys, foreign keys. */
    static Map<Long, Table> describe(Handle handle, List<Long> oids) {
        var described = new LinkedHashMap<Long, Table>();
        if (oids.isEmpty()) {
            return described;
        }
        Long[] relations = oids.toArray(Long[]::new);
        var names = new java.util.HashMap<Long, String[]>();
        handle.createQuery("SELECT c.oid::bigint, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        + "WHERE c.oid = ANY (?::oid[])")
                .bind(0, relations).map((rs, ctx) -> names.put(rs.getLong(1), new String[]{rs.getString(2), rs.getString(3)}))
                .forEach(name -> { });
        var columns = new java.util.HashMap<Long, Map<String, Column>>();
        handle.createQuery("""
                        SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typcategory, bt.typname,
                               bt.typcategory = 'A', coalesce(et.typcategory, ' '), et.typname,
                               a.attnotnull, a.atthasdef OR a.attidentity <> '', a.attgenerated <> '', a.attidentity = 'a',
                               (SELECT quote_ident(n.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co
                                JOIN pg_namespace n ON n.oid = co.collnamespace
                                WHERE co.oid = a.attcollation AND NOT co.collisdeterministic),
                               a.attrelid::bigint
                        FROM pg_attribute a
                        JOIN pg_type t ON t.oid = a.atttypid
                        JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
                        LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
                        WHERE a.attrelid = ANY (?::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
                        ORDER BY a.attrelid, a.attnum""")
                .bind(0, relations)
                .map((rs, ctx) -> Map.entry(rs.getLong(13), new Column(rs.getString(1), rs.getString(2), rs.getString(3).charAt(0),
                        rs.getString(4), rs.getBoolean(5), rs.getString(6).charAt(0), rs.getString(7),
                        rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10), rs.getBoolean(11), rs.getString(12))))
                .forEach(c -> columns.computeIfAbsent(c.getKey(), k -> new LinkedHashMap<>()).put(c.getValue().name(), c.getValue()));
        var uniqueKeys = new java.util.HashMap<Long, List<List<String>>>();
        var primaryKeys = new java.util.HashMap<Long, List<String>>();
        handle.createQuery("""
                        SELECT array_agg(a.attname::text ORDER BY k.position), bool_or(i.indisprimary), i.indrelid::bigint
                        FROM pg_index i
                        CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                        WHERE i.indrelid = ANY (?::oid[]) AND i.indisunique AND i.indimmediate AND i.indisvalid
                          AND i.indpred IS NULL AND i.indexprs IS NULL AND k.position <= i.indnkeyatts
                        GROUP BY i.indrelid, i.indexrelid
                        -- A key is matched by = in its columns' collations: an index in another collation is a key of a
                        -- column whose collation is deterministic (there equal is the same text, and an index unique in any
                        -- collation lets no two rows be the same text), but not of a case-insensitive column (an index
                        -- unique byte for byte there would let one key of a file find two rows).
                        HAVING bool_and(i.indcollation[k.position - 1] = a.attcollation OR NOT EXISTS (
                            SELECT FROM pg_collation co WHERE co.oid = a.attcollation AND NOT co.collisdeterministic))
                        ORDER BY i.indrelid, bool_or(i.indisprimary) DESC, i.indexrelid""")
                .bind(0, relations)
                .map((rs, ctx) -> {
                    long relation = rs.getLong(3);
                    var key = List.of((String[]) rs.getArray(1).getArray());
                    uniqueKeys.computeIfAbsent(relation, r -> new ArrayList<>()).add(key);
                    if (rs.getBoolean(2)) {
                        primaryKeys.putIfAbsent(relation, key);
                    }
                    return key;
                })
                .forEach(key -> { });
        record Found(long from, long to, ForeignKey key) {}
        var foreignKeys = handle.createQuery("""
                        SELECT c.conname, fn.nspname, fc.relname,
                               array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i),
                               tn.nspname, tc.relname,
                               array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i),
                               c.conrelid::bigint, c.confrelid::bigint
                        FROM pg_constraint c
                        JOIN pg_class fc ON fc.oid = c.conrelid JOIN pg_namespace fn ON fn.oid = fc.relnamespace
                        JOIN pg_class tc ON tc.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
                        WHERE c.contype = 'f' AND (c.conrelid = ANY (?::oid[]) OR c.confrelid = ANY (?::oid[]))
                        ORDER BY c.conname""")
                .bind(0, relations).bind(1, relations)
                .map((rs, ctx) -> new Found(rs.getLong(8), rs.getLong(9), new ForeignKey(rs.getString(1), rs.getString(2),
                        rs.getString(3), List.of((String[]) rs.getArray(4).getArray()), rs.getString(5), rs.getString(6),
                        List.of((String[]) rs.getArray(7).getArray()))))
                .list();
        for (long oid : oids) {
            var name = names.get(oid);
            if (name == null) {
                continue;   // dropped since it was found
            }
            var references = foreignKeys.stream().filter(f -> f.from() == oid).map(Found::key).toList();
            var referencedBy = foreignKeys.stream().filter(f -> f.to() == oid).map(Found::key).toList();
            described.put(oid, new Table(name[0], name[1], columns.getOrDefault(oid, new LinkedHashMap<>()),
                    uniqueKeys.getOrDefault(oid, new ArrayList<>()), primaryKeys.get(oid), new ArrayList<>(references),
                    new ArrayList<>(referencedBy)));
        }
        return described;
    }
}
