// The seed history: what every run did, file by file, kept in the database it did it to.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

/**
 * A table (seed_history unless configured otherwise) that the tool creates the way Flyway creates
 * flyway_schema_history: one row per seed file per run, including runs that changed nothing,
 * with the file's checksum, the counts, who ran it where, the git commit of the seed files, and
 * every changed row's key and old and new values (as JSON, up to Results.FileOutcome.DETAIL_LIMIT rows).
 */
final class History {

    static final String DEFAULT_TABLE = "seed_history";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");

    /** What identifies one run in the history. */
    record RunInfo(UUID runId, Instant startedAt, String environment, String gitCommit, String host) {}

    /** One history row: a file in a run, with its changed rows. */
    record Entry(long id, UUID runId, OffsetDateTime startedAt, String file, String checksum, String table,
                 long inserted, long updated, long unchanged, long deactivated, long deleted, long notInFile,
                 long durationMillis, String databaseUser,
                 String toolVersion, String environment, String gitCommit, String host, boolean changesComplete,
                 List<Results.Change> changes) {}

    /** One change of one row, with the run that made it. */
    record Event(OffsetDateTime startedAt, UUID runId, String file, String table, String databaseUser, String gitCommit,
                 String environment, Results.Change change) {}

    final Session session;
    final String table;

    History(Session session, String tableName) {
        this.session = session;
        this.table = Catalog.quote(tableName);
    }

    /** The table beside the history that remembers which cells hold a value from the environment. */
    static String secretCellsTable(String historyTable) {
        return Catalog.quote(historyTable + "_secrets");
    }

