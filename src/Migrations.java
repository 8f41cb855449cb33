// Flyway, run inside the run's transaction.

import java.nio.file.Path;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;

final class Migrations {

    record Applied(String version, String description) {}

    record Outcome(String versionBefore, String versionAfter, List<Applied> applied, List<String> warnings) {}

    /** A migration as Flyway's info sees it: applied (with when) or pending. */
    record Info(String version, String description, String state, OffsetDateTime installedOn) {}

    private static Flyway flyway(Session session, Path dir) {
        return Flyway.configure(Session.class.getClassLoader())
                .dataSource(session.dataSourceForFlyway())
                .locations("filesystem:" + dir.toAbsolutePath())
                .validateMigrationNaming(true)
                .load();
    }

    /** Every migration Flyway knows of, in order, with its state. */
    static List<Info> info(Session session, Path dir, Path workingDir) {
        try {
            return Stream.of(flyway(session, dir).info().all())
                    .map(m -> new Info(m.getVersion() == null ? "" : m.getVersion().toString(), m.getDescription(),
                            m.getState().getDisplayName().toLowerCase(Locale.ROOT),
                            m.getInstalledOn() == null ? null : m.getInstalledOn().toInstant().atOffset(ZoneOffset.UTC)))
                    .toList();
        } catch (FlywayException e) {
            throw failure(e, session, dir, workingDir);
        }
    }

    /** Applies the pending migrations inside the session's transaction; says which it applied. */
    static Outcome apply(Session session, Path dir, Path workingDir) {
        var flyway = flyway(session, dir);
        try {
            MigrateResult result = flyway.migrate();
            var applied = result.migrations.stream()
                    .map(m -> new Applied(m.version, m.description)).toList();
            String after = applied.isEmpty() ? result.initialSchemaVersion : result.targetSchemaVersion;
            return new Outcome(result.initialSchemaVersion, after, applied,
                    result.warnings == null ? List.of() : List.copyOf(result.warnings));
        } catch (FlywayMigrateException e) {
            String file = e.getAbsolutePathOnDisk() != null
                    ? SeedFile.displayPath(Path.of(e.getAbsolutePathOnDisk()), workingDir)
                    : "migration " + e.getMigration().getVersion();
            var cause = sqlCause(e);
            if (cause != null && SeedError.fromSql(cause, session.target).exitCode != seed_database.EXIT_FAILED) {
                // A timeout or a lost connection, not a mistake in the migration: said as such.
                var error = SeedError.fromSql(cause, session.target);
                throw new SeedError(error.exitCode, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
                        "migration stopped: " + error.getMessage(), error.hint, e);
            }
            String message = cause != null ? "PostgreSQL: " + SeedError.describe(cause) : firstParagraph(e.getMessage());
            throw new SeedError(seed_database.EXIT_FAILED, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
                    "migration failed: " + message, null, e);
        } catch (FlywayException e) {
            throw failure(e, session, dir, workingDir);
        }
    }

    private static SeedError failure(FlywayException e, Session session, Path dir, Path workingDir) {
        var cause = sqlCause(e);
        if (cause != null && SeedError.fromSql(cause, session.target).exitCode == seed_database.EXIT_UNREACHABLE) {
            return SeedError.fromSql(cause, session.target);
        }
        String message = java.util.Objects.requireNonNullElse(e.getMessage(), "");
        return new SeedError(seed_database.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "Flyway: " + firstParagraph(message),
                HINTS.entrySet().stream().filter(h -> message.contains(h.getKey())).map(Map.Entry::getValue).findFirst().orElse(null), e);
    }

    /** What to do, for the Flyway errors people meet; Flyway's own advice names options of its command line. */
    private static final Map<String, String> HINTS = Map.of(
            "checksum mismatch", "an applied migration was edited: revert the edit and put the change in a new migration",
            "not applied to database", "a migration was added with a version below the newest applied one: give it a higher "
                    + "version (migrations apply in version order, once)",
            "not resolved locally", "the file of an applied migration is gone from the migrations directory: restore it",
            "non-empty schema", "this database has tables but no Flyway history: its schema was not created by these migrations");

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    /** Flyway's message without its advice about Flyway's own command-line options and links. */
    private static String firstParagraph(String text) {
        if (text == null || text.isBlank()) {
            return "unknown error";
        }
        return text.lines().map(String::trim)
                .filter(l -> !l.isEmpty() && !l.startsWith("---") && !l.startsWith("Need more flexibility"))
                .limit(4).map(l -> l.matches(".*[.:!?]$") ? l : l + ".").collect(Collectors.joining(" "))
                .replaceAll("(?<=[.:]) [^.]*(set -|baselineOnMigrate|-outOfOrder|-ignoreMigrationPatterns)[^.]*\\.", "")
                .replaceAll("\\s+", " ").trim();
    }
}
