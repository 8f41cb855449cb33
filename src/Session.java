// The run's one connection, one transaction and one advisory lock.

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.mapper.reflect.ConstructorMapper;

final class Session implements AutoCloseable {
    /**
     * Serializes seed_database runs against one database: pg_advisory_xact_lock(RUN_LOCK). A transaction
     * prepared in two-phase mode keeps it until COMMIT or ROLLBACK PREPARED: a later run on the database
     * (of any schema) waits for that (TwoPhaseTest), and is told which prepared transaction holds it.
     */
    static final long RUN_LOCK = 0x5EED_DA7A_BA5E_0001L;

    /** A seed file's rows, staged in a temporary table until the end of the run. */
    record Staged(String stage, String table, SeedFile file, SeedFile.Rows rows, int rowCount) {}

    final DatabaseTarget target;
    /** The files staged so far in this run, so that a later file can be checked against them. */
    final List<Staged> staged = new ArrayList<>();
    /** The tables this run has locked (lockTable): no other transaction writes them until it ends. */
    final java.util.Set<String> lockedTables = new java.util.HashSet<>();
    /** The tables described while the run seeds, by the names they were asked by and their own (see {@link #table}). */
    private final java.util.Map<String, java.util.Optional<Catalog.Table>> described = new java.util.HashMap<>();
    final Connection connection;
    final Handle handle;
    private boolean committed;
    /**
     * Two-phase mode (--atomic): the run's transaction ends with {@link #prepare}, not {@link #commit}.
     * Set before {@link #begin}: PostgreSQL refuses to PREPARE a transaction that touched a temporary
     * object at any point (even one created and rolled back to a savepoint), so the whole attempt must
     * make its scratch tables elsewhere ({@link #scratchTable}).
     */
    boolean twoPhase;
    /** Two-phase mode: the schema of this transaction's scratch tables (quoted), named on first use; else null. */
    private String scratchSchema;
    /** Set once the transaction is PREPAREd: it is no longer the connection's, and close() leaves it alone. */
    private boolean prepared;
    private boolean prepareSent;
    /** Set when the session ends: its connection broke under it (not closed by {@link #abort}). */
    private boolean connectionLost;
    private volatile boolean aborted;

    private Session(DatabaseTarget target, Connection connection) {
        this.target = target;
        this.connection = connection;
        this.handle = handle(connection);
    }

    /** Jdbi over a connection. The statements here take ? parameters only: no templates, and no ANTLR grammar loaded to find named ones. */
    private static Handle handle(Connection connection) {
        var handle = Jdbi.open(connection);
        handle.getConfig(org.jdbi.v3.core.statement.SqlStatements.class)
                .setTemplateEngine(org.jdbi.v3.core.statement.TemplateEngine.NOP)
                .setSqlParser(new PositionalParameters());
        return handle;
    }

    /**
     * Jdbi's SQL parser for statements with ? parameters: a ? outside quotes, identifiers,
     * comments and dollar quotes is one; nothing else is touched.
     */
    static final class PositionalParameters implements org.jdbi.v3.core.statement.SqlParser {
        private static final java.util.regex.Pattern DOLLAR_QUOTE = java.util.regex.Pattern.compile("\\$[A-Za-z_]*\\$");

        @Override
        public org.jdbi.v3.core.statement.ParsedSql parse(String sql, org.jdbi.v3.core.statement.StatementContext context) {
            var parsed = org.jdbi.v3.core.statement.ParsedSql.builder();
            int from = 0;
            for (int i = 0; i < sql.length(); i++) {
                char c = sql.charAt(i);
                if (c == '\'' || c == '"') {
                    i = Math.max(i, sql.indexOf(c, i + 1));
                } else if (c == '-' && sql.startsWith("--", i)) {
                    i = endOf(sql, sql.indexOf('\n', i));
                } else if (c == '/' && sql.startsWith("/*", i)) {
                    i = endOf(sql, sql.indexOf("*/", i) + 1);
                } else if (c == '$') {
                    var tag = DOLLAR_QUOTE.matcher(sql).region(i, sql.length());
                    if (tag.lookingAt()) {
                        i = endOf(sql, sql.indexOf(tag.group(), tag.end()) + tag.group().length() - 1);
                    }
                } else if (c == '?') {
                    parsed.append(sql.substring(from, i)).appendPositionalParameter();
                    from = i + 1;
                }
            }
            return parsed.append(sql.substring(from)).build();
        }

