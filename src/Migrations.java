// Flyway, run inside the run's transaction.

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.stream.Collectors;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;

final class Migrations {

    record Applied(String version, String description) {}

    record Outcome(String versionBefore, String versionAfter, List<Applied> applied, List<String> warnings) {}

    static Outcome apply(Session session, Path dir, Path workingDir) {
        var flyway = Flyway.configure(Session.class.getClassLoader())
                .dataSource(session.dataSourceForFlyway())
                .locations("filesystem:" + dir.toAbsolutePath())
                .validateMigrationNaming(true)
                .load();
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
            String message = cause != null ? "PostgreSQL: " + SeedError.describe(cause) : firstParagraph(e.getMessage());
            throw new SeedError(seed_database.EXIT_FAILED, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
                    "migration failed: " + message, null, e);
        } catch (FlywayException e) {
            var cause = sqlCause(e);
            if (cause != null && SeedError.fromSql(cause, session.target).exitCode == seed_database.EXIT_UNREACHABLE) {
                throw SeedError.fromSql(cause, session.target);
            }
            throw new SeedError(seed_database.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "Flyway: " + firstParagraph(e.getMessage()),
                    e.getMessage() != null && e.getMessage().contains("checksum mismatch")
                            ? "an applied migration was edited: revert the edit and put the change in a new migration"
                            : null, e);
        }
    }

    private static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
        }
        return null;
    }

    private static String firstParagraph(String text) {
        if (text == null) {
            return "unknown error";
        }
        return text.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("---"))
                .limit(4).collect(Collectors.joining(" "));
    }
}
