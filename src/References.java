// References by natural key: {model_id: gpt-4o} resolved to the id the foreign key holds, and
// foreign key values shown by the natural key of the row they refer to.

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The foreign key columns a file gives by the referenced row's natural key: checked against the
 * catalog, staged as their lookup columns, and resolved in the stage, in layers when rows of the
 * file refer to each other.
 */
final class References extends FileContext.Step {

    /** How the foreign key columns the file does not give by key are shown: by the referred row's natural key, if any. */
    private final Map<String, java.util.Optional<Reference>> shownByKey = new HashMap<>();

    References(FileContext c) {
        super(c);
    }

    /**
     * A foreign key column that rows give as the referenced row's natural key, {model_id: gpt-4o}:
     * the lookup columns (a unique key of the referenced table) are staged beside the column and
     * resolved to the value the foreign key holds.
     */
    record Reference(Catalog.Column column, Catalog.ForeignKey foreignKey, Catalog.Table target, List<String> lookup) {
        String stageColumn(String lookupColumn) {
            return Catalog.quote("ref:" + column.name() + ":" + lookupColumn);
        }
    }

    /** A column a row gives by the referred row's key: checked against the catalog, and the file's reference through it kept. */
    void reference(Catalog.Column column, SeedFile.Value value) {
        var foreignKey = table.referenceFrom(column.name()).orElseThrow(() -> SeedError.in(file.displayPath(), value.pos(),
                column.name() + " is " + column.type() + ": a YAML mapping fits a json or jsonb column, or a foreign key "
                        + "column (to refer to a row by its natural key, as in {model_id: gpt-4o})"));
        var lookup = List.copyOf(value.entries().keySet());
        var known = references.get(column.name());
        var target = known != null ? known.target() : foreignKey.selfReference() ? table
                : session.table(foreignKey.toSchema() + "." + foreignKey.toTable()).orElseThrow();
        for (String name : lookup) {
            if (!target.columns().containsKey(name)) {
                throw SeedError.in(file.displayPath(), value.entries().get(name).columnPos(), column.name() + " refers to "
                        + target.name() + ", which has no column \"" + name + "\"" + SeedError.didYouMean(name, target.columns().keySet()));
            }
            if (value.entries().get(name).kind() == SeedFile.Kind.MAP || value.entries().get(name).kind() == SeedFile.Kind.LIST) {
                throw SeedError.in(file.displayPath(), value.entries().get(name).pos(), column.name() + " refers to "
                        + target.name() + " by " + name + ", whose value must be plain: a reference inside a reference is not "
                        + "supported").hint("refer to the row by a unique key of plain columns, or give the id");
            }
        }
        if (known != null) {
            if (!Set.copyOf(known.lookup()).equals(Set.copyOf(lookup))) {
                throw SeedError.in(file.displayPath(), value.pos(), column.name() + " refers to rows by "
                        + String.join(", ", known.lookup()) + " elsewhere in this file; give the same columns in every row");
            }
            return;
        }
        if (!target.isUnique(lookup)) {
            throw SeedError.in(file.displayPath(), value.pos(), column.name() + " refers to " + target.name() + " by ("
                    + String.join(", ", lookup) + "), which is not a unique key of " + target.name() + ", so it could find more "
                    + "than one row").hint("its unique keys are " + Catalog.keysText(target.uniqueKeys()));
        }
        references.put(column.name(), new Reference(column, foreignKey, target, lookup));
    }

    /**
     * Fills each referencing column from the referenced table, inside the run's transaction, so a
     * row seeded by an earlier file of this run is found. A row that points at a new row of its own
     * table waits for that row: rows are written in layers, parents first. Returns the layers.
     */
    int resolveReferences() {
        var pending = new HashMap<Integer, Integer>();   // row → the new row of this file it points at
        for (var reference : references.values()) {
            fill(reference, null);
            if (reference.foreignKey().selfReference()) {
                rowPairs("SELECT s." + ROW + " AS this_row, p." + ROW + " AS other_row FROM " + c.stage + " s JOIN " + c.stage
                        + " p ON " + reference.lookup().stream().map(k -> "p." + Catalog.quote(k) + " = s." + reference.stageColumn(k))
                        .collect(Collectors.joining(" AND ")) + " WHERE s." + Catalog.quote(reference.column().name()) + " IS NULL")
                        .forEach(pair -> pending.merge(pair.thisRow(), pair.otherRow(), (a, b) -> a));
            }
            var missing = handle.createQuery("SELECT s." + ROW + " FROM " + c.stage + " s WHERE s."
                            + reference.stageColumn(reference.lookup().get(0)) + " IS NOT NULL AND s."
                            + Catalog.quote(reference.column().name()) + " IS NULL ORDER BY s." + ROW)
                    .mapTo(Integer.class).list().stream().filter(row -> !pending.containsKey(row)).findFirst();
            if (missing.isPresent()) {
                throw unresolved(reference, rows.get(missing.get()));
            }
        }
        if (pending.isEmpty()) {
            return 1;
        }
        // Layers: a row whose parent is new in this file comes one layer after it.
        var layer = new HashMap<Integer, Integer>();
        for (int row : pending.keySet()) {
            var path = new ArrayDeque<Integer>();
            int at = row;
            while (pending.containsKey(at) && !layer.containsKey(at)) {
                if (path.contains(at)) {
                    throw SeedError.in(file.displayPath(), rows.get(at).pos(), "rows of " + table.name() + " refer to each "
                            + "other in a cycle: " + path.stream().map(r -> keyText(rows.get(r))).collect(Collectors.joining(" → ")));
                }
                path.push(at);
                at = pending.get(at);
            }
            int depth = layer.getOrDefault(at, 0);
            while (!path.isEmpty()) {
                layer.put(path.pop(), ++depth);
            }
        }
        var byLayer = new TreeMap<Integer, List<Integer>>();
        layer.forEach((row, l) -> byLayer.computeIfAbsent(l, k -> new ArrayList<>()).add(row));
        byLayer.forEach((l, rowsOfLayer) -> handle.createUpdate("UPDATE " + c.stage + " SET " + LAYER + " = ? WHERE " + ROW
                + " = ANY (?)").bind(0, l).bind(1, rowsOfLayer.toArray(Integer[]::new)).execute());
        return byLayer.lastKey() + 1;
    }

