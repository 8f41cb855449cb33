// Whether Flyway would find nothing to do, proved from flyway_schema_history without starting
// Flyway: on a run with no migration pending, Flyway's start-up is most of the migrate step.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.logging.Logger;
import java.util.regex.Pattern;

import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.internal.resolver.ChecksumCalculator;
import org.flywaydb.core.internal.resource.filesystem.FileSystemResource;

/**
 * The proof that a migrate would apply nothing and refuse nothing. It holds only when all of these do;
 * anything else, or any doubt, leaves the decision to Flyway, as before:
 * <ul>
 * <li>every file Flyway would be shown is a versioned migration, V&lt;version&gt;__&lt;description&gt;.sql:
 *     no repeatable migration, callback or misnamed file, whose effect depends on more than the history;
 * <li>the history, in the schema Flyway uses (the session's current schema), holds only successful SQL
 *     migrations and at most one baseline (an adopted database: Flyway never runs the files at or
 *     below it);
 * <li>the files above the baseline and the history's migrations are the same set of (version,
 *     description, checksum), the checksum computed by Flyway's own calculator, as Flyway validates them.
 * </ul>
 * Then Flyway's migrate would validate every applied migration unchanged, find none pending and
 * none missing, and return the current version: what {@link #upToDate} returns.
 */
final class FlywayHistory {

    private FlywayHistory() {}

    /** Flyway's default naming: prefix V, separator __, suffix .sql; the version's _ read as a dot. */
    private static final Pattern VERSIONED = Pattern.compile("V([0-9]+(?:[._][0-9]+)*)__(.+)\\.sql");

    private static final Logger LOG = Logger.getLogger("seed_database.migrations");

    /** A row of the history, as Flyway wrote it. */
    record Row(String version, String description, String type, Integer checksum, boolean success) {}

    /**
     * A migration, applied or resolved from its file, as one text: its version, description and
     * checksum. (Text, not a record: a record's first equals or hashCode links its call site at run
     * time, which costs a no-op run more than the comparison itself.)
     */
    private static String identity(String version, String description, Integer checksum) {
        return version + '\n' + description + '\n' + checksum;
    }

    /**
     * The current version when every migration file (sqlFiles, as Migrations.sqlFiles lets them
     * through) is applied as it is now; null when Flyway must decide. The history table is there.
     */
    static String upToDate(Session session, Path dir, List<Path> sqlFiles) {
        var handle = session.handle;
        // The caller has seen that this table is there (Migrations.Adoption).
        String history = handle.createQuery("SELECT format('%I.%I', current_schema(), 'flyway_schema_history')")
                .mapTo(String.class).one();
        // Mapped by hand: Jdbi's reflective mappers take longer to set up, on the first query of a run, than all of this.
        var rows = handle.createQuery("SELECT version, description, type, checksum, success FROM " + history)
                .map((rs, ctx) -> new Row(rs.getString(1), rs.getString(2), rs.getString(3), (Integer) rs.getObject(4),
                        rs.getBoolean(5))).list();
        MigrationVersion baseline = null;
        var applied = new HashSet<String>();
        MigrationVersion current = null;
        for (var row : rows) {
            if (!row.success() || row.version() == null || !(row.type().equals("SQL") || row.type().equals("BASELINE") && baseline == null)) {
                return null;
            }
            var version = MigrationVersion.fromVersion(row.version());
            current = current == null || version.compareTo(current) > 0 ? version : current;
            if (row.type().equals("BASELINE")) {
                baseline = version;
            } else if (!applied.add(identity(row.version(), row.description(), row.checksum()))) {
                return null;
            }
        }
        var files = new HashSet<String>();
        var location = org.flywaydb.core.api.Location.fromPath("filesystem:", dir.toAbsolutePath().toString());
        for (Path file : sqlFiles) {
            var name = VERSIONED.matcher(file.getFileName().toString());
            if (!name.matches()) {
                return null;
            }
            String version = name.group(1).replace('_', '.');
            if (baseline != null && MigrationVersion.fromVersion(version).compareTo(baseline) <= 0) {
                continue;
            }
            if (!files.add(identity(version, name.group(2).replace('_', ' '),
                    ChecksumCalculator.calculate(new FileSystemResource(location, file.toString(), UTF_8, false))))) {
                return null;   // two files of one version and description: Flyway refuses them
            }
        }
        if (current == null || !applied.equals(files)) {
            return null;
        }
        String version = current.getVersion();
        LOG.info(() -> "every migration is applied as its file is now (" + history + ", version " + version
                + "): Flyway has nothing to do and is not started");
        return version;
    }
}
