// Seeding one file: stage its rows, resolve its references, compare them with the table, write
// what differs; later, remove what it no longer lists.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * One seed file against its table. Rows are staged with COPY into a temporary table typed like
 * the target (PostgreSQL itself checks every value), references by natural key are resolved there,
 * rows are compared with the table there, and only the rows that differ are written: one
 * UPDATE … FROM the stage, one INSERT … WHERE NOT EXISTS. After every file has been written, each
 * file removes (deactivates or deletes) the rows it owns but no longer lists, in reverse order.
 */
final class Seeder {

    /**
     * What a run asks of every file: the environment it is for, the guards against removing too
     * much, and whether it is a plan (whose guards warn instead of stopping it).
     */
    static final class Run {
        final Session session;
        final String environment;
        /** Whether the environment is declared production: then deleting needs allowDelete. */
        final boolean production;
        final boolean allowDelete;
        final int maxRemovals;
        final boolean dryRun;
        /** The table that remembers which file seeded which row: a file removes only rows it owns. */
        final String ownershipTable;
        /** The table that remembers which cells hold a value from the environment. */
        final String secretCellsTable;
        /** For each file that owns rows: the keys it listed when it last recorded them (to skip recording them again). */
        final String listingsTable;
        /** Every seed file of the seeds directory, for every environment. */
        final List<SeedFile> allFiles;
        /** The progress line of a long run (none unless stderr is a terminal). */
        Progress progress = Progress.NONE;
        /** Whether the run applies only some of the seed files (seed FILE…, --only). */
        boolean subset;

        Run(Session session, String environment, boolean production, boolean allowDelete, int maxRemovals, boolean dryRun,
            String historyTable, List<SeedFile> allFiles) {
            this.session = session;
            this.environment = environment;
            this.production = production;
            this.allowDelete = allowDelete;
            this.maxRemovals = maxRemovals;
            this.dryRun = dryRun;
            this.ownershipTable = Catalog.quote(historyTable + "_rows");
            this.secretCellsTable = History.secretCellsTable(historyTable);
            this.listingsTable = Catalog.quote(historyTable + "_listings");
            this.allFiles = allFiles;
        }

        /** Whether the database remembers cells of this table that hold a value from the environment. */
        boolean secretCellsOf(Catalog.Table table) {
            return session.handle.createQuery("SELECT to_regclass(?) IS NOT NULL").bind(0, secretCellsTable).mapTo(Boolean.class).one()
                    && session.handle.createQuery("SELECT EXISTS (SELECT 1 FROM " + secretCellsTable + " WHERE table_name = ?)")
                    .bind(0, table.qualified()).mapTo(Boolean.class).one();
        }

        void createSecretCellsTable() {
            session.run(createSecretCellsTable(secretCellsTable));
        }

        /** Created like the ownership table, beside the history: the cells, never their values. */
        static String createSecretCellsTable(String quotedName) {
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

        /** The seed files (of any environment) that seed the same table as this one, but this one. */
        List<SeedFile> otherFilesOf(SeedFile file, Catalog.Table table) {
            return allFiles.stream().filter(f -> f != file && (f.table().equals(table.name())
                    || f.table().equals(table.schema() + "." + table.name()))).toList();
        }
    }

    private static final String ROW = Catalog.quote("seed.row"), GROUP = Catalog.quote("seed.group"),
            LAYER = Catalog.quote("seed.layer");
    /** Where a write statement takes an extra condition on the staged rows. */
    private static final String ROWS = "/*rows*/";

    final Run run;
    final Session session;
    final Handle handle;
    final SeedFile file;
    final Catalog.Table table;
    final SeedFile.Rows rows;
    /** How many rows the file has for this run, once staged. */
    int rowCount;
    /** The cells of this file's rows whose values come from the environment (rows: a CSV file's: all). */
    private final List<SecretCell> secretCells = new ArrayList<>();
    /** Whether the database remembers cells of this table that hold a value from the environment. */
    private boolean tableHasSecretCells;
    String stage;
    /** The column group of each row, by row index; for rows read as a stream (CSV), all have streamedGroup. */
    int[] rowGroup;
    Group streamedGroup;
    /** The foreign key columns that rows give by the referenced row's natural key, by column name. */
    final Map<String, Reference> references = new LinkedHashMap<>();
    /** Whether the stage holds one group of one layer: then a slice of it is all of it. */
    private boolean wholeStage;
    java.sql.Savepoint beforeWrites;

    // What the file did, for its FileOutcome.
    final List<Results.Change> changes = new ArrayList<>();
    long inserted, updated, deactivated, deleted, notInFile;
    List<String> notInFileKeys = List.of();
    final List<String> warnings = new ArrayList<>();
    long durationNanos;

    Seeder(Run run, SeedFile file, Catalog.Table table) {
        this.run = run;
        this.session = run.session;
        this.handle = session.handle;
        this.file = file;
        this.table = table;
        this.rows = file.rowsFor(run.environment);
    }

    Results.FileOutcome outcome() {
        var sorted = new ArrayList<>(changes);
        sorted.sort(Comparator.comparing((Results.Change c) -> c.pos() == null ? Integer.MAX_VALUE : c.pos().line())
                .thenComparing(Results.Change::key));
        return new Results.FileOutcome(file, table, sorted, sorted.size() == inserted + updated + deactivated + deleted, inserted, updated,
                rowCount - inserted - updated, deactivated, deleted, notInFile, notInFileKeys,
                file.rowsElsewhere(run.environment), warnings, durationNanos);
    }

    /**
     * Seeds the files of a run (those that apply to its environment), in dependency order: each
     * writes its rows, then the removals are counted and guarded, then, in reverse order, each
     * removes the rows it no longer lists. The one entry point of seeding.
     */
    static List<Results.FileOutcome> seedAll(Run run, List<SeedFile> applicable) {
        var seeders = order(run.session, applicable, run.allFiles).stream()
                .map(planned -> new Seeder(run, planned.file(), planned.table())).toList();
        seeders.forEach(Seeder::write);
        seeders.forEach(Seeder::countRemovals);
        guardRemovals(run, seeders);
        for (int i = seeders.size() - 1; i >= 0; i--) {
            seeders.get(i).remove();
        }
        return seeders.stream().map(Seeder::outcome).toList();
    }

    // ── the order of the files ─────────────────────────────────────────────────────────────

    /** A seed file with its table, described by the catalog once. */
    record Planned(SeedFile file, Catalog.Table table) {}

    /**
     * The files in dependency order: a file whose table has a foreign key to another file's table
     * (or that names it in depends_on) comes after it; files the order leaves free go by name.
     * A cycle is an error that names its tables.
     */
    static List<Planned> order(Session session, List<SeedFile> files, List<SeedFile> known) {
        var planned = files.stream().map(f -> new Planned(f, Catalog.table(session.handle, f))).toList();
        var after = new LinkedHashMap<Planned, Set<Planned>>();
        for (var p : planned) {
            var needs = new java.util.LinkedHashSet<Planned>();
            var given = new java.util.HashSet<String>(p.file().defaults().keySet());
            given.addAll(p.file().rows().columns());
            for (var fk : p.table().references()) {
                // A foreign key the file gives no value for puts no order on it: this breaks a cycle
                // when one side leaves its reference out.
                if (fk.selfReference() || fk.columns().stream().noneMatch(given::contains)) {
                    continue;
                }
                planned.stream().filter(q -> q != p && q.table().qualified().equals(fk.to())).forEach(needs::add);
            }
            for (String dependency : p.file().dependsOn()) {
                var named = planned.stream().filter(q -> q != p && (q.file().name().equals(dependency)
                        || q.table().name().equals(dependency) || q.file().table().equals(dependency))).toList();
                if (named.isEmpty() && known.stream().noneMatch(f -> f.name().equals(dependency) || f.table().equals(dependency))) {
                    throw SeedError.in(p.file().displayPath(), p.file().settings().get("depends_on"), "depends_on names \""
                            + dependency + "\", which is neither a seed file nor the table of one"
                            + SeedError.didYouMean(dependency, files.stream().map(SeedFile::name).toList()));
                }
                needs.addAll(named);
            }
            after.put(p, needs);
        }
        var ordered = new ArrayList<Planned>();
        var ready = new TreeMap<String, Planned>();
        var waiting = new LinkedHashMap<>(after);
        while (!waiting.isEmpty()) {
            waiting.forEach((p, needs) -> {
                if (ordered.containsAll(needs)) {
                    ready.put(p.file().name(), p);
                }
            });
            if (ready.isEmpty()) {
                throw cycle(waiting);
            }
            var next = ready.pollFirstEntry().getValue();
            ready.clear();
            ordered.add(next);
            waiting.remove(next);
        }
        return ordered;
    }

    /** The tables of a dependency cycle, in order: a → b → a. */
    private static SeedError cycle(Map<Planned, Set<Planned>> waiting) {
        var path = new ArrayList<Planned>();
        var at = waiting.keySet().iterator().next();
        while (!path.contains(at)) {
            path.add(at);
            final var from = at;
            at = waiting.get(from).stream().filter(waiting::containsKey).findFirst().orElseThrow();
        }
        var loop = path.subList(path.indexOf(at), path.size());
        String tables = Stream.concat(loop.stream(), Stream.of(at)).map(p -> p.table().name()).collect(Collectors.joining(" → "));
        return SeedError.in(loop.get(0).file().displayPath(), null, "the seed files depend on each other in a cycle: " + tables)
                .hint("files are applied one table after another, so one of these files must leave out its column that "
                        + "refers to the next (it keeps its value), or a depends_on must go");
    }

    // ── writing ─────────────────────────────────────────────────────────────────────────────