    /** Sets the referencing column of the staged rows (of one layer, when given) from the referenced rows. */
    private void fill(Reference reference, Integer layer) {
        var f = reference.foreignKey();
        var update = handle.createUpdate("UPDATE " + c.stage + " s SET " + Catalog.quote(reference.column().name()) + " = r."
                + Catalog.quote(f.toColumns().get(0)) + " FROM " + reference.target().qualified() + " r WHERE "
                + reference.lookup().stream().map(k -> "r." + Catalog.quote(k) + " = s." + reference.stageColumn(k))
                        .collect(Collectors.joining(" AND "))
                + (layer == null ? "" : " AND s." + LAYER + " = ?"));
        if (layer != null) {
            update.bind(0, layer.intValue());
        }
        update.execute();
    }

    void resolveSelfReferences(int layer) {
        for (var reference : references.values()) {
            if (reference.foreignKey().selfReference()) {
                fill(reference, layer);
            }
        }
    }

    private SeedError unresolved(Reference reference, SeedFile.Row row) {
        var value = row.values().get(reference.column().name());
        String wanted = reference.lookup().stream().map(k -> k + " " + value.entries().get(k).text()).collect(Collectors.joining(", "));
        String lookedFor = reference.lookup().size() == 1 ? value.entries().get(reference.lookup().get(0)).text() : null;
        String suggestion = "";
        if (lookedFor != null) {
            var candidates = handle.createQuery("SELECT " + Catalog.quote(reference.lookup().get(0)) + "::text FROM "
                    + reference.target().qualified() + " LIMIT 10000").mapTo(String.class).list();
            suggestion = SeedError.didYouMean(lookedFor, candidates);
        }
        return SeedError.in(file.displayPath(), value.pos(), "row " + keyText(row) + ": " + reference.column().name()
                + " refers to the " + reference.target().name() + " row with " + wanted + ", and there is none" + suggestion)
                .hint(run.subset ? "this run applies only some of the seed files (seed FILE…, --only), so a referenced row "
                        + "must be in the table already: apply the file of " + reference.target().name() + " too, or first"
                        : "a referenced row must be in the table, or in a seed file applied before this one");
    }

    /**
     * How a column's value is shown in a change: its text, or for a reference the natural key of
     * the row it points at (gpt-4o rather than a uuid).
     */
    String shownValue(Catalog.Column column, String alias) {
        // numeric(p,s) values are staged as numeric (to refuse, not round, extra decimals): shown as stored.
        String plain = alias + "." + Catalog.quote(column.name()) + (column.numericScale() != null ? "::" + column.type() : "")
                + "::text";
        var shown = naturalKeyOf(column);
        if (shown == null) {
            return plain;
        }
        String lookup = shown.lookup().size() == 1 ? "r." + Catalog.quote(shown.lookup().get(0)) + "::text"
                : "ROW(" + shown.lookup().stream().map(k -> "r." + Catalog.quote(k)).collect(Collectors.joining(", ")) + ")::text";
        // The referred row's natural key; the plain value if (for a moment) there is no such row.
        return "coalesce((SELECT " + lookup + " FROM " + shown.target().qualified() + " r WHERE r."
                + Catalog.quote(shown.foreignKey().toColumns().get(0)) + " = " + alias + "." + Catalog.quote(column.name()) + "), "
                + plain + ")";
    }

    /**
     * How a foreign key column is shown: by the natural key of the row it refers to — the columns
     * the file refers by, or else the referred table's first unique key that is not its primary key.
     * Null for other columns.
     */
    private Reference naturalKeyOf(Catalog.Column column) {
        if (references.containsKey(column.name())) {
            return references.get(column.name());
        }
        return shownByKey.computeIfAbsent(column.name(), name -> table.referenceFrom(name).flatMap(foreignKey -> {
            var target = foreignKey.selfReference() ? table
                    : session.table(foreignKey.toSchema() + "." + foreignKey.toTable()).orElse(null);
            if (target == null) {
                return java.util.Optional.empty();
            }
            return target.naturalKeys().stream().findFirst().map(lookup -> new Reference(column, foreignKey, target, lookup));
        })).orElse(null);
    }

    /** A row's key as people read it: a key column that refers to another row shows that row's natural key. */
    String keyShown(String alias) {
        var shown = file.key().stream().map(k -> shownValue(table.columns().get(k), alias)).toList();
        return shown.size() == 1 ? shown.get(0) : "ROW(" + String.join(", ", shown) + ")::text";
    }

    /** A row's key as text, as the ownership and secret cells tables keep it. */
    static String keyExpression(String alias, List<String> key) {
        return key.size() == 1 ? alias + "." + Catalog.quote(key.get(0)) + "::text"
                : "ROW(" + key.stream().map(k -> alias + "." + Catalog.quote(k)).collect(Collectors.joining(", ")) + ")::text";
    }
}
