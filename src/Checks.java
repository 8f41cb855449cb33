// What a file's rows must be before anything is written: names in the catalog, keys given once
// and by one file, values their columns can hold.

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The checks of one seed file against its table: its key and settings, each row's columns (row by
 * row, or for rows that all give the columns of a header, that header once), duplicate keys, keys
 * another file gives, and the values a new row must give.
 */
final class Checks extends FileContext.Step {

    private final References refs;

    Checks(FileContext c, References refs) {
        super(c);
        this.refs = refs;
    }

    /** Checks every name against the catalog and every key for presence; returns the rows' column groups. */
    Map<List<String>, FileContext.Group> validate() {
        for (String keyColumn : file.key()) {
            if (!table.columns().containsKey(keyColumn)) {
                throw unknownColumn(keyColumn, file.keyPos());
            }
        }
        if (!table.isUnique(file.key())) {
            String existing = Catalog.keysText(table.uniqueKeys());
            throw SeedError.in(file.displayPath(), file.keyPos(), "the key (" + String.join(", ", file.key())
                    + ") is not unique in " + table.name() + ": no unique constraint covers exactly these columns")
                    .hint(existing.isEmpty() ? "add one in a migration: ALTER TABLE " + table.name() + " ADD UNIQUE ("
                            + String.join(", ", file.key()) + ")" : "its unique keys are " + existing);
        }
        if (file.removal().mode().equals("deactivate")) {
            var column = table.columns().get(file.removal().column());
            if (column == null || !column.baseType().equals("bool")) {
                throw SeedError.in(file.displayPath(), file.settings().get("removal"), "removal deactivates through "
                        + file.removal().column() + ", which " + (column == null ? "table " + table.name() + " does not have"
                        : "is " + column.type() + ", not boolean")).hint("name the table's boolean column: removal: {deactivate: <column>}");
            }
        }
        if (file.ownsTable() && file.removal().keeps()) {
            throw SeedError.in(file.displayPath(), file.settings().get("owns"), "owns: table only matters with a removal "
                    + "mode that removes (deactivate or delete)");
        }
        if (file.ownsTable() && !run.otherFilesOf(file, table).isEmpty()) {
            throw SeedError.in(file.displayPath(), file.settings().get("owns"), "owns: table says this file owns every row of "
                    + table.name() + ", but " + run.otherFilesOf(file, table).stream().map(SeedFile::name).collect(Collectors.joining(", "))
                    + " seeds it too").hint("owns: table is for the only seed file of a table; without it, each file owns the rows it seeded");
        }
        validateGenerated();
        var groups = new LinkedHashMap<List<String>, FileContext.Group>();
        var written = rows.asWritten();
        if (written == null) {
            c.rowGroup = new int[rows.size()];
            rows.forEach((row, i) -> {
                if (i >= c.refusedRow) {
                    return;
                }
                try {
                    // ${VAR} is for YAML files (a CSV file's values are all written in it, its defaults are YAML):
                    // the database remembers which cells hold a value from the environment, to mask it ever after.
                    row.values().forEach((name, value) -> {
                        if (value.fromEnvironment()) {
                            c.secretCells.add(new FileContext.SecretCell(i, name, value.template()));
                        }
                    });
                    checkKey(row);
                    checkColumns(row);
                    c.rowGroup[i] = group(groups, row);
                } catch (SeedError refused) {
                    c.refuse(i, refused);
                }
            });
        } else {
            // Every row of a CSV file gives the columns of its header: checked once, each row's values as it is staged.
            var shape = written.shape();
            shape.values().forEach((name, value) -> {
                if (value.fromEnvironment()) {
                    c.secretCells.add(new FileContext.SecretCell(FileContext.SecretCell.EVERY_ROW, name, value.template()));
                }
            });
            checkColumns(shape);
            int id = group(groups, shape);
            c.streamedGroup = groups.values().stream().filter(g -> g.id() == id).findFirst().orElseThrow();
        }
        return groups;
    }

    /** The group of the rows that give the same columns as this one. */
    private int group(Map<List<String>, FileContext.Group> groups, SeedFile.Row row) {
        var names = table.columns().keySet().stream().filter(row.values()::containsKey).toList();
        return groups.computeIfAbsent(names, n -> new FileContext.Group(groups.size() + 1, n.stream().map(table.columns()::get).toList()))
                .id();
    }

