// Staging: a file's rows COPYed into a temporary table typed like its table, and COPY's refusals
// traced back to the row and column of the file.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;

/**
 * COPY of one file's rows into its stage, in one of two ways: rows the tool reads go row by row in
 * COPY's text format; rows a file gives as written (CSV) go as they are, PostgreSQL parsing them.
 * Either way the rows PostgreSQL loaded must be the rows the tool counted ({@link #copyIn}).
 */
final class Stage extends FileContext.Step {

    private final Checks checks;

    Stage(FileContext c, Checks checks) {
        super(c);
        this.checks = checks;
    }

    /** COPY every row into a scratch table typed like the target (temporary, but in two-phase mode: Session.scratchTable); PostgreSQL parses each value. */
    void stage(Map<List<String>, FileContext.Group> groups) {
        long[] staged = {0};
        var written = rows.asWritten();
        run.progress.step(file.name(), "reading", written != null ? written::fractionRead : rows.fractionStaged(() -> staged[0]));
        // The key columns always: even a file without rows is compared with its table.
        var used = table.columns().values().stream()
                .filter(c -> file.key().contains(c.name()) || groups.values().stream().anyMatch(g -> g.columns().contains(c)))
                .toList();
        var lookups = new ArrayList<Map.Entry<References.Reference, String>>();
        references.values().forEach(r -> r.lookup().forEach(k -> lookups.add(Map.entry(r, k))));
        if (written != null) {
            stageAsWritten(written, used, staged);
        } else {
            stageRows(used, lookups, staged);
        }
        analyzeStage();
        checks.checkStagedValues(used, groups.values());
    }

    /** The name of this file's stage (Session.scratchTable makes it: temporary, or in two-phase mode the transaction's schema's). */
    private String stageName() {
        return "seed_stage_" + session.staged.size();
    }

    /**
     * Rows the tool reads go to COPY row by row, each value as PostgreSQL's input text, up to the
     * first row refused: by the checks before, by Values, or by COPY itself (then its rows before
     * it are COPYed again). The rules over the stage then look for an earlier row that fails.
     */
    private void stageRows(List<Catalog.Column> used, List<Map.Entry<References.Reference, String>> lookups, long[] staged) {
        c.stage = session.scratchTable(stageName(), ROW + " integer, " + GROUP + " integer, " + LAYER
                + " integer NOT NULL DEFAULT 0"
                + used.stream().map(c -> ", " + Catalog.quote(c.name()) + " " + c.stagedColumn()).collect(Collectors.joining())
                + lookups.stream().map(l -> ", " + l.getKey().stageColumn(l.getValue()) + " "
                        + l.getKey().target().columns().get(l.getValue()).stagedColumn()).collect(Collectors.joining()));
        String copy = "COPY " + c.stage + " (" + ROW + ", " + GROUP
                + used.stream().map(c -> ", " + Catalog.quote(c.name())).collect(Collectors.joining())
                + lookups.stream().map(l -> ", " + l.getKey().stageColumn(l.getValue())).collect(Collectors.joining())
                + ") FROM STDIN";
        try {
            refusedAt = -1;
            copyRows(copy, used, lookups, staged);
        } catch (SeedError refused) {
            if (refusedAt < 0) {
                throw refused;
            }
            c.refuse(refusedAt, refused);
            copyRows(copy, used, lookups, staged);
        }
    }

