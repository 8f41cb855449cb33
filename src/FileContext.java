// The state of seeding one file, shared by its steps (Checks, Stage, References, Diff, Writes,
// SecretCells, Ownership, Removal), and what the file did, for its outcome.

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/** One seed file against its table, in one run: what the steps find out and pass on. */
final class FileContext {
    final Seeder.Run run;
    final SeedFile file;
    final Catalog.Table table;
    /** The file's rows for the run's environment. */
    final SeedFile.Rows rows;
    /** How many rows the file has for this run, once staged. */
    int rowCount;
    /** The cells of this file's rows whose values come from the environment (rows: a CSV file's: all). */
    final List<SecretCell> secretCells = new ArrayList<>();
    /** Whether the database remembers cells of this table that hold a value from the environment. */
    boolean tableHasSecretCells;
    /** The temporary table the file's rows are staged in; after a FirstLoad, the table itself (then only its keys are read). */
    String stage;
    /** The column group of each row, by row index; for rows checked by their shape (CSV), all have streamedGroup. */
    int[] rowGroup;
    Group streamedGroup;
    /** The foreign key columns that rows give by the referenced row's natural key, by column name. */
    final Map<String, References.Reference> references = new LinkedHashMap<>();
    /** Whether the stage holds one group of one layer: then a slice of it is all of it. */
    boolean wholeStage;
    /** For rows whose keys were hashed on their way to COPY: the rows whose key hashed like an earlier row's (null: not hashed). */
    List<Integer> keysChecked;
    java.sql.Savepoint beforeWrites;
    /** The temporary table of the rows that differ, by slice (a group and layer, numbered by the diff), for the writes. */
    String differing;
    int slices;
    /**
     * The first row the tool (reading or checking it) or COPY refused, and why: the stage ends
     * before it, so that the rules over the stage can still find a row before it that fails.
     */
    int refusedRow = Integer.MAX_VALUE;
    SeedError refusal;

    // What the file did, for its FileOutcome.
    final List<Results.Change> changes = new ArrayList<>();
    long inserted, updated, deactivated, deleted, notInFile;
    List<String> notInFileKeys = List.of();
    final List<String> warnings = new ArrayList<>();
    long durationNanos;
    /** Whether the file was compared with its table; not when its proof held (SkipProof). */
    boolean compared = true;

    FileContext(Seeder.Run run, SeedFile file, Catalog.Table table) {
        this.run = run;
        this.file = file;
        this.table = table;
        this.rows = file.rowsFor(run.environment);
    }

    /** Remembers a refused row, when it comes before the one refused so far. */
    void refuse(int row, SeedError why) {
        if (row < refusedRow) {
            refusedRow = row;
            refusal = why;
        }
    }

    Results.FileOutcome outcome() {
        var sorted = new ArrayList<>(changes);
        sorted.sort(Comparator.comparing((Results.Change c) -> c.pos() == null ? Integer.MAX_VALUE : c.pos().line())
                .thenComparing(Results.Change::key));
        return new Results.FileOutcome(file, table, sorted, sorted.size() == inserted + updated + deactivated + deleted, inserted, updated,
                rowCount - inserted - updated, deactivated, deleted, notInFile, notInFileKeys,
                file.rowsElsewhere(run.environment), warnings, durationNanos, compared);
    }

    /** The file is in sync, as its proof shows: its outcome is what the run that took the proof left. */
    void skipped(SkipProof.Recorded proof) {
        compared = false;
        rowCount = Math.toIntExact(proof.fileRows());
        notInFile = proof.notInFile();
        notInFileKeys = proof.notInFileKeys();
    }

    /** The columns a set of rows gives; rows giving the same columns are staged and written together. */
    record Group(int id, List<Catalog.Column> columns) {}

    /** A cell of a row (by its index in the file; every row of a CSV file) whose value a ${VAR} gave. */
    record SecretCell(int row, String column, String template) {
        static final int EVERY_ROW = -1;
    }

    /** A step of seeding a file: its context, the parts of it every step reads, and what steps share. */
    abstract static class Step {
        /** The stage's own columns: a row's index in the file, its column group, its layer (parents first). */
        static final String ROW = Catalog.quote("seed.row"), GROUP = Catalog.quote("seed.group"),
                LAYER = Catalog.quote("seed.layer");