    /** A row's key is written in the file (that it is given at all is a rule over the stage). */
    private void checkKey(SeedFile.Row row) {
        for (String keyColumn : file.key()) {
            var value = row.values().get(keyColumn);
            if (value != null && value.fromEnvironment()) {
                throw SeedError.in(file.displayPath(), value.pos(), "the key column " + keyColumn + " takes its value "
                        + "from the environment (" + value.template() + ")").hint("a key names a row in every plan, diff and "
                        + "history, so it cannot be a secret: write it in the file");
            }
        }
    }

    /** The columns a row gives: each in the table, none generated by the database, and references resolvable. */
    private void checkColumns(SeedFile.Row row) {
        for (var entry : row.values().entrySet()) {
            var column = table.columns().get(entry.getKey());
            var value = entry.getValue();
            if (column == null) {
                throw unknownColumn(entry.getKey(), value.columnPos());
            }
            if (column.generated() || column.identityAlways()) {
                throw SeedError.in(file.displayPath(), value.pos(), "column " + column.name()
                        + " is generated by the database and cannot be given a value");
            }
            if (value.kind() == SeedFile.Kind.MAP && !column.json()) {
                refs.reference(column, value);
            }
        }
    }

    /** A generate: rule fills a column that a new row leaves out: one the database leaves to the application. */
    private void validateGenerated() {
        for (var rule : file.generated().values()) {
            var column = table.columns().get(rule.column());
            if (column == null) {
                throw unknownColumn(rule.column(), rule.pos());
            }
            String refusal = file.key().contains(column.name()) ? "is part of the key, which every row gives"
                    : column.generated() || column.identityAlways() ? "is generated by the database"
                    : !column.baseType().equals("uuid") && column.category() != 'S' ? "is " + column.type() + ", and "
                            + rule.rule() + " makes a uuid (for a uuid or text column)"
                    : null;
            if (refusal != null) {
                throw SeedError.in(file.displayPath(), rule.pos(), "generate: " + column.name() + " " + refusal);
            }
        }
    }

    private SeedError unknownColumn(String name, SeedFile.Pos pos) {
        return SeedError.in(file.displayPath(), pos, "table " + table.name() + " has no column \"" + name + "\""
                + SeedError.didYouMean(name, table.columns().keySet()));
    }

    /**
     * A rule over the stage, of a column a row gives (or of a lookup of a reference it gives, then
     * of the referred table's column): the staged column, its condition on a staged row s, and the
     * parameters it binds.
     */
    private record Rule(String given, Catalog.Table owner, Catalog.Column column, String lookup, RuleKind kind, String staged,
                        String condition, List<Object> parameters) {}

    private enum RuleKind { KEY, NOT_NULL, DECIMALS, DIGITS }

    /**
     * The rules of a row's values, for YAML and CSV rows alike, over every staged row at once: a
     * key, NOT NULL columns (in the rows that give them), and no more decimals than a numeric(p,s)
     * column (or each element of a numeric(p,s)[] one) keeps. The first row that fails, in file
     * order, is the error; only its wording is Java's. The stage ends before a row the tool or COPY
     * already refused: that refusal is the error when no row before it fails.
     */
    void checkStagedValues(List<Catalog.Column> used, java.util.Collection<FileContext.Group> groups) {
        var rules = new ArrayList<Rule>();
        for (var c : used) {
            boolean key = file.key().contains(c.name());
            var reference = references.get(c.name());
            // A column not every group gives is NULL in the rows of the others: they keep its value.
            var giving = groups.stream().filter(g -> g.columns().contains(c)).map(FileContext.Group::id).toArray(Integer[]::new);
            boolean some = !key && giving.length < groups.size();
            String column = "s." + Catalog.quote(c.name());
            if (key || c.notNull()) {
                String isNull = column + " IS NULL" + (reference == null ? "" : reference.lookup().stream()
                        .map(k -> " AND s." + reference.stageColumn(k) + " IS NULL").collect(Collectors.joining()));
                rules.add(new Rule(c.name(), table, c, null, key ? RuleKind.KEY : RuleKind.NOT_NULL, column,
                        some ? "(s." + GROUP + " = ANY (?) AND " + isNull + ")" : "(" + isNull + ")", some ? List.of((Object) giving) : List.of()));
            }
            rules.addAll(numeric(c.name(), table, c, null, column));
            if (reference != null) {
                reference.lookup().forEach(k -> rules.addAll(numeric(c.name(), reference.target(), reference.target().columns().get(k), k,
                        "s." + reference.stageColumn(k))));
            }
        }
        if (!rules.isEmpty()) {
            var parameters = rules.stream().flatMap(r -> r.parameters().stream()).toList();
            // The first row that breaks a rule (one scan; which rule, then asked of that row alone).
            var failing = query("SELECT s." + ROW + " FROM " + c.stage + " s WHERE " + rules.stream().map(Rule::condition)
                    .collect(Collectors.joining(" OR ")) + " ORDER BY s." + ROW + " LIMIT 1", parameters, Integer.class);
            for (int row : failing) {
                var broken = new ArrayList<Object>(parameters);
                broken.add(row);
                int rule = query("SELECT array_position(ARRAY[" + rules.stream().map(Rule::condition).collect(Collectors.joining(", "))
                        + "], true) FROM " + c.stage + " s WHERE s." + ROW + " = ?", broken, Integer.class).get(0);
                throw broken(rules.get(rule - 1), row);
            }
        }
        if (c.refusal != null) {
            throw c.refusal;
        }
    }