        private static int endOf(String sql, int end) {
            return end < 0 ? sql.length() : end;
        }

        @Override
        public String nameParameter(String rawName, org.jdbi.v3.core.statement.StatementContext context) {
            return "?";
        }
    }

    /**
     * How long a run may wait for a lock (the run lock, or a table another transaction holds) and
     * how long one statement may run; 0 means no limit. A deploy must not hang forever.
     */
    record Limits(int lockTimeoutSeconds, int statementTimeoutSeconds) {
        static final Limits DEFAULT = new Limits(120, 600);
    }

    /** The sessions of the runs in progress (a fleet's, several), for the signal handler that rolls them back. */
    static final java.util.Set<Session> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Connects without the run lock, for commands that only read what runs recorded. */
    static Session openForReading(DatabaseTarget target, Limits limits) {
        var session = connect(target, false);
        try {
            session.begin(limits, false, message -> { });
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
        return session;
    }

    /**
     * The connection alone; {@link #begin} sets the session up: apart, so that a run can ask a
     * session whose set-up failed whether its connection was lost.
     */
    static Session connect(DatabaseTarget target, boolean toWrite) {
        if (toWrite) {
            // Every command that runs migrations or seeds (even to roll them back) passes here; reading ones do not.
            target.requireANamedDatabaseToWrite();
        }
        try {
            var connection = open(target);
            // READ COMMITTED whatever the database's default: each statement sees what committed before it, so what a
            // run reads after it locks a table is the table as it is (a snapshot taken earlier would miss a write).
            connection.setTransactionIsolation(java.sql.Connection.TRANSACTION_READ_COMMITTED);
            connection.setAutoCommit(false);
            return new Session(target, connection);
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /**
     * A table by name as {@link Catalog#find} describes it, once a session: a table that several
     * files or references name is described once. Only seeding asks, after the migrations: it changes
     * no table's columns, keys or foreign keys (its own DDL makes scratch tables and the tool's).
     */
    java.util.Optional<Catalog.Table> table(String qualifiedName) {
        describe(List.of(qualifiedName));
        return described.get(qualifiedName);
    }

    /** Describes the tables of these names that are not described yet, all in a few queries (Catalog.findAll). */
    void describe(java.util.Collection<String> qualifiedNames) {
        var unknown = qualifiedNames.stream().filter(name -> !described.containsKey(name)).distinct().toList();
        if (unknown.isEmpty()) {
            return;
        }
        Catalog.findAll(handle, unknown).forEach((name, known) -> {
            described.put(name, known);
            known.ifPresent(found -> described.putIfAbsent(found.schema() + "." + found.name(), java.util.Optional.of(found)));
        });
    }

    /** Whether this process has opened a connection (Layout.tellTheWrapperIfUnfitToRecord). */
    private static volatile boolean everConnected;

    /** A connection to the target, as every connection of the tool is opened: the driver's, with the target's properties. */
    static Connection open(DatabaseTarget target) throws SQLException {
        Warmup.awaitConnecting();
        var connection = new org.postgresql.Driver().connect(target.jdbcUrl(), target.properties());
        if (connection != null) {
            everConnected = true;
        }
        return connection;
    }

    static boolean everConnected() {
        return everConnected;
    }

    /** The session's settings, then the run lock when asked for (runs wait for each other here). */
    void begin(Limits limits, boolean lock, java.util.function.Consumer<String> note) {
        this.limits = limits;
        lastLimits = limits;
        if (lock) {
            // What the server is (Citus, CockroachDB, YugabyteDB, which PostgreSQL), before anything is written: one where a run is not safe is refused here.
            ServerKind.require(this);
        }
        // In one statement: timestamps written without an offset mean UTC, whatever the server's or the machine's
        // zone; the limits; and, on PostgreSQL 14 and later, a backend that notices within seconds that this
        // process died, and rolls back (CASE evaluates its branch only when the condition holds: the setting is
        // unknown before 14, and set_config, being volatile, is never folded ahead of it).
        String schema = handle.createQuery("SELECT set_config('TimeZone', 'UTC', false), set_config('lock_timeout', ?, false), "
                        + "set_config('statement_timeout', ?, false), current_schema(), "
                        + "CASE WHEN current_setting('server_version_num')::int >= 140000 "
                        + "THEN set_config('client_connection_check_interval', '2s', false) END")
                .bind(0, limits.lockTimeoutSeconds() + "s").bind(1, limits.statementTimeoutSeconds() + "s")
                .map((rows, context) -> rows.getString(4)).one();
        if (schema == null && target.schema() != null) {
            // Nothing of the search_path exists: unqualified names would resolve nowhere (or fail far from here).
            throw SeedError.usage("the schema " + target.schema() + " (currentSchema) does not exist in the database "
                    + target.database(), "create it first (CREATE SCHEMA), or name a schema that is there");
        }
        runLock = runLock(schema);
        if (twoPhase) {
            requireTwoPhase();
        }
        if (lock) {
            takeRunLock(note);
            RUNNING.add(this);
        }
    }

    Limits limits;
    /** The run lock of the schema this session writes in: {@link #runLock(String)}. */
    private long runLock = RUN_LOCK;

    /**
     * Runs serialize per schema they write in (the first of the search_path): a database's usual
     * runs (public, or no schema) take RUN_LOCK, as every run always has; a tenant schema's runs a
     * lock of their own, so that a fleet of schemas runs in parallel, and a fleet run and a single
     * run on one schema (--url …?currentSchema=tenant_a) still wait for each other.
     */
    static long runLock(String schema) {
        if (schema == null || schema.equals("public")) {
            return RUN_LOCK;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(schema.getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            return RUN_LOCK ^ java.nio.ByteBuffer.wrap(digest).getLong();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The limits of the session opened last: an error may be described after its session has closed. */
    private static volatile Limits lastLimits = Limits.DEFAULT;

    /** Takes the run lock, saying who holds it while it waits, and naming them if the wait times out. */
    private void takeRunLock(java.util.function.Consumer<String> note) {
        boolean free = handle.createQuery("SELECT pg_try_advisory_xact_lock(?)").bind(0, runLock).mapTo(Boolean.class).one();
        if (free) {
            return;
        }
        var prepared = preparedRunLockHolder();
        if (prepared.isPresent()) {
            // It does not end by itself: waiting would only run into --lock-timeout.
            throw new SeedError(SeedError.EXIT_LOCKED, target.describe(), "the run lock is held by " + prepared.get()
                    + ", neither committed nor rolled back: an --atomic fleet run did not finish", "rerun that fleet "
                    + "command, with the same targets: it resolves what it left in doubt before it runs (or, by hand, COMMIT "
                    + "PREPARED or ROLLBACK PREPARED it)", null);
        }
        String holder = runLockHolder();
        note.accept("waiting for the run lock, held by " + holder
                + (limits.lockTimeoutSeconds() > 0 ? " (at most " + limits.lockTimeoutSeconds() + " s, --lock-timeout)" : ""));
        try {
            handle.createQuery("SELECT pg_advisory_xact_lock(?)").bind(0, runLock).mapTo(String.class).one();
        } catch (org.jdbi.v3.core.JdbiException failed) {
            var e = SeedError.causeOf(failed, SQLException.class);
            if (e == null) {
                throw failed;
            }
            if ("55P03".equals(e.getSQLState())) {
                throw new SeedError(SeedError.EXIT_LOCKED, target.describe(), "gave up after "
                        + limits.lockTimeoutSeconds() + " s waiting for the run lock, held by " + holder,
                        "another seed_database run is still at work on this database; wait for it, or give it longer "
                                + "with --lock-timeout SECONDS", e);
            }
            throw SeedError.fromSql(e, target);
        }
    }

    /** Who holds the run lock: process id, application, user, client and for how long. */
    private String runLockHolder() {
        return describeLockHolders("l.locktype = 'advisory' AND l.classid = ?::oid AND l.objid = ?::oid AND l.objsubid = 1"
                // An advisory lock is per database: the same lock held in another database is not in the way.
                + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                runLock >>> 32, runLock & 0xFFFF_FFFFL).orElse("a session that has just let it go");
    }

    /**
     * A prepared transaction holding the run lock: a two-phase run (--atomic) keeps every lock it
     * took, the run lock too, from its PREPARE until COMMIT or ROLLBACK PREPARED
     * (checked in TwoPhaseTest: a later run waits for it). It has no session: pg_locks shows its locks
     * with no pid, under one virtual transaction that also holds its transaction id's lock, which
     * pg_prepared_xacts names.
     */
    private java.util.Optional<String> preparedRunLockHolder() {
        try {
            handle.execute("SAVEPOINT seed_holders");
            try {
                var gids = handle.createQuery("SELECT p.gid || ' (prepared at ' || to_char(p.prepared, 'YYYY-MM-DD HH24:MI:SS') "
                                + "|| ' UTC by ' || p.owner || ')' FROM pg_locks l "
                                + "JOIN pg_locks x ON x.locktype = 'transactionid' AND x.pid IS NULL "
                                + "AND x.virtualtransaction = l.virtualtransaction "
                                + "JOIN pg_prepared_xacts p ON p.transaction = x.transactionid "
                                + "WHERE l.pid IS NULL AND l.granted AND l.locktype = 'advisory' AND l.classid = ?::oid "
                                + "AND l.objid = ?::oid AND l.objsubid = 1 AND p.database = current_database() "
                                + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")
                        .bind(0, runLock >>> 32).bind(1, runLock & 0xFFFF_FFFFL).mapTo(String.class).list();
                handle.execute("RELEASE SAVEPOINT seed_holders");
                return gids.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of("the prepared transaction "
                        + String.join(" and ", gids));
            } catch (org.jdbi.v3.core.JdbiException e) {
                handle.execute("ROLLBACK TO SAVEPOINT seed_holders");
                return java.util.Optional.empty();
            }
        } catch (org.jdbi.v3.core.JdbiException e) {
            return java.util.Optional.empty();
        }
    }

    /** The sessions holding locks that match the condition, its ? bound to the values, described for a person. */
    java.util.Optional<String> describeLockHolders(String lockCondition, Object... values) {
        // A question asked on the way: inside a savepoint, so that it can never spoil the run's transaction.
        try {
            handle.execute("SAVEPOINT seed_holders");
            try {
                var holders = lockHolders(handle, lockCondition, values);
                handle.execute("RELEASE SAVEPOINT seed_holders");
                return holders;
            } catch (org.jdbi.v3.core.JdbiException e) {
                handle.execute("ROLLBACK TO SAVEPOINT seed_holders");
                return java.util.Optional.empty();
            }
        } catch (org.jdbi.v3.core.JdbiException e) {
            return java.util.Optional.empty();
        }
    }

    /** A session that holds a lock: process id, application, user, client, and how long its transaction has run. */
    record LockHolder(int pid, String app, String usename, String client, int seconds) {
        String described() {
            return app + " (pid " + pid + ", user " + usename + ", from " + client + ", in its transaction for " + seconds + " s)";
        }
    }

    /** Each other session that holds a lock that matches the condition (its ? bound to the values). */
    private static java.util.Optional<String> lockHolders(Handle handle, String lockCondition, Object... values) {
        var query = handle.createQuery("SELECT DISTINCT a.pid, coalesce(nullif(a.application_name, ''), "
                + "'an application') AS app, a.usename, coalesce(host(a.client_addr), 'a local socket') AS client, "
                + "extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start))::int AS seconds "
                + "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                + "WHERE l.granted AND a.pid <> pg_backend_pid() AND " + lockCondition + " ORDER BY a.pid");
        for (int i = 0; i < values.length; i++) {
            query.bind(i, values[i]);
        }
        var holders = query.registerRowMapper(ConstructorMapper.factory(LockHolder.class)).mapTo(LockHolder.class)
                .map(LockHolder::described).list();
        return holders.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join(" and ", holders));
    }

    /** A row a statement waited for until --lock-timeout: its table, and who holds it when that could be found. */
    record RowWait(String table, java.util.Optional<String> holders, int seconds) {}

    /** PostgreSQL's context of a row-lock wait: "while updating tuple (0,4) in relation \"llm_models\"". */
    private static final java.util.regex.Pattern ROW_WAIT = java.util.regex.Pattern.compile(
            "while [a-z ]+ tuple \\((\\d+),(\\d+)\\) in relation \"(.+)\"$", java.util.regex.Pattern.MULTILINE);

    /**
     * The row a statement waited for until the lock timeout, and who holds it. Every statement of a
     * run that can wait for a row (an UPDATE or DELETE of a row someone locked, an INSERT of a key
     * someone inserted and has not committed, a write of the ownership table) ends here, through
     * SeedError.fromSql. PostgreSQL names the row but not its holder, and the run's transaction,
     * aborted by the timeout, can ask nothing more: a connection of its own asks, briefly. The
     * holder is the transaction whose lock the row carries (its xmax); a row that connection cannot
     * see (an insert not committed) is held by a session that writes or locks rows of its table.
     * Empty when the error is not about a row.
     */
    static java.util.Optional<RowWait> rowWait(SQLException e, DatabaseTarget target) {
        var error = e instanceof org.postgresql.util.PSQLException pg ? pg.getServerErrorMessage() : null;
        var context = error == null || error.getWhere() == null ? null : ROW_WAIT.matcher(error.getWhere());
        if (context == null || !context.find()) {
            return java.util.Optional.empty();
        }
        String table = context.group(3);
        int seconds = lastLimits.lockTimeoutSeconds();
        if (target == null) {
            return java.util.Optional.of(new RowWait(table, java.util.Optional.empty(), seconds));
        }
        // The run's own backend holds locks too: never named as a holder (0 when no run is under way).
        int own = RUNNING.stream().filter(s -> s.target.equals(target)).mapToInt(Session::backendPid).findFirst().orElse(0);
        java.util.Optional<String> holders = java.util.Optional.empty();
        try (var asking = handle(open(target))) {
            // Never the next to wait: the run's transaction still holds its locks.
            asking.execute("SET lock_timeout = '2s'");
            asking.execute("SET statement_timeout = '10s'");
            String xmax = null;
            try {
                xmax = asking.createQuery("SELECT xmax::text FROM " + Catalog.quote(table) + " WHERE ctid = ?::tid AND xmax <> '0'::xid")
                        .bind(0, "(" + context.group(1) + "," + context.group(2) + ")").mapTo(String.class).findOne().orElse(null);
            } catch (org.jdbi.v3.core.JdbiException unreadable) {
                // a table of another schema, say: the holders of its row locks are asked below
            }
            if (xmax != null) {
                // xmax is the transaction that locked the row, or a multixact of several (FOR SHARE by many).
                String holding = "l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.transactionid";
                holders = lockHolders(asking, holding + " = ?::xid AND a.pid <> ?", xmax, own);
                if (holders.isEmpty()) {
                    try {
                        holders = lockHolders(asking, holding + "::text IN (SELECT xid::text FROM pg_get_multixact_members(?::xid))"
                                + " AND a.pid <> ?", xmax, own);
                    } catch (org.jdbi.v3.core.JdbiException notAMultixact) {
                        // then the transaction has ended since
                    }
                }
            }
            if (xmax == null) {
                holders = lockHolders(asking, "l.relation = to_regclass(?) AND l.mode IN ('RowShareLock', 'RowExclusiveLock')"
                        + " AND a.pid <> ?", Catalog.quote(table), own);
            }
        } catch (SQLException | RuntimeException unavailable) {
            // No second connection (a connection limit, say): the error still names the row's table.
        }
        return java.util.Optional.of(new RowWait(table, holders, seconds));
    }

    /** The run's server process, which other sessions' locks are told apart from. */
    private int backendPid() {
        try {
            return connection.unwrap(org.postgresql.PGConnection.class).getBackendPID();
        } catch (SQLException e) {
            return 0;
        }
    }

    /** Locks a table against writers for the rest of the run; a timed-out wait names who holds it. */
    void lockTable(String qualified, String displayName, String file) {
        try {
            // One round trip: a LOCK that times out leaves the savepoint to roll back to, below.
            run("SAVEPOINT seed_lock; LOCK TABLE " + qualified + " IN SHARE ROW EXCLUSIVE MODE; RELEASE SAVEPOINT seed_lock");
            lockedTables.add(qualified);
        } catch (SeedError failed) {
            var e = SeedError.causeOf(failed, SQLException.class);
            if (e == null || !"55P03".equals(e.getSQLState())) {
                throw failed;
            }
            try {
                run("ROLLBACK TO SAVEPOINT seed_lock");
            } catch (SeedError gone) {
                throw failed;
            }
            String holders = describeLockHolders("l.relation = ?::regclass", qualified).orElse("another transaction");
            throw new SeedError(SeedError.EXIT_LOCKED, file, "gave up after " + limits.lockTimeoutSeconds()
                    + " s waiting to lock " + displayName + ", which " + holders + " holds",
                    "a long transaction of the application is in the way; retry later, or give it longer with --lock-timeout SECONDS", e);
        }
    }

    /** Ends the run at once from another thread (a signal): PostgreSQL rolls back what the connection did. */
    void abort() {
        aborted = true;
        try {
            connection.unwrap(org.postgresql.PGConnection.class).cancelQuery();
        } catch (SQLException e) {
            // the connection may be gone already
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // closing is all we can do
        }
    }

    /**
     * Runs work whose joins are hash or merge joins, never nested loops: each then costs one pass
     * (or one sort) of each side, whatever the planner estimates. The tables a removal joins (the
     * seeded table, the ownership table) have no statistics after a large write, and autovacuum may
     * be off or late: on estimates of one row, a nested loop that scans the stage once per row
     * turned 20,000 rows into 27 s. A plan that depends on no estimate stays linear.
     */
    <T> T withoutNestedLoops(java.util.function.Supplier<T> work) {
        String before = handle.createQuery("SELECT current_setting('enable_nestloop')").mapTo(String.class).one();
        run("SET LOCAL enable_nestloop = off");
        try {
            return work.get();
        } finally {
            try {
                handle.createQuery("SELECT set_config('enable_nestloop', ?, true)").bind(0, before.equals("off") ? "off" : "on")
                        .mapTo(String.class).one();
            } catch (org.jdbi.v3.core.JdbiException aborted) {
                // The transaction failed on the way: it ends with the error that is already on its way.
            }
        }
    }

    /**
     * How many rows a table holds now, counted once for the removals of a run (none of which has
     * written yet, or the one that did said so with {@link #tableChanged}).
     */
    long rowsOf(String qualified) {
        return tableRows.computeIfAbsent(qualified, t -> handle.createQuery("SELECT count(*) FROM " + t).mapTo(Long.class).one());
    }

    void tableChanged(String qualified) {
        tableRows.remove(qualified);
    }

    private final java.util.Map<String, Long> tableRows = new java.util.HashMap<>();

    /** Runs generated SQL (quoted catalog names, no values) as it is; returns the rows it changed. */
    long run(String sql) {
        try (var statement = connection.createStatement()) {
            return statement.execute(sql) ? 0 : statement.getLargeUpdateCount();
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /**
     * Makes a table for the run's scratch rows (a file's stage, its changes) and returns its qualified
     * name; columnsSql is the column list, without its parentheses. Normally a temporary table that
     * the commit drops (ON COMMIT DROP), as the run always made them: nothing else is written. In
     * two-phase mode PostgreSQL could not PREPARE after that, so an UNLOGGED table in a schema of the
     * transaction's own (created with it, unseen by any other transaction, dropped by {@link #prepare}):
     * no WAL, like a temporary table, and never committed, so a rollback takes it with the rest.
     */
    String scratchTable(String baseName, String columnsSql) {
        return makeScratch(Catalog.quote(baseName), columnsSql, false);
    }

    /**
     * The table SkipProof writes one row into inside a savepoint it rolls back, for a fresh
     * subtransaction id (the proof's P): normally a temporary table the session keeps (made once,
     * emptied at each commit); in two-phase mode a scratch table of the transaction's schema, made
     * on first use. Either way a row written there has the id of the subtransaction that wrote it.
     */
    String proofProbe() {
        return makeScratch("seed_proof_probe", "x integer", true);
    }

    /** The one CREATE of the run's scratch tables, temporary or (two-phase) in the transaction's schema. */
    private String makeScratch(String quotedName, String columnsSql, boolean probe) {
        if (!twoPhase) {
            if (probe) {
                run("CREATE TEMPORARY TABLE IF NOT EXISTS " + quotedName + " (" + columnsSql + ") ON COMMIT DELETE ROWS");
            } else {
                run("CREATE TEMPORARY TABLE pg_temp." + quotedName + " (" + columnsSql + ") ON COMMIT DROP");
            }
            return "pg_temp." + quotedName;
        }
        if (scratchSchema == null) {
            // The backend's pid keeps live runs apart; the random part, a run from one that ended on the same backend.
            scratchSchema = Catalog.quote("seed_database_scratch_" + backendPid() + "_"
                    + Long.toHexString(new java.security.SecureRandom().nextLong() >>> 1));
        }
        // IF NOT EXISTS each time: a savepoint rolled back (a file's, say) may have taken the schema with it.
        run("CREATE SCHEMA IF NOT EXISTS " + scratchSchema);
        String qualified = scratchSchema + "." + quotedName;
        run("CREATE UNLOGGED TABLE " + (probe ? "IF NOT EXISTS " : "") + qualified + " (" + columnsSql + ")");
        return qualified;
    }

    /**
     * Two-phase mode, before the run writes: the server must allow prepared transactions (PostgreSQL's
     * default is 0, and changing it needs a restart), and the user must be able to create the
     * transaction's scratch schema. Said now, so that a fleet learns it before any target prepares.
     */
    private void requireTwoPhase() {
        int allowed = handle.createQuery("SELECT current_setting('max_prepared_transactions')::int").mapTo(Integer.class).one();
        if (allowed <= 0) {
            throw new SeedError(SeedError.EXIT_USAGE, target.describe(),
                    "the server does not allow prepared transactions (max_prepared_transactions = " + allowed
                            + "), which an all-or-none run (two-phase commit) needs",
                    "set max_prepared_transactions in postgresql.conf to at least the number of targets on this server and restart it",
                    null);
        }
        boolean mayCreate = handle.createQuery("SELECT has_database_privilege(current_database(), 'CREATE')")
                .mapTo(Boolean.class).one();
        if (!mayCreate) {
            throw new SeedError(SeedError.EXIT_USAGE, target.describe(), "user " + target.user()
                    + " may not create a schema in this database, which an all-or-none run needs for its scratch tables "
                    + "(temporary tables cannot be prepared)",
                    "GRANT CREATE ON DATABASE " + Catalog.quote(target.database()) + " TO " + Catalog.quote(target.user())
                            + ", or run without two-phase commit", null);
        }
    }

    /** What a two-phase transaction identifier may hold: the tool makes them, of these characters, under PostgreSQL's 200 bytes. */
    private static final java.util.regex.Pattern GID = java.util.regex.Pattern.compile("[A-Za-z0-9:_.-]{1,199}");

    /**
     * Refuses a transaction identifier the tool would not make: other characters (it is written
     * into the PREPARE as a literal), 200 bytes or more (PostgreSQL's limit: less than 200), or
     * without the tool's prefix (TwoPhase.inDoubt, which recovery reads, lists only those).
     */
    static String checkedGid(String gid) {
        if (gid == null || !GID.matcher(gid).matches() || !gid.startsWith(TwoPhase.GID_PREFIX)) {
            throw new IllegalArgumentException("not a transaction identifier of seed_database (" + TwoPhase.GID_PREFIX
                    + " then letters, digits and : _ . - only, under 200 bytes): " + gid);
        }
        return gid;
    }

    /**
     * Ends the run's transaction with PREPARE TRANSACTION instead of a commit: its writes and locks
     * (the run lock too: a later run on this database waits until it is resolved) are kept by the
     * server, past this connection, until TwoPhase.commitPrepared or rollbackPrepared. The scratch
     * schema is dropped first (it would otherwise be committed with the rest). After it the
     * connection is in no transaction, and close() rolls nothing back.
     */
    void prepare(String gid) {
        checkedGid(gid);
        if (!twoPhase) {
            // Temporary tables may have been used: PostgreSQL would refuse, after the run did its work.
            throw new IllegalStateException("prepare() needs a session in two-phase mode from its start");
        }
        if (scratchSchema != null) {
            run("DROP SCHEMA IF EXISTS " + scratchSchema + " CASCADE");
        }
        prepareSent = true;
        try {
            // One round trip: lost on its way, the PREPARE may have been done.
            run(FIRE_DEFERRED_TRIGGERS + "; PREPARE TRANSACTION '" + gid + "'");
        } catch (SeedError failed) {
            var cause = SeedError.causeOf(failed, SQLException.class);
            boolean lost;
            String state = cause == null ? "" : String.valueOf(cause.getSQLState());
            try {
                // As SeedError tells a lost connection: 08 (connection), 57P01-03 (the server shut down or terminated it).
                lost = connection.isClosed() || state.startsWith("08") || state.matches("57P0[123]");
            } catch (SQLException e) {
                lost = true;
            }
            if (state.equals("0A000")) {
                // The tool's own scratch tables are not temporary here: something else of the run's was.
                throw new SeedError(SeedError.EXIT_FAILED, target.describe(), "PostgreSQL cannot prepare the run's transaction: "
                        + cause.getMessage().replaceFirst("^ERROR: ", ""), "something the run executed (a migration, or a "
                        + "trigger of a seeded table) used a temporary table, a cursor WITH HOLD, LISTEN or NOTIFY, which a "
                        + "two-phase (all-or-none) run cannot include; nothing was written", failed);
            }
            if (lost) {
                // The PREPARE may have reached the server and been done: only the server can say (and it holds the run lock).
                throw new SeedError(SeedError.EXIT_UNREACHABLE, target.describe(), "the connection was lost while the run's "
                        + "transaction was being prepared as " + gid + ": whether the server prepared it is not known",
                        "if it did, TwoPhase.inDoubt lists it, and it holds the run lock until it is committed or rolled back "
                                + "(COMMIT PREPARED or ROLLBACK PREPARED '" + gid + "')", failed);
            }
            throw failed;
        }
        prepared = true;
        // A signal can no longer roll it back: what is left to do is the coordinator's (COMMIT or ROLLBACK PREPARED).
        RUNNING.remove(this);
    }

    /**
     * Whether a PREPARE was sent: then a lost connection is no reason to run the attempt again (the
     * transaction may be prepared, holding the run lock a second attempt would wait for).
     */
    boolean prepareSent() {
        return prepareSent;
    }

    /** Whether the transaction was PREPAREd ({@link #prepare}). */
    boolean prepared() {
        return prepared;
    }

    /**
     * Fires the deferred triggers the run's writes queued (a removal's, say) before the transaction
     * ends: commit sends it first, prepare with its PREPARE. At COMMIT or PREPARE they would fire in
     * the top-level transaction, whose id is older than every proof the run took (SkipProof): a row
     * they wrote there would pass for one a proof saw. Fired before, they run in the newest
     * subtransaction, whose id is newer than every proof's.
     */
    private static final String FIRE_DEFERRED_TRIGGERS = "SET CONSTRAINTS ALL IMMEDIATE";

    /** Undoes everything the run did: how a plan ends. */
    void rollback() {
        // The scratch schema goes with the transaction: a later one names its own.
        scratchSchema = null;
        try {
            connection.rollback();
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    void commit() {
        run(FIRE_DEFERRED_TRIGGERS);
        try {
            connection.commit();
            committed = true;
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    @Override
    public void close() {
        RUNNING.remove(this);
        try {
            // A prepared transaction is no longer the connection's: there is nothing here to roll back.
            boolean ended = committed || prepared;
            if (!ended && connection.isClosed()) {
                connectionLost = !aborted;
            } else if (!ended) {
                connection.rollback();
            }
        } catch (SQLException e) {
            // The connection is gone: PostgreSQL has rolled the transaction back itself.
            connectionLost = !aborted;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            // Nothing more to do with a broken connection.
        }
    }

    /**
     * Whether the connection broke before the session ended, whatever the error that followed
     * said: a closed connection cannot roll back. Known once the session is closed.
     */
    boolean connectionLost() {
        return connectionLost;
    }

    /** Whether a signal ended the session ({@link #abort}): its connection was closed on purpose. */
    boolean aborted() {
        return aborted;
    }
}
