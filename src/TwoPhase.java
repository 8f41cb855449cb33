// The second phase of an all-or-none run: a target's prepared transaction committed, rolled back, or found in doubt.

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import org.jdbi.v3.core.Handle;

/**
 * A run in two-phase mode (Config.withPrepareAs) ends with PREPARE TRANSACTION: its writes, and
 * its locks, the run lock among them, stay with the server until one of these ends them, from any
 * connection to the same database, even after the process that prepared them is gone. Each call
 * opens a connection of its own (COMMIT and ROLLBACK PREPARED cannot run inside a transaction
 * block). The identifiers are the tool's own: "seed_database:" and then whatever the coordinator
 * chose (Session.checkedGid).
 */
final class TwoPhase {

    /** Every transaction identifier the tool prepares starts with this: what {@link #inDoubt} looks for. */
    static final String GID_PREFIX = "seed_database:";

    /** PostgreSQL's SQLSTATE for a gid no prepared transaction has (42704, undefined_object). */
    private static final String NO_SUCH_GID = "42704";

    private TwoPhase() {}

    /** A prepared transaction of the tool's, not yet committed or rolled back: its identifier, when it was prepared, by whom. */
    record InDoubt(String gid, Instant prepared, String owner) {}

    /**
     * Commits the prepared transaction gid on the target's database. True: this call committed it.
     * False: no prepared transaction has that identifier (any more): it was committed or rolled back
     * before, which the server no longer tells apart; the caller that needs to know reads the run's
     * history. Any other failure (the connection, a transaction of another database or user) is a SeedError.
     */
    static boolean commitPrepared(DatabaseTarget target, String gid) {
        return finish(target, "COMMIT PREPARED", gid);
    }

    /**
     * Rolls back the prepared transaction gid on the target's database. True: this call rolled it
     * back. False: no prepared transaction has that identifier (any more): it was committed or rolled
     * back before (then, for a coordinator undoing a fleet, check which in the history). Other failures are SeedErrors.
     */
    static boolean rollbackPrepared(DatabaseTarget target, String gid) {
        return finish(target, "ROLLBACK PREPARED", gid);
    }

    private static boolean finish(DatabaseTarget target, String command, String gid) {
        Session.checkedGid(gid);
        try (Connection connection = Session.open(target)) {
            connection.setAutoCommit(true);
            try (var statement = connection.createStatement()) {
                // The gid holds only [A-Za-z0-9:_.-]: safe as a literal (the command takes no parameter).
                statement.execute(command + " '" + gid + "'");
                return true;
            } catch (SQLException e) {
                if (NO_SUCH_GID.equals(e.getSQLState())) {
                    return false;
                }
                throw e;
            }
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /** The tool's prepared transactions of the target's database still waiting for their second phase, oldest first. */
    static List<InDoubt> inDoubt(DatabaseTarget target) {
        try (Connection connection = Session.open(target)) {
            return inDoubt(connection);
        } catch (SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /** The same, asked on a handle's connection (a session's, say): prepared transactions are the server's, not a session's. */
    static List<InDoubt> inDoubt(Handle handle) {
        try {
            return inDoubt(handle.getConnection());
        } catch (SQLException e) {
            throw SeedError.fromSql(e, null);
        }
    }

    private static List<InDoubt> inDoubt(Connection connection) throws SQLException {
        // pg_prepared_xacts lists every database's; only this one's can be finished from here.
        try (var query = connection.prepareStatement("SELECT gid, prepared, owner FROM pg_prepared_xacts "
                + "WHERE database = current_database() AND left(gid, length(?)) = ? ORDER BY prepared, gid")) {
            query.setString(1, GID_PREFIX);
            query.setString(2, GID_PREFIX);
            var found = new ArrayList<InDoubt>();
            try (var rows = query.executeQuery()) {
                while (rows.next()) {
                    found.add(new InDoubt(rows.getString(1), rows.getObject(2, OffsetDateTime.class).toInstant(), rows.getString(3)));
                }
            }
            return found;
        }
    }
}