    /**
     * The rules of a numeric(p,s) column (or of each element of a numeric(p,s)[] one): no more
     * decimals than it keeps, and no more digits before them than it holds.
     */
    private static List<Rule> numeric(String given, Catalog.Table owner, Catalog.Column c, String lookup, String staged) {
        if (c.numericScale() == null) {
            return List.of();
        }
        String e = c.array() ? "e" : staged;
        String decimals = e + " <> round(" + e + ", ?)", digits = e + " <> 'NaN' AND abs(" + e + ") >= ?";
        String each = c.array() ? "EXISTS (SELECT FROM unnest(" + staged + ") e WHERE " : "(";
        return List.of(new Rule(given, owner, c, lookup, RuleKind.DECIMALS, staged, each + decimals + ")", List.of(c.numericScale())),
                new Rule(given, owner, c, lookup, RuleKind.DIGITS, staged, each + digits + ")", List.of(c.numericLimit())));
    }

    /** How the first row that fails a rule is told: where in the file, and what it gives. */
    private SeedError broken(Rule rule, int index) {
        var row = rows.get(index);
        var column = rule.column();
        var value = row.values().get(rule.given());
        if (rule.lookup() != null) {
            value = value == null || value.entries() == null ? null : value.entries().get(rule.lookup());
        }
        var pos = value == null ? row.pos() : value.pos();
        return switch (rule.kind()) {
            case KEY -> SeedError.in(file.displayPath(), pos, "this row has no value for the key column " + column.name());
            case NOT_NULL -> SeedError.in(file.displayPath(), pos, "column " + column.name()
                    + " is NOT NULL, but this row gives it no value (" + rows.noValue() + ")");
            case DECIMALS -> {
                // The first value (of an array: element) with more decimals, and what it would be stored as.
                var rounded = handle.createQuery("SELECT e::text, round(e, ?)::text FROM " + c.stage + " s, unnest("
                                + (column.array() ? "" : "ARRAY[") + rule.staged() + (column.array() ? "" : "]")
                                + ") e WHERE s." + ROW + " = ? AND e <> round(e, ?) LIMIT 1")
                        .bind(0, column.numericScale()).bind(1, index).bind(2, column.numericScale())
                        .map((rs, ctx) -> List.of(rs.getString(1), rs.getString(2))).one();
                yield SeedError.in(file.displayPath(), pos, column.name() + " is " + column.type() + ", which keeps "
                        + column.numericScale() + " decimals: " + (value != null && value.fromEnvironment() ? "the value of "
                        + (value.template() != null ? value.template() : Values.jsonWithTemplates(value, file))
                        + " has more (it is not shown: it comes from the environment)"
                        : (column.array() ? rounded.get(0) : value.text()) + " would be stored as " + rounded.get(1)))
                        .hint("write the value the column can hold, or widen the column in a migration");
            }
            // As COPY into the table would say it: numeric field overflow (A field with precision 10, scale 2 …).
            case DIGITS -> SeedError.in(file.displayPath(), pos, column.name() + " (" + column.type() + "): " + SeedError.describe(
                    refusalOfType(rule.owner(), column, Values.text(value, column, file))));
        };
    }

