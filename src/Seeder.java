// Seeding a run's files, the driver of the steps: each file stages its rows, resolves its references,
// compares them with its table and writes what differs; then each removes what it no longer lists.

import java.util.List;
import java.util.Map;

/**
 * One seed file against its table, driven through its steps: {@link Checks}, {@link Stage},
 * {@link References}, {@link Diff}, {@link Writes}, {@link SecretCells}, {@link Ownership} and
 * {@link Removal}, which share a {@link FileContext}. Rows are staged with COPY into a temporary
 * table typed like the target (PostgreSQL itself checks every value), references by natural key
 * are resolved there, rows are compared with the table there, and only the rows that differ are
 * written. After every file has been written, each file removes (deactivates or deletes) the rows
 * it owns but no longer lists, in reverse order.
 */
final class Seeder {

    /**
     * What a run asks of every file: the environment it is for, the guards against removing too
     * much, and whether it is a plan (whose guards warn instead of stopping it).
     */
    static final class Run {
        final Session session;
        final String environment;
        /** Whether the environment is declared production: then deleting needs allowDelete. */
        final boolean production;
        final boolean allowDelete;
        final int maxRemovals;
        final boolean dryRun;
        /** The table that remembers which file seeded which row: a file removes only rows it owns. */
        final String ownershipTable;
        /** The table that remembers which cells hold a value from the environment. */
        final String secretCellsTable;
        /** For each file that owns rows: the keys it listed when it last recorded them (to skip recording them again). */
        final String listingsTable;
        /** Every seed file of the seeds directory, for every environment. */
        final List<SeedFile> allFiles;
        /** The progress line of a long run (none unless stderr is a terminal). */
        Progress progress = Progress.NONE;
        /** Whether the run applies only some of the seed files (seed FILE…, --only). */
        boolean subset;
        /** Whether every file is compared, whatever the last run's proof says (--full, verify). */
        boolean full;
        /** Whether this run applied a migration: then every file is compared. */
        boolean migrated;
        /** Whether a proof waited in vain for open transactions to end: the next ones do not wait. */
        boolean proofWaited;
        /** The table of the proofs that let a run skip a file that has not changed (SkipProof). */
        final String proofsTable;
        /** Whether that table is there, once a file has asked (null before): it is made only once every file has been written. */
        Boolean proofsExist;
        /** Whether the table of cells from the environment is there, once a file found it (it is never dropped by a run). */
        boolean secretCellsExist;

        Run(Session session, String environment, boolean production, boolean allowDelete, int maxRemovals, boolean dryRun,
            String historyTable, List<SeedFile> allFiles) {
            this.session = session;
            this.environment = environment;
            this.production = production;
            this.allowDelete = allowDelete;
            this.maxRemovals = maxRemovals;
            this.dryRun = dryRun;
            this.ownershipTable = Catalog.quote(historyTable + "_rows");
            this.secretCellsTable = History.secretCellsTable(historyTable);
            this.listingsTable = Catalog.quote(historyTable + "_listings");
            this.proofsTable = Catalog.quote(historyTable + "_proofs");
            this.allFiles = allFiles;
        }

        /** The seed files (of any environment) that seed the same table as this one, but this one. */
        List<SeedFile> otherFilesOf(SeedFile file, Catalog.Table table) {
            return allFiles.stream().filter(f -> f != file && (f.table().equals(table.name())
                    || f.table().equals(table.schema() + "." + table.name()))).toList();
        }
    }

    private final FileContext c;
    private final Checks checks;
    private final References refs;
    private final Stage stage;
    private final Diff diff;
    private final Writes writes;
    private final SecretCells secretCells;
    private final Ownership ownership;
    private final Removal removal;
    private final SkipProof proof;
    private final FirstLoad firstLoad;

    private Seeder(Run run, FileOrder.Planned planned) {
        c = new FileContext(run, planned.file(), planned.table());
        refs = new References(c);
        checks = new Checks(c, refs);
        stage = new Stage(c, checks);
        diff = new Diff(c, refs);
        writes = new Writes(c);
        secretCells = new SecretCells(c);
        ownership = new Ownership(c);
        removal = new Removal(c, refs, writes, ownership, secretCells);
        proof = new SkipProof(c);
        firstLoad = new FirstLoad(c, refs);
    }