    private void copyRows(String copy, List<Catalog.Column> used, List<Map.Entry<References.Reference, String>> lookups, long[] staged) {
        copyIn(copy, in -> {
            var line = new StringBuilder();
            var buffer = new java.io.ByteArrayOutputStream(1 << 16);
            int[] count = {0};
            rows.forEach((row, i) -> {
                if (i >= c.refusedRow) {
                    return;
                }
                line.setLength(0);
                line.append(i).append('\t').append(groupOf(i));
                try {
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
                } catch (SeedError refused) {
                    c.refuse(i, refused);
                    return;
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
    }

    /**
     * A CSV file goes to COPY as it is, in its own format: PostgreSQL parses it, as psql's \\copy
     * would, and Java only counts the lines where rows start.
     */
    private void stageAsWritten(SeedFile.AsWritten csv, List<Catalog.Column> used, long[] staged) {
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
            columns.append(", ").append(Catalog.quote(c.name())).append(' ').append(c.stagedColumn());
            var value = shape.values().get(c.name());
            if (!given && value != null && value.kind() != SeedFile.Kind.MAP) {
                // A default of the file (defaults:, or the active flag of removal: deactivate), given to every row by
                // the stage's own DEFAULT, its text bound through a setting rather than written into the SQL.
                String text = Values.text(value, c, file);
                if (text != null) {
                    String setting = "seed.default_" + defaults.size();
                    defaults.add(Map.entry(setting, text));
                    columns.append(" DEFAULT current_setting('").append(setting).append("')::").append(c.stagedType());
                }
            }
        }
        for (var reference : references.values()) {
            for (String lookup : reference.lookup()) {
                columns.append(", ").append(reference.stageColumn(lookup)).append(' ')
                        .append(reference.target().columns().get(lookup).stagedColumn());
            }
        }
        for (var setting : defaults) {
            handle.createQuery("SELECT set_config(?, ?, true)").bind(0, setting.getKey()).bind(1, setting.getValue())
                    .mapTo(String.class).one();
        }
        c.stage = session.scratchTable(stageName(), ROW + " integer GENERATED ALWAYS AS IDENTITY (MINVALUE 0 START WITH 0), "
                + GROUP + " integer NOT NULL DEFAULT " + c.streamedGroup.id() + ", " + LAYER + " integer NOT NULL DEFAULT 0"
                + columns);
        String copy = "COPY " + c.stage + " (" + String.join(", ", headerColumns) + ") FROM STDIN WITH (FORMAT csv, HEADER true)";
        copyIn(copy, in -> {
            var copied = csv.copyTo(bytes -> writeToCopy(in, bytes.array(), bytes.limit()), records -> {
                staged[0] += records;
                run.progress.advance(records);
            }, keyField(csv));
            c.keysChecked = copied.sameHash();
            return copied.rows();
        });
    }

    /**
     * A large stage gets statistics (autovacuum never analyzes a temporary table: the joins below
     * would be planned for a handful of rows) and, for this transaction, the memory to join and
     * group it in one pass rather than in batches spilled to disk.
     */
    private void analyzeStage() {
        if (c.rowCount > 1000) {
            // Statistics of the columns the stage is joined and sliced on: row, group, layer, the key and
            // the lookups of references. (All columns would cost several times as much; no plan needs them.)
            var joined = new ArrayList<>(List.of(ROW, GROUP, LAYER));
            file.key().forEach(k -> joined.add(Catalog.quote(k)));
            references.values().forEach(r -> r.lookup().forEach(k -> joined.add(r.stageColumn(k))));
            session.run("ANALYZE " + c.stage + " (" + String.join(", ", joined) + ")");
        }
        if (c.rowCount > 50_000) {
            handle.createQuery("SELECT set_config('work_mem', ?, true)").bind(0, LARGE_WORK_MEM).mapTo(String.class).one();
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
                c.rowCount = counted;
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
        int missing = handle.createQuery("SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM " + c.stage + " WHERE " + ROW + " = 0) THEN 0 "
                + "ELSE (SELECT min(s." + ROW + ") + 1 FROM " + c.stage + " s WHERE NOT EXISTS (SELECT 1 FROM " + c.stage + " n WHERE n."
                + ROW + " = s." + ROW + " + 1)) END").mapTo(Integer.class).one();
        return SeedError.in(file.displayPath(), rows.pos(Math.min(missing, counted - 1)), problem + ": the row at this line"
                + (counted - loaded == 1 ? "" : " and " + (counted - loaded - 1) + " more") + " did not reach the table's stage, "
                + "and would have been taken for rows the file no longer has");
    }

    /** The row of the file whose value (or line) COPY refused last; -1: none, or not known. */
    private int refusedAt = -1;

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
        int index = rows.asWritten() != null ? rows.asWritten().rowAtLine(line) : line - 1;
        refusedAt = index;
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
                columnName + " (" + (column != null ? column.type() : "?") + "): " + SeedError.describe(column == null || value == null || stageColumn.startsWith("ref:")
                        ? e : Objects.requireNonNullElse(refusalOfType(table, column, Values.text(value, column, file)), e)),
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
                : session.table(foreignKey.toSchema() + "." + foreignKey.toTable()).orElse(null);
        var natural = target == null ? null : target.naturalKeys().stream().filter(k -> k.size() == 1).findFirst().orElse(null);
        if (natural == null) {
            return null;
        }
        return columnName + " refers to " + target.name() + " (" + String.join(", ", foreignKey.toColumns()) + "); to name the "
                + target.name() + " row by its " + natural.get(0) + ", " + (rows.asWritten() != null
                ? "call the header field " + columnName + "." + natural.get(0)
                : "write " + columnName + ": {" + natural.get(0) + ": " + value.text() + "}");
    }

    /**
     * The header position of a CSV file's key, when its text is the key's value (text, varchar, in a
     * deterministic collation):
     * then keys are compared by their hashes as the file goes to COPY. Else -1: the database groups them.
     */
    private int keyField(SeedFile.AsWritten csv) {
        var key = table.columns().get(file.key().get(0));
        // (Not in a nondeterministic collation: there, two texts may be one key.)
        if (file.key().size() != 1 || !Set.of("text", "varchar").contains(key.baseType()) || key.collation() != null) {
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

    private int groupOf(int index) {
        return c.rowGroup != null ? c.rowGroup[index] : c.streamedGroup.id();
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
}
