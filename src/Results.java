// What a run did: plain data, read by Report, CiReport, History, Verify and Export. No behaviour
// here but each record's JSON, written in this one place.

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

final class Results {

    private Results() {}

    enum Action {
        INSERT, UPDATE, DEACTIVATE, DELETE;

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A column's value before and after; before is null for a row the run inserts. */
    record ColumnChange(String column, String before, String after) {}

    /**
     * A row the run inserts (with the values it gives), updates (with the columns that change),
     * deactivates or deletes; pos is the row's place in the file, null for a row the file no longer has.
     */
    record Change(String key, SeedFile.Pos pos, Action action, List<ColumnChange> columns) {
        boolean inserted() {
            return action == Action.INSERT;
        }

        /**
         * {"key", "line", "action", "columns": [{"column", "old", "new"}]}, every text passed through
         * scrub: the one definition of a change's JSON, for --json (identity) and the history (no value
         * from the environment). Fields, not a map: written straight out, as a run may list 10,000.
         */
        Json.Fields json(UnaryOperator<String> scrub) {
            return field -> {
                field.accept("key", scrub.apply(key));
                field.accept("line", pos == null ? null : pos.line());
                field.accept("action", action.json());
                field.accept("columns", columns.stream().<Json.Fields>map(c -> column -> {
                    column.accept("column", c.column());
                    column.accept("old", scrub.apply(c.before()));
                    column.accept("new", scrub.apply(c.after()));
                }).toList());
            };
        }

        /** The same as --json prints it. */
        Json.Fields json() {
            return json(UnaryOperator.identity());
        }

        /** A list of changes as compact JSON, scrubbed: the history's column. */
        static String json(List<Change> changes, UnaryOperator<String> scrub) {
            return Json.compact(changes.stream().map(change -> change.json(scrub)).toList());
        }
    }

    /**
     * What a file did to its table. The counts are exact; the changed rows are listed in full up
     * to {@link #DETAIL_LIMIT} (changesComplete says whether that was all of them), the keys of the
     * table's rows that the file leaves as they are up to {@link #KEYS_LISTED}.
     */
    record FileOutcome(SeedFile file, Catalog.Table table, List<Change> changes, boolean changesComplete,
                       long inserted, long updated, long unchanged, long deactivated, long deleted, long notInFile,
                       List<String> notInFileKeys, long rowsElsewhere, List<String> warnings, long durationNanos,
                       boolean compared) {

        static final int DETAIL_LIMIT = 10_000, KEYS_LISTED = 100;

        long written() {
            return inserted + updated + deactivated + deleted;
        }

        List<Json.Fields> changesJson() {
            return changes.stream().map(Change::json).toList();
        }

        Map<String, Object> json() {
            var json = new LinkedHashMap<String, Object>();
            json.put("file", file.name());
            json.put("path", file.displayPath());
            json.put("checksum", file.checksum());
            json.put("table", table.name());
            json.put("inserted", inserted);
            json.put("updated", updated);
            json.put("unchanged", unchanged);
            json.put("deactivated", deactivated);
            json.put("deleted", deleted);
            json.put("removal", file.removal().mode());
            json.put("not_in_file", notInFile);
            json.put("not_in_file_keys", notInFileKeys);
            json.put("rows_for_other_environments", rowsElsewhere);
            json.put("warnings", warnings);
            json.put("compared", compared);
            json.put("changes_complete", changesComplete);
            json.put("changes", changesJson());
            json.put("duration_ms", durationNanos / 1_000_000);
            return json;
        }
    }

    /** Everything a run (or a plan, or a check) did; production: whether its environment is declared production. */
    record RunOutcome(Mode mode, boolean dryRun, String environment, boolean production, DatabaseTarget target,
                      Migrations.Outcome migrations, List<FileOutcome> seeds, List<SeedFile> skipped,
                      java.nio.file.Path seedsDir, long durationNanos, String historyTable) {

        /** The command's name, as --json documents and CI reports name it. */
        String command() {
            return mode.command();
        }

        long rowsWritten() {
            return seeds.stream().mapToLong(FileOutcome::written).sum();
        }

        int migrationsApplied() {
            return migrations == null ? 0 : migrations.applied().size();
        }

        /** Nothing to migrate and nothing to write: the database matches the files. */
        boolean inSync() {
            return migrationsApplied() == 0 && rowsWritten() == 0 && (migrations == null || migrations.baselinedAt() == null);
        }

        Map<String, Object> json() {
            var json = Report.document(command());
            json.put("database", target.describe());
            json.put("environment", environment);
            json.put("production", production);
            json.put("dry_run", dryRun);
            json.put("in_sync", inSync());
            if (migrations != null) {
                var m = new LinkedHashMap<String, Object>();
                m.put("version_before", migrations.versionBefore());
                m.put("version_after", migrations.versionAfter());
                m.put("baselined_at", migrations.baselinedAt());
                m.put("applied", migrations.applied().stream().map(a -> Json.object("version", a.version(), "description", a.description())).toList());
                m.put("warnings", migrations.warnings());
                json.put("migrations", m);
            } else {
                json.put("migrations", null);
            }
            json.put("seeds", seeds.stream().map(FileOutcome::json).toList());
            json.put("skipped", skipped.stream().map(f -> Json.object("file", f.name(), "environments", f.environments())).toList());
            json.put("history_table", historyTable);
            json.put("duration_ms", durationNanos / 1_000_000);
            return json;
        }
    }
}
