// The writes of one file: UPDATE … FROM the stage and INSERT … of its new rows, group by group,
// and a refused write traced to its row (by bisection) and its constraint.

import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.postgresql.util.PSQLException;

/** Writes what the diff found, and words what PostgreSQL refuses. */
final class Writes extends FileContext.Step {

    Writes(FileContext c) {
        super(c);
    }

    /**
     * Writes what the diff of a group (and layer) found: its changed rows, then its new rows,
     * exactly the rows the diff marked in the changes table (nothing is compared again). The rows
     * written must be the rows the diff counted.
     */
    void write(FileContext.Group group, Diff.Found found) {
        // (A group that gives only its key has no rows to change: only rows to insert.)
        long updatedNow = found.updated() == 0 ? 0 : execute(new Statement(true, group, found.slice()));
        long insertedNow = found.inserted() == 0 ? 0 : execute(new Statement(false, group, found.slice()));
        if (updatedNow != found.updated() || insertedNow != found.inserted()) {
            // Cannot happen while the run holds its lock on the table; a check, not an expectation.
            throw SeedError.in(file.displayPath(), null, "the rows written differ from the rows that differ")
                    .hint("the table changed during the run; rerun");
        }
        c.inserted += insertedNow;
        c.updated += updatedNow;
        c.changes.addAll(found.kept());
    }

    /** One write of a group: UPDATE or INSERT of the rows of a slice of the changes table. */
    private record Statement(boolean update, FileContext.Group group, int slice) {}

    /**
     * The group's changed rows, written with UPDATE … FROM the stage. Not INSERT … ON CONFLICT DO
     * UPDATE: that checks NOT NULL and CHECK constraints on the whole proposed row first, so a row
     * that leaves out a column (which must keep its value) would fail. The table lock makes the
     * two statements as safe as one. Bounded, it writes only the rows up to a row, to find the row
     * a constraint refuses.
     */
    private String updateSql(Statement statement, boolean bounded) {
        var values = valueColumns(statement.group());
        return "UPDATE " + table.qualified() + " AS t SET "
                + values.stream().map(v -> Catalog.quote(v.name()) + " = s." + Catalog.quote(v.name())).collect(Collectors.joining(", "))
                + " FROM " + c.stage + " s JOIN " + c.differing + " d ON d." + ROW + " = s." + ROW + " WHERE d.slice = ? AND d.stored "
                + "IS NOT NULL AND " + keyMatch("t", "s") + (bounded ? " AND s." + ROW + " <= ?" : "");
    }

    /** The group's new rows; columns they leave out get a generate: rule's value, else the table's default. */
    private String insertSql(Statement statement, boolean bounded) {
        var group = statement.group();
        var generated = generatedFor(group);
        String columns = Stream.concat(group.columns().stream().map(Catalog.Column::name), generated.stream().map(SeedFile.Generated::column))
                .map(Catalog::quote).collect(Collectors.joining(", "));
        return "INSERT INTO " + table.qualified() + " (" + columns + ") SELECT "
                + Stream.concat(group.columns().stream().map(v -> "s." + Catalog.quote(v.name())),
                        generated.stream().map(g -> "CAST(" + g.expression() + " AS " + table.columns().get(g.column()).type() + ")"))
                        .collect(Collectors.joining(", "))
                + " FROM " + c.stage + " s JOIN " + c.differing + " d ON d." + ROW + " = s." + ROW + " WHERE d.slice = ? AND d.stored "
                + "IS NULL" + (bounded ? " AND s." + ROW + " <= ?" : "") + " ORDER BY s." + ROW;
    }

    /** Runs a write: of its rows up to upTo, when given. */
    private long run(Statement statement, Integer upTo) {
        var update = handle.createUpdate(statement.update() ? updateSql(statement, upTo != null) : insertSql(statement, upTo != null));
        update.bind(0, statement.slice());
        if (upTo != null) {
            update.bind(1, upTo.intValue());
        }
        return update.execute();
    }

