// One run, as its Mode says: read the seed files, then migrate and seed in one transaction, record it, commit or roll back.

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A run's state from the first file read to the last line of its report: the seed files (read
 * and checked before the database is touched), each attempt's session (--retries), migrate,
 * seed, the history, and the commit, or the rollback that makes a plan the run itself with its
 * last step changed.
 */
final class Runner {

    private final Config config;
    private final Mode mode;
    /** The report of this run, on the config's out. */
    final Report report;
    /** For a pass of verify: its title in the report's header (else null). */
    private final String title;

    Runner(Config config) {
        this(config, null, null);
    }

    /** A pass of verify: titled, its --json document handed to documents for the one verify prints. */
    Runner(Config config, String title, Consumer<Map<String, Object>> documents) {
        this.config = config;
        this.mode = config.mode();
        this.title = title;
        this.report = config.report();
        if (documents != null) {
            report.jsonSink = documents;
            report.passesReportedTogether = true;
        }
    }

    /**
     * What SIGINT and SIGTERM do to the run in progress: end its connection, so that PostgreSQL
     * rolls back at once, and drop verify's throwaway database.
     */
    static Thread onSignal(PrintWriter err) {
        return new Thread(() -> {
            var fleet = Fleet.current;
            if (fleet != null) {
                // Runs of a fleet may have committed already, and --atomic ones be prepared: said as they are.
                Session.RUNNING.forEach(Session::abort);
                err.println(fleet.interrupted());
            } else if (!Session.RUNNING.isEmpty()) {
                err.println("interrupted: the run was rolled back; nothing was written.");
                Session.RUNNING.forEach(Session::abort);
            }
            for (var verify : Verify.RUNNING) {
                err.println((verify.drop() ? "dropped" : "could not drop") + " the throwaway database " + verify.name + ".");
            }
        });
    }

    /** Migrate and/or seed, as the mode says, in one transaction; what it did is reported and returned. */
    Results.RunOutcome run() {
        long started = System.nanoTime();
        var startedAt = Instant.now();
        boolean dryRun = config.dryRun();
        var layout = config.layout();
        // For the history: git status and the host name take a moment, so they are found while the run works.
        boolean recorded = mode.seeds() && !dryRun;
        var gitCommit = recorded ? CompletableFuture.supplyAsync(() -> History.gitCommit(layout.seeds()))
                : CompletableFuture.<String>completedFuture(null);
        var host = recorded ? CompletableFuture.supplyAsync(Runner::hostName) : CompletableFuture.<String>completedFuture(null);
        var declared = Environments.read(layout.seeds(), config.workingDir(), config.followSymlinks());
        var chosen = declared.choose(config.environmentOption(), config.env());
        String environment = chosen.name();
        // Every seed file is read and checked before the database is touched.
        var seedFiles = mode.seeds() ? readSeedFiles(layout, declared) : List.<SeedFile>of();
        Timing.mark("the seed files read");
        var selected = selection(seedFiles);
        report.only = selected.size() < seedFiles.size() ? selected.stream().map(SeedFile::name).toList() : null;
        var skipped = selected.stream().filter(f -> !f.appliesTo(environment)).toList();
        report.header(title != null ? title : dryRun ? mode.rolledBackTitle() : null, config.target(), environment,
                declared.describe(chosen), layout, mode.migrates(), mode.seeds());
        Timing.mark("the report's header");

        record Done(Migrations.Outcome migrated, List<Results.FileOutcome> seeded, String recordedIn) {}
        var done = withRetries(session -> {
            try (var progress = Progress.onTerminal(config.err(), config.processEnvironment())) {
                Timing.mark("connected, the run lock taken");
                var migrated = mode.migrates() ? Migrations.apply(session, layout.migrations(), config.workingDir(),
                        config.baseline()) : null;
                Timing.mark("migrations");
                List<Results.FileOutcome> seeded;
                try {
                    seeded = seed(session, seedFiles, selected, chosen, progress, migrated);
                } catch (SeedError e) {
                    throw mode.migrates() ? e : withPendingMigrations(e, session, layout);
                }
                Timing.mark("seeding");
                String recordedIn = null;
                if (!dryRun) {
                    if (!seeded.isEmpty()) {
                        recordedIn = config.historyTable();
                        new History(session, recordedIn).record(new History.RunInfo(UUID.randomUUID(), startedAt, environment,
                                gitCommit.join(), host.join()), seeded, config.secrets());
                        Timing.mark("the history recorded");
                    }
                    if (config.prepareAs() != null) {
                        // All or none: the coordinator commits (or rolls back) this target's transaction with the others'.
                        session.prepare(config.prepareAs());
                        Timing.mark("prepared");
                    } else {
                        session.commit();
                        Timing.mark("committed");
                    }
                }
                return new Done(migrated, seeded, recordedIn);
            }
        });
        var result = new Results.RunOutcome(mode, dryRun, environment, chosen.production(), config.target(),
                done.migrated(), done.seeded(), skipped, layout.seeds(), System.nanoTime() - started, done.recordedIn());
        report.run(result);
        Timing.mark("the report");
        return result;
    }

