// Flyway, run inside the run's transaction.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;
import org.flywaydb.core.internal.resource.filesystem.FileSystemResource;

final class Migrations {

    /** A migration a run applied (or a plan would apply); file is its path as the user names it. */
    record Applied(String version, String description, String file) {}

    /** What a migrate did; baselinedAt is the version an adopted database was baselined at, else null. */
    record Outcome(String versionBefore, String versionAfter, List<Applied> applied, List<String> warnings, String baselinedAt) {}

    /** --baseline without a version: at the newest migration. */
    static final String NEWEST = "newest";

    /** A migration as Flyway's info sees it: applied (with when) or pending. */
    record Info(String version, String description, String state, OffsetDateTime installedOn) {}

    private static Flyway flyway(Session session, Path dir, Path workingDir) {
        return configuration(session, dir, sqlFiles(dir, workingDir)).load();
    }

    /** Every use of Flyway is configured here, so it can only ever see the SQL files {@link #sqlFiles} let through. */
    private static org.flywaydb.core.api.configuration.FluentConfiguration configuration(Session session, Path dir,
                                                                                         List<Path> sqlFiles) {
        var location = org.flywaydb.core.api.Location.fromPath("filesystem:", dir.toAbsolutePath().toString());
        var files = sqlFiles.stream()
                .map(file -> (LoadableResource) new FileSystemResource(location, file.toString(), UTF_8, false)).toList();
        return Flyway.configure(Session.class.getClassLoader())
                .dataSource(FlywayDataSource.of(session.connection))
                .locations(location)
                .sqlMigrationSuffixes(SQL)
                // Flyway's script migrations and script callbacks find their files through this provider too: it has none.
                .resourceProvider(new ResourceProvider() {
                    @Override
                    public LoadableResource getResource(String name) {
                        return files.stream().filter(f -> f.getRelativePath().equals(name)).findFirst().orElse(null);
                    }

                    @Override
                    public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
                        return files.stream().filter(f -> f.getFilename().startsWith(prefix)
                                && Stream.of(suffixes).anyMatch(f.getFilename()::endsWith)).toList();
                    }
                })
                // No Java migrations either: no class is ever loaded as one.
                .javaMigrationClassProvider(List::of)
                .validateMigrationNaming(true);
    }

    /** A migration's suffix, exactly: the only files Flyway is shown. */
    static final String SQL = ".sql";

    /** What Flyway would run as a program (ScriptMigrationResolver's suffixes), as a migration or a callback. */
    private static final java.util.regex.Pattern SCRIPT = java.util.regex.Pattern.compile(
            "(?i).*\\.(sh|bash|ps1|bat|cmd|py)$");

    /** Callback file names: beforeMigrate.sql, afterEachMigrate__note.sql, … */
    private static final Set<String> CALLBACKS = Stream.of(org.flywaydb.core.api.callback.Event.values())
            .map(event -> event.getId().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());

    /**
     * The SQL files under the migrations directory, walked as Flyway walks it (subdirectories too,
     * but hidden ones; links followed). Only SQL may run: Flyway would also run V…__x.sh (.bash,
     * .ps1, .bat, .cmd, .py) migrations and beforeMigrate.sh-style callbacks as programs, outside
     * the run's transaction, even for plan and check, so such a file, anywhere below, stops
     * every command before Flyway is asked anything. So does a file named like a migration or a
     * callback that does not end in exactly .sql (V2__x.SQL, V2__x.sql.bak): Flyway would skip it
     * without a word, or on another platform not. Other files (a README) are left alone, as
     * Flyway leaves them.
     */
    static List<Path> sqlFiles(Path dir, Path workingDir) {
        var files = new ArrayList<Path>();
        try {
            Files.walkFileTree(dir, Set.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path subdirectory, BasicFileAttributes attributes) {
                    if (subdirectory.equals(dir)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (subdirectory.getFileName().toString().startsWith(".")) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    refuseLinkOut(subdirectory);
                    if (subdirectory.getFileName().toString().endsWith(SQL)) {
                        throw notSql(subdirectory, workingDir, "a directory named like a migration: Flyway would skip it "
                                + "without a word", "rename it, or keep it out of the migrations directory");
                    }
                    return FileVisitResult.CONTINUE;
                }

                /** A link out of the migrations directory would run SQL from anywhere (a link to / walks the disk). */
                private void refuseLinkOut(Path path) {
                    try {
                        if (Files.isSymbolicLink(path) && !path.toRealPath().startsWith(dir.toRealPath())) {
                            throw notSql(path, workingDir, "a link to " + path.toRealPath() + ", outside the migrations directory",
                                    "keep the migrations in the migrations directory");
                        }
                    } catch (java.io.IOException e) {
                        throw notSql(path, workingDir, "cannot be read (" + e.getMessage() + ")", null);
                    }
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    String name = file.getFileName().toString();
                    refuseLinkOut(file);
                    if (SCRIPT.matcher(name).matches()) {
                        throw notSql(file, workingDir, "a script, which Flyway would run as a program (outside the run's "
                                + "transaction, even for plan and check); seed_database runs SQL migrations only",
                                "write the change as SQL in a V…__….sql migration, or keep the script out of the migrations directory");
                    }
                    boolean flywayName = name.contains("__") || CALLBACKS.contains(name.replaceFirst("\\..*", "").toLowerCase(Locale.ROOT));
                    if (name.endsWith(SQL) && !attributes.isRegularFile()) {
                        throw notSql(file, workingDir, "not a regular file (a pipe, a device or a socket): it cannot be a "
                                + "migration", null);
                    } else if (name.endsWith(SQL)) {
                        files.add(file);
                    } else if (flywayName) {
                        throw notSql(file, workingDir, "named like a migration or a callback, but not a .sql file: Flyway "
                                + "would skip it without a word", "name it …" + SQL + " (in lower case) if it is one, or keep "
                                + "it out of the migrations directory");
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, java.io.IOException e) {
                    throw notSql(file, workingDir, "cannot be read (" + e.getMessage() + ")", null);
                }
            });
        } catch (java.io.IOException e) {
            throw notSql(dir, workingDir, "cannot be read (" + e.getMessage() + ")", null);
        }
        return files;
    }

    private static SeedError notSql(Path file, Path workingDir, String problem, String hint) {
        return new SeedError(SeedError.EXIT_FAILED, SeedFile.displayPath(file, workingDir), problem, hint, null);
    }

    /** Every migration Flyway knows of, in order, with its state. */
    static List<Info> info(Session session, Path dir, Path workingDir) {
        try {
            return Stream.of(flyway(session, dir, workingDir).info().all())
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
        var adoption = Adoption.of(session);
        var sqlFiles = sqlFiles(dir, workingDir);
        if (baseline == null && adoption.hasHistory()) {
            String current = FlywayHistory.upToDate(session, dir, sqlFiles);
            if (current != null) {
                return new Outcome(current, current, List.of(), List.of(), null);
            }
        }
        var configuration = configuration(session, dir, sqlFiles);
        String baselinedAt = null;
        var warnings = new java.util.ArrayList<String>();
        if (adoption.needed()) {
            if (baseline == null) {
                throw notAdopted(adoption, session, dir, workingDir);
            }
            baselinedAt = baselineVersion(baseline, session, dir, workingDir);
            checkBaseline(baseline, baselinedAt, session, dir, workingDir);
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
            var cause = SeedError.causeOf(e, SQLException.class);
            if (cause != null && SeedError.fromSql(cause, session.target).exitCode != SeedError.EXIT_FAILED) {
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
            throw new SeedError(SeedError.EXIT_FAILED, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
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
        return new SeedError(SeedError.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "this database has tables ("
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

    /**
     * Refuses a baseline whose migrations (those up to it, which will never run here) create
     * tables the database does not have: recorded as applied, they would leave it without them
     * for good, and the seeds would fail on every run after.
     *
     * <p>The tables are found by reading those migrations' SQL: each top-level CREATE TABLE
     * (IF NOT EXISTS, UNLOGGED; not TEMP), less those a later one of them drops (DROP TABLE) or
     * renames (ALTER TABLE … RENAME TO, which renames it in the list). That is sound enough because
     * a Flyway SQL migration is a list of statements run top to bottom, once: a table it creates at
     * the top level exists after it ran, unless a later migration removed it, so a database that
     * really is "at" the baseline has every table named, and the check never refuses one that is.
     * It cannot see tables made where the SQL is not plain (a DO block, a function, EXECUTE, a
     * callback), a table moved by SET SCHEMA, nor anything but tables (columns, types, indexes):
     * what it does not see it does not claim, and the seeds still stop at a missing table then.
     */
    private static void checkBaseline(String asked, String baselinedAt, Session session, Path dir, Path workingDir) {
        var baseline = org.flywaydb.core.api.MigrationVersion.fromVersion(baselinedAt);
        var skipped = Stream.of(flyway(session, dir, workingDir).info().all())
                .filter(m -> m.getVersion() != null && m.getPhysicalLocation() != null && m.getVersion().compareTo(baseline) <= 0)
                .toList();
        // After each skipped migration: the tables made so far that the database lacks.
        var made = new java.util.LinkedHashMap<String, String>();   // table → the migration that created it
        var present = new java.util.HashMap<String, Boolean>();
        String consistent = null;
        for (var migration : skipped) {
            Path file = Path.of(migration.getPhysicalLocation());
            String script;
            try {
                script = Files.readString(file, UTF_8);
            } catch (java.io.IOException e) {
                throw notSql(file, workingDir, "cannot be read (" + e.getMessage() + ")", null);
            }
            TableStatements.apply(script, made, SeedFile.displayPath(file, workingDir));
            made.keySet().forEach(table -> present.computeIfAbsent(table, t -> session.handle
                    .createQuery("SELECT to_regclass(?) IS NOT NULL").bind(0, t).mapTo(Boolean.class).one()));
            if (made.keySet().stream().allMatch(present::get)) {
                consistent = migration.getVersion().toString();
            }
        }
        var missing = made.entrySet().stream().filter(e -> !present.get(e.getKey())).toList();
        if (missing.isEmpty()) {
            return;
        }
        String option = asked.equals(NEWEST) ? "--baseline" : "--baseline=" + asked;
        throw new SeedError(SeedError.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), option + " would record the "
                + "migrations up to " + baselinedAt + " as applied without running them, but this database lacks tables they "
                + "create: " + missing.stream().map(e -> e.getKey().replace("\"", "") + " (" + e.getValue() + ")")
                        .collect(Collectors.joining(", ")),
                consistent != null ? "baseline at the newest migration whose tables it has, --baseline=" + consistent
                        + ": the later migrations then run and create them"
                        : "not even the first migration's tables are there: is it the database you meant?", null);
    }

    private static org.flywaydb.core.api.MigrationVersion safeVersion(String version) {
        try {
            return org.flywaydb.core.api.MigrationVersion.fromVersion(version);
        } catch (RuntimeException notAVersion) {
            return null;
        }
    }

    private static SeedError failure(FlywayException e, Session session, Path dir, Path workingDir) {
        var cause = SeedError.causeOf(e, SQLException.class);
        if (cause != null && SeedError.fromSql(cause, session.target).exitCode == SeedError.EXIT_UNREACHABLE) {
            return SeedError.fromSql(cause, session.target);
        }
        String message = java.util.Objects.requireNonNullElse(e.getMessage(), "");
        return new SeedError(SeedError.EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "Flyway: " + firstParagraph(message),
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
