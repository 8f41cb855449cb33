// What the server is (PostgreSQL and its version, Citus, CockroachDB, YugabyteDB), from what it reports, and what a run refuses there.

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The server a run is connected to, as it reports itself: its kind, its version() text, its
 * server_version_num, and the product's own version (CockroachDB's, YugabyteDB's, Citus's).
 * Distributed servers that speak PostgreSQL's protocol lack, each in its own way, what a run
 * relies on: one transaction around migrations and seeds (so DDL that rolls back), a
 * pg_advisory_xact_lock that locks, temporary tables, a COPY that stays in the transaction.
 * {@link #require} finds out in one query and refuses, before anything is written, a server
 * where a run would not be safe.
 */
record ServerKind(Kind kind, String product, int versionNum, Identity identity) {

    enum Kind { POSTGRESQL, CITUS, COCKROACHDB, YUGABYTEDB }

    /**
     * The oldest PostgreSQL the tool runs on: 13, for pg_current_xact_id and pg_snapshot_xmax
     * (the skip proofs), gen_random_uuid without pgcrypto (a uuid key's default), and DROP
     * DATABASE … WITH (FORCE) (verify's throwaway database).
     */
    static final int OLDEST_VERSION_NUM = 130000;

    /**
     * What the server reported, as it reported it; null where it reported nothing (a setting it
     * does not have, an extension not installed). The YugabyteDB settings are its YSQL names of
     * the yb-tserver flags ysql_yb_enable_advisory_locks and ysql_yb_ddl_transaction_block_enabled.
     */
    record Identity(String version, String serverVersionNum, String ybAdvisoryLocks, String ybTransactionalDdl,
                    String ybCopyRowsPerTransaction, String citusExtension, String citusVersion, Integer citusGroup) {

        /** A server that said no more than its version() (the one query failed there). */
        static Identity ofVersion(String version) {
            return new Identity(version, null, null, null, null, null, null, null);
        }
    }

    /**
     * The one question of the PostgreSQL path: every name unqualified, resolved by the session's
     * search_path, as each of the tool's statements is. A setting or an extension the server does
     * not have is null, never an error.
     */
    static final String IDENTITY_QUERY = "SELECT version(), current_setting('server_version_num', true), "
            + "current_setting('yb_enable_advisory_locks', true), current_setting('yb_ddl_transaction_block_enabled', true), "
            + "current_setting('yb_default_copy_from_rows_per_transaction', true), "
            + "(SELECT extversion FROM pg_extension WHERE extname = 'citus')";

    /** Asked only where the citus extension is installed: its version and this node's group (0: the coordinator). */
    static final String CITUS_QUERY = "SELECT citus_version(), (SELECT groupid FROM pg_dist_local_group LIMIT 1)";

    /** YugabyteDB's version(): "PostgreSQL 11.2-YB-2.18.0.0-b0 on x86_64-pc-linux-gnu, …". */
    private static final Pattern YUGABYTE = Pattern.compile("^PostgreSQL (\\S+?)-YB-([0-9][0-9.]*)(?:-b\\d+)?\\b");
    /** CockroachDB's version(): "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built …, go1.19.10)". */
    private static final Pattern COCKROACH = Pattern.compile("^(CockroachDB (?:CCL |OSS )?v\\S+)");
    private static final Pattern POSTGRES = Pattern.compile("^(PostgreSQL \\S+)");
    private static final Pattern CITUS = Pattern.compile("^(Citus \\S+)");

    /** What the server is, from what it reported. */
    static ServerKind of(Identity identity) {
        String version = identity.version() == null ? "" : identity.version().trim();
        int num = parseVersionNum(identity.serverVersionNum());
        var cockroach = COCKROACH.matcher(version);
        if (cockroach.find()) {
            return new ServerKind(Kind.COCKROACHDB, cockroach.group(1), num, identity);
        }
        var yugabyte = YUGABYTE.matcher(version);
        if (yugabyte.find()) {
            return new ServerKind(Kind.YUGABYTEDB, "YugabyteDB " + yugabyte.group(2) + " (PostgreSQL " + yugabyte.group(1) + ")",
                    num, identity);
        }
        var postgres = POSTGRES.matcher(version);
        String base = postgres.find() ? postgres.group(1) : version.isEmpty() ? "an unknown server" : version;
        if (identity.ybCopyRowsPerTransaction() != null) {
            // A YugabyteDB whose version() says only PostgreSQL: its own settings tell.
            return new ServerKind(Kind.YUGABYTEDB, "YugabyteDB (" + base + ")", num, identity);
        }
        if (identity.citusExtension() != null) {
            var citus = identity.citusVersion() == null ? null : CITUS.matcher(identity.citusVersion());
            String product = citus != null && citus.find() ? citus.group(1) : "Citus " + identity.citusExtension();
            return new ServerKind(Kind.CITUS, product + " on " + base, num, identity);
        }
        return new ServerKind(Kind.POSTGRESQL, base, num, identity);
    }

    /** server_version_num as a number; 0 when it was not reported or is not one. */
    private static int parseVersionNum(String text) {
        try {
            return text == null ? 0 : Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Whether this is a Citus node that is not the coordinator: a worker, which only takes the coordinator's statements. */
    boolean citusWorker() {
        return kind == Kind.CITUS && identity.citusGroup() != null && identity.citusGroup() != 0;
    }

    /** What this server lacks that a run needs, each said for a person; empty when a run is safe here. */
    List<String> missing() {
        var missing = new ArrayList<String>();
        switch (kind) {
            case COCKROACHDB -> {
                missing.add("a pg_advisory_xact_lock that locks (CockroachDB has no advisory locks: two runs would not wait "
                        + "for each other)");
                missing.add("schema changes that roll back with the run's transaction (CockroachDB commits DDL apart from "
                        + "the transaction around it: a failed migration would stay half applied)");
                missing.add("temporary tables, where each seed file is staged (off by default: experimental_enable_temp_tables)");
            }
            case YUGABYTEDB -> {
                if (!"on".equals(identity.ybAdvisoryLocks())) {
                    missing.add("advisory locks (yb_enable_advisory_locks is " + describe(identity.ybAdvisoryLocks())
                            + ": pg_advisory_xact_lock would not lock, so two runs would not wait for each other)");
                }
                if (!"on".equals(identity.ybTransactionalDdl())) {
                    missing.add("transactional DDL (yb_ddl_transaction_block_enabled is " + describe(identity.ybTransactionalDdl())
                            + ": each schema change commits on its own, so a failed migration would stay half applied)");
                }
                if (versionNum > 0 && versionNum < OLDEST_VERSION_NUM) {
                    missing.add("PostgreSQL 13's functions (pg_current_xact_id, pg_snapshot_xmax): this YugabyteDB is based "
                            + "on PostgreSQL " + versionText(versionNum));
                }
            }
            case CITUS, POSTGRESQL -> {
                if (citusWorker()) {
                    missing.add("the coordinator: this is a Citus worker node (group " + identity.citusGroup() + "), and the "
                            + "tool's statements (migrations, locks, writes) must run on the coordinator, which owns the "
                            + "distributed schema");
                }
                if (versionNum > 0 && versionNum < OLDEST_VERSION_NUM) {
                    missing.add("PostgreSQL 13 or later, the oldest the tool runs on (for pg_current_xact_id, pg_snapshot_xmax, "
                            + "gen_random_uuid and DROP DATABASE … WITH (FORCE)); this server is PostgreSQL " + versionText(versionNum));
                }
            }
        }
        return missing;
    }

    private static String describe(String setting) {
        return setting == null ? "unknown to this version" : setting;
    }

    /** 110002 → 11.2, 150020 → 15.20, 90624 → 9.6.24. */
    static String versionText(int num) {
        return num >= 100000 ? num / 10000 + "." + num % 10000 : num / 10000 + "." + num / 100 % 100 + "." + num % 100;
    }

    /** What to do instead, for the refusal's hint. */
    String whatToDo() {
        return switch (kind) {
            case COCKROACHDB -> "point --url or DATABASE_URL at PostgreSQL 13 or later, a Citus coordinator, or a YugabyteDB "
                    + "with advisory locks and transactional DDL turned on: the servers seed_database runs on";
            case YUGABYTEDB -> "use YugabyteDB 2025.1 or later with the yb-tserver flags ysql_yb_enable_advisory_locks=true and "
                    + "ysql_yb_ddl_transaction_block_enabled=true (a preview flag is also listed in allowed_preview_flags_csv), "
                    + "or point --url or DATABASE_URL at PostgreSQL 13 or later";
            case CITUS, POSTGRESQL -> citusWorker()
                    ? "point --url or DATABASE_URL at the coordinator (the node of group 0 in pg_dist_node)"
                    : "upgrade the server to PostgreSQL 13 or later, or point --url or DATABASE_URL at one";
        };
    }

    /** The server as a message names it: the product, and its version() when that says more. */
    String described() {
        String version = identity.version() == null ? "" : identity.version().trim();
        return version.isEmpty() || version.equals(product) ? product : product + ", version() \"" + Report.visible(version) + "\"";
    }

    /**
     * Finds out what the session's server is and refuses, before anything is written, one where a
     * run is not safe (exit code 2, naming the target and the server). On an accepted YugabyteDB,
     * COPY is kept in the run's transaction (yb_default_copy_from_rows_per_transaction = 0),
     * and it is checked that the setting took.
     */
    static ServerKind require(Session session) {
        var target = session.target;
        var server = of(identify(session.connection, target));
        var missing = server.missing();
        if (!missing.isEmpty()) {
            throw new SeedError(SeedError.EXIT_USAGE, target.describe(), "the server is " + server.described()
                    + ", where a run of seed_database would not be safe: it lacks " + String.join("; and ", missing)
                    + ". Nothing was written", server.whatToDo(), null);
        }
        if (server.kind == Kind.YUGABYTEDB) {
            server.keepCopyInTheTransaction(session.connection, target);
        }
        return server;
    }

    /**
     * YugabyteDB's COPY commits every yb_default_copy_from_rows_per_transaction rows (20,000 by
     * default) on its own: a CSV file's rows would be written even when the run rolls back. At 0
     * it is one transaction, the run's.
     */
    private void keepCopyInTheTransaction(Connection connection, DatabaseTarget target) {
        String now;
        try (var statement = connection.createStatement()) {
            statement.execute("SELECT set_config('yb_default_copy_from_rows_per_transaction', '0', false)");
            // Asked again, apart: what the session now has, not what set_config answered.
            try (var rows = statement.executeQuery("SELECT current_setting('yb_default_copy_from_rows_per_transaction', true)")) {
                rows.next();
                now = rows.getString(1);
            }
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
        if (!"0".equals(now)) {
            throw new SeedError(SeedError.EXIT_USAGE, target.describe(), "the server is " + described() + ", whose COPY "
                    + "commits every " + identity.ybCopyRowsPerTransaction() + " rows on its own, and setting "
                    + "yb_default_copy_from_rows_per_transaction to 0 did not take (it is " + now + "). Nothing was written",
                    "let the run's user set yb_default_copy_from_rows_per_transaction, or set it to 0 for the user "
                            + "(ALTER ROLE … SET yb_default_copy_from_rows_per_transaction = 0)", null);
        }
    }

    /**
     * What the server reports: one query on PostgreSQL; a second one, for its node, where Citus is
     * installed. A server the query fails on (it speaks PostgreSQL's protocol, not all of its SQL)
     * is asked its version() alone, so that it can still be named; when that says PostgreSQL, the
     * query's error stands.
     */
    static Identity identify(Connection connection, DatabaseTarget target) {
        Identity identity;
        try (var statement = connection.createStatement(); var rows = statement.executeQuery(IDENTITY_QUERY)) {
            rows.next();
            identity = new Identity(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
                    rows.getString(5), rows.getString(6), null, null);
        } catch (SQLException failed) {
            return versionAlone(connection, target, failed);
        }
        if (identity.citusExtension() == null) {
            return identity;
        }
        try (var statement = connection.createStatement(); var rows = statement.executeQuery(CITUS_QUERY)) {
            rows.next();
            int group = rows.getInt(2);
            return new Identity(identity.version(), identity.serverVersionNum(), identity.ybAdvisoryLocks(),
                    identity.ybTransactionalDdl(), identity.ybCopyRowsPerTransaction(), identity.citusExtension(),
                    rows.getString(1), rows.wasNull() ? null : group);
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    private static Identity versionAlone(Connection connection, DatabaseTarget target, SQLException failed) {
        try {
            connection.rollback();
            try (var statement = connection.createStatement(); ResultSet rows = statement.executeQuery("SELECT version()")) {
                rows.next();
                var identity = Identity.ofVersion(rows.getString(1));
                if (of(identity).kind() != Kind.POSTGRESQL) {
                    return identity;
                }
            }
        } catch (SQLException alsoFailed) {
            failed.addSuppressed(alsoFailed);
        }
        throw SeedError.fromSql(failed, target);
    }
}
