// Seeding one file: stage its rows, compare them with the table, write what differs.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.jdbi.v3.core.Handle;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

final class Seeder {

    /** A column's value before and after; before is null for a row the run inserts. */
    record ColumnChange(String column, String before, String after) {}

    /** A row the run inserts (with the values it gives) or updates (with the columns that change). */
    record RowChange(String key, SeedFile.Pos pos, boolean inserted, List<ColumnChange> columns) {
        /** {"key", "line", "action", "columns": [{"column", "old", "new"}]}: as --json prints it and the history keeps it. */
        Map<String, Object> json() {
            var json = new LinkedHashMap<String, Object>();
            json.put("key", key);
            json.put("line", pos.line());
            json.put("action", inserted ? "insert" : "update");
            json.put("columns", columns.stream().map(c -> {
                var column = new LinkedHashMap<String, Object>();
                column.put("column", c.column());
                column.put("old", c.before());
                column.put("new", c.after());
                return column;
            }).toList());
            return json;
        }
    }

    /**
     * What a file did to its table. The counts are exact; the changed rows are listed in full up
     * to {@link #DETAIL_LIMIT} (changesComplete says whether that was all of them), the keys of the
     * table's rows that the file does not give up to {@link #KEYS_LISTED}.
     */
    record Outcome(SeedFile file, Catalog.Table table, List<RowChange> changes, boolean changesComplete,
                   long inserted, long updated, long unchanged, long notInFile, List<String> notInFileKeys,
                   long durationNanos) {

        List<Map<String, Object>> changesJson() {
            return changes.stream().map(RowChange::json).toList();
        }

        Map<String, Object> json() {
            var json = new LinkedHashMap<String, Object>();
            json.put("file", file.name());
            json.put("path", file.displayPath());
            json.put("checksum", file.checksum());
            json.put("table", table.name());
            json.put("inserted", inserted);
            json.put("updated", updated);
            json.put("unchanged", unchanged);
            json.put("not_in_file", notInFile);
            json.put("not_in_file_keys", notInFileKeys);
            json.put("changes_complete", changesComplete);
            json.put("changes", changesJson());
            json.put("duration_ms", durationNanos / 1_000_000);
            return json;
        }
    }

    static final int DETAIL_LIMIT = 10_000, KEYS_LISTED = 100;

    private static final String ROW = Catalog.quote("seed.row"), GROUP = Catalog.quote("seed.group");
    /** Where a write statement takes an extra condition on the staged rows. */
    private static final String ROWS = "/*rows*/";

    final Session session;
    final Handle handle;
    final SeedFile file;
    final List<SeedFile.Row> rows;
    Catalog.Table table;
    String stage;
    /** The column group of each row, by row index. */
    int[] rowGroup;
    java.sql.Savepoint beforeWrites;

    Seeder(Session session, SeedFile file) {
        this.session = session;
        this.handle = session.handle;
        this.file = file;
        this.rows = file.effectiveRows();
    }

    Outcome apply() {
        long started = System.nanoTime();
        table = Catalog.table(handle, file);
        var groups = validate();
        session.run("LOCK TABLE " + table.qualified() + " IN SHARE ROW EXCLUSIVE MODE");
        stage(groups);
        rejectDuplicateKeys();
        rejectKeysOfOtherFiles();
        try {
            // PostgreSQL aborts the transaction on an error; rolling back to here lets the
            // error message still consult the catalog.
            beforeWrites = handle.getConnection().setSavepoint("seed_file");
        } catch (SQLException e) {
            throw SeedError.fromSql(e, session.target);
        }
        var changes = new ArrayList<RowChange>();
        long inserted = 0, updated = 0;
        for (var group : groups.values()) {
            var diff = diff(group, DETAIL_LIMIT - changes.size());
            if (diff.firstInsert() != null) {
                requireValuesForInsert(group, diff.firstInsert());
            }
            if (write(updateStatement(group)) != diff.updated() || write(insertStatement(group)) != diff.inserted()) {
                // Cannot happen while the run holds its lock on the table; a check, not an expectation.
                throw SeedError.in(file.displayPath(), null, "the rows written differ from the rows that differ")
                        .hint("the table changed during the run; rerun");
            }
            inserted += diff.inserted();
            updated += diff.updated();
            changes.addAll(diff.kept());
        }
        checkDeferredConstraints();
        String notInFileWhere = " FROM " + table.qualified() + " t WHERE NOT EXISTS (SELECT 1 FROM " + stage + " s WHERE "
                + keyMatch("t", "s") + ")";
        long notInFile = handle.createQuery("SELECT count(*)" + notInFileWhere).mapTo(Long.class).one();
        var notInFileKeys = notInFile == 0 ? List.<String>of() : handle.createQuery("SELECT " + keyExpression("t")
                + notInFileWhere + " ORDER BY 1 LIMIT " + KEYS_LISTED).mapTo(String.class).list();
        session.staged.add(new Session.Staged(stage, table.qualified(), file, rows));
        changes.sort(Comparator.comparing(c -> c.pos().line()));
        return new Outcome(file, table, changes, changes.size() == inserted + updated, inserted, updated,
                rows.size() - inserted - updated, notInFile, notInFileKeys, System.nanoTime() - started);
    }

