// verify: the migrations and the seeds, applied to a throwaway database twice.

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A database of its own on the target's server, made for one verify and dropped after it, also
 * when the verify fails or is interrupted. Its name says what it is and when it was made, so that
 * one left by a killed process is easy to recognise: seed_verify_20261124_183402_4f2a (or, on a
 * server with naming rules, the name or prefix given with --database).
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

    /** What --database takes: a name that needs no quoting in psql or SQL (so that the DROP DATABASE verify suggests is right). */
    private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]*");

    /** PostgreSQL's longest name (NAMEDATALEN - 1); a longer one it would cut short without a word. */
    private static final int LONGEST = 63;

    /**
     * The throwaway database's name, from --database (null: the default prefix). A name that ends
     * in _ is a prefix, to which the time and a random suffix are added, as to seed_verify_;
     * any other is the name itself.
     */
    static String name(String requested) {
        String given = requested == null ? PREFIX : requested;
        if (!NAME.matcher(given).matches()) {
            throw SeedError.usage("--database " + given + " is not a name verify can give its database: lower-case letters, "
                    + "digits and _, not starting with a digit", "a name that ends in _ is a prefix: --database ci_verify_ "
                    + "makes ci_verify_20261124_183402_4f2a");
        }
        String name = given.endsWith("_") ? given + LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
                "yyyyMMdd_HHmmss")) + "_" + String.format("%04x", ThreadLocalRandom.current().nextInt(0x10000)) : given;
        if (name.length() > LONGEST) {
            throw SeedError.usage("--database " + given + " makes the name " + name + ", " + name.length() + " characters; "
                    + "PostgreSQL's names have at most " + LONGEST, given.endsWith("_") ? "use a prefix of at most "
                    + (LONGEST - (name.length() - given.length())) + " characters" : null);
        }
        return name;
    }

    /**
     * Creates the throwaway database name (see {@link #name}) on the server of target. A database
     * of that name that is there already is refused: verify drops only what it made itself.
     */
    static Verify create(DatabaseTarget target, String name) {
        var server = reachableDatabase(target);
        try (var connection = connect(server); var statement = connection.createStatement()) {
            // The name passed NAME (letters, digits, _), so it is safe as an identifier.
            statement.execute("CREATE DATABASE " + Catalog.quote(name));
        } catch (SQLException e) {
            if ("42P04".equals(e.getSQLState())) {
                throw SeedError.usage("the database " + name + " is already there on " + target.describe().replaceFirst("/[^/]*$", "")
                        + ", and verify uses only a database it makes itself (it drops it afterwards)", "name one that is "
                        + "not there with --database, or one that ends in _ to have the time and a random suffix added");
            }
            if ("42501".equals(e.getSQLState())) {
                throw new SeedError(SeedError.EXIT_FAILED, target.describe(), "verify creates a throwaway database, and "
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
