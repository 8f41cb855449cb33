// --atomic: every target's run prepared, then all committed or all rolled back; what a crash left in doubt, resolved.

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;

/**
 * Two-phase commit over a fleet. The first target is the commit point: it runs first, alone, and
 * ends with PREPARE TRANSACTION; the others then run (--parallel at a time) and prepare too, each
 * transaction named seed_database:RUN:INDEX:XID:POINT, where XID is the commit point's prepared
 * transaction id and POINT a hash of its name. When every target has prepared, the commit point is
 * committed first, then the others; when one has failed, every prepared one is rolled back.
 *
 * <p>So the commit point's transaction decides: committed, the run is committed everywhere;
 * not, nowhere. A crash (the process killed, a connection lost) between the phases leaves prepared
 * transactions, which keep their locks, the run lock among them. The next fleet run resolves each
 * it finds on a target before it runs there ({@link #recover}): the commit point's own is rolled
 * back (it was never committed, so nothing was); another's is committed when pg_xact_status says
 * the commit point's XID committed, rolled back when it aborted, and, when the commit point is still
 * prepared, both are rolled back. A commit point not among the run's targets, or an XID its server
 * no longer knows, is an error that names the transaction and says how to resolve it by hand.
 */
final class AllOrNone {

    private final Fleet fleet;
    private final List<Targets.Target> targets;
    private final Fleet.Command command;
    private final ExecutorService pool;
    private final String run;

    AllOrNone(Fleet fleet, List<Targets.Target> targets, Fleet.Command command, ExecutorService pool) {
        this.fleet = fleet;
        this.targets = targets;
        this.command = command;
        this.pool = pool;
        this.run = fleet.runId;
    }

