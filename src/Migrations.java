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

    /** A migration a run applied (or a plan would apply); file is its path as the user names it. */
    record Applied(String version, String description, String file) {}

    /** What a migrate did; baselinedAt is the version an adopted database was baselined at, else null. */
    record Outcome(String versionBefore, String versionAfter, List<Applied> applied, List<String> warnings, String baselinedAt) {}

    /** --baseline without a version: at the newest migration. */
    static final String NEWEST = "newest";

    /** A migration as Flyway's info sees it: applied (with when) or pending. */
    record Info(String version, String description, String state, OffsetDateTime installedOn) {}

    private static Flyway flyway(Session session, Path dir) {
        return configuration(session, dir).load();
    }

    private static org.flywaydb.core.api.configuration.FluentConfiguration configuration(Session session, Path dir) {
        return Flyway.configure(Session.class.getClassLoader())
                .dataSource(session.dataSourceForFlyway())
                .locations("filesystem:" + dir.toAbsolutePath())
                .validateMigrationNaming(true);
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

    /**
     * Applies the pending migrations inside the session's transaction; says which it applied.
     * baseline (a version, {@link #NEWEST}, or null) adopts a database whose schema another tool
     * made: the migrations up to that version are recorded as applied without running.
     */
    static Outcome apply(Session session, Path dir, Path workingDir, String baseline) {
        var configuration = configuration(session, dir);
        String baselinedAt = null;
        var warnings = new java.util.ArrayList<String>();
        var adoption = Adoption.of(session);
        if (adoption.needed()) {
            if (baseline == null) {
                throw notAdopted(adoption, session, dir, workingDir);
            }
            baselinedAt = baselineVersion(baseline, session, dir, workingDir);
            configuration.baselineOnMigrate(true).baselineVersion(baselinedAt)
                    .baselineDescription("adopted by seed_database (--baseline)");
        } else if (baseline != null) {
            warnings.add("--baseline is ignored: " + (adoption.hasHistory() ? "this database already has a Flyway history"
                    : "the database is empty, so every migration runs"));
        }
        try {
            MigrateResult result = configuration.load().migrate();
            var applied = result.migrations.stream()
                    .map(m -> new Applied(m.version, m.description,
                            m.filepath == null ? null : SeedFile.displayPath(Path.of(m.filepath), workingDir))).toList();
            String before = baselinedAt != null ? null : result.initialSchemaVersion;
            String after = applied.isEmpty() ? (baselinedAt != null ? baselinedAt : result.initialSchemaVersion) : result.targetSchemaVersion;
            if (result.warnings != null) {
                result.warnings.forEach(warning -> warnings.add("Flyway: " + warning));
            }
            return new Outcome(before, after, applied, List.copyOf(warnings), baselinedAt);
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
            // A table that is already there: a database made by another tool, baselined too early.
            String hint = cause != null && "42P07".equals(cause.getSQLState())
                    ? "the database has this already, made before this migration ran: if another tool made the schema, "
                            + "baseline at this migration or a later one (--baseline=" + e.getMigration().getVersion()
                            + " on a database without a Flyway history), or write the migration to allow it (CREATE TABLE IF NOT EXISTS)"
                    : null;
            throw new SeedError(seed_database.EXIT_FAILED, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
                    "migration failed: " + message, hint, e);
        } catch (FlywayException e) {
            throw failure(e, session, dir, workingDir);
        }
    }

    /** Whether the database has a Flyway history, and which tables it has (in the schema Flyway uses). */
    record Adoption(boolean hasHistory, List<String> tables) {
        static Adoption of(Session session) {
            var handle = session.handle;
            boolean history = handle.createQuery("SELECT to_regclass(format('%I.%I', current_schema(), 'flyway_schema_history')) IS NOT NULL")
                    .mapTo(Boolean.class).one();
            var tables = handle.createQuery("""
                            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY c.relname""")
                    .mapTo(String.class).list();
            return new Adoption(history, tables);
        }

        /** Tables, but no history: Flyway cannot tell which migrations made them. */
        boolean needed() {
            return !hasHistory && !tables.isEmpty();
        }
    }

    private static SeedError notAdopted(Adoption adoption, Session session, Path dir, Path workingDir) {
        var versions = info(session, dir, workingDir).stream().map(Info::version).filter(v -> !v.isEmpty()).toList();
        String shown = adoption.tables().stream().limit(5).collect(Collectors.joining(", "))
                + (adoption.tables().size() > 5 ? " and " + (adoption.tables().size() - 5) + " more" : "");
        return new SeedError(seed_database.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "this database has tables ("
                + shown + ") but no Flyway history (flyway_schema_history): another tool made its schema, so which of the "
                + "migrations it already holds is unknown", "adopt it: rerun with --baseline=VERSION, the version of the "
                + "newest migration the schema already matches (those up to it are recorded as applied without running; "
                + "the later ones run)" + (versions.isEmpty() ? "" : ", one of " + String.join(", ", versions))
                + "; --baseline alone takes the newest. plan --baseline=VERSION shows what that run would do", null);
    }

    /** The version to baseline at: a migration's version as the user names it (V optional), or the newest. */
    private static String baselineVersion(String baseline, Session session, Path dir, Path workingDir) {
        var versions = info(session, dir, workingDir).stream().map(Info::version).filter(v -> !v.isEmpty()).toList();
        if (versions.isEmpty()) {
            throw SeedError.usage("--baseline needs a migration to baseline at, and " + SeedFile.displayPath(dir, workingDir)
                    + " has none", null);
        }
        if (baseline.equals(NEWEST)) {
            return versions.get(versions.size() - 1);
        }
        String wanted = baseline.replaceFirst("^[Vv]", "");
        return versions.stream()
                .filter(v -> org.flywaydb.core.api.MigrationVersion.fromVersion(v)
                        .equals(safeVersion(wanted)))
                .findFirst()
                .orElseThrow(() -> SeedError.usage("--baseline=" + baseline + " is not the version of a migration; the "
                        + "migrations are " + String.join(", ", versions), "name the newest migration the database's schema "
                        + "already matches"));
    }

    private static org.flywaydb.core.api.MigrationVersion safeVersion(String version) {
        try {
            return org.flywaydb.core.api.MigrationVersion.fromVersion(version);
        } catch (RuntimeException notAVersion) {
            return null;
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
            "non-empty schema", "this database has objects but no Flyway history: its schema was not created by these "
                    + "migrations; adopt it with --baseline=VERSION (see the README, Adopting an existing database)");

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