    /** Flyway's list of migrations, the plan of a run, and the last recorded run, on one screen. */
    void info() {
        long started = System.nanoTime();
        var layout = config.layout();
        var declared = Environments.read(layout.seeds(), config.workingDir(), config.followSymlinks());
        var chosen = declared.choose(config.environmentOption(), config.env());
        String environment = chosen.name();
        var seedFiles = readSeedFiles(layout, declared);
        report.header(null, config.target(), environment, declared.describe(chosen), layout, true, true);
        record Status(List<Migrations.Info> migrations, Migrations.Outcome migrated, List<Results.FileOutcome> seeded,
                      History.Entry lastRun) {}
        var status = withRetries(session -> {
            var migrations = Migrations.info(session, layout.migrations(), config.workingDir());
            var migrated = Migrations.apply(session, layout.migrations(), config.workingDir(), null);
            var seeded = seed(session, seedFiles, seedFiles, chosen, Progress.NONE, migrated);
            session.rollback();
            var history = new History(session, config.historyTable());
            return new Status(migrations, migrated, seeded,
                    history.exists() ? history.entries(null, 1).stream().findFirst().orElse(null) : null);
        });
        report.info(status.migrations(), new Results.RunOutcome(mode, true, environment, chosen.production(),
                config.target(), status.migrated(), status.seeded(), seedFiles.stream().filter(f -> !f.appliesTo(environment))
                .toList(), layout.seeds(), System.nanoTime() - started, null), status.lastRun(), config.historyTable());
    }

    private List<SeedFile> readSeedFiles(Layout layout, Environments declared) {
        return SeedFile.readAll(layout.seeds(), config.workingDir(), config.env(), config.secrets(), config.followSymlinks(),
                declared);
    }

    /**
     * One attempt after another, each on a session of its own that takes the run lock, until one
     * ends without a lost connection or --retries are used up. Nothing of a failed attempt was
     * committed, so the next starts from the beginning.
     */
    private <T> T withRetries(Function<Session, T> attempt) {
        var target = config.target();
        for (int attempts = 1; ; attempts++) {
            Session session = null;
            RuntimeException failure;
            try {
                session = Session.connect(target, true);
                // From the first statement: a temporary table touched at any point would make PREPARE fail.
                session.twoPhase = config.prepareAs() != null;
                session.begin(config.limits(), true, config::note);
                return attempt.apply(session);
            } catch (RuntimeException e) {
                failure = e;
            } finally {
                if (session != null) {
                    session.close();
                }
            }
            // Whatever ended the attempt, in whichever phase, is judged here, once the session knows whether its connection broke.
            var error = SeedError.endingAttempt(failure, target, session != null && session.connectionLost());
            // Nor after a PREPARE was sent: the transaction may be prepared (and hold the run lock); the coordinator finds out.
            if (!error.connectionFailure() || session != null && (session.aborted() || session.prepareSent())) {
                throw failure;
            }
            if (attempts > config.retries()) {
                throw error;
            }
            long pause = Math.min(10, 1L << (attempts - 1));
            config.note(error.plainParagraph() + " Retrying in " + pause + " s (retry " + attempts + " of " + config.retries()
                    + ").");
            try {
                Thread.sleep(pause * 1000);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw error;
            }
        }
    }