    /**
     * Seeds the files of a run (those that apply to its environment), in dependency order: each
     * writes its rows, then the removals are counted and guarded, then, in reverse order, each
     * removes the rows it no longer lists. The one entry point of seeding.
     */
    static List<Results.FileOutcome> seedAll(Run run, List<SeedFile> applicable) {
        var seeders = FileOrder.order(run.session, applicable, run.allFiles).stream()
                .map(planned -> new Seeder(run, planned)).toList();
        seeders.forEach(Seeder::write);
        // A file that removes rows, skipped at its turn, whose table a later file's trigger or rule wrote since: a
        // comparison's removal, which comes after every file's writes, would find rows its proof does not hold. It is
        // compared now (SkipProof.stillHolds); until no such file is left, since that comparison's writes may fire
        // triggers too. (Compared this late, it also puts back what the trigger changed in its rows, which a comparison
        // at its turn would have left to the next run.)
        for (boolean again = true; again; ) {
            again = false;
            for (var s : seeders) {
                if (!s.c.compared && !s.c.file.removal().keeps() && !s.proof.stillHolds()) {
                    s.c.compared = true;
                    s.write();
                    again = true;
                }
            }
        }
        // A file its proof skipped is in sync: it has nothing to remove (SkipProof says why).
        var compared = seeders.stream().filter(s -> s.c.compared).toList();
        compared.forEach(s -> s.removal.count());
        Removal.guard(run, compared.stream().map(s -> s.removal).toList());
        for (int i = compared.size() - 1; i >= 0; i--) {
            compared.get(i).removal.remove();
        }
        var outcomes = seeders.stream().map(s -> s.c.outcome()).toList();
        if (!run.dryRun) {
            for (var s : compared) {
                s.proof.record(s.c.outcome());
            }
        }
        return outcomes;
    }

    /** The first half of a run for this file: inserts and updates. Removals wait for {@link Removal#remove()}. */
    private void write() {
        long started = System.nanoTime();
        try {
            var groups = checks.validate();
            c.run.session.lockTable(c.table.qualified(), c.table.name(), c.file.displayPath());
            c.tableHasSecretCells = secretCells.remembered();
            var proven = proof.holds();
            if (proven.isPresent()) {
                c.skipped(proven.get());
                return;
            }
            boolean loaded = firstLoad.load();
            if (!loaded) {
                writeStaged(groups);
            }
            secretCells.record(groups.values());
            ownership.record();
            // A first load leaves its empty table holding exactly the file's rows, as many as COPY loaded.
            proof.take(loaded ? c.rowCount : -1);
            c.run.session.staged.add(new Session.Staged(c.stage, c.table.qualified(), c.file, c.rows, c.rowCount));
        } finally {
            c.durationNanos += System.nanoTime() - started;
        }
    }

    /** The staged path: the rows COPYed into a stage, checked and resolved there, then what differs written. */
    private void writeStaged(Map<List<String>, FileContext.Group> groups) {
        stage.stage(groups);
        c.run.progress.step(c.file.name(), c.run.dryRun ? "planning" : "comparing and writing", null);
        // References first: a key may hold one, and two keys are the same only once resolved.
        int layers = refs.resolveReferences();
        c.wholeStage = groups.size() == 1 && layers == 1;
        checks.rejectDuplicateKeys();
        checks.rejectKeysOfOtherFiles();
        c.beforeWrites = stage.savepoint("seed_file");
        for (int layer = 0; layer < layers; layer++) {
            if (layer > 0) {
                refs.resolveSelfReferences(layer);
            }
            for (var group : groups.values()) {
                var found = diff.diff(group, layer, Results.FileOutcome.DETAIL_LIMIT - c.changes.size());
                if (found.firstInsert() != null) {
                    checks.requireValuesForInsert(group, found.firstInsert());
                }
                writes.write(group, found);
            }
        }
        writes.checkDeferredConstraints();
    }
}