    void rejectDuplicateKeys() {
        if (c.keysChecked != null) {
            for (var pair : c.keysChecked) {
                // The same hash: the same key, or (once in billions) two keys that hash alike.
                boolean same = handle.createQuery("SELECT count(DISTINCT " + keyExpression("s") + ") = 1 FROM " + c.stage
                        + " s WHERE s." + ROW + " IN (?, ?)").bind(0, pair[0]).bind(1, pair[1]).mapTo(Boolean.class).one();
                if (same) {
                    throwDuplicate(new Integer[]{pair[0], pair[1]});
                }
            }
            if (c.keysChecked.size() < 100) {
                return;
            }
        }
        String keys = file.key().stream().map(k -> "s." + Catalog.quote(k)).collect(Collectors.joining(", "));
        // The first row whose key comes again, then the next row with that key: two cheap questions, not one list.
        var first = handle.createQuery("SELECT min(s." + ROW + ") FROM " + c.stage + " s GROUP BY " + keys
                        + " HAVING count(*) > 1 ORDER BY 1 LIMIT 1").mapTo(Integer.class).findOne();
        var duplicate = first.map(row -> new Integer[]{row, handle.createQuery("SELECT s." + ROW + " FROM " + c.stage + " f JOIN "
                        + c.stage + " s ON " + keyMatch("f", "s") + " WHERE f." + ROW + " = ? AND s." + ROW + " > f." + ROW
                        + " ORDER BY s." + ROW + " LIMIT 1").bind(0, row).mapTo(Integer.class).one()});
        duplicate.ifPresent(this::throwDuplicate);
    }

    private void throwDuplicate(Integer[] duplicate) {
        var lines = Stream.of(duplicate).map(i -> String.valueOf(rows.pos(i).line())).toList();
        var second = rows.get(duplicate[1]);
        throw SeedError.in(file.displayPath(), second.pos(), "the key " + keyText(second) + " is given twice (rows at lines "
                + String.join(" and ", lines) + ")").hint("each key may appear once in a seed file");
    }

    /** A row belongs to one seed file: two files that give the same key would undo each other on every run. */
    void rejectKeysOfOtherFiles() {
        for (var earlier : session.staged) {
            if (!earlier.table().equals(table.qualified())) {
                continue;
            }
            for (var clash : rowPairs("SELECT s." + ROW + " AS this_row, e." + ROW + " AS other_row FROM " + c.stage + " s JOIN "
                    + earlier.stage() + " e ON " + keyMatch("s", "e") + " ORDER BY s." + ROW + " LIMIT 1")) {
                var row = rows.get(clash.thisRow());
                var other = earlier.rows().get(clash.otherRow());
                throw SeedError.in(file.displayPath(), row.pos(), "the key " + keyText(row) + " is also given by "
                        + other.pos().where(earlier.file().displayPath())).hint("a row belongs to one seed file; "
                        + "otherwise each run would write one file's values, then the other's");
            }
        }
    }

    /**
     * A row to insert must give every NOT NULL column that has no default and no generate: rule;
     * checked before the group writes anything.
     */
    void requireValuesForInsert(FileContext.Group group, Results.Change first) {
        var missing = table.columns().values().stream()
                .filter(c -> c.notNull() && !c.hasDefault() && !group.columns().contains(c)
                        && !file.generated().containsKey(c.name()))
                .toList();
        if (!missing.isEmpty()) {
            var uuid = missing.stream().filter(c -> c.baseType().equals("uuid")).findFirst();
            throw SeedError.in(file.displayPath(), first.pos(), "the new row " + first.key() + " gives no value for "
                    + missing.stream().map(Catalog.Column::name).collect(Collectors.joining(", "))
                    + (missing.size() == 1 ? ", which is" : ", which are") + " NOT NULL without a default")
                    .hint(uuid.isPresent() ? "give it in the row (or in defaults:), or let the tool make one for each new row: "
                            + "generate: {" + uuid.get().name() + ": uuid}" : "give it in the row, or in defaults: for every row");
        }
    }
}