    /**
     * The seed files for this environment, in dependency order: each writes its rows, then, in
     * reverse order, each removes the rows it no longer lists.
     */
    private List<Results.FileOutcome> seed(Session session, List<SeedFile> files, List<SeedFile> selected,
                                           Environments.Environment environment, Progress progress, Migrations.Outcome migrated) {
        var run = new Seeder.Run(session, environment.name(), environment.production(), config.allowDelete(),
                config.maxDeletes(), config.dryRun(), config.historyTable(), files);
        run.progress = progress;
        run.subset = selected.size() < files.size();
        run.full = config.full();
        run.migrated = migrated != null && (!migrated.applied().isEmpty() || migrated.baselinedAt() != null);
        return Seeder.seedAll(run, selected.stream().filter(f -> f.appliesTo(environment.name())).toList());
    }

    /**
     * The seed files this run applies: those named by seed FILE… and those of the tables --only
     * names; all of them when neither is given. A name that matches nothing is a usage error.
     */
    private List<SeedFile> selection(List<SeedFile> files) {
        var onlyFiles = config.onlyFiles() == null ? List.<String>of() : config.onlyFiles();
        var onlyTables = config.onlyTables() == null ? List.<String>of() : config.onlyTables();
        if (onlyFiles.isEmpty() && onlyTables.isEmpty()) {
            return files;
        }
        var chosen = new LinkedHashSet<SeedFile>();
        for (String name : onlyFiles) {
            String fileName = Path.of(name).getFileName().toString();
            if (Path.of(name).getParent() != null) {
                // A path names that very file: one of the seeds directory, not another file of the same name.
                Path named = config.workingDir().resolve(name).normalize();
                var file = files.stream().filter(f -> f.path().toAbsolutePath().normalize().equals(named)).findFirst();
                if (file.isEmpty()) {
                    throw SeedError.usage(name + " is not a seed file of the seeds directory " + seedsDirectory(files),
                            "seed FILE… applies files of the seeds directory; for another directory, pass --seeds DIR");
                }
                chosen.add(file.get());
                continue;
            }
            var file = files.stream().filter(f -> f.name().equals(fileName)).findFirst().orElseThrow(() -> SeedError.usage(
                    "there is no seed file " + fileName + " in the seeds directory" + SeedError.didYouMean(fileName,
                            files.stream().map(SeedFile::name).toList()), "seed FILE… takes the names of seed files, as in "
                            + "seed llm_models.yaml"));
            chosen.add(file);
        }
        for (String table : onlyTables) {
            var ofTable = files.stream().filter(f -> f.table().equals(table) || f.table().endsWith("." + table)).toList();
            if (ofTable.isEmpty()) {
                throw SeedError.usage("--only " + table + ": no seed file seeds a table " + table + SeedError.didYouMean(table,
                        files.stream().map(SeedFile::table).toList()), null);
            }
            chosen.addAll(ofTable);
        }
        // In the order of the directory, as every run reads them.
        return files.stream().filter(chosen::contains).toList();
    }

    /** The directory the seed files were read from, for a message. */
    private static String seedsDirectory(List<SeedFile> files) {
        return files.isEmpty() ? "" : String.valueOf(files.get(0).path().toAbsolutePath().normalize().getParent());
    }

    /** When seed (which never migrates) fails, pending migrations are a likely reason: say so. */
    private SeedError withPendingMigrations(SeedError e, Session session, Layout layout) {
        if (e.exitCode != SeedError.EXIT_FAILED || layout.migrations() == null || !Files.isDirectory(layout.migrations())) {
            return e;
        }
        try {
            session.rollback();
            long pending = Migrations.info(session, layout.migrations(), config.workingDir()).stream()
                    .filter(m -> m.installedOn() == null).count();
            return pending == 0 ? e : e.alsoHint(pending + (pending == 1 ? " migration is" : " migrations are")
                    + " pending: seed does not migrate; run migrate first, or run without a command");
        } catch (RuntimeException cannotTell) {
            return e;
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
