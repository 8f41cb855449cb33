// What info, history and history KEY print: the database's migrations and seeds, and the runs and
// changes its seed history recorded, as text for people or as JSON.

import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The report of the commands that read what runs recorded; a run's own report is Report's. */
final class HistoryReport {
    private final Report report;
    private final PrintWriter out;
    private final boolean json;
    private final Report.Style style;

    HistoryReport(Report report) {
        this.report = report;
        this.out = report.out;
        this.json = report.json;
        this.style = report.style;
    }

    void info(List<Migrations.Info> migrations, Results.RunOutcome plan, History.Entry lastRun, String historyTable) {
        if (json) {
            var json = Report.document("info");
            json.put("database", plan.target().describe());
            json.put("environment", plan.environment());
            json.put("production", plan.production());
            json.put("migrations", migrations.stream().map(m -> {
                var item = new LinkedHashMap<String, Object>();
                item.put("version", m.version());
                item.put("description", m.description());
                item.put("state", m.state());
                item.put("installed_on", m.installedOn() == null ? null : m.installedOn().toString());
                return item;
            }).toList());
            json.put("seeds", plan.seeds().stream().map(o -> {
                var item = new LinkedHashMap<String, Object>();
                item.put("file", o.file().name());
                item.put("table", o.table().name());
                item.put("in_sync", o.written() == 0);
                item.put("to_insert", o.inserted());
                item.put("to_update", o.updated());
                item.put("to_deactivate", o.deactivated());
                item.put("to_delete", o.deleted());
                item.put("unchanged", o.unchanged());
                item.put("not_in_file", o.notInFile());
                return item;
            }).toList());
            json.put("in_sync", plan.inSync());
            json.put("last_run", lastRun == null ? null : runJson(lastRun));
            report.printJson((json));
            return;
        }
        int versionWidth = migrations.stream().mapToInt(m -> m.version().length()).max().orElse(0);
        int descriptionWidth = migrations.stream().mapToInt(m -> m.description().length()).max().orElse(0);
        out.println("Migrations:" + (migrations.isEmpty() ? " none" : ""));
        for (var m : migrations) {
            boolean applied = m.installedOn() != null;
            out.println("  V" + Report.pad(m.version(), versionWidth) + "  " + Report.pad(m.description(), descriptionWidth) + "  "
                    + (applied ? m.state() + " " + Report.WHEN.format(m.installedOn().withOffsetSameInstant(ZoneOffset.UTC))
                    : style.yellow(m.state())));
        }
        out.println("Seeds:" + (plan.seeds().isEmpty() ? " no seed files" : ""));
        int fileWidth = plan.seeds().stream().mapToInt(o -> (o.file().name() + " → " + o.table().name()).length()).max().orElse(0);
        for (var o : plan.seeds()) {
            out.println("  " + Report.pad(o.file().name() + " → " + o.table().name(), fileWidth) + "  "
                    + (o.written() == 0 ? style.green("in sync") + " (" + Report.count(o.unchanged(), "row")
                    + (o.notInFile() == 0 ? "" : "; " + o.notInFile() + " more that no seed file lists") + ")"
                    : style.yellow("out of sync") + ": " + report.counts(o.inserted(), o.updated(), o.unchanged(), o.deactivated(),
                    o.deleted(), true).replace(", " + o.unchanged() + " unchanged", "")));
        }
        out.println("Last seed run: " + (lastRun == null ? "none recorded in " + historyTable
                : Report.WHEN.format(lastRun.startedAt().withOffsetSameInstant(ZoneOffset.UTC)) + " by " + lastRun.databaseUser()
                        + " (" + lastRun.environment() + (lastRun.gitCommit() == null ? "" : ", git " + Report.shortCommit(lastRun.gitCommit())) + ")"));
        out.println(plan.inSync() ? style.green("In sync.")
                : style.yellow("Out of sync: plan shows what a run would change; a run without a command applies it."));
    }

    // ── history ─────────────────────────────────────────────────────────────────────────────