    /** Runs a write for all its rows; a refused value is traced to its row. */
    private long execute(Statement statement) {
        java.sql.Savepoint beforeStatement;
        long written;
        try {
            beforeStatement = handle.getConnection().setSavepoint();
        } catch (SQLException e) {
            throw constraintError(e, null);
        }
        try {
            written = run(statement, null);
        } catch (RuntimeException e) {
            var refused = sqlCause(e);
            if (!Objects.requireNonNullElse(refused.getSQLState(), "").startsWith("2")) {
                throw constraintError(refused, null);
            }
            // Back to just before this statement (earlier writes of the file stay), then find the row.
            rollbackTo(beforeStatement, refused);
            return throwForCulprit(statement, refused);
        }
        try {
            handle.getConnection().releaseSavepoint(beforeStatement);
        } catch (SQLException e) {
            throw constraintError(e, null);
        }
        return written;
    }

    /** The SQLException a statement failed with; anything else is not a refusal, and goes on as it is. */
    private static SQLException sqlCause(RuntimeException e) {
        var sql = SeedError.causeOf(e, SQLException.class);
        if (sql == null) {
            throw e;
        }
        return sql;
    }

    /**
     * Finds the row PostgreSQL refuses: the shortest prefix of the file's rows for which the
     * statement fails ends with it (also when the violation needs an earlier row, as a duplicate
     * value does). Each probe runs inside a savepoint and is rolled back.
     */
    private long throwForCulprit(Statement statement, SQLException original) {
        int low = 0, high = c.rowCount - 1;
        SQLException refusal = original;
        try {
            while (low < high) {
                int middle = (low + high) >>> 1;
                var probe = handle.getConnection().setSavepoint();
                try {
                    run(statement, middle);
                    low = middle + 1;
                } catch (RuntimeException refused) {
                    high = middle;
                    refusal = sqlCause(refused);
                }
                handle.getConnection().rollback(probe);
            }
        } catch (SQLException e) {
            throw constraintError(original, null);
        }
        throw constraintError(refusal, rows.get(low));
    }

    /** The generate: rules for the columns a group does not give: they fill those columns of its new rows. */
    private List<SeedFile.Generated> generatedFor(FileContext.Group group) {
        return file.generated().values().stream()
                .filter(rule -> group.columns().stream().noneMatch(v -> v.name().equals(rule.column()))).toList();
    }

    /** Deferred constraints (at most one default model, say) are checked here, so the error names this file. */
    void checkDeferredConstraints() {
        try {
            handle.execute("SET CONSTRAINTS ALL IMMEDIATE");
            handle.execute("SET CONSTRAINTS ALL DEFERRED");
        } catch (RuntimeException e) {
            throw constraintError(sqlCause(e), null);
        }
    }

    /** A refused write: the file, the row when known, PostgreSQL's words, and the constraint's comment or definition. */
    SeedError constraintError(SQLException e, SeedFile.Row row) {
        if (!Objects.requireNonNullElse(e.getSQLState(), "").startsWith("2")) {
            return SeedError.fromSql(e, session.target);
        }
        var error = e instanceof PSQLException pg ? pg.getServerErrorMessage() : null;
        SeedFile.Pos pos = row == null ? null : row.pos();
        String hint = null;
        if (error != null && error.getConstraint() != null) {
            try {
                handle.getConnection().rollback(c.beforeWrites);
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
            var found = handle.createQuery("SELECT s." + ROW + " FROM " + c.stage + " s WHERE s." + Catalog.quote(column)
                            + " = CAST(? AS " + table.columns().get(column).type() + ") ORDER BY 1 LIMIT 5")
                    .bind(0, m.group(2)).mapTo(Integer.class).list();
            return List.copyOf(rows.get(new TreeSet<>(found)).values().stream()
                    .sorted(Comparator.comparingInt(r -> r.pos().line())).toList());
        } catch (RuntimeException cannotTell) {
            return List.of();
        }
    }
}