    /**
     * Runs the command on every target, prepared, then commits them all or rolls them all back.
     * All along, a connection of the run holds a session lock on the commit point (its run's
     * {@link #liveness} lock): while it is held, a run that finds this run's prepared transactions
     * knows them for a run under way, not one a crash left in doubt, and leaves them alone.
     */
    List<Fleet.Outcome> run() {
        try (var alive = Session.open(targets.get(0).database()); var lock = alive.prepareStatement(
                "SELECT pg_advisory_lock(?)"); var settings = alive.createStatement()) {
            // Idle all along, it must not be ended for that (idle_session_timeout, PostgreSQL 14+): its end says "crashed".
            settings.execute("DO $$ BEGIN IF current_setting('server_version_num')::int >= 140000 THEN "
                    + "PERFORM set_config('idle_session_timeout', '0', false); END IF; END $$");
            lock.setLong(1, liveness(run));
            lock.execute();
            return phases();
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, targets.get(0).database());
        }
    }

    /** The session lock that says an --atomic run is under way: keyed by its run id, on its commit point's database. */
    static long liveness(String run) {
        return Session.RUN_LOCK ^ Long.parseUnsignedLong(run.substring(0, 16), 16);
    }

    /** The target's prepared transaction has ended (committed or rolled back): a signal no longer leaves it in doubt. */
    private void ended(Fleet.Outcome outcome) {
        fleet.preparedNow.remove(outcome.target().name());
    }

    private List<Fleet.Outcome> phases() {
        var point = targets.get(0);
        String pointHash = hash(point.name());
        String pointGid = gid(0, 0, pointHash);
        var outcomes = new ArrayList<Fleet.Outcome>(fleet.each(List.of(point), command, pool, i -> pointGid, false));
        boolean pointPrepared = outcomes.get(0).done().exitCode() == 0;
        if (pointPrepared) {
            long xid = preparedXid(point, pointGid);
            var rest = targets.subList(1, targets.size());
            outcomes.addAll(fleet.each(rest, command, pool, i -> gid(i + 1, xid, pointHash), false));
        } else {
            targets.subList(1, targets.size()).forEach(t -> outcomes.add(new Fleet.Outcome(t, null, "", "", 0, null)));
        }
        var failed = outcomes.stream().filter(o -> o.started() && o.done().exitCode() != 0).map(o -> o.target().name()).toList();
        var finished = failed.isEmpty() ? commitAll(outcomes, pointGid) : rollBackAll(outcomes, failed);
        if (fleet.base().format() == Report.Format.text) {
            finished.stream().filter(Fleet.Outcome::started).forEach(fleet::line);
        }
        return finished;
    }

    /** Every target prepared: the commit point first (the decision), then the others. */
    private List<Fleet.Outcome> commitAll(List<Fleet.Outcome> outcomes, String pointGid) {
        var finished = new ArrayList<Fleet.Outcome>();
        try {
            if (!TwoPhase.commitPrepared(outcomes.get(0).target().database(), pointGid)) {
                // Someone ended it (ROLLBACK PREPARED by hand, say): the run is not committed, and must not be anywhere.
                var gone = new ArrayList<>(outcomes.subList(0, 1));
                gone.set(0, gone.get(0).failed(new Fleet.Done(SeedError.EXIT_FAILED, "gone", false), "its prepared "
                        + "transaction " + pointGid + " was gone when it was to be committed: something else ended it"));
                gone.addAll(outcomes.subList(1, outcomes.size()));
                return rollBackAll(gone, List.of(outcomes.get(0).target().name()));
            }
        } catch (SeedError e) {
            // Whether it committed is not known: the next run asks the commit point, and resolves every target alike.
            String why = "in doubt: the commit of the commit point " + outcomes.get(0).target().name() + " failed ("
                    + e.getMessage() + "); the next fleet run on these targets resolves every prepared transaction";
            outcomes.forEach(o -> finished.add(o.failed(new Fleet.Done(SeedError.EXIT_UNREACHABLE, "in doubt", false), why)
                    .finished("in doubt")));
            return finished;
        }
        ended(outcomes.get(0));
        finished.add(outcomes.get(0).finished("committed"));
        var commits = new ArrayList<java.util.concurrent.Future<Fleet.Outcome>>();
        for (int i = 1; i < outcomes.size(); i++) {
            var outcome = outcomes.get(i);
            commits.add(pool.submit(() -> {
                try {
                    if (!TwoPhase.commitPrepared(outcome.target().database(), prepared.get(outcome.target().name()))) {
                        return outcome.failed(new Fleet.Done(SeedError.EXIT_FAILED, "gone", false), "its prepared "
                                + "transaction was gone when it was to be committed (the commit point and the others "
                                + "committed): something else ended it, and this target does not have the run's changes")
                                .finished("gone: not committed");
                    }
                    ended(outcome);
                    return outcome.finished("committed");
                } catch (SeedError e) {
                    return outcome.failed(new Fleet.Done(e.exitCode, "prepared, not yet committed", false), "committed "
                            + "everywhere else, but its own commit failed (" + e.getMessage() + "): the next fleet run on "
                            + "these targets commits it").finished("prepared: the next run commits it");
                }
            }));
        }
        for (var commit : commits) {
            finished.add(join(commit));
        }
        return finished;
    }

    /** A target failed: every prepared one is rolled back, and nothing of the run is kept anywhere. */
    private List<Fleet.Outcome> rollBackAll(List<Fleet.Outcome> outcomes, List<String> failed) {
        String why = "rolled back (--atomic: " + String.join(", ", failed) + " failed)";
        var finished = new ArrayList<Fleet.Outcome>();
        for (int i = 0; i < outcomes.size(); i++) {
            var outcome = outcomes.get(i);
            if (!outcome.started()) {
                finished.add(outcome);
                continue;
            }
            // A failed target may have prepared before it failed (a connection lost after PREPARE): rolled back too.
            String gid = prepared.get(outcome.target().name());
            try {
                TwoPhase.rollbackPrepared(outcome.target().database(), gid);
                ended(outcome);
            } catch (SeedError e) {
                finished.add(outcome.failed(new Fleet.Done(e.exitCode, "prepared, not rolled back", false), "its rollback "
                        + "failed (" + e.getMessage() + "): the next fleet run on these targets rolls it back")
                        .finished("prepared: the next run rolls it back"));
                continue;
            }
            finished.add(outcome.done().exitCode() == 0 ? outcome.finished(why) : outcome);
        }
        return finished;
    }

    /** The identifiers of this run's transactions, by target: what each was prepared as. */
    private final Map<String, String> prepared = new java.util.concurrent.ConcurrentHashMap<>();

    private String gid(int index, long pointXid, String pointHash) {
        String gid = TwoPhase.GID_PREFIX + run + ":" + index + ":" + pointXid + ":" + pointHash;
        prepared.put(targets.get(index).name(), gid);
        return gid;
    }

    private static Fleet.Outcome join(java.util.concurrent.Future<Fleet.Outcome> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SeedError(130, null, "interrupted", null, e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** A target name's short hash, as a transaction identifier carries its commit point (any name, in a few safe characters). */
    static String hash(String name) {
        try {
            var digest = java.security.MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A 32-bit transaction id as its full 64-bit one, the one nearest to reference, a full id of
     * the same server taken at about the same time (a snapshot's xmax): two ids that are in use at
     * once are less than 2^31 apart, so the nearest is the one. (Not "the epoch of the reference":
     * xmax may be below the prepared id, when a transaction older than it is still open.)
     */
    static long widened(long xid, long reference) {
        long full = (reference & ~0xFFFF_FFFFL) | xid;
        if (full - reference > 1L << 31) {
            full -= 1L << 32;
        } else if (reference - full > 1L << 31) {
            full += 1L << 32;
        }
        return full;
    }

    /** The full (64-bit) id of the commit point's prepared transaction: pg_prepared_xacts has its 32 bits. */
    private static long preparedXid(Targets.Target point, String gid) {
        try (var connection = Session.open(point.database()); var query = connection.prepareStatement(
                "SELECT transaction::text::bigint, pg_snapshot_xmax(pg_current_snapshot())::text::bigint "
                        + "FROM pg_prepared_xacts WHERE gid = ?")) {
            query.setString(1, gid);
            try (var rows = query.executeQuery()) {
                if (!rows.next()) {
                    throw new SeedError(SeedError.EXIT_FAILED, point.database().describe(), "the commit point's transaction "
                            + gid + " is not prepared any more", "something else committed or rolled it back", null);
                }
                return widened(rows.getLong(1), rows.getLong(2));
            }
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, point.database());
        }
    }

    /**
     * Resolves what an --atomic run left prepared on this target, by the rule of the class comment,
     * before anything else runs there (its locks would stop the run). Said in a note for each.
     */
    static void recover(Targets.Target target, Map<String, Targets.Target> byName, String currentRun, boolean mayResolve,
                        Consumer<String> tell) {
        for (var inDoubt : holdingRunLock(target)) {
            String gid = inDoubt.gid();
            String[] parts = gid.substring(TwoPhase.GID_PREFIX.length()).split(":");
            if (parts.length != 4 || !parts[0].matches("[0-9a-f]{32}") || !parts[1].matches("\\d+")
                    || !parts[2].matches("\\d+")) {
                throw inDoubt(target, inDoubt, "its identifier is not one this version of seed_database makes");
            }
            if (parts[0].equals(currentRun)) {
                // This very run prepared it, on a target named otherwise: two names (127.0.0.1, localhost) for one database.
                throw new SeedError(SeedError.EXIT_USAGE, target.database().describe(), "this database is another target "
                        + "of this run too, under another name (its transaction " + gid + " is this run's)",
                        "list each database once in the targets", null);
            }
            var point = parts[1].equals("0") ? target : byName.values().stream().filter(t -> hash(t.name()).equals(parts[3]))
                    .findFirst().orElseThrow(() -> inDoubt(target, inDoubt, "its commit point (the first target of that run) "
                            + "is not among this run's targets"));
            if (underWay(point, parts[0])) {
                throw new SeedError(SeedError.EXIT_LOCKED, target.database().describe(), "another --atomic fleet run is "
                        + "under way here: its transaction " + gid + " is prepared, waiting for its other targets",
                        "wait for it to end, then run again", null);
            }
            if (!mayResolve) {
                throw inDoubt(target, inDoubt, "this command only reads (or rolls back), and resolving it commits or rolls "
                        + "back what that run did").hint("rerun the fleet command that prepared it (a run, migrate or seed, "
                        + "not --dry-run): it resolves it first");
            }
            boolean commit;
            if (parts[1].equals("0")) {
                commit = false;   // the commit point itself: never committed, so no target was
            } else {
                String status = xactStatus(point, Long.parseLong(parts[2]));
                if (status == null) {
                    throw inDoubt(target, inDoubt, "the commit point " + point.name() + " no longer knows its transaction "
                            + parts[2]);
                }
                if (status.equals("in progress")) {
                    // The commit point is still prepared: nothing was committed; it is rolled back first, then this one.
                    if (!TwoPhase.rollbackPrepared(point.database(), TwoPhase.GID_PREFIX + parts[0] + ":0:0:" + parts[3])) {
                        // Ended between the question and the rollback (its coordinator was alive after all): ask again.
                        status = String.valueOf(xactStatus(point, Long.parseLong(parts[2])));
                    }
                }
                commit = status.equals("committed");
            }
            if (commit) {
                TwoPhase.commitPrepared(target.database(), gid);
            } else {
                TwoPhase.rollbackPrepared(target.database(), gid);
            }
            tell.accept("an --atomic run's transaction " + gid + ", prepared at " + at(inDoubt) + ", was left in "
                    + "doubt here; " + (commit ? "committed, as its commit point was" : "rolled back, as its commit point was "
                    + "never committed"));
        }
    }

    /**
     * The tool's prepared transactions that hold this target's run lock: those that would stop a
     * run on it. (Another schema's of the same database hold another lock, and are not this target's.)
     */
    private static List<TwoPhase.InDoubt> holdingRunLock(Targets.Target target) {
        try (var connection = Session.open(target.database()); var schema = connection.createStatement();
             var query = connection.prepareStatement(
                "SELECT p.gid, p.prepared, p.owner FROM pg_prepared_xacts p "
                        + "JOIN pg_locks x ON x.locktype = 'transactionid' AND x.pid IS NULL AND x.transactionid = p.transaction "
                        + "JOIN pg_locks l ON l.virtualtransaction = x.virtualtransaction AND l.pid IS NULL "
                        + "AND l.locktype = 'advisory' AND l.classid = ?::oid AND l.objid = ?::oid AND l.objsubid = 1 "
                        + "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                        + "WHERE p.database = current_database() AND left(p.gid, length(?)) = ? ORDER BY p.prepared, p.gid")) {
            // The lock a run takes here: that of the schema its connection writes in (current_schema(), as Session.begin
            // reads it), not the one the URL names: a database's or role's search_path, or a quoted name, may differ.
            String current;
            try (var rows = schema.executeQuery("SELECT current_schema()")) {
                rows.next();
                current = rows.getString(1);
            }
            if (current == null && target.database().schema() != null) {
                return List.of();   // the schema named does not exist: the run stops there (Session.begin), and holds no lock
            }
            long lock = Session.runLock(current);
            query.setLong(1, lock >>> 32);
            query.setLong(2, lock & 0xFFFF_FFFFL);
            query.setString(3, TwoPhase.GID_PREFIX);
            query.setString(4, TwoPhase.GID_PREFIX);
            var found = new ArrayList<TwoPhase.InDoubt>();
            try (var rows = query.executeQuery()) {
                while (rows.next()) {
                    found.add(new TwoPhase.InDoubt(rows.getString(1), rows.getObject(2, java.time.OffsetDateTime.class)
                            .toInstant(), rows.getString(3)));
                }
            }
            return found;
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, target.database());
        }
    }

    /** Whether the run that prepared a transaction is still at work: its coordinator holds its liveness lock. */
    private static boolean underWay(Targets.Target point, String run) {
        try (var connection = Session.open(point.database()); var query = connection.prepareStatement(
                "SELECT pg_try_advisory_lock_shared(?)")) {
            query.setLong(1, liveness(run));
            try (var rows = query.executeQuery()) {
                rows.next();
                // Taken, it is let go with the connection: the run is over (its coordinator's session has ended). Shared:
                // the coordinator holds it exclusively, and another target's probe, at the same moment, must not look like it.
                return !rows.getBoolean(1);
            }
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, point.database());
        }
    }

    private static String at(TwoPhase.InDoubt inDoubt) {
        return java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(java.time.ZoneOffset.UTC)
                .format(inDoubt.prepared());
    }

    private static String xactStatus(Targets.Target point, long xid) {
        try (var connection = Session.open(point.database()); var query = connection.prepareStatement(
                "SELECT pg_xact_status(?::text::xid8)")) {
            query.setString(1, Long.toString(xid));
            try (var rows = query.executeQuery()) {
                rows.next();
                return rows.getString(1);
            }
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, point.database());
        }
    }

    private static SeedError inDoubt(Targets.Target target, TwoPhase.InDoubt inDoubt, String why) {
        return new SeedError(SeedError.EXIT_FAILED, target.database().describe(), "an --atomic run left its transaction "
                + inDoubt.gid() + " (prepared at " + at(inDoubt) + ") in doubt here, and it cannot be resolved: " + why,
                "rerun the fleet command that prepared it, with the same targets; or, knowing the run's outcome, end it by "
                        + "hand: COMMIT PREPARED '" + inDoubt.gid() + "' or ROLLBACK PREPARED '" + inDoubt.gid() + "'", null);
    }
}