    /** The history table's name, checked: it is created, so it must be a plain identifier. */
    static String checkedName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw SeedError.usage("the history table name \"" + name + "\" is not a plain identifier",
                    "use letters, digits and underscores, as in seed_history");
        }
        return name;
    }

    /** Records a run; every text of its changes passes through the run's scrubber of values from the environment. */
    void record(RunInfo run, List<Results.FileOutcome> outcomes, Secrets secrets) {
        exists();   // refuses a table of that name that is something else
        session.run("""
                CREATE TABLE IF NOT EXISTS %1$s (
                    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    run_id           uuid        NOT NULL,
                    started_at       timestamptz NOT NULL,
                    file             text        NOT NULL,
                    checksum         text        NOT NULL,
                    table_name       text        NOT NULL,
                    inserted         bigint      NOT NULL,
                    updated          bigint      NOT NULL,
                    unchanged        bigint      NOT NULL,
                    deactivated      bigint      NOT NULL,
                    deleted          bigint      NOT NULL,
                    not_in_file      bigint      NOT NULL,
                    duration_ms      bigint      NOT NULL,
                    database_user    text        NOT NULL,
                    tool_version     text        NOT NULL,
                    environment      text        NOT NULL,
                    git_commit       text,
                    host             text,
                    changes          jsonb       NOT NULL,
                    changes_complete boolean     NOT NULL
                );
                COMMENT ON TABLE %1$s IS 'Written by seed_database: one row per seed file per run, with the rows it changed.';
                CREATE INDEX IF NOT EXISTS %2$s ON %1$s (started_at);
                """.formatted(table, Catalog.quote(table.replace("\"", "") + "_started_at_idx")));
        for (var outcome : outcomes) {
            session.handle.createUpdate("""
                            INSERT INTO %s (run_id, started_at, file, checksum, table_name, inserted, updated, unchanged,
                                            deactivated, deleted, not_in_file, duration_ms, database_user, tool_version,
                                            environment, git_commit, host, changes, changes_complete)
                            VALUES (?::uuid, ?::timestamptz, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, current_user, ?, ?, ?, ?, ?::jsonb, ?)"""
                            .formatted(table))
                    .bind(0, run.runId().toString()).bind(1, run.startedAt().toString())
                    .bind(2, secrets.scrub(outcome.file().name())).bind(3, outcome.file().checksum())
                    .bind(4, secrets.scrub(outcome.table().name()))
                    .bind(5, outcome.inserted()).bind(6, outcome.updated()).bind(7, outcome.unchanged())
                    .bind(8, outcome.deactivated()).bind(9, outcome.deleted())
                    .bind(10, outcome.notInFile()).bind(11, outcome.durationNanos() / 1_000_000)
                    .bind(12, Config.VERSION).bind(13, secrets.scrub(run.environment()))
                    .bind(14, run.gitCommit()).bind(15, secrets.scrub(run.host()))
                    .bind(16, Results.Change.json(outcome.changes(), secrets::scrub)).bind(17, outcome.changesComplete())
                    .execute();
        }
    }

    /** Whether runs were recorded yet; a table of that name that is not a seed history is an error. */
    boolean exists() {
        return toolTable(session.handle, table, java.util.Set.of("run_id", "started_at", "changes", "checksum"),
                () -> SeedError.usage("the table " + table + " is not a seed history table", "name another one with --history-table"));
    }

    /**
     * Whether a table the tool keeps (the history, the proofs) is there; a table of that name
     * without the columns the tool gives it is notOurs, thrown.
     */
    static boolean toolTable(org.jdbi.v3.core.Handle handle, String table, java.util.Set<String> columns,
                             java.util.function.Supplier<SeedError> notOurs) {
        var found = handle.createQuery("""
                        SELECT count(*) FILTER (WHERE a.attname = ANY (?)), count(*)
                        FROM pg_attribute a WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped""")
                .bind(0, columns.toArray(String[]::new)).bind(1, table).map((rs, ctx) -> new long[]{rs.getLong(1), rs.getLong(2)}).one();
        if (found[1] > 0 && found[0] < columns.size()) {
            throw notOurs.get();
        }
        return found[1] > 0;
    }

    /** The files of the newest {@code runs} runs (of those that applied {@code file}, when given), newest first. */
    List<Entry> entries(String file, int runs) {
        var rows = session.handle.createQuery("""
                        SELECT id, run_id, started_at, file, checksum, table_name, inserted, updated, unchanged, deactivated,
                               deleted, not_in_file,
                               duration_ms, database_user, tool_version, environment, git_commit, host, changes_complete
                        FROM %1$s
                        WHERE run_id IN (SELECT run_id FROM %1$s WHERE ?::text IS NULL OR file = ?
                                         GROUP BY run_id ORDER BY max(started_at) DESC, max(id) DESC LIMIT ?)
                          AND (?::text IS NULL OR file = ?)
                        ORDER BY started_at DESC, id""".formatted(table))
                .bind(0, file).bind(1, file).bind(2, runs).bind(3, file).bind(4, file)
                .map((rs, ctx) -> new Entry(rs.getLong("id"), rs.getObject("run_id", UUID.class),
                        rs.getObject("started_at", OffsetDateTime.class), rs.getString("file"), rs.getString("checksum"),
                        rs.getString("table_name"), rs.getLong("inserted"), rs.getLong("updated"), rs.getLong("unchanged"),
                        rs.getLong("deactivated"), rs.getLong("deleted"), rs.getLong("not_in_file"), rs.getLong("duration_ms"), rs.getString("database_user"),
                        rs.getString("tool_version"), rs.getString("environment"), rs.getString("git_commit"),
                        rs.getString("host"), rs.getBoolean("changes_complete"), new ArrayList<>()))
                .list();
        var byId = new LinkedHashMap<Long, Entry>();
        rows.forEach(entry -> byId.put(entry.id(), entry));
        if (!byId.isEmpty()) {
            changes("h.id = ANY (?)", List.of((Object) byId.keySet().toArray(Long[]::new)), (id, change) -> byId.get(id).changes().add(change));
        }
        return rows;
    }

    /** The names of the tables any run recorded, in order. */
    List<String> tables() {
        return session.handle.createQuery("SELECT DISTINCT table_name FROM %s ORDER BY 1".formatted(table)).mapTo(String.class).list();
    }

    /** The names of the files any run recorded, in order. */
    List<String> files() {
        return session.handle.createQuery("SELECT DISTINCT file FROM %s ORDER BY 1".formatted(table)).mapTo(String.class).list();
    }

    /** Every recorded change of the row with this key (in this table, when given), newest first. */
    List<Event> timeline(String key, String tableName, int limit) {
        var runs = new LinkedHashMap<Long, Event>();
        session.handle.createQuery("""
                        SELECT DISTINCT h.id, h.started_at, h.run_id, h.file, h.table_name, h.database_user, h.git_commit, h.environment
                        FROM %s h CROSS JOIN LATERAL jsonb_array_elements(h.changes) c
                        WHERE c->>'key' = ? AND (?::text IS NULL OR h.table_name = ?)""".formatted(table))
                .bind(0, key).bind(1, tableName).bind(2, tableName)
                .map((rs, ctx) -> Map.entry(rs.getLong(1), new Event(rs.getObject(2, OffsetDateTime.class),
                        rs.getObject(3, UUID.class), rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7),
                        rs.getString(8), null)))
                .forEach(e -> runs.put(e.getKey(), e.getValue()));
        var events = new ArrayList<Event>();
        if (!runs.isEmpty()) {
            changes("h.id = ANY (?) AND c.value->>'key' = ?", List.of(runs.keySet().toArray(Long[]::new), key), (id, change) -> {
                        var run = runs.get(id);
                        events.add(new Event(run.startedAt(), run.runId(), run.file(), run.table(), run.databaseUser(),
                                run.gitCommit(), run.environment(), change));
                    });
        }
        events.sort((a, b) -> b.startedAt().compareTo(a.startedAt()));
        return events.subList(0, Math.min(limit, events.size()));
    }

    /** One row of {@link #changes}: a recorded change of a history row, with one of its columns (none: columnName null). */
    private record ChangeColumn(long id, long ordinality, String key, Integer line, String action, String columnName,
                                String before, String after) {
        Results.Change change() {
            return new Results.Change(key, line == null ? null : new SeedFile.Pos(line, 1),
                    Results.Action.valueOf(action.toUpperCase(java.util.Locale.ROOT)), new ArrayList<>());
        }
    }

    /** The recorded changes of the history rows that match, taken apart by PostgreSQL's JSON functions. */
    private void changes(String where, List<Object> parameters, java.util.function.BiConsumer<Long, Results.Change> sink) {
        var query = session.handle.createQuery("""
                        SELECT h.id, c.ordinality, c.value->>'key' AS key, (c.value->>'line')::int AS line,
                               c.value->>'action' AS action, col.value->>'column' AS column_name,
                               col.value->>'old' AS before, col.value->>'new' AS after
                        FROM %s h
                        CROSS JOIN LATERAL jsonb_array_elements(h.changes) WITH ORDINALITY c
                        LEFT JOIN LATERAL jsonb_array_elements(c.value->'columns') WITH ORDINALITY col ON true
                        WHERE %s
                        ORDER BY h.id, c.ordinality, col.ordinality""".formatted(table, where));
        for (int i = 0; i < parameters.size(); i++) {
            query.bind(i, parameters.get(i));
        }
        var changes = new LinkedHashMap<List<Long>, Results.Change>();
        query.registerRowMapper(ConstructorMapper.factory(ChangeColumn.class)).mapTo(ChangeColumn.class).forEach(row -> {
            var change = changes.computeIfAbsent(List.of(row.id(), row.ordinality()), at -> row.change());
            if (row.columnName() != null) {
                change.columns().add(new Results.ColumnChange(row.columnName(), row.before(), row.after()));
            }
        });
        changes.forEach((at, change) -> sink.accept(at.get(0), change));
    }

    /**
     * The commit checked out where the seed files are, with "-dirty" when git (if installed) says
     * they have changes that commit does not hold; null outside a checkout.
     */
    static String gitCommit(Path seedsDir) {
        String commit = headCommit(seedsDir);
        if (commit == null) {
            return null;
        }
        try {
            var git = new ProcessBuilder("git", "-C", seedsDir.toString(), "status", "--porcelain", "--", ".")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String changes = new String(git.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (git.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && git.exitValue() == 0) {
                return changes.isBlank() ? commit : commit + "-dirty";
            }
            git.destroyForcibly();
        } catch (IOException e) {
            // no git on this machine: the commit alone
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return commit;
    }

    /** The commit checked out where the seed files are, read from .git without running git. */
    private static String headCommit(Path seedsDir) {
        for (Path dir = seedsDir.toAbsolutePath().normalize(); dir != null; dir = dir.getParent()) {
            Path git = dir.resolve(".git");
            try {
                if (Files.isRegularFile(git)) {   // a worktree or submodule: "gitdir: <path>"
                    String pointer = Files.readString(git).trim();
                    git = dir.resolve(pointer.substring(pointer.indexOf(':') + 1).trim());
                }
                if (!Files.isDirectory(git)) {
                    continue;
                }
                String head = Files.readString(git.resolve("HEAD")).trim();
                if (!head.startsWith("ref: ")) {
                    return head;
                }
                String ref = head.substring(5);
                Path common = Files.isRegularFile(git.resolve("commondir"))
                        ? git.resolve(Files.readString(git.resolve("commondir")).trim()).normalize() : git;
                for (Path base : List.of(git, common)) {
                    if (Files.isRegularFile(base.resolve(ref))) {
                        return Files.readString(base.resolve(ref)).trim();
                    }
                }
                Path packed = common.resolve("packed-refs");
                if (Files.isRegularFile(packed)) {
                    for (String line : Files.readAllLines(packed)) {
                        if (line.endsWith(" " + ref)) {
                            return line.substring(0, line.indexOf(' '));
                        }
                    }
                }
                return null;   // a branch without commits yet
            } catch (IOException | RuntimeException e) {
                return null;   // not readable as a git checkout: no commit to record
            }
        }
        return null;
    }
}
