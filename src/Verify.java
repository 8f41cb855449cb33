// verify: the migrations and the seeds, applied to a throwaway database twice; the second pass must change nothing.

import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A database of its own on the target's server, made for one verify and dropped after it, also
 * when the verify fails or is interrupted. Its name says what it is and when it was made, so that
 * one left by a killed process is easy to recognise: seed_verify_20261124_183402_4f2a (or, on a
 * server with naming rules, the name or prefix given with --database).
 */
final class Verify implements AutoCloseable {

    /** The prefix of every throwaway database's name. */
    static final String PREFIX = "seed_verify_";

    /** The throwaway databases of the verifies in progress (a fleet's, several), for the signal handler that drops them. */
    static final java.util.Set<Verify> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

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

    /**
     * Both passes of a verify on a throwaway database named name, which is dropped whatever
     * happens (unless keep). The second pass must find nothing to do: a seed that writes again on
     * every run is not idempotent.
     */
    static int run(Config config, String name, boolean keep) {
        // An undeclared environment is refused before a throwaway database is made for nothing.
        Environments.read(config.layout().seeds(), config.workingDir(), config.followSymlinks())
                .choose(config.environmentOption(), config.env());
        var throwaway = create(config.target(), name);
        config.note("verify: created the throwaway database " + throwaway.name + " on "
                + config.target().describe().replaceFirst("/[^/]*$", ""));
        var documents = new ArrayList<Map<String, Object>>();
        try {
            var onThrowaway = config.on(throwaway.target);
            var first = new Runner(onThrowaway, "verify, first pass: migrations and seeds on an empty database", documents::add)
                    .run();
            if (config.format().prose() && !config.quiet()) {
                config.out().println();
            }
            var secondPass = new Runner(onThrowaway, "verify, second pass: the same again, which must change nothing",
                    documents::add);
            return verdict(config, throwaway, first, secondPass.run(), secondPass.report, documents);
        } finally {
            // A database left behind is said even with --quiet: someone must drop it.
            if (keep) {
                RUNNING.remove(throwaway);
                config.tell("verify: kept the throwaway database " + throwaway.name + " (--keep); drop it with DROP DATABASE "
                        + throwaway.name);
            } else if (throwaway.drop()) {
                config.note("verify: dropped the throwaway database " + throwaway.name);
            } else {
                config.tell("verify: could not drop the throwaway database " + throwaway.name + "; drop it with DROP DATABASE "
                        + throwaway.name);
            }
        }
    }

    /** The verdict of a verify: the second pass changed nothing, or what it changed, by file. */
    private static int verdict(Config config, Verify throwaway, Results.RunOutcome first, Results.RunOutcome second,
                               Report secondReport, List<Map<String, Object>> documents) {
        var changed = second.seeds().stream().filter(o -> o.written() > 0).toList();
        String problem = changed.isEmpty() && second.migrationsApplied() == 0 ? null
                : "the second pass changed " + Report.count(second.rowsWritten(), "row") + " (" + changed.stream()
                        .map(o -> o.file().name() + ": " + String.join(", ", o.changes().stream().limit(5).map(Results.Change::key).toList())
                                + (o.written() > 5 ? " and " + (o.written() - 5) + " more" : ""))
                        .collect(Collectors.joining("; ")) + "), so every run would write them again";
        var out = config.out();
        if (config.format() == Report.Format.json) {
            var document = Report.document("verify");
            document.put("database", throwaway.name);
            document.put("passes", documents);
            document.put("idempotent", problem == null);
            if (problem != null) {
                document.put("error", Json.object("exit_code", SeedError.EXIT_FAILED, "message", problem));
            }
            out.println(Json.pretty(document));
        }
        // For CI: the second pass is what verify judges; each row it wrote is a finding.
        String verdict = problem == null ? "idempotent" : "the second pass changed " + Report.count(second.rowsWritten(), "row");
        switch (config.format()) {
            case github -> {
                out.print(CiReport.github(second, true, config::inRepository));
                secondReport.appendStepSummary(CiReport.markdown(second, verdict));
            }
            case junit -> out.print(CiReport.junit(second, true));
            case markdown -> out.print(CiReport.markdown(second, verdict));
            default -> { }
        }
        if (problem != null) {
            var error = new SeedError(SeedError.EXIT_FAILED, changed.isEmpty() ? null : changed.get(0).file().displayPath(),
                    problem, "a seeded value that the database stores differently from the file (a trigger or rule that "
                    + "rewrites it, a default that changes it) makes the seeds write on every run: make the file say what the "
                    + "database keeps", null);
            SeedError.print(config.err(), error.plainParagraph());
            return SeedError.EXIT_FAILED;
        }
        if (config.format().prose()) {
            out.println("Verified: " + Report.count(first.migrationsApplied(), "migration") + " and "
                    + Report.count(first.rowsWritten(), "row") + " apply cleanly to an empty database, and a second pass "
                    + "changes nothing.");
        }
        return SeedError.EXIT_OK;
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
        try (var connection = Session.open(server); var statement = connection.createStatement()) {
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
        RUNNING.add(verify);
        if (target.schema() != null) {
            // The schema the target's runs work in (a tenant's): the throwaway database has it too, empty.
            try (var connection = Session.open(target.withDatabase(name, "verify")); var statement = connection.createStatement()) {
                statement.execute("CREATE SCHEMA " + Catalog.quote(target.schema()));
            } catch (SQLException e) {
                verify.drop();
                throw SeedError.fromSql(e, target);
            }
        }
        return verify;
    }

    /**
     * The target's database when it exists, else postgres, else template1: verify needs only
     * the server, and a CI job often points at a database that is not there yet.
     */
    private static DatabaseTarget reachableDatabase(DatabaseTarget target) {
        SQLException missing = null;
        for (var candidate : new DatabaseTarget[]{target, target.withDatabase("postgres", target.source()), target.withDatabase("template1", target.source())}) {
            try (var connection = Session.open(candidate)) {
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

    /** Drops the database, ending any session still connected to it; says whether it is gone. */
    synchronized boolean drop() {
        if (dropped) {
            return true;
        }
        try (var connection = Session.open(server); var statement = connection.createStatement()) {
            boolean force = connection.getMetaData().getDatabaseMajorVersion() >= 13;
            statement.execute("DROP DATABASE IF EXISTS " + Catalog.quote(name) + (force ? " WITH (FORCE)" : ""));
            dropped = true;
        } catch (SQLException e) {
            return false;
        }
        RUNNING.remove(this);
        return true;
    }

    @Override
    public void close() {
        drop();
    }
}
