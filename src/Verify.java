// verify: the migrations and the seeds, applied to a throwaway database twice.

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A database of its own on the target's server, made for one verify and dropped after it, also
 * when the verify fails or is interrupted. Its name says what it is and when it was made, so that
 * one left by a killed process is easy to recognise: seed_verify_20261124_183402_4f2a.
 */
final class Verify implements AutoCloseable {

    /** The prefix of every throwaway database's name. */
    static final String PREFIX = "seed_verify_";

    /** The throwaway database of the verify in progress, for the signal handler that drops it. */
    static volatile Verify current;

    /** Where the CREATE and the DROP are sent: the target's database, or a maintenance database. */
    private final DatabaseTarget server;
    final String name;
    final DatabaseTarget target;
    private boolean dropped;

    private Verify(DatabaseTarget server, String name) {
        this.server = server;
        this.name = name;
        this.target = server.withDatabase(name, "a throwaway database for verify");
    }

    /** Creates the throwaway database on the server of target. */
    static Verify create(DatabaseTarget target) {
        String name = PREFIX + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss")) + "_"
                + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000));
        var server = reachableDatabase(target);
        try (var connection = connect(server); var statement = connection.createStatement()) {
            // The name is ours (letters, digits, _), so it is safe as an identifier.
            statement.execute("CREATE DATABASE " + Catalog.quote(name));
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new SeedError(seed_database.EXIT_FAILED, target.describe(), "verify creates a throwaway database, and "
                        + target.user() + " may not create databases", "run it as a user with CREATEDB (ALTER ROLE "
                        + target.user() + " CREATEDB), on a development or CI server", e);
            }
            throw SeedError.fromSql(e, target);
        }
        var verify = new Verify(server, name);
        current = verify;
        return verify;
    }

    /**
     * The target's database when it exists, else postgres, else template1: verify needs only
     * the server, and a CI job often points at a database that is not there yet.
     */
    private static DatabaseTarget reachableDatabase(DatabaseTarget target) {
        SQLException missing = null;
        for (var candidate : new DatabaseTarget[]{target, target.withDatabase("postgres", target.source()), target.withDatabase("template1", target.source())}) {
            try (var connection = connect(candidate)) {
                return candidate;
            } catch (SQLException e) {
                if (!"3D000".equals(e.getSQLState())) {
                    throw SeedError.fromSql(e, target);
                }
                missing = missing == null ? e : missing;
            }
        }
        throw SeedError.fromSql(missing, target);
    }

    private static Connection connect(DatabaseTarget target) throws SQLException {
        return new org.postgresql.Driver().connect(target.jdbcUrl(), target.properties());
    }

    /** Drops the database, ending any session still connected to it; says whether it is gone. */
    synchronized boolean drop() {
        if (dropped) {
            return true;
        }
        try (var connection = connect(server); var statement = connection.createStatement()) {
            boolean force = connection.getMetaData().getDatabaseMajorVersion() >= 13;
            statement.execute("DROP DATABASE IF EXISTS " + Catalog.quote(name) + (force ? " WITH (FORCE)" : ""));
            dropped = true;
        } catch (SQLException e) {
            return false;
        }
        if (current == this) {
            current = null;
        }
        return true;
    }

    @Override
    public void close() {
        drop();
    }
}