    /** The first half of a run for this file: inserts and updates. Removals wait for {@link #remove()}. */
    void write() {
        long started = System.nanoTime();
        try {
            var groups = validate();
            session.lockTable(table.qualified(), table.name(), file.displayPath());
            tableHasSecretCells = run.secretCellsOf(table);
            int total = rows instanceof CsvRows ? 0 : Math.max(1, rows.size());
            long[] staged = {0};
            run.progress.step(file.name(), "reading", rows instanceof CsvRows csv ? csv::fractionRead : () -> (double) staged[0] / total);
            stage(groups, staged);
            run.progress.step(file.name(), run.dryRun ? "planning" : "comparing and writing", null);
            // References first: a key may hold one, and two keys are the same only once resolved.
            int layers = resolveReferences();
            wholeStage = groups.size() == 1 && layers == 1;
            rejectDuplicateKeys();
            rejectKeysOfOtherFiles();
            beforeWrites = savepoint("seed_file");
            for (int layer = 0; layer < layers; layer++) {
                if (layer > 0) {
                    resolveSelfReferences(layer);
                }
                for (var group : groups.values()) {
                    var diff = diff(group, layer, Results.FileOutcome.DETAIL_LIMIT - changes.size());
                    if (diff.firstInsert() != null) {
                        requireValuesForInsert(group, diff.firstInsert());
                    }
                    // The counts come from the writes themselves; a write with nothing to do is not run
                    // (nothing to update: none listed, or, past the list, an empty table: a first load).
                    boolean noUpdates = diff.complete() ? diff.updated() == 0 : tableIsEmpty();
                    long updatedNow = noUpdates ? 0 : write(updateStatement(group, layer,
                            diff.complete() ? diff.updatedRows() : null));
                    long insertedNow = diff.complete() && diff.inserted() == 0 ? 0 : write(insertStatement(group, layer));
                    if (diff.complete() ? updatedNow != diff.updated() || insertedNow != diff.inserted()
                            : updatedNow < diff.updated() || insertedNow < diff.inserted()) {
                        // Cannot happen while the run holds its lock on the table; a check, not an expectation.
                        throw SeedError.in(file.displayPath(), null, "the rows written differ from the rows that differ")
                                .hint("the table changed during the run; rerun");
                    }
                    inserted += insertedNow;
                    updated += updatedNow;
                    changes.addAll(diff.kept());
                }
            }
            checkDeferredConstraints();
            recordSecretCells(groups.values());
            recordOwnership();
            session.staged.add(new Session.Staged(stage, table.qualified(), file, rows, rowCount));
        } finally {
            durationNanos += System.nanoTime() - started;
        }
    }

    /** The columns a set of rows gives; rows giving the same columns are staged and written together. */
    record Group(int id, List<Catalog.Column> columns) {}

    /** Checks every name against the catalog and every key for presence; returns the rows' column groups. */
    private Map<List<String>, Group> validate() {
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
        var groups = new LinkedHashMap<List<String>, Group>();
        if (!(rows instanceof CsvRows csvRows)) {
            rowGroup = new int[rows.size()];
            rows.forEach((row, i) -> {
                // ${VAR} is for YAML files (a CSV file's values are all written in it, its defaults are YAML):
                // the database remembers which cells hold a value from the environment, to mask it ever after.
                row.values().forEach((name, value) -> {
                    if (value.fromEnvironment()) {
                        secretCells.add(new SecretCell(i, name, value.template()));
                    }
                });
                checkKey(row);
                checkColumns(row, true);
                rowGroup[i] = group(groups, row);
            });
        } else {
            // Every row of a CSV file gives the columns of its header: checked once, each row's values as it is staged.
            var shape = csvRows.shape();
            shape.values().forEach((name, value) -> {
                if (value.fromEnvironment()) {
                    secretCells.add(new SecretCell(SecretCell.EVERY_ROW, name, value.template()));
                }
            });
            checkColumns(shape, false);
            int id = group(groups, shape);
            streamedGroup = groups.values().stream().filter(g -> g.id() == id).findFirst().orElseThrow();
        }
        return groups;
    }

    /** The group of the rows that give the same columns as this one. */
    private int group(Map<List<String>, Group> groups, SeedFile.Row row) {
        var names = table.columns().keySet().stream().filter(row.values()::containsKey).toList();
        return groups.computeIfAbsent(names, n -> new Group(groups.size() + 1, n.stream().map(table.columns()::get).toList())).id();
    }

    /** A row must give its key, in the file. */
    private void checkKey(SeedFile.Row row) {
        for (String keyColumn : file.key()) {
            var value = row.values().get(keyColumn);
            if (value == null || value.kind() == SeedFile.Kind.NULL) {
                throw SeedError.in(file.displayPath(), value == null ? row.pos() : value.pos(),
                        "this row has no value for the key column " + keyColumn);
            }
            if (value.fromEnvironment()) {
                throw SeedError.in(file.displayPath(), value.pos(), "the key column " + keyColumn + " takes its value "
                        + "from the environment (" + value.template() + ")").hint("a key names a row in every plan, diff and "
                        + "history, so it cannot be a secret: write it in the file");
            }
        }
    }

    /** The columns a row gives: each in the table, none generated by the database, and references resolvable. */
    private void checkColumns(SeedFile.Row row, boolean values) {
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
            if (values) {
                checkNotNull(column, value);
            }
            if (value.kind() == SeedFile.Kind.MAP && !column.json()) {
                reference(column, value);
            }
        }
    }

    private void checkNotNull(Catalog.Column column, SeedFile.Value value) {
        if (column.notNull() && value.kind() == SeedFile.Kind.NULL) {
            throw SeedError.in(file.displayPath(), value.pos(), "column " + column.name()
                    + " is NOT NULL, but this row gives it no value (" + (!(rows instanceof CsvRows) ? "null"
                    : "an empty field; \"\" is empty text") + ")");
        }
    }

    /** A row read as a stream is checked as it is staged: its key, and its NOT NULL columns. */
    private void checkStreamedRow(SeedFile.Row row) {
        checkKey(row);
        for (var entry : row.values().entrySet()) {
            checkNotNull(table.columns().get(entry.getKey()), entry.getValue());
        }
    }