        final FileContext c;
        final Seeder.Run run;
        final Session session;
        final Handle handle;
        final SeedFile file;
        final Catalog.Table table;
        final SeedFile.Rows rows;
        final Map<String, References.Reference> references;

        Step(FileContext c) {
            this.c = c;
            this.run = c.run;
            this.session = c.run.session;
            this.handle = session.handle;
            this.file = c.file;
            this.table = c.table;
            this.rows = c.rows;
            this.references = c.references;
        }

        /** A row's key as the file writes it; a reference as {column: value}. */
        String keyText(SeedFile.Row row) {
            return file.key().stream().map(k -> {
                var value = row.values().get(k);
                return value.kind() == SeedFile.Kind.MAP ? value.entries().entrySet().stream()
                        .map(e -> e.getKey() + ": " + e.getValue().text()).collect(Collectors.joining(", ", "{", "}")) : value.text();
            }).collect(Collectors.joining(", "));
        }

        String keyMatch(String left, String right) {
            return file.key().stream().map(k -> left + "." + Catalog.quote(k) + " = " + right + "." + Catalog.quote(k))
                    .collect(Collectors.joining(" AND "));
        }

        /**
         * A row's key as text: the value, or for a key of several columns PostgreSQL's row text,
         * (XNYS,AAPL), which quotes a value that holds a comma, so that two keys never read the same.
         */
        String keyExpression(String alias) {
            return References.keyExpression(alias, file.key());
        }

        /** The columns of a group that are not the key: those a write may change. */
        List<Catalog.Column> valueColumns(Group group) {
            return group.columns().stream().filter(column -> !file.key().contains(column.name())).toList();
        }

        java.sql.Savepoint savepoint(String name) {
            try {
                // PostgreSQL aborts the transaction on an error; rolling back to a savepoint lets the
                // error message still consult the catalog.
                return handle.getConnection().setSavepoint(name);
            } catch (SQLException e) {
                throw SeedError.fromSql(e, session.target);
            }
        }

        void rollbackTo(java.sql.Savepoint savepoint, SQLException cause) {
            try {
                handle.getConnection().rollback(savepoint);
            } catch (SQLException e) {
                throw SeedError.fromSql(cause, session.target);
            }
        }

        /**
         * Why a column refuses a value's text, in PostgreSQL's words: for a column staged without its
         * typmod (numeric for numeric(10,4)), the input function called with it, as COPY into the
         * table would (a cast would not: it reads the value as numeric first). Null: it holds it.
         */
        SQLException refusalOfType(Catalog.Table owner, Catalog.Column column, String text) {
            if (column.stagedType().equals(column.type())) {
                return null;
            }
            var before = savepoint("seed_refusal");
            try {
                handle.createQuery("SELECT " + (column.array() ? "array_in(?::cstring, 'numeric'::regtype" : "numeric_in(?::cstring, 0")
                                + ", a.atttypmod)::text FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attname = ?")
                        .bind(0, text).bind(1, owner.qualified()).bind(2, column.name()).mapTo(String.class).one();
                return null;
            } catch (RuntimeException refused) {
                var sql = SeedError.causeOf(refused, SQLException.class);
                rollbackTo(before, sql);
                return sql;
            }
        }

        /** In a plan, a guard that would stop the run is a warning, so that the plan still shows every removal. */
        void problem(SeedError error) {
            if (run.dryRun) {
                c.warnings.add(error.withoutWhere());
            } else {
                throw error;
            }
        }

        /** Two rows by their index: one of this file's and the row it clashes with or refers to. */
        record RowPair(int thisRow, int otherRow) {}

        /** The pairs of rows a query (selecting this_row and other_row) finds. */
        List<RowPair> rowPairs(String sql) {
            return handle.createQuery(sql).registerRowMapper(ConstructorMapper.factory(RowPair.class)).mapTo(RowPair.class).list();
        }

        <T> List<T> query(String sql, List<Object> parameters, Class<T> type) {
            var query = handle.createQuery(sql);
            for (int i = 0; i < parameters.size(); i++) {
                query.bind(i, parameters.get(i));
            }
            return query.mapTo(type).list();
        }
    }
}