    void history(String historyTable, List<History.Entry> entries) {
        if (json) {
            var json = Report.document("history");
            json.put("history_table", historyTable);
            var runs = new LinkedHashMap<Object, Map<String, Object>>();
            for (var entry : entries) {
                var run = runs.computeIfAbsent(entry.runId(), id -> {
                    var item = runJson(entry);
                    item.put("files", new ArrayList<Object>());
                    return item;
                });
                @SuppressWarnings("unchecked")
                var files = (List<Object>) run.get("files");
                files.add(entryJson(entry));
            }
            json.put("runs", new ArrayList<>(runs.values()));
            report.printJson((json));
            return;
        }
        if (entries.isEmpty()) {
            out.println("No seed runs recorded in " + historyTable + " of " + report.target.describe() + ".");
            return;
        }
        out.println(style.dim("Seed runs recorded in " + historyTable + " of " + report.target.describe() + ", newest first:"));
        Object currentRun = null;
        for (var entry : entries) {
            if (!entry.runId().equals(currentRun)) {
                currentRun = entry.runId();
                out.println(style.bold(Report.WHEN.format(entry.startedAt().withOffsetSameInstant(ZoneOffset.UTC))) + "  "
                        + entry.databaseUser() + "  " + entry.environment() + "  seed_database " + entry.toolVersion()
                        + (entry.gitCommit() == null ? "" : "  git " + Report.shortCommit(entry.gitCommit()))
                        + (entry.host() == null ? "" : "  on " + entry.host()));
            }
            out.println("  " + entry.file() + " → " + entry.table() + ": "
                    + report.counts(entry.inserted(), entry.updated(), entry.unchanged(), entry.deactivated(), entry.deleted(), false)
                    + style.dim(String.format(Locale.ROOT, " (%.2f s)", entry.durationMillis() / 1e3)));
            report.changes(entry.changes(), entry.inserted() + entry.updated() + entry.deactivated() + entry.deleted(), "    ");
        }
    }

    void timeline(String key, String historyTable, List<History.Event> events) {
        if (json) {
            var json = Report.document("history");
            json.put("history_table", historyTable);
            json.put("key", key);
            json.put("events", events.stream().map(e -> {
                var item = new LinkedHashMap<String, Object>();
                item.put("started_at", e.startedAt().toString());
                item.put("run_id", e.runId().toString());
                item.put("file", e.file());
                item.put("table", e.table());
                item.put("database_user", e.databaseUser());
                item.put("environment", e.environment());
                item.put("git_commit", e.gitCommit());
                e.change().json().each(item::put);
                return item;
            }).toList());
            report.printJson((json));
            return;
        }
        if (events.isEmpty()) {
            out.println("No recorded change of " + key + " in " + historyTable + " of " + report.target.describe() + ".");
            return;
        }
        out.println(style.bold(Report.shownKey(key)) + " in " + historyTable + " of " + report.target.describe() + ", newest first:");
        for (var e : events) {
            String when = Report.WHEN.format(e.startedAt().withOffsetSameInstant(ZoneOffset.UTC));
            String action = Report.pad(e.change().action().json() + (e.change().action().json().endsWith("e") ? "d" : "ed"), 11);
            String indent = " ".repeat(2 + when.length() + 2 + action.length() + 2);
            String head = "  " + when + "  " + (e.change().inserted() ? style.green(action)
                    : e.change().action() == Results.Action.UPDATE ? style.yellow(action) : style.red(action)) + "  ";
            boolean first = true;
            for (var column : e.change().columns()) {
                String value = e.change().inserted() ? Report.shown(column.after(), 0) : report.change(column);
                out.println((first ? head : indent) + column.column() + ": " + value);
                first = false;
            }
            if (first) {
                out.println(head.stripTrailing());
            }
            out.println(indent + style.dim(e.file() + " → " + e.table() + ", by " + e.databaseUser() + " ("
                    + e.environment() + (e.gitCommit() == null ? "" : ", git " + Report.shortCommit(e.gitCommit())) + ")"));
        }
    }

    /** A run as the history knows it: when, by whom, where, from which commit. */
    private static Map<String, Object> runJson(History.Entry entry) {
        var item = new LinkedHashMap<String, Object>();
        item.put("run_id", entry.runId().toString());
        item.put("started_at", entry.startedAt().toString());
        item.put("database_user", entry.databaseUser());
        item.put("tool_version", entry.toolVersion());
        item.put("environment", entry.environment());
        item.put("git_commit", entry.gitCommit());
        item.put("host", entry.host());
        return item;
    }

    private static Map<String, Object> entryJson(History.Entry entry) {
        var item = new LinkedHashMap<String, Object>();
        item.put("file", entry.file());
        item.put("checksum", entry.checksum());
        item.put("table", entry.table());
        item.put("inserted", entry.inserted());
        item.put("updated", entry.updated());
        item.put("unchanged", entry.unchanged());
        item.put("not_in_file", entry.notInFile());
        item.put("duration_ms", entry.durationMillis());
        item.put("changes_complete", entry.changesComplete());
        item.put("changes", entry.changes().stream().map(Results.Change::json).toList());
        return item;
    }
}