    private int groupOf(int index) {
        return rowGroup != null ? rowGroup[index] : streamedGroup.id();
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

    /** The generate: rules for the columns a group does not give: they fill those columns of its new rows. */
    private List<SeedFile.Generated> generatedFor(Group group) {
        return file.generated().values().stream()
                .filter(rule -> group.columns().stream().noneMatch(c -> c.name().equals(rule.column()))).toList();
    }

    private SeedError unknownColumn(String name, SeedFile.Pos pos) {
        return SeedError.in(file.displayPath(), pos, "table " + table.name() + " has no column \"" + name + "\""
                + SeedError.didYouMean(name, table.columns().keySet()));
    }

    // ── references by natural key ──────────────────────────────────────────────────────────

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

    private void reference(Catalog.Column column, SeedFile.Value value) {
        var foreignKey = table.referenceFrom(column.name()).orElseThrow(() -> SeedError.in(file.displayPath(), value.pos(),
                column.name() + " is " + column.type() + ": a YAML mapping fits a json or jsonb column, or a foreign key "
                        + "column (to refer to a row by its natural key, as in {model_id: gpt-4o})"));
        var lookup = List.copyOf(value.entries().keySet());
        var known = references.get(column.name());
        var target = known != null ? known.target() : foreignKey.selfReference() ? table
                : Catalog.find(handle, foreignKey.toSchema() + "." + foreignKey.toTable()).orElseThrow();
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
    private int resolveReferences() {
        var pending = new HashMap<Integer, Integer>();   // row → the new row of this file it points at
        for (var reference : references.values()) {
            fill(reference, null);
            if (reference.foreignKey().selfReference()) {
                handle.createQuery("SELECT s." + ROW + ", p." + ROW + " FROM " + stage + " s JOIN " + stage + " p ON "
                                + reference.lookup().stream().map(k -> "p." + Catalog.quote(k) + " = s." + reference.stageColumn(k))
                                .collect(Collectors.joining(" AND ")) + " WHERE s." + Catalog.quote(reference.column().name())
                                + " IS NULL")
                        .map((rs, ctx) -> Map.entry(rs.getInt(1), rs.getInt(2)))
                        .forEach(e -> pending.merge(e.getKey(), e.getValue(), (a, b) -> a));
            }
            var missing = handle.createQuery("SELECT s." + ROW + " FROM " + stage + " s WHERE s."
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
        byLayer.forEach((l, rowsOfLayer) -> handle.createUpdate("UPDATE " + stage + " SET " + LAYER + " = ? WHERE " + ROW
                + " = ANY (?)").bind(0, l).bind(1, rowsOfLayer.toArray(Integer[]::new)).execute());
        return byLayer.lastKey() + 1;
    }

    /** Sets the referencing column of the staged rows (of one layer, when given) from the referenced rows. */
    private void fill(Reference reference, Integer layer) {
        var f = reference.foreignKey();
        session.run("UPDATE " + stage + " s SET " + Catalog.quote(reference.column().name()) + " = r."
                + Catalog.quote(f.toColumns().get(0)) + " FROM " + reference.target().qualified() + " r WHERE "
                + reference.lookup().stream().map(k -> "r." + Catalog.quote(k) + " = s." + reference.stageColumn(k))
                        .collect(Collectors.joining(" AND "))
                + (layer == null ? "" : " AND s." + LAYER + " = " + layer));
    }

    private void resolveSelfReferences(int layer) {
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

    // ── staging ─────────────────────────────────────────────────────────────────────────────

    /** COPY every row into a temporary table typed like the target; PostgreSQL parses each value. */
    private void stage(Map<List<String>, Group> groups, long[] staged) {
        // The key columns always: even a file without rows is compared with its table.
        var used = table.columns().values().stream()
                .filter(c -> file.key().contains(c.name()) || groups.values().stream().anyMatch(g -> g.columns().contains(c)))
                .toList();
        var lookups = new ArrayList<Map.Entry<Reference, String>>();
        references.values().forEach(r -> r.lookup().forEach(k -> lookups.add(Map.entry(r, k))));
        stage = "pg_temp." + Catalog.quote("seed_stage_" + session.staged.size());
        if (rows instanceof CsvRows csv) {
            stageCsv(csv, used, staged);
            return;
        }
        session.run("CREATE TEMPORARY TABLE " + stage + " (" + ROW + " integer, " + GROUP + " integer, " + LAYER
                + " integer NOT NULL DEFAULT 0"
                + used.stream().map(c -> ", " + Catalog.quote(c.name()) + " " + c.type()).collect(Collectors.joining())
                + lookups.stream().map(l -> ", " + l.getKey().stageColumn(l.getValue()) + " "
                        + l.getKey().target().columns().get(l.getValue()).type()).collect(Collectors.joining())
                + ") ON COMMIT DROP");
        String copy = "COPY " + stage + " (" + ROW + ", " + GROUP
                + used.stream().map(c -> ", " + Catalog.quote(c.name())).collect(Collectors.joining())
                + lookups.stream().map(l -> ", " + l.getKey().stageColumn(l.getValue())).collect(Collectors.joining())
                + ") FROM STDIN";
        copyIn(copy, in -> {
            var line = new StringBuilder();
            var buffer = new java.io.ByteArrayOutputStream(1 << 16);
            int[] count = {0};
            rows.forEach((row, i) -> {
                line.setLength(0);
                line.append(i).append('\t').append(groupOf(i));
                for (var column : used) {
                    var value = row.values().get(column.name());
                    boolean byKey = value != null && value.kind() == SeedFile.Kind.MAP && references.containsKey(column.name());
                    line.append('\t');
                    appendCopyField(line, byKey ? null : Values.text(value, column, file));
                }
                for (var lookup : lookups) {
                    var value = row.values().get(lookup.getKey().column().name());
                    var keyValue = value != null && value.kind() == SeedFile.Kind.MAP ? value.entries().get(lookup.getValue()) : null;
                    line.append('\t');
                    appendCopyField(line, Values.text(keyValue, lookup.getKey().target().columns().get(lookup.getValue()), file));
                }
                buffer.writeBytes(line.append('\n').toString().getBytes(UTF_8));
                if (buffer.size() >= 1 << 16) {
                    sendToCopy(in, buffer);
                }
                count[0]++;
                staged[0]++;
                run.progress.advance(1);
            });
            sendToCopy(in, buffer);
            return count[0];
        });
        analyzeStage();
    }

    /**
     * A CSV file goes to COPY as it is, in its own format: PostgreSQL parses it, as psql's \\copy
     * would, and Java only counts the lines where rows start. The checks that the YAML path makes
     * row by row in Java are one query over the stage afterwards; a row they refuse is read again
     * to say where it is and what is wrong.
     */
    private void stageCsv(CsvRows csv, List<Catalog.Column> used, long[] staged) {
        var headerColumns = new ArrayList<String>();
        for (var h : csv.header()) {
            headerColumns.add(h.lookup() == null ? Catalog.quote(h.column()) : references.get(h.column()).stageColumn(h.lookup()));
        }
        var shape = csv.shape();
        var defaults = new ArrayList<Map.Entry<String, String>>();   // setting → the default's text
        var columns = new StringBuilder();
        for (var c : used) {
            var given = csv.header().stream().anyMatch(h -> h.column().equals(c.name()) && h.lookup() == null);
            // A numeric(p,s) column is staged as numeric: a value with more decimals is an error below, not a rounding.
            columns.append(", ").append(Catalog.quote(c.name())).append(' ').append(c.numericScale() != null ? "numeric" : c.type());
            var value = shape.values().get(c.name());
            if (!given && value != null && value.kind() != SeedFile.Kind.MAP) {
                // A default of the file (defaults:, or the active flag of removal: deactivate), given to every row by
                // the stage's own DEFAULT, its text bound through a setting rather than written into the SQL.
                String text = Values.text(value, c, file);
                if (text != null) {
                    String setting = "seed.default_" + defaults.size();
                    defaults.add(Map.entry(setting, text));
                    columns.append(" DEFAULT current_setting('").append(setting).append("')::").append(c.type());
                }
            }
        }
        for (var reference : references.values()) {
            for (String lookup : reference.lookup()) {
                columns.append(", ").append(reference.stageColumn(lookup)).append(' ')
                        .append(reference.target().columns().get(lookup).type());
            }
        }
        for (var setting : defaults) {
            handle.createQuery("SELECT set_config(?, ?, true)").bind(0, setting.getKey()).bind(1, setting.getValue())
                    .mapTo(String.class).one();
        }
        session.run("CREATE TEMPORARY TABLE " + stage + " (" + ROW + " integer GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0), "
                + GROUP + " integer NOT NULL DEFAULT " + streamedGroup.id() + ", " + LAYER + " integer NOT NULL DEFAULT 0"
                + columns + ") ON COMMIT DROP");
        String copy = "COPY " + stage + " (" + String.join(", ", headerColumns) + ") FROM STDIN WITH (FORMAT csv, HEADER true)";
        copyIn(copy, in -> {
            var copied = csv.copyTo(bytes -> writeToCopy(in, bytes.array(), bytes.limit()), records -> {
                staged[0] += records;
                run.progress.advance(records);
            }, keyField(csv));
            keysChecked = copied.sameHash();
            return copied.rows();
        });
        analyzeStage();
        checkStagedValues(used);
    }

    /**
     * The checks of a row, over every staged row at once: a key, NOT NULL columns, and no more
     * decimals than a numeric(p,s) column keeps. The first row that fails is read again from the
     * file and checked in Java, whose error says where and what.
     */
    private void checkStagedValues(List<Catalog.Column> used) {
        var conditions = new ArrayList<String>();
        for (var c : used) {
            String column = "s." + Catalog.quote(c.name());
            if ((c.notNull() || file.key().contains(c.name())) && !references.containsKey(c.name())) {
                conditions.add(column + " IS NULL");
            }
            if (c.numericScale() != null) {
                conditions.add(column + " <> round(" + column + ", " + c.numericScale() + ")");
            }
        }
        for (var reference : references.values()) {
            if (reference.column().notNull()) {
                conditions.add(reference.lookup().stream().map(k -> "s." + reference.stageColumn(k) + " IS NULL")
                        .collect(Collectors.joining(" AND ", "(", ")")));
            }
        }
        if (conditions.isEmpty()) {
            return;
        }
        var failing = handle.createQuery("SELECT s." + ROW + " FROM " + stage + " s WHERE " + String.join(" OR ", conditions)
                + " ORDER BY s." + ROW + " LIMIT 1").mapTo(Integer.class).findOne();
        if (failing.isPresent()) {
            var row = rows.get(failing.get());
            checkStreamedRow(row);
            for (var c : used) {
                if (!references.containsKey(c.name())) {
                    Values.text(row.values().get(c.name()), c, file);
                }
            }
            throw SeedError.in(file.displayPath(), row.pos(), "this row has a value its column cannot hold");
        }
    }

    /**
     * A large stage gets statistics (autovacuum never analyzes a temporary table: the joins below
     * would be planned for a handful of rows) and, for this transaction, the memory to join and
     * group it in one pass rather than in batches spilled to disk.
     */
    private void analyzeStage() {
        if (rowCount > 1000) {
            // Statistics of the columns the stage is joined and sliced on: row, group, layer, the key and
            // the lookups of references. (All columns would cost several times as much; no plan needs them.)
            var joined = new ArrayList<>(List.of(ROW, GROUP, LAYER));
            file.key().forEach(k -> joined.add(Catalog.quote(k)));
            references.values().forEach(r -> r.lookup().forEach(k -> joined.add(r.stageColumn(k))));
            session.run("ANALYZE " + stage + " (" + String.join(", ", joined) + ")");
        }
        if (rowCount > 50_000) {
            session.run("SET LOCAL work_mem = '" + LARGE_WORK_MEM + "'");
        }
    }

    static final String LARGE_WORK_MEM = "128MB";

    /** What writes the rows of a COPY … FROM STDIN, and says how many rows it sent. */
    private interface CopyWriter {
        int write(CopyIn in) throws SQLException;
    }

    /**
     * Runs a COPY … FROM STDIN whose rows writer sends: a failure, of the writes or of COPY, is
     * reported as the value or line PostgreSQL refused, and the COPY never stays open. Every
     * staging path comes through here, and here the rows PostgreSQL loaded must be the rows the
     * tool counted: a row COPY left out (or read where the tool saw none) would be taken for a row
     * the file no longer has, and removed.
     */
    private void copyIn(String copy, CopyWriter writer) {
        // A refused COPY aborts the transaction; back to here, the error message can still consult the catalog.
        var beforeCopy = savepoint("seed_copy");
        try {
            CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(copy);
            try {
                int counted = writer.write(in);
                long loaded = in.endCopy();
                if (loaded != counted) {
                    throw rowsNotLoaded(loaded, counted);
                }
                rowCount = counted;
            } catch (CopyFailed failed) {
                throw failed.getCause();
            } finally {
                if (in.isActive()) {
                    try {
                        in.cancelCopy();
                    } catch (SQLException ignored) {
                        // the error that got us here is the one to report
                    }
                }
            }
        } catch (SQLException e) {
            rollbackTo(beforeCopy, e);
            throw copyError(e);
        }
    }

    /** An SQLException of COPY, through the lambda that streams the rows. */
    private static final class CopyFailed extends RuntimeException {
        CopyFailed(SQLException cause) {
            super(cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }

    private static void sendToCopy(CopyIn in, java.io.ByteArrayOutputStream buffer) {
        writeToCopy(in, buffer.toByteArray(), buffer.size());
        buffer.reset();
    }

    /** Writes to a COPY from inside a lambda: its SQLException travels as a CopyFailed, which copyIn unwraps. */
    private static void writeToCopy(CopyIn in, byte[] bytes, int length) {
        try {
            in.writeToCopy(bytes, 0, length);
        } catch (SQLException e) {
            throw new CopyFailed(e);
        }
    }

    /**
     * COPY loaded other rows than the tool counted: the error names the first row of the file that
     * is not in the stage (the stage numbers its rows in file order), or, when PostgreSQL read more
     * rows than the tool counted, the last row the tool counted.
     */
    private SeedError rowsNotLoaded(long loaded, int counted) {
        String problem = "PostgreSQL's COPY loaded " + loaded + (loaded == 1 ? " row" : " rows") + " of this file, where the tool "
                + "counted " + counted;
        if (loaded > counted) {
            return SeedError.in(file.displayPath(), counted == 0 ? null : rows.pos(counted - 1), problem + " (the last at this line): "
                    + "it read rows the tool did not see").hint("the tool and PostgreSQL read the file differently; please report it");
        }
        // The stage numbers its rows 0, 1, … in file order: the first number missing is the first row not loaded.
        int missing = handle.createQuery("SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM " + stage + " WHERE " + ROW + " = 0) THEN 0 "
                + "ELSE (SELECT min(s." + ROW + ") + 1 FROM " + stage + " s WHERE NOT EXISTS (SELECT 1 FROM " + stage + " n WHERE n."
                + ROW + " = s." + ROW + " + 1)) END").mapTo(Integer.class).one();
        return SeedError.in(file.displayPath(), rows.pos(Math.min(missing, counted - 1)), problem + ": the row at this line"
                + (counted - loaded == 1 ? "" : " and " + (counted - loaded - 1) + " more") + " did not reach the table's stage, "
                + "and would have been taken for rows the file no longer has");
    }

    private static final Pattern COPY_WHERE = Pattern.compile("COPY [^,]+, line (\\d+)(?:, column (.+?))?(?:: \"|$)");

    /** A value (or, for a CSV file, a line) PostgreSQL refused, traced back to the row and column of the seed file. */
    private SeedError copyError(SQLException e) {
        var where = e instanceof PSQLException pg && pg.getServerErrorMessage() != null
                ? pg.getServerErrorMessage().getWhere() : null;
        Matcher m = where == null ? null : COPY_WHERE.matcher(where);
        if (m == null || !m.find()) {
            return new SeedError(SeedError.EXIT_FAILED, file.displayPath(), SeedError.describe(e), null, e);
        }
        // COPY counts lines from 1: for the rows of a YAML file, a line is a row; in a CSV file, the line where the
        // row it read ends (a quoted value may hold line breaks), the header being line 1.
        int line = Integer.parseInt(m.group(1));
        int index = rows instanceof CsvRows csvRows ? csvRows.rowAtLine(line) : line - 1;
        String stageColumn = m.group(2);
        if (stageColumn == null) {
            // The line itself: a CSV row with too few or too many fields, or bytes that are not UTF-8.
            String message = SeedError.describe(e);
            var pos = rows.pos(index);
            return new SeedError(SeedError.EXIT_FAILED, pos.where(file.displayPath()), message,
                    message.contains("missing data for column") || message.contains("extra data after last expected column")
                            ? "each row has a field for each column of the header (a blank line is a row too); a field that "
                                    + "holds a comma is quoted: \"Oslo, Norway\"" : null, e);
        }
        var row = rows.get(index);
        String columnName = stageColumn.startsWith("ref:") ? stageColumn.substring(4, stageColumn.lastIndexOf(':')) : stageColumn;
        var column = table.columns().get(columnName);
        var value = row.values().get(columnName);
        if (value != null && stageColumn.startsWith("ref:")) {
            value = value.entries().get(stageColumn.substring(stageColumn.lastIndexOf(':') + 1));
        }
        return new SeedError(SeedError.EXIT_FAILED, (value != null ? value.pos() : row.pos()).where(file.displayPath()),
                columnName + " (" + (column != null ? column.type() : "?") + "): " + SeedError.describe(e),
                stageColumn.startsWith("ref:") ? null : byNaturalKey(columnName, value), e);
    }

    /**
     * For a foreign key column given a plain value its type refuses (XNYS for an integer id): how to
     * give the referred row by its natural key instead, in this file's format. Null for other columns.
     */
    private String byNaturalKey(String columnName, SeedFile.Value value) {
        var foreignKey = table.referenceFrom(columnName).orElse(null);
        if (foreignKey == null || value == null || value.kind() == SeedFile.Kind.MAP) {
            return null;
        }
        var target = foreignKey.selfReference() ? table
                : Catalog.find(handle, foreignKey.toSchema() + "." + foreignKey.toTable()).orElse(null);
        var natural = target == null ? null : target.naturalKeys().stream().filter(k -> k.size() == 1).findFirst().orElse(null);
        if (natural == null) {
            return null;
        }
        return columnName + " refers to " + target.name() + " (" + String.join(", ", foreignKey.toColumns()) + "); to name the "
                + target.name() + " row by its " + natural.get(0) + ", " + (rows instanceof CsvRows
                ? "call the header field " + columnName + "." + natural.get(0)
                : "write " + columnName + ": {" + natural.get(0) + ": " + value.text() + "}");
    }

    /**
     * The header position of a CSV file's key, when its text is the key's value (text, varchar):
     * then keys are compared by their hashes as the file goes to COPY. Else -1: the database groups them.
     */
    private int keyField(CsvRows csv) {
        if (file.key().size() != 1 || !Set.of("text", "varchar").contains(table.columns().get(file.key().get(0)).baseType())) {
            return -1;
        }
        for (int i = 0; i < csv.header().size(); i++) {
            var h = csv.header().get(i);
            if (h.lookup() == null && h.column().equals(file.key().get(0))) {
                return i;
            }
        }
        return -1;
    }

    /** For a CSV file whose keys were hashed on their way to COPY: the pairs of rows to compare (null: not hashed). */
    private List<int[]> keysChecked;

    private void rejectDuplicateKeys() {
        if (keysChecked != null) {
            for (var pair : keysChecked) {
                // The same hash: the same key, or (once in billions) two keys that hash alike.
                boolean same = handle.createQuery("SELECT count(DISTINCT " + keyExpression("s") + ") = 1 FROM " + stage
                        + " s WHERE s." + ROW + " IN (?, ?)").bind(0, pair[0]).bind(1, pair[1]).mapTo(Boolean.class).one();
                if (same) {
                    throwDuplicate(new Integer[]{pair[0], pair[1]});
                }
            }
            if (keysChecked.size() < 100) {
                return;
            }
        }
        String keys = file.key().stream().map(k -> "s." + Catalog.quote(k)).collect(Collectors.joining(", "));
        // The first row whose key comes again, then the next row with that key: two cheap questions, not one list.
        var first = handle.createQuery("SELECT min(s." + ROW + ") FROM " + stage + " s GROUP BY " + keys
                        + " HAVING count(*) > 1 ORDER BY 1 LIMIT 1").mapTo(Integer.class).findOne();
        var duplicate = first.map(row -> new Integer[]{row, handle.createQuery("SELECT s." + ROW + " FROM " + stage + " f JOIN "
                        + stage + " s ON " + keyMatch("f", "s") + " WHERE f." + ROW + " = ? AND s." + ROW + " > f." + ROW
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
    private void rejectKeysOfOtherFiles() {
        for (var earlier : session.staged) {
            if (!earlier.table().equals(table.qualified())) {
                continue;
            }
            var clash = handle.createQuery("SELECT s." + ROW + ", e." + ROW + " FROM " + stage + " s JOIN " + earlier.stage()
                            + " e ON " + keyMatch("s", "e") + " ORDER BY s." + ROW + " LIMIT 1")
                    .map((rs, ctx) -> new int[]{rs.getInt(1), rs.getInt(2)}).findOne();
            if (clash.isPresent()) {
                var row = rows.get(clash.get()[0]);
                var other = earlier.rows().get(clash.get()[1]);
                throw SeedError.in(file.displayPath(), row.pos(), "the key " + keyText(row) + " is also given by "
                        + other.pos().where(earlier.file().displayPath())).hint("a row belongs to one seed file; "
                        + "otherwise each run would write one file's values, then the other's");
            }
        }
    }

    /** A row's key as the file writes it; a reference as {column: value}. */
    private String keyText(SeedFile.Row row) {
        return file.key().stream().map(k -> {
            var value = row.values().get(k);
            return value.kind() == SeedFile.Kind.MAP ? value.entries().entrySet().stream()
                    .map(e -> e.getKey() + ": " + e.getValue().text()).collect(Collectors.joining(", ", "{", "}")) : value.text();
        }).collect(Collectors.joining(", "));
    }

    private String keyMatch(String left, String right) {
        return file.key().stream().map(k -> left + "." + Catalog.quote(k) + " = " + right + "." + Catalog.quote(k))
                .collect(Collectors.joining(" AND "));
    }

    /**
     * A row's key as text: the value, or for a key of several columns PostgreSQL's row text,
     * (XNYS,AAPL), which quotes a value that holds a comma, so that two keys never read the same.
     */
    private String keyExpression(String alias) {
        return keyExpression(alias, file.key());
    }

    /** A row's key as text, as the ownership and secret cells tables keep it. */
    static String keyExpression(String alias, List<String> key) {
        return key.size() == 1 ? alias + "." + Catalog.quote(key.get(0)) + "::text"
                : "ROW(" + key.stream().map(k -> alias + "." + Catalog.quote(k)).collect(Collectors.joining(", ")) + ")::text";
    }

    // ── comparing and writing ───────────────────────────────────────────────────────────────

    /**
     * A group's rows to insert and to update, listed up to a limit: complete when that was all of
     * them (then the counts are exact, and a write with nothing to do is skipped).
     */
    record Diff(long inserted, long updated, List<Results.Change> kept, Results.Change firstInsert, boolean complete, List<Integer> updatedRows) {}

    private String slice(Group group, int layer) {
        // No condition when it is the whole stage: one that every row meets still bends the planner's estimates.
        return wholeStage ? "TRUE" : "s." + GROUP + " = " + group.id() + " AND s." + LAYER + " = " + layer;
    }

    /**
     * How a column's value is shown in a change: its text, or for a reference the natural key of
     * the row it points at (gpt-4o rather than a uuid).
     */
    private String shownValue(Catalog.Column column, String alias) {
        // A CSV file's numeric(p,s) values are staged as numeric (to refuse, not round, extra decimals): shown as stored.
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

    private final Map<String, java.util.Optional<Reference>> shownByKey = new HashMap<>();

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
                    : Catalog.find(handle, foreignKey.toSchema() + "." + foreignKey.toTable()).orElse(null);
            if (target == null) {
                return java.util.Optional.empty();
            }
            return target.naturalKeys().stream().findFirst().map(lookup -> new Reference(column, foreignKey, target, lookup));
        })).orElse(null);
    }

    /** A row's key as people read it: a key column that refers to another row shows that row's natural key. */
    private String keyShown(String alias) {
        var shown = file.key().stream().map(k -> shownValue(table.columns().get(k), alias)).toList();
        return shown.size() == 1 ? shown.get(0) : "ROW(" + String.join(", ", shown) + ")::text";
    }

    /**
     * Rows of the group (and layer) that the run inserts or changes, with every changed column's old
     * and new value (and every value of a new row), read as a stream: only the first {@code keep} are kept.
     */
    private Diff diff(Group group, int layer, int keep) {
        var values = valueColumns(group);
        var select = new StringBuilder("SELECT s." + ROW + ", t." + Catalog.quote(file.key().get(0)) + " IS NULL, "
                + keyShown("s"));
        for (var c : values) {
            select.append(", ").append(shownValue(c, "t")).append(", ").append(shownValue(c, "s")).append(", ")
                    .append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        if (tableHasSecretCells) {
            // The columns of the row whose stored values came from the environment: shown as *** ever after.
            select.append(", ARRAY(SELECT m.column_name FROM ").append(run.secretCellsTable).append(" m WHERE m.table_name = ? ")
                    .append("AND m.key_columns = ?::text[] AND m.row_key = ").append(keyExpression("s")).append(")");
        }
        // Which rows differ, first: one join of every staged row, giving only where the rows are (ctid).
        var differ = new StringBuilder("SELECT s.ctid::text, t.ctid::text FROM ").append(stage).append(" s LEFT JOIN ")
                .append(table.qualified()).append(" t ON ").append(keyMatch("t", "s")).append(" WHERE ").append(slice(group, layer))
                .append(" AND (t.").append(Catalog.quote(file.key().get(0))).append(" IS NULL");
        for (var c : values) {
            differ.append(" OR ").append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        // One more than are kept: whether there are more than the list shows.
        differ.append(") ORDER BY s.").append(ROW).append(" LIMIT ").append(keep + 1);
        var stagedAt = new StringJoiner(",", "{", "}");
        var storedAt = new StringJoiner(",", "{", "}");
        handle.createQuery(differ.toString()).map((rs, ctx) -> {
            stagedAt.add('"' + rs.getString(1) + '"');
            if (rs.getString(2) != null) {
                storedAt.add('"' + rs.getString(2) + '"');
            }
            return 0;
        }).forEach(row -> { });
        // Then their values as text, for those rows only: found by ctid, not by another join of every row.
        select.append(" FROM (SELECT * FROM ").append(stage).append(" WHERE ctid = ANY (?::tid[])) s LEFT JOIN (SELECT * FROM ")
                .append(table.qualified()).append(" WHERE ctid = ANY (?::tid[])) t ON ").append(keyMatch("t", "s"))
                .append(" ORDER BY s.").append(ROW);
        var kept = new ArrayList<Results.Change>();
        long[] counts = new long[2];
        Results.Change[] firstInsert = new Results.Change[1];
        var updatedRows = new ArrayList<Integer>();
        // At most keep + 1 rows: held as text, so that the rows whose values may come from the environment
        // are looked up together afterwards (a large YAML file's in one more pass).
        record Listing(int index, boolean inserted, String key, String[] old, String[] now, boolean[] differs, Set<String> secret) {}
        var query = handle.createQuery(select.toString());
        int parameter = 0;
        if (tableHasSecretCells) {
            query.bind(parameter++, table.qualified()).bind(parameter++, file.key().toArray(String[]::new));
        }
        var listed = stagedAt.length() == 2 ? List.<Listing>of() : query
                .bind(parameter++, stagedAt.toString()).bind(parameter, storedAt.toString()).map((rs, ctx) -> {
            int n = values.size();
            var secret = tableHasSecretCells ? Set.of((String[]) rs.getArray(4 + 3 * n).getArray()) : Set.<String>of();
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
        var rowsRead = secretCells.isEmpty() ? Map.<Integer, SeedFile.Row>of()
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
            if (!change.inserted()) {
                updatedRows.add(indexed.getKey());
            }
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
            firstInsert[0] = handle.createQuery("SELECT s." + ROW + ", " + keyShown("s") + " FROM " + stage + " s WHERE "
                            + slice(group, layer) + " AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE "
                            + keyMatch("t", "s") + ") ORDER BY s." + ROW + " LIMIT 1")
                    .map((rs, ctx) -> new Results.Change(rs.getString(2), rows.pos(rs.getInt(1)), Results.Action.INSERT, List.of()))
                    .findOne().orElse(null);
        }
        return new Diff(counts[0], counts[1], kept, firstInsert[0], complete, updatedRows);
    }

    private boolean tableIsEmpty() {
        return handle.createQuery("SELECT NOT EXISTS (SELECT FROM " + table.qualified() + ")").mapTo(Boolean.class).one();
    }

    /** How a value from the environment is shown: as the file writes it, ${VAR:-default}, also inside JSON. */
    private static String templateOf(SeedFile.Value value, SeedFile file) {
        return value.template() != null ? value.template() : Values.jsonWithTemplates(value, file);
    }

    private List<Catalog.Column> valueColumns(Group group) {
        return group.columns().stream().filter(c -> !file.key().contains(c.name())).toList();
    }

    /**
     * A row to insert must give every NOT NULL column that has no default and no generate: rule;
     * checked before the group writes anything.
     */
    private void requireValuesForInsert(Group group, Results.Change first) {
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

    /**
     * The group's changed rows, written with UPDATE … FROM the stage; only rows whose values
     * differ are touched. Not INSERT … ON CONFLICT DO UPDATE: that checks NOT NULL and CHECK
     * constraints on the whole proposed row first, so a row that leaves out a column (which must
     * keep its value) would fail. The table lock makes the two statements as safe as one.
     * The statement has a ROWS marker where a row range can be added, to find the row a
     * constraint refuses.
     */
    private String updateStatement(Group group, int layer, List<Integer> onlyRows) {
        var values = valueColumns(group);
        if (values.isEmpty()) {
            return null;
        }
        return "UPDATE " + table.qualified() + " AS t SET "
                + values.stream().map(c -> Catalog.quote(c.name()) + " = s." + Catalog.quote(c.name())).collect(Collectors.joining(", "))
                + " FROM " + stage + " s WHERE " + keyMatch("t", "s") + " AND " + slice(group, layer) + ROWS
                // The rows the diff found, when it found them all: the update then joins those, not every staged row.
                + (onlyRows == null ? "" : " AND s." + ROW + " = ANY ('{" + onlyRows.stream().map(String::valueOf)
                        .collect(Collectors.joining(",")) + "}'::integer[])")
                + " AND ("
                + values.stream().map(c -> c.comparable("t") + " IS DISTINCT FROM " + c.comparable("s"))
                        .collect(Collectors.joining(" OR ")) + ")";
    }

    /** The group's new rows; columns they leave out get a generate: rule's value, else the table's default. */
    private String insertStatement(Group group, int layer) {
        var generated = generatedFor(group);
        String columns = Stream.concat(group.columns().stream().map(Catalog.Column::name), generated.stream().map(SeedFile.Generated::column))
                .map(Catalog::quote).collect(Collectors.joining(", "));
        return "INSERT INTO " + table.qualified() + " (" + columns + ") SELECT "
                + Stream.concat(group.columns().stream().map(c -> "s." + Catalog.quote(c.name())),
                        generated.stream().map(g -> "CAST(" + g.expression() + " AS " + table.columns().get(g.column()).type() + ")"))
                        .collect(Collectors.joining(", "))
                + " FROM " + stage + " s WHERE " + slice(group, layer) + ROWS + " AND NOT EXISTS (SELECT 1 FROM "
                + table.qualified() + " t WHERE " + keyMatch("t", "s") + ") ORDER BY s." + ROW;
    }

    /** Runs a write statement for all the group's rows; a refused value is traced to its row. */
    private long write(String statement) {
        if (statement == null) {
            return 0;
        }
        java.sql.Savepoint beforeStatement = null;
        try (var sql = handle.getConnection().createStatement()) {
            beforeStatement = handle.getConnection().setSavepoint();
            long written = sql.executeLargeUpdate(statement.replace(ROWS, ""));
            handle.getConnection().releaseSavepoint(beforeStatement);
            return written;
        } catch (SQLException e) {
            if (beforeStatement == null || !Objects.requireNonNullElse(e.getSQLState(), "").startsWith("2")) {
                throw constraintError(e, null);
            }
            // Back to just before this statement (earlier writes of the file stay), then find the row.
            rollbackTo(beforeStatement, e);
            return throwForCulprit(statement, e);
        }
    }

    /**
     * Finds the row PostgreSQL refuses: the shortest prefix of the file's rows for which the
     * statement fails ends with it (also when the violation needs an earlier row, as a duplicate
     * value does). Each probe runs inside a savepoint and is rolled back.
     */
    private long throwForCulprit(String statement, SQLException original) {
        int low = 0, high = rowCount - 1;
        SQLException refusal = original;
        try (var sql = handle.getConnection().createStatement()) {
            while (low < high) {
                int middle = (low + high) >>> 1;
                var probe = handle.getConnection().setSavepoint();
                try {
                    sql.executeLargeUpdate(statement.replace(ROWS, " AND s." + ROW + " <= " + middle));
                    low = middle + 1;
                } catch (SQLException refused) {
                    high = middle;
                    refusal = refused;
                }
                handle.getConnection().rollback(probe);
            }
        } catch (SQLException e) {
            throw constraintError(original, null);
        }
        throw constraintError(refusal, rows.get(low));
    }

    private java.sql.Savepoint savepoint(String name) {
        try {
            // PostgreSQL aborts the transaction on an error; rolling back to a savepoint lets the
            // error message still consult the catalog.
            return handle.getConnection().setSavepoint(name);
        } catch (SQLException e) {
            throw SeedError.fromSql(e, session.target);
        }
    }

    private void rollbackTo(java.sql.Savepoint savepoint, SQLException cause) {
        try {
            handle.getConnection().rollback(savepoint);
        } catch (SQLException e) {
            throw SeedError.fromSql(cause, session.target);
        }
    }

    /** Deferred constraints (at most one default model, say) are checked here, so the error names this file. */
    private void checkDeferredConstraints() {
        try (var statement = handle.getConnection().createStatement()) {
            statement.execute("SET CONSTRAINTS ALL IMMEDIATE");
            statement.execute("SET CONSTRAINTS ALL DEFERRED");
        } catch (SQLException e) {
            throw constraintError(e, null);
        }
    }

    // ── cells that hold a value from the environment ────────────────────────────────────────

    /** A cell of a row (by its index in the file; every row of a CSV file) whose value a ${VAR} gave. */
    record SecretCell(int row, String column, String template) {
        static final int EVERY_ROW = -1;
    }

    /**
     * The database remembers which cells hold a value from the environment (table, key, column; never
     * the value), so that the value is masked when a later file no longer uses the variable. A cell
     * this file writes forgets its mark when its value is no longer from the environment.
     */
    private void recordSecretCells(java.util.Collection<Group> groups) {
        if (secretCells.isEmpty() && !tableHasSecretCells) {
            return;
        }
        run.createSecretCellsTable();
        String[] keyColumns = file.key().toArray(String[]::new);
        var everyRow = secretCells.stream().filter(c -> c.row() == SecretCell.EVERY_ROW).toList();
        var someRows = secretCells.stream().filter(c -> c.row() != SecretCell.EVERY_ROW).toList();
        if (tableHasSecretCells) {
            // Only the marks of cells this file now writes with a value not from the environment go: a rerun
            // that marks the same cells rewrites none of them.
            for (var group : groups) {
                handle.createUpdate("DELETE FROM " + run.secretCellsTable + " m USING " + stage + " s WHERE m.table_name = ? "
                                + "AND m.key_columns = ?::text[] AND m.row_key = " + keyExpression("s") + " AND s." + GROUP + " = ? "
                                + "AND m.column_name = ANY (?) AND m.column_name <> ALL (?) AND NOT EXISTS (SELECT 1 FROM "
                                + "unnest(?::int[], ?::text[]) AS c(row_index, column_name) WHERE c.row_index = s." + ROW
                                + " AND c.column_name = m.column_name)")
                        .bind(0, table.qualified()).bind(1, keyColumns).bind(2, group.id())
                        .bind(3, group.columns().stream().map(Catalog.Column::name).toArray(String[]::new))
                        .bind(4, everyRow.stream().map(SecretCell::column).toArray(String[]::new))
                        .bind(5, someRows.stream().map(SecretCell::row).toArray(Integer[]::new))
                        .bind(6, someRows.stream().map(SecretCell::column).toArray(String[]::new)).execute();
            }
        }
        String insert = "INSERT INTO " + run.secretCellsTable + " AS m (table_name, key_columns, row_key, column_name, template) "
                + "SELECT ?, ?, " + keyExpression("s") + ", c.column_name, c.template FROM " + stage + " s ";
        String upsert = " ON CONFLICT (table_name, key_columns, row_key, column_name) DO UPDATE SET template = EXCLUDED.template"
                + " WHERE m.template IS DISTINCT FROM EXCLUDED.template";
        if (!everyRow.isEmpty()) {
            handle.createUpdate(insert + "CROSS JOIN unnest(?::text[], ?::text[]) AS c(column_name, template)" + upsert)
                    .bind(0, table.qualified()).bind(1, keyColumns)
                    .bind(2, everyRow.stream().map(SecretCell::column).toArray(String[]::new))
                    .bind(3, everyRow.stream().map(SecretCell::template).toArray(String[]::new)).execute();
        }
        if (!someRows.isEmpty()) {
            handle.createUpdate(insert + "JOIN unnest(?::int[], ?::text[], ?::text[]) AS c(row_index, column_name, template) "
                            + "ON c.row_index = s." + ROW + upsert)
                    .bind(0, table.qualified()).bind(1, keyColumns)
                    .bind(2, someRows.stream().map(SecretCell::row).toArray(Integer[]::new))
                    .bind(3, someRows.stream().map(SecretCell::column).toArray(String[]::new))
                    .bind(4, someRows.stream().map(SecretCell::template).toArray(String[]::new)).execute();
        }
    }

    /** A deleted row's cells hold nothing any more: a row inserted later with the same key starts unmarked. */
    private void forgetSecretCellsOfDeletedRows() {
        if (tableHasSecretCells) {
            handle.createUpdate("DELETE FROM " + run.secretCellsTable + " m WHERE m.table_name = ? AND m.key_columns = ?::text[] "
                            + "AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + keyExpression("t") + " = m.row_key)")
                    .bind(0, table.qualified()).bind(1, file.key().toArray(String[]::new)).execute();
        }
    }

    // ── ownership and removal ───────────────────────────────────────────────────────────────

    /**
     * A file whose removal mode removes owns the rows it lists: the ownership table remembers them
     * (table, key, file), so that a later run removes only rows this file once seeded — never rows
     * the application or its users added. Kept only for such files: a file that keeps costs nothing.
     */
    private void recordOwnership() {
        if (file.removal().keeps()) {
            return;
        }
        session.withoutNestedLoops(() -> {
            recordOwnershipOfStage();
            return null;
        });
    }

    private void recordOwnershipOfStage() {
        session.run("""
                CREATE TABLE IF NOT EXISTS %1$s (
                    table_name text NOT NULL,
                    row_key    text NOT NULL,
                    file       text NOT NULL,
                    PRIMARY KEY (table_name, row_key)
                );
                COMMENT ON TABLE %1$s IS 'Written by seed_database: which seed file owns which row, so that it removes only rows it seeded.';
                CREATE TABLE IF NOT EXISTS %2$s (
                    table_name text   NOT NULL,
                    file       text   NOT NULL,
                    listing    text   NOT NULL,
                    owned      bigint NOT NULL,
                    pending    text[],
                    PRIMARY KEY (table_name, file)
                );
                COMMENT ON TABLE %2$s IS 'Written by seed_database: the keys a seed file listed when it last recorded its rows in %3$s, how many it owned then, and the keys of a first load that it owns but are not yet there (pending).';
                """.formatted(run.ownershipTable, run.listingsTable, run.ownershipTable.replace("'", "''")));
        // A rerun lists what the file listed when it last recorded them: those keys are still its own if it
        // owns as many rows as it did then (only a run of this file adds to them; another file's claim, or
        // the owner of a file that is gone taking them over, takes some away). Then nothing is written,
        // and no join of the stage and the ownership table is made: at a million rows, that join was most
        // of what owning rows cost a rerun.
        String listing = listing();
        var recorded = handle.createQuery("SELECT listing, owned FROM " + run.listingsTable + " WHERE table_name = ? AND file = ?")
                .bind(0, table.qualified()).bind(1, file.name())
                .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getLong(2))).findOne();
        if (recorded.isPresent() && recorded.get().getKey().equals(listing) && recorded.get().getValue() == owned()) {
            return;
        }
        boolean firstOfTable = !handle.createQuery("SELECT EXISTS (SELECT FROM " + run.ownershipTable + " WHERE table_name = ?) "
                        + "OR EXISTS (SELECT FROM " + run.listingsTable + " WHERE table_name = ? AND pending IS NOT NULL)")
                .bind(0, table.qualified()).bind(1, table.qualified()).mapTo(Boolean.class).one();
        if (firstOfTable) {
            // Nothing of this table is owned yet (its first load, say): the keys are kept as one array, pending, and
            // written to the ownership table row by row only when a later run needs them there (one that lists other
            // keys, or may remove rows). A million of them cost a first load a second, not a second INSERT of a
            // million rows; a rerun that lists the same keys never writes them.
            handle.createUpdate("INSERT INTO " + run.listingsTable + " AS l (table_name, file, listing, owned, pending) SELECT ?, ?, ?, "
                            + "count(*), array_agg(" + keyExpression("s") + ") FROM " + stage + " s ON CONFLICT (table_name, file) DO UPDATE "
                            + "SET listing = EXCLUDED.listing, owned = EXCLUDED.owned, pending = EXCLUDED.pending")
                    .bind(0, table.qualified()).bind(1, file.name()).bind(2, listing).execute();
            return;
        }
        writePendingOwnership();
        if (run.otherFilesOf(file, table).stream().noneMatch(f -> !f.removal().keeps())) {
            // The only file that removes rows of this table takes over what files that are gone (a renamed
            // file's old name) owned, so that renaming a file and dropping a row at once still removes it.
            handle.createUpdate("UPDATE " + run.ownershipTable + " SET file = ? WHERE table_name = ? AND file <> ALL (?)")
                    .bind(0, file.name()).bind(1, table.qualified())
                    .bind(2, run.allFiles.stream().map(SeedFile::name).toArray(String[]::new)).execute();
        }
        // Only the staged keys that this file does not own yet are written.
        handle.createUpdate("INSERT INTO " + run.ownershipTable + " AS o (table_name, row_key, file) SELECT ?, "
                        + keyExpression("s") + ", ? FROM " + stage + " s LEFT JOIN " + run.ownershipTable + " x ON x.table_name = ? "
                        + "AND x.row_key = " + keyExpression("s") + " WHERE x.file IS DISTINCT FROM ? "
                        + "ON CONFLICT (table_name, row_key) DO UPDATE SET file = EXCLUDED.file WHERE o.file IS DISTINCT FROM EXCLUDED.file")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, table.qualified()).bind(3, file.name()).execute();
        handle.createUpdate("INSERT INTO " + run.listingsTable + " (table_name, file, listing, owned) VALUES (?, ?, ?, ?) "
                        + "ON CONFLICT (table_name, file) DO UPDATE SET listing = EXCLUDED.listing, owned = EXCLUDED.owned")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, listing).bind(3, owned()).execute();
    }

    /** How many rows of the table this file owns: in the ownership table, and pending. */
    private long owned() {
        return handle.createQuery("SELECT (SELECT count(*) FROM " + run.ownershipTable + " WHERE table_name = ? AND file = ?) "
                        + "+ coalesce((SELECT cardinality(pending) FROM " + run.listingsTable + " WHERE table_name = ? AND file = ?), 0)")
                .bind(0, table.qualified()).bind(1, file.name()).bind(2, table.qualified()).bind(3, file.name())
                .mapTo(Long.class).one();
    }

    /**
     * Writes the pending keys of the table's first load to the ownership table, row by row: every
     * statement that reads or changes who owns which row of the table comes after this.
     */
    private void writePendingOwnership() {
        if (handle.createUpdate("INSERT INTO " + run.ownershipTable + " (table_name, row_key, file) SELECT table_name, "
                        + "unnest(pending), file FROM " + run.listingsTable + " WHERE table_name = ? AND pending IS NOT NULL")
                .bind(0, table.qualified()).execute() > 0) {
            handle.createUpdate("UPDATE " + run.listingsTable + " SET pending = NULL WHERE table_name = ? AND pending IS NOT NULL")
                    .bind(0, table.qualified()).execute();
        }
    }

    /**
     * What the ownership of this file's rows depends on, as one text: the staged keys (how many, and
     * two sums of 64-bit hashes of them, which two different sets of keys share once in 2^128), and
     * the seed files there are with the removal modes of those of this table (which decide whether a
     * gone file's rows are taken over).
     */
    private String listing() {
        String keys = handle.createQuery("SELECT count(*) || ':' || coalesce(sum(hashtextextended(k, 0)), 0) || ':' "
                + "|| coalesce(sum(hashtextextended(k, 1)), 0) FROM (SELECT " + keyExpression("s") + " AS k FROM " + stage + " s) keys")
                .mapTo(String.class).one();
        var files = new StringBuilder();
        run.allFiles.stream().sorted(Comparator.comparing(SeedFile::name)).forEach(f -> files.append(f.name()).append('\n')
                .append(f == file || run.otherFilesOf(file, table).contains(f) ? f.removal().mode() + "\n" : ""));
        try {
            return keys + ":" + HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(files.toString().getBytes(UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The second half of a run for this file, after every file has written: the rows it owns but
     * no longer lists are deactivated or deleted, as its removal mode says. Files remove in reverse
     * order, so rows that refer to others are removed before the rows they refer to.
     */
    /** The rows this file removes, once every file has written: where, with which parameters, how many. */
    private String removalWhere;
    private final List<Object> removalParameters = new ArrayList<>();
    long removalCount;

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
    long countRemovals() {
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
            owned = "NOT EXISTS (SELECT 1 FROM " + stage + " s WHERE " + keyMatch("t", "s") + ") AND EXISTS (SELECT 1 FROM "
                    + run.ownershipTable + " o WHERE o.table_name = ? AND o.row_key = " + keyExpression("t") + " AND o.file = ?)";
            removalParameters.addAll(List.of(table.qualified(), file.name()));
        }
        removalWhere = owned + (file.removal().mode().equals("delete") ? ""
                : " AND t." + Catalog.quote(file.removal().column()) + " IS DISTINCT FROM false");
        // Every row the files of this run list is in the table now: a table that holds no other row (a
        // first load, a rerun) has nothing to remove, which its row count says without a join.
        long listed = file.ownsTable() ? listedRows() : rowCount;
        if (session.rowsOf(table.qualified()) == listed) {
            removalCount = 0;
        } else {
            if (!file.ownsTable()) {
                writePendingOwnership();
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
    static void guardRemovals(Run run, List<Seeder> seeders) {
        long total = seeders.stream().mapToLong(s -> s.removalCount).sum();
        if (total <= run.maxRemovals) {
            return;
        }
        var removing = seeders.stream().filter(s -> s.removalCount > 0).toList();
        var first = removing.get(0);
        first.problem(SeedError.in(first.file.displayPath(), first.file.settings().get("removal"), "this run would remove "
                + Report.count(total, "row") + " (deactivate or delete), more than --max-deletes " + run.maxRemovals + " allows: "
                + removing.stream().map(s -> s.removalCount + " of " + s.table.name() + " (" + s.file.name() + ")")
                        .collect(Collectors.joining(", ")))
                .hint("a seed file that lost its rows looks like this; if the removals are meant, rerun with --max-deletes " + total));
    }

    void remove() {
        long started = System.nanoTime();
        try {
            session.withoutNestedLoops(() -> {
                removeAndCount();
                return null;
            });
        } finally {
            durationNanos += System.nanoTime() - started;
        }
    }

    private void removeAndCount() {
        String listedByNoFile = listedByNoFile();
        var removedKeys = new HashSet<String>();
        if (removalCount > 0) {
            removedKeys.addAll(removeRows());
        }
        // Every row the files of this table list is in it now, once: the rest is what they do not list.
        notInFile = session.rowsOf(table.qualified()) - listedRows()
                - (file.removal().mode().equals("deactivate") ? removedKeys.size() : 0);
        if (notInFile == 0) {
            notInFileKeys = List.of();
        } else if (file.removal().keeps()) {
            notInFileKeys = query("SELECT " + keyShown("t") + " FROM " + table.qualified() + " t WHERE " + listedByNoFile
                    + " ORDER BY 1 LIMIT " + Results.FileOutcome.KEYS_LISTED, List.of(), String.class);
        } else if (file.ownsTable()) {
            // Every row of the table is this file's: the ones it does not list it has just removed, or retired before.
            notInFile = 0;
            notInFileKeys = List.of();
        } else {
            // A row this file retired (deactivated) in an earlier run is still its own, not a row no seed file lists.
            String unowned = listedByNoFile + " AND NOT EXISTS (SELECT 1 FROM " + run.ownershipTable + " o WHERE o.table_name = ? "
                    + "AND o.row_key = " + keyExpression("t") + ")";
            notInFile = query("SELECT count(*) FROM " + table.qualified() + " t WHERE " + unowned, List.of(table.qualified()),
                    Long.class).get(0);
            notInFileKeys = notInFile == 0 ? List.of() : query("SELECT " + keyShown("t") + " FROM " + table.qualified() + " t WHERE "
                    + unowned + " ORDER BY 1 LIMIT " + Results.FileOutcome.KEYS_LISTED, List.of(table.qualified()), String.class);
        }
    }

    /** Deactivates or deletes the rows that countRemovals found; returns their keys. */
    private List<String> removeRows() {
        boolean deleting = file.removal().mode().equals("delete");
        String column = deleting ? null : Catalog.quote(file.removal().column());
        String where = removalWhere;
        var parameters = removalParameters;
        long count = removalCount;
        // (owns: table counts without the ownership table; what it deletes is no longer owned, pending or not.)
        writePendingOwnership();
        if (deleting) {
            refuseWhileReferenced(where, parameters);
        }
        String shownValue = deleting ? null : "coalesce(t." + column + "::text, 'null')";
        var shownParameters = new ArrayList<Object>();
        if (!deleting && tableHasSecretCells) {
            // A removal column whose value came from the environment is shown as ***, as every such cell is.
            shownValue = "CASE WHEN EXISTS (SELECT 1 FROM " + run.secretCellsTable + " m WHERE m.table_name = ? AND m.key_columns = "
                    + "?::text[] AND m.row_key = " + keyExpression("t") + " AND m.column_name = ?) THEN '" + Secrets.MASK
                    + "' ELSE " + shownValue + " END";
            shownParameters.addAll(List.of(table.qualified(), file.key().toArray(String[]::new), file.removal().column()));
        }
        shownParameters.addAll(parameters);
        var removed = query("SELECT " + keyShown("t") + (deleting ? "" : " || E'\\t' || " + shownValue)
                + " FROM " + table.qualified() + " t WHERE " + where + " ORDER BY 1", shownParameters, String.class);
        if (deleting && run.production && !run.allowDelete) {
            problem(SeedError.in(file.displayPath(), file.settings().get("removal"), (run.environment.equals("production") ? "this production run"
                    : "this run for " + run.environment + " (declared production)") + " would delete "
                    + Report.count(count, "row") + " of " + table.name() + " (" + String.join(", ", removed.subList(0, Math.min(5,
                    removed.size()))) + (count > 5 ? ", …" : "") + "), and deleting in production needs --allow-delete")
                    .hint("check the plan; if the deletions are meant, rerun with --allow-delete"));
        }
        for (String removedRow : removed.subList(0, Math.min(removed.size(), Math.max(0, Results.FileOutcome.DETAIL_LIMIT - changes.size())))) {
            if (deleting) {
                changes.add(new Results.Change(removedRow, null, Results.Action.DELETE, List.of()));
            } else {
                int tab = removedRow.lastIndexOf('\t');
                changes.add(new Results.Change(removedRow.substring(0, tab), null, Results.Action.DEACTIVATE,
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
            throw constraintError(sql, null);
        }
        if (deleting) {
            deleted += count;
            forgetSecretCellsOfDeletedRows();
            int released = handle.createUpdate("DELETE FROM " + run.ownershipTable + " o WHERE o.table_name = ? AND o.file = ? "
                            + "AND NOT EXISTS (SELECT 1 FROM " + table.qualified() + " t WHERE " + keyExpression("t") + " = o.row_key)")
                    .bind(0, table.qualified()).bind(1, file.name()).execute();
            // None of them is listed (every listed row is in the table): what the file lists, it still owns.
            handle.createUpdate("UPDATE " + run.listingsTable + " SET owned = owned - ? WHERE table_name = ? AND file = ?")
                    .bind(0, released).bind(1, table.qualified()).bind(2, file.name()).execute();
        } else {
            deactivated += count;
        }
        return deleting ? removed : removed.stream().map(r -> r.substring(0, r.lastIndexOf('\t'))).toList();
    }

    /** In a plan, a guard that would stop the run is a warning, so that the plan still shows every removal. */
    private void problem(SeedError error) {
        if (run.dryRun) {
            warnings.add(error.paragraph().replace(" Nothing was written.", "").replaceFirst("^[^:]+:\\d+:\\d+: ", ""));
        } else {
            throw error;
        }
    }

    /** A delete never cascades silently: rows that still refer to a row to delete stop the run, by name. */
    private void refuseWhileReferenced(String where, List<Object> parameters) {
        for (var foreignKey : table.referencedBy()) {
            var from = foreignKey.selfReference() ? table
                    : Catalog.find(handle, foreignKey.fromSchema() + "." + foreignKey.fromTable()).orElseThrow();
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

    private <T> List<T> query(String sql, List<Object> parameters, Class<T> type) {
        var query = handle.createQuery(sql);
        for (int i = 0; i < parameters.size(); i++) {
            query.bind(i, parameters.get(i));
        }
        return query.mapTo(type).list();
    }

    // ── errors ──────────────────────────────────────────────────────────────────────────────

    /** A refused write: the file, the row when known, PostgreSQL's words, and the constraint's comment or definition. */
    private SeedError constraintError(SQLException e, SeedFile.Row row) {
        if (!Objects.requireNonNullElse(e.getSQLState(), "").startsWith("2")) {
            return SeedError.fromSql(e, session.target);
        }
        var error = e instanceof PSQLException pg ? pg.getServerErrorMessage() : null;
        SeedFile.Pos pos = row == null ? null : row.pos();
        String hint = null;
        if (error != null && error.getConstraint() != null) {
            try {
                handle.getConnection().rollback(beforeWrites);
            } catch (SQLException unusable) {
                return new SeedError(SeedError.EXIT_FAILED, file.displayPath(), SeedError.describe(e), null, e);
            }
            var constraint = handle.createQuery("""
                            SELECT coalesce(obj_description(c.oid, 'pg_constraint'), 'the constraint is ' || pg_get_constraintdef(c.oid)),
                                   array(SELECT a.attname::text FROM pg_attribute a
                                         WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))
                            FROM pg_constraint c WHERE c.conname = ? AND c.conrelid = ?::regclass""")
                    .bind(0, error.getConstraint()).bind(1, table.qualified())
                    .map((rs, ctx) -> Map.entry(rs.getString(1), List.of((String[]) rs.getArray(2).getArray())))
                    .findOne();
            if (constraint.isPresent()) {
                hint = constraint.get().getKey();
                var columns = constraint.get().getValue();
                if (row != null && columns.size() == 1 && row.values().containsKey(columns.get(0))) {
                    pos = row.values().get(columns.get(0)).pos();
                }
                if (row == null && columns.size() == 1) {
                    var clashing = rowsHolding(columns.get(0), error.getDetail());
                    if (clashing.size() > 1) {
                        pos = clashing.get(1).pos();
                        return new SeedError(SeedError.EXIT_FAILED, pos.where(file.displayPath()), "rows " + String.join(
                                " and ", clashing.stream().map(r -> keyText(r) + " (line " + r.pos().line() + ")").toList())
                                + " give " + columns.get(0) + " the same value, which " + error.getConstraint() + " allows once: "
                                + SeedError.describe(e), hint, e);
                    }
                }
            }
        }
        if (row != null && error != null && error.getColumn() != null && row.values().containsKey(error.getColumn())) {
            pos = row.values().get(error.getColumn()).pos();
        }
        // Once the row is named, PostgreSQL's "Failing row contains (…)" only repeats it.
        String message = row == null ? "table " + table.name() + ": " + SeedError.describe(e)
                : "row " + keyText(row) + ": " + SeedError.describe(e).replace(" (" + SeedError.FAILING_ROW_NOT_SHOWN + ")", "");
        return new SeedError(SeedError.EXIT_FAILED, pos == null ? file.displayPath() : pos.where(file.displayPath()), message, hint, e);
    }

    private static final Pattern CONFLICTING_KEY = Pattern.compile("Key \\((.+?)\\)=\\((.*?)\\) conflicts with existing key.*");

    /**
     * The rows of this file that give the column the value a unique or exclusion constraint found
     * twice (PostgreSQL's detail says which: Key (is_default)=(t) conflicts with …), at most five.
     */
    private List<SeedFile.Row> rowsHolding(String column, String detail) {
        Matcher m = detail == null ? null : CONFLICTING_KEY.matcher(detail);
        if (m == null || !m.matches() || !m.group(1).equals(column) || !table.columns().containsKey(column)) {
            return List.of();
        }
        try {
            // The detail has the value as its type writes it (t for true): read back as that type, not compared as text.
            var found = handle.createQuery("SELECT s." + ROW + " FROM " + stage + " s WHERE s." + Catalog.quote(column)
                            + " = CAST(? AS " + table.columns().get(column).type() + ") ORDER BY 1 LIMIT 5")
                    .bind(0, m.group(2)).mapTo(Integer.class).list();
            return List.copyOf(rows.get(new TreeSet<>(found)).values().stream()
                    .sorted(Comparator.comparingInt(r -> r.pos().line())).toList());
        } catch (RuntimeException cannotTell) {
            return List.of();
        }
    }

    private static void appendCopyField(StringBuilder line, String value) {
        if (value == null) {
            line.append("\\N");
            return;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> line.append("\\\\");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                case '\t' -> line.append("\\t");
                default -> line.append(c);
            }
        }
    }

    static final class Values {
        /** The input text for the column, or null for SQL NULL. */
        static String text(SeedFile.Value value, Catalog.Column column, SeedFile file) {
            if (value == null || value.kind() == SeedFile.Kind.NULL) {
                return null;
            }
            if (value.kind() == SeedFile.Kind.LITERAL) {
                return checkScale(value.text(), value, column, file);
            }
            if (column.json()) {
                return json(value, file);
            }
            if (column.array()) {
                if (value.kind() != SeedFile.Kind.LIST) {
                    throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type()
                            + ": write its value as a list, e.g. [a, b]");
                }
                return arrayLiteral(value, column, file);
            }
            if (value.kind() == SeedFile.Kind.LIST || value.kind() == SeedFile.Kind.MAP) {
                throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type() + ": a YAML "
                        + (value.kind() == SeedFile.Kind.LIST ? "list fits only a json, jsonb or array column"
                        : "mapping fits only a json or jsonb column, or a foreign key column (a reference, as in {model_id: gpt-4o})"));
            }
            return checkScale(scalar(value, column.category(), column.baseType(), file), value, column, file);
        }

        /** A numeric(p,s) column rounds a value with more decimals: that is an error, never a silent rounding. */
        private static String checkScale(String text, SeedFile.Value value, Catalog.Column column, SeedFile file) {
            Integer scale = column.numericScale();
            if (scale != null) {
                // Read as text: BigDecimal reads a number of many digits in quadratic time (seconds at 100,000).
                if (!DECIMAL.matcher(text.trim()).matches()) {
                    return text;   // PostgreSQL reports it, with the row and column
                }
                if (decimalsNeeded(text.trim()) > scale) {
                    var number = new BigDecimal(text.trim());
                    throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type() + ", which keeps "
                            + scale + " decimals: " + (value.fromEnvironment() ? "the value of " + value.template()
                            + " has more (it is not shown: it comes from the environment)" : value.text() + " would be stored as "
                            + number.setScale(scale, java.math.RoundingMode.HALF_UP).toPlainString()))
                            .hint("write the value the column can hold, or widen the column in a migration");
                }
            }
            return text;
        }

        /**
         * The decimals a number needs, counted in its text: 0.50 needs 1, 1.5e-3 needs 4, 100e-3 needs
         * 1, 120 none. BigDecimal.stripTrailingZeros would say the same, but divides by ten once per
         * zero: a value of a hundred thousand digits took minutes.
         */
        static long decimalsNeeded(String number) {
            int e = Math.max(number.indexOf('e'), number.indexOf('E'));
            String exponentText = e < 0 ? "0" : number.substring(e + 1).replace("+", "");
            if (exponentText.replace("-", "").length() > 6) {
                return 0;   // beyond ±1000 PostgreSQL refuses the number itself
            }
            long exponent = Long.parseLong(exponentText);
            String mantissa = e < 0 ? number : number.substring(0, e);
            int dot = mantissa.indexOf('.');
            long decimals = dot < 0 ? 0 : mantissa.length() - dot - 1;
            int last = mantissa.length() - 1;
            while (last >= 0 && (mantissa.charAt(last) == '0' || mantissa.charAt(last) == '.')) {
                decimals -= mantissa.charAt(last) == '0' ? 1 : 0;
                last--;
            }
            if (last < 0 || !Character.isDigit(mantissa.charAt(last))) {
                return 0;   // zero needs no decimals
            }
            return decimals - exponent;
        }

        private static String scalar(SeedFile.Value value, char category, String baseType, SeedFile file) {
            return switch (value.kind()) {
                case INT, FLOAT -> category == 'N' ? number(value, file) : value.text();
                case BINARY -> {
                    if (!"bytea".equals(baseType)) {
                        yield value.text();
                    }
                    try {
                        yield "\\x" + HexFormat.of().formatHex(Base64.getMimeDecoder().decode(value.text()));
                    } catch (IllegalArgumentException e) {
                        throw SeedError.in(file.displayPath(), value.pos(), "!!binary value is not base64");
                    }
                }
                default -> value.text();
            };
        }

        /** A number as BigDecimal and PostgreSQL's numeric read it. */
        private static final Pattern DECIMAL = Pattern.compile("[-+]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?");

        private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9]*(:[0-5]?[0-9])+(\\.[0-9]*)?");

        /**
         * A YAML number as PostgreSQL numeric input: digits as written (0.010 keeps its scale; 0777 is
         * 777), no underscores. YAML's other spellings would be changed on the way in, so each is an
         * error: 0x, 0o and 0b numbers, base 60 (1:30), .nan and .inf (NaN even passes CHECK (x >= 0)).
         */
        static String number(SeedFile.Value value, SeedFile file) {
            String text = value.text().replace("_", "");
            String lower = text.toLowerCase(Locale.ROOT);
            String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
            if (unsigned.equals(".inf") || unsigned.equals(".nan")) {
                String special = unsigned.equals(".nan") ? "NaN" : lower.startsWith("-") ? "-Infinity" : "Infinity";
                throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is YAML's " + (special.equals("NaN")
                        ? "not-a-number" : "infinity") + ", which a seed file does not write as a number")
                        .hint("PostgreSQL's " + special + " (which passes a CHECK such as x >= 0) is written on purpose, quoted: \""
                                + special + "\"");
            }
            if (unsigned.startsWith("0x") || unsigned.startsWith("0o") || unsigned.startsWith("0b")) {
                String base = unsigned.charAt(1) == 'x' ? "hexadecimal" : unsigned.charAt(1) == 'o' ? "octal" : "binary";
                String decimal;
                try {
                    var number = new BigInteger(unsigned.substring(2), unsigned.charAt(1) == 'x' ? 16 : unsigned.charAt(1) == 'o' ? 8 : 2);
                    decimal = (lower.startsWith("-") ? number.negate() : number).toString();
                } catch (NumberFormatException e) {
                    decimal = null;
                }
                throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is " + (base.equals("octal") ? "an " : "a ")
                        + base + " number, which a seed "
                        + "file does not convert").hint("write it in decimal" + (decimal == null ? "" : ": " + decimal));
            }
            if (SEXAGESIMAL.matcher(text).matches()) {
                throw SeedError.in(file.displayPath(), value.pos(), value.text() + " is a base 60 number to YAML 1.1 "
                        + "(1:30 is 90), which a seed file does not convert").hint("write the number in decimal (a time or "
                        + "interval column takes 1:30 as it is written)");
            }
            try {
                new BigDecimal(text);
                return text;
            } catch (NumberFormatException e) {
                throw SeedError.in(file.displayPath(), value.pos(), "\"" + value.text() + "\" is not a number");
            }
        }

        static String json(SeedFile.Value value, SeedFile file) {
            var out = new StringBuilder();
            writeJson(out, value, file, false);
            return out.toString();
        }

        /** The JSON a value would be, but with each value from the environment as its template: for showing. */
        static String jsonWithTemplates(SeedFile.Value value, SeedFile file) {
            var out = new StringBuilder();
            writeJson(out, value, file, true);
            return out.toString();
        }

        private static void writeJson(StringBuilder out, SeedFile.Value value, SeedFile file, boolean templates) {
            if (templates && value.template() != null) {
                Json.quote(out, value.template());
                return;
            }
            switch (value.kind()) {
                case NULL -> out.append("null");
                case BOOL -> out.append(value.text().toLowerCase(Locale.ROOT));
                case INT, FLOAT -> out.append(new BigDecimal(number(value, file)));
                case LIST -> {
                    out.append('[');
                    for (int i = 0; i < value.items().size(); i++) {
                        out.append(i == 0 ? "" : ",");
                        writeJson(out, value.items().get(i), file, templates);
                    }
                    out.append(']');
                }
                case MAP -> {
                    out.append('{');
                    boolean first = true;
                    for (var entry : value.entries().entrySet()) {
                        out.append(first ? "" : ",");
                        first = false;
                        Json.quote(out, entry.getKey());
                        out.append(':');
                        writeJson(out, entry.getValue(), file, templates);
                    }
                    out.append('}');
                }
                default -> Json.quote(out, value.text());
            }
        }

        /** A YAML list as a PostgreSQL array literal: {"a","b"}, nested lists for more dimensions. */
        private static String arrayLiteral(SeedFile.Value list, Catalog.Column column, SeedFile file) {
            var out = new StringBuilder("{");
            for (int i = 0; i < list.items().size(); i++) {
                var item = list.items().get(i);
                out.append(i == 0 ? "" : ",");
                if (item.kind() == SeedFile.Kind.NULL) {
                    out.append("NULL");
                } else if (item.kind() == SeedFile.Kind.LIST) {
                    out.append(arrayLiteral(item, column, file));
                } else {
                    String text = item.kind() == SeedFile.Kind.MAP || column.elementJson() ? json(item, file)
                            : scalar(item, column.elementCategory(), column.elementType(), file);
                    out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                }
            }
            return out.append('}').toString();
        }
    }
}