    /** A row's key as text: the value, or the values joined with ", " for a key of several columns. */
    private String keyExpression(String alias) {
        return file.key().size() == 1 ? alias + "." + Catalog.quote(file.key().get(0)) + "::text"
                : "concat_ws(', ', " + file.key().stream().map(k -> alias + "." + Catalog.quote(k) + "::text")
                        .collect(Collectors.joining(", ")) + ")";
    }

    /** The columns a set of rows gives; rows giving the same columns are staged and upserted together. */
    record Group(int id, List<Catalog.Column> columns) {}

    /** Checks every name against the catalog and every key for presence; returns the rows' column groups. */
    private Map<List<String>, Group> validate() {
        for (String keyColumn : file.key()) {
            if (!table.columns().containsKey(keyColumn)) {
                throw unknownColumn(keyColumn, file.keyPos());
            }
        }
        if (table.uniqueKeys().stream().noneMatch(k -> Set.copyOf(k).equals(Set.copyOf(file.key())))) {
            String existing = table.uniqueKeys().stream().map(k -> String.join(", ", k))
                    .map(k -> "(" + k + ")").collect(Collectors.joining(" or "));
            throw SeedError.in(file.displayPath(), file.keyPos(), "the key (" + String.join(", ", file.key())
                    + ") is not unique in " + table.name() + ": no unique constraint covers exactly these columns")
                    .hint(existing.isEmpty() ? "add one in a migration: ALTER TABLE " + table.name() + " ADD UNIQUE ("
                            + String.join(", ", file.key()) + ")" : "its unique keys are " + existing);
        }
        var groups = new LinkedHashMap<List<String>, Group>();
        rowGroup = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            var row = rows.get(i);
            for (String keyColumn : file.key()) {
                var value = row.values().get(keyColumn);
                if (value == null || value.kind() == SeedFile.Kind.NULL) {
                    throw SeedError.in(file.displayPath(), value == null ? row.pos() : value.pos(),
                            "this row has no value for the key column " + keyColumn);
                }
            }
            for (var entry : row.values().entrySet()) {
                var column = table.columns().get(entry.getKey());
                if (column == null) {
                    throw unknownColumn(entry.getKey(), entry.getValue().columnPos());
                }
                if (column.generated() || column.identityAlways()) {
                    throw SeedError.in(file.displayPath(), entry.getValue().pos(), "column " + column.name()
                            + " is generated by the database and cannot be given a value");
                }
                if (column.notNull() && entry.getValue().kind() == SeedFile.Kind.NULL) {
                    throw SeedError.in(file.displayPath(), entry.getValue().pos(), "column " + column.name()
                            + " is NOT NULL, but this row gives it no value (null)");
                }
            }
            var names = table.columns().keySet().stream().filter(row.values()::containsKey).toList();
            rowGroup[i] = groups.computeIfAbsent(names, n -> new Group(groups.size() + 1,
                    n.stream().map(table.columns()::get).toList())).id();
        }
        return groups;
    }

    private SeedError unknownColumn(String name, SeedFile.Pos pos) {
        return SeedError.in(file.displayPath(), pos, "table " + table.name() + " has no column \"" + name + "\""
                + SeedError.didYouMean(name, table.columns().keySet()));
    }

    /** COPY every row into a temporary table typed like the target; PostgreSQL parses each value. */
    private void stage(Map<List<String>, Group> groups) {
        // The key columns always: even a file without rows is compared with its table.
        var used = table.columns().values().stream()
                .filter(c -> file.key().contains(c.name()) || groups.values().stream().anyMatch(g -> g.columns().contains(c)))
                .toList();
        stage = "pg_temp." + Catalog.quote("seed_stage_" + session.staged.size());
        session.run("CREATE TEMPORARY TABLE " + stage + " (" + ROW + " integer, " + GROUP + " integer"
                + used.stream().map(c -> ", " + Catalog.quote(c.name()) + " " + c.type()).collect(Collectors.joining())
                + ") ON COMMIT DROP");
        String copy = "COPY " + stage + " (" + ROW + ", " + GROUP
                + used.stream().map(c -> ", " + Catalog.quote(c.name())).collect(Collectors.joining()) + ") FROM STDIN";
        try {
            CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(copy);
            try {
                var line = new StringBuilder();
                var buffer = new java.io.ByteArrayOutputStream(1 << 16);
                for (int i = 0; i < rows.size(); i++) {
                    var row = rows.get(i);
                    line.setLength(0);
                    line.append(i).append('\t').append(rowGroup[i]);
                    for (var column : used) {
                        line.append('\t');
                        appendCopyField(line, Values.text(row.values().get(column.name()), column, file));
                    }
                    buffer.writeBytes(line.append('\n').toString().getBytes(UTF_8));
                    if (buffer.size() >= 1 << 16) {
                        in.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                        buffer.reset();
                    }
                }
                in.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                in.endCopy();
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
            throw copyError(e);
        }
    }

    private static final Pattern COPY_WHERE = Pattern.compile("COPY [^,]+, line (\\d+), column (.+?)(?::|$)");

    /** A value PostgreSQL refused, traced back to the row and column of the seed file. */
    private SeedError copyError(SQLException e) {
        var where = e instanceof PSQLException pg && pg.getServerErrorMessage() != null
                ? pg.getServerErrorMessage().getWhere() : null;
        Matcher m = where == null ? null : COPY_WHERE.matcher(where);
        if (m != null && m.find()) {
            var row = rows.get(Integer.parseInt(m.group(1)) - 1);
            String columnName = m.group(2);
            var column = table.columns().get(columnName);
            var value = row.values().get(columnName);
            return new SeedError(seed_database.EXIT_FAILED, file.displayPath() + ":" + (value != null ? value.pos() : row.pos()),
                    columnName + " (" + (column != null ? column.type() : "?") + "): " + SeedError.describe(e), null, e);
        }
        return new SeedError(seed_database.EXIT_FAILED, file.displayPath(), SeedError.describe(e), null, e);
    }

    private void rejectDuplicateKeys() {
        String keys = file.key().stream().map(k -> "s." + Catalog.quote(k)).collect(Collectors.joining(", "));
        var duplicate = handle.createQuery("SELECT array_agg(s." + ROW + " ORDER BY s." + ROW + ") FROM " + stage
                        + " s GROUP BY " + keys + " HAVING count(*) > 1 ORDER BY min(s." + ROW + ") LIMIT 1")
                .map((rs, ctx) -> (Integer[]) rs.getArray(1).getArray()).findOne();
        if (duplicate.isPresent()) {
            var lines = Stream.of(duplicate.get()).map(i -> String.valueOf(rows.get(i).pos().line())).toList();
            var second = rows.get(duplicate.get()[1]);
            throw SeedError.in(file.displayPath(), second.pos(), "the key " + keyText(second) + " is given twice (rows at lines "
                    + String.join(" and ", lines) + ")").hint("each key may appear once in a seed file");
        }
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
                        + earlier.file().displayPath() + ":" + other.pos()).hint("a row belongs to one seed file; "
                        + "otherwise each run would write one file's values, then the other's");
            }
        }
    }

    private String keyText(SeedFile.Row row) {
        return file.key().stream().map(k -> row.values().get(k).text()).collect(Collectors.joining(", "));
    }

    private String keyMatch(String left, String right) {
        return file.key().stream().map(k -> left + "." + Catalog.quote(k) + " = " + right + "." + Catalog.quote(k))
                .collect(Collectors.joining(" AND "));
    }

    /** A group's rows to insert and to update: counted all, listed up to a limit. */
    record Diff(long inserted, long updated, List<RowChange> kept, RowChange firstInsert) {}

    /**
     * Rows of the group that the run inserts or changes, with every changed column's old and new
     * value (and every value of a new row), read as a stream: only the first {@code keep} are kept.
     */
    private Diff diff(Group group, int keep) {
        var values = valueColumns(group);
        var select = new StringBuilder("SELECT s." + ROW + ", t." + Catalog.quote(file.key().get(0)) + " IS NULL, "
                + keyExpression("s"));
        for (var c : values) {
            select.append(", t.").append(Catalog.quote(c.name())).append("::text, s.").append(Catalog.quote(c.name())).append("::text, ")
                    .append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        select.append(" FROM ").append(stage).append(" s LEFT JOIN ").append(table.qualified()).append(" t ON ")
                .append(keyMatch("t", "s")).append(" WHERE s.").append(GROUP).append(" = ").append(group.id())
                .append(" AND (t.").append(Catalog.quote(file.key().get(0))).append(" IS NULL");
        for (var c : values) {
            select.append(" OR ").append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
        }
        select.append(") ORDER BY s.").append(ROW);
        var kept = new ArrayList<RowChange>();
        long[] counts = new long[2];
        RowChange[] firstInsert = new RowChange[1];
        handle.createQuery(select.toString()).setFetchSize(1000).map((rs, ctx) -> {
            var row = rows.get(rs.getInt(1));
            boolean inserted = rs.getBoolean(2);
            var changed = new ArrayList<ColumnChange>();
            for (int i = 0; i < values.size(); i++) {
                if (inserted || rs.getBoolean(6 + 3 * i)) {
                    changed.add(new ColumnChange(values.get(i).name(), rs.getString(4 + 3 * i), rs.getString(5 + 3 * i)));
                }
            }
            // The key as PostgreSQL stores it (0x10 is 16), not as the file spells it.
            return new RowChange(rs.getString(3), row.pos(), inserted, changed);
        }).forEach(change -> {
            counts[change.inserted() ? 0 : 1]++;
            if (change.inserted() && firstInsert[0] == null) {
                firstInsert[0] = change;
            }
            if (kept.size() < keep) {
                kept.add(change);
            }
        });
        return new Diff(counts[0], counts[1], kept, firstInsert[0]);
    }

    private List<Catalog.Column> valueColumns(Group group) {
        return group.columns().stream().filter(c -> !file.key().contains(c.name())).toList();
    }

    /** A row to insert must give every NOT NULL column that has no default. */
    private void requireValuesForInsert(Group group, RowChange first) {
        var missing = table.columns().values().stream()
                .filter(c -> c.notNull() && !c.hasDefault() && !group.columns().contains(c))
                .map(Catalog.Column::name).toList();
        if (!missing.isEmpty()) {
            throw SeedError.in(file.displayPath(), first.pos(), "the new row " + first.key() + " gives no value for "
                    + String.join(", ", missing) + (missing.size() == 1 ? ", which is" : ", which are")
                    + " NOT NULL without a default");
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
    private String updateStatement(Group group) {
        var values = valueColumns(group);
        if (values.isEmpty()) {
            return null;
        }
        return "UPDATE " + table.qualified() + " AS t SET "
                + values.stream().map(c -> Catalog.quote(c.name()) + " = s." + Catalog.quote(c.name())).collect(Collectors.joining(", "))
                + " FROM " + stage + " s WHERE " + keyMatch("t", "s") + " AND s." + GROUP + " = " + group.id() + ROWS + " AND ("
                + values.stream().map(c -> c.comparable("t") + " IS DISTINCT FROM " + c.comparable("s"))
                        .collect(Collectors.joining(" OR ")) + ")";
    }

    /** The group's new rows; columns they leave out get the table's defaults. */
    private String insertStatement(Group group) {
        String columns = group.columns().stream().map(c -> Catalog.quote(c.name())).collect(Collectors.joining(", "));
        return "INSERT INTO " + table.qualified() + " (" + columns + ") SELECT "
                + group.columns().stream().map(c -> "s." + Catalog.quote(c.name())).collect(Collectors.joining(", "))
                + " FROM " + stage + " s WHERE s." + GROUP + " = " + group.id() + ROWS + " AND NOT EXISTS (SELECT 1 FROM "
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
        int low = 0, high = rows.size() - 1;
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
                return new SeedError(seed_database.EXIT_FAILED, file.displayPath(), SeedError.describe(e), null, e);
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
            }
        }
        if (row != null && error != null && error.getColumn() != null && row.values().containsKey(error.getColumn())) {
            pos = row.values().get(error.getColumn()).pos();
        }
        // Once the row is named, PostgreSQL's "Failing row contains (…)" only repeats it.
        String message = row == null ? "table " + table.name() + ": " + SeedError.describe(e)
                : "row " + keyText(row) + ": " + SeedError.describe(e).replaceFirst(" \\(Failing row contains .*\\)$", "");
        return new SeedError(seed_database.EXIT_FAILED, pos == null ? file.displayPath() : file.displayPath() + ":" + pos, message, hint, e);
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
                        + (value.kind() == SeedFile.Kind.LIST ? "list" : "mapping") + " fits only a json, jsonb or array column");
            }
            String text = scalar(value, column.category(), column.baseType(), file);
            Integer scale = column.numericScale();
            if (scale != null) {
                BigDecimal number;
                try {
                    number = new BigDecimal(text.trim());
                } catch (NumberFormatException notANumber) {
                    return text;   // PostgreSQL reports it, with the row and column
                }
                if (number.stripTrailingZeros().scale() > scale) {
                    throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type() + ", which keeps "
                            + scale + " decimals: " + value.text() + " would be stored as "
                            + number.setScale(scale, java.math.RoundingMode.HALF_UP).toPlainString())
                            .hint("write the value the column can hold, or widen the column in a migration");
                }
            }
            return text;
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

        private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9]*(:[0-5]?[0-9])+(\\.[0-9]*)?");

        /** A YAML number as PostgreSQL numeric input: digits as written (0.010 keeps its scale), no underscores. */
        static String number(SeedFile.Value value, SeedFile file) {
            String text = value.text().replace("_", "");
            String lower = text.toLowerCase(Locale.ROOT);
            boolean negative = lower.startsWith("-");
            String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
            try {
                if (unsigned.equals(".inf")) {
                    return negative ? "-Infinity" : "Infinity";
                } else if (unsigned.equals(".nan")) {
                    return "NaN";
                } else if (unsigned.startsWith("0x") || unsigned.startsWith("0o") || unsigned.startsWith("0b")) {
                    int radix = unsigned.charAt(1) == 'x' ? 16 : unsigned.charAt(1) == 'o' ? 8 : 2;
                    var number = new BigInteger(unsigned.substring(2), radix);
                    return (negative ? number.negate() : number).toString();
                } else if (SEXAGESIMAL.matcher(text).matches()) {
                    var number = BigDecimal.ZERO;
                    for (String part : unsigned.split(":")) {
                        number = number.multiply(BigDecimal.valueOf(60)).add(new BigDecimal(part));
                    }
                    return (negative ? number.negate() : number).toPlainString();
                }
                new BigDecimal(text);
                return text;
            } catch (NumberFormatException e) {
                throw SeedError.in(file.displayPath(), value.pos(), "\"" + value.text() + "\" is not a number");
            }
        }

        static String json(SeedFile.Value value, SeedFile file) {
            var out = new StringBuilder();
            writeJson(out, value, file);
            return out.toString();
        }

        private static void writeJson(StringBuilder out, SeedFile.Value value, SeedFile file) {
            switch (value.kind()) {
                case NULL -> out.append("null");
                case BOOL -> out.append(value.text().toLowerCase(Locale.ROOT));
                case INT, FLOAT -> {
                    String number = number(value, file);
                    if (number.equals("NaN") || number.endsWith("Infinity")) {
                        throw SeedError.in(file.displayPath(), value.pos(), value.text() + " has no JSON form");
                    }
                    out.append(new BigDecimal(number));
                }
                case LIST -> {
                    out.append('[');
                    for (int i = 0; i < value.items().size(); i++) {
                        out.append(i == 0 ? "" : ",");
                        writeJson(out, value.items().get(i), file);
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
                        writeJson(out, entry.getValue(), file);
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
