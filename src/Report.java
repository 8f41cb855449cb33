// What a person reads after a run, or, with --json, what a program reads.

import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every command's output, in two renderings of the same data: aligned (and, on a terminal,
 * coloured) text for people, or one JSON document on stdout with --json (the README documents its
 * schema). Errors go to stderr either way.
 */
final class Report {

    /**
     * The forms of output: text for people (the default), json for programs, and for check, plan
     * and verify the forms CI shows: github (annotations, and a job summary), junit (XML) and markdown.
     */
    enum Format {
        text, json, github, junit, markdown;

        /** Whether the text report (header, per-file lines, summary) is printed: for people, and in a GitHub log. */
        boolean prose() {
            return this == text || this == github;
        }

        boolean forCi() {
            return this == github || this == junit || this == markdown;
        }
    }

    static final int ROWS_SHOWN = 20, KEYS_SHOWN = 5, VALUE_WIDTH = 60;
    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'", Locale.ROOT);

    final PrintWriter out;
    final Format format;
    final boolean json;
    final Style style;
    /** The database the report is about. */
    DatabaseTarget target;
    /** Where a GitHub job's summary is appended ($GITHUB_STEP_SUMMARY), with --format github; else null. */
    java.nio.file.Path stepSummary;
    /** A file's path as GitHub names it in an annotation: relative to the repository. */
    java.util.function.UnaryOperator<String> inRepository = java.util.function.UnaryOperator.identity();
    /** What the job summary passes through on its way to the file, as stdout does: the run's secrets masked. */
    java.util.function.UnaryOperator<String> mask = java.util.function.UnaryOperator.identity();
    /** For verify: its passes are reported in one document at the end (json, junit, markdown), not each on its own. */
    boolean passesReportedTogether;
    /** --quiet: of the text report, only the last line (errors go to stderr as always). */
    boolean quiet;
    /** The seed files a run applies when it applies only some (seed FILE…, --only); null for all. */
    List<String> only;

    Report(PrintWriter out, Format format, Style style) {
        this.out = format == Format.json || !style.plainSymbols() ? out : PlainSymbols.around(out);
        this.format = format;
        this.json = format == Format.json;
        this.style = style;
    }

    /** Warnings about the run's settings, for every JSON document (the text report prints them in its header). */
    final List<String> warnings = new ArrayList<>();

    /** Where JSON documents go instead of stdout, when a command combines several into one (verify). */
    java.util.function.Consumer<Map<String, Object>> jsonSink;

    void printJson(Map<String, Object> document) {
        if (!warnings.isEmpty()) {
            document.put("warnings", warnings);
        }
        if (jsonSink != null) {
            jsonSink.accept(document);
            return;
        }
        out.println(Json.pretty(document));
    }

    static Map<String, Object> document(String command) {
        var json = new LinkedHashMap<String, Object>();
        json.put("command", command);
        json.put("tool_version", Config.VERSION);
        return json;
    }

    // ── a run ───────────────────────────────────────────────────────────────────────────────

    void header(String title, DatabaseTarget target, String environment, String environmentDeclared, Layout layout,
                boolean migrate, boolean seed) {
        if (!format.prose() || quiet) {
            return;
        }
        out.println(style.bold("seed_database " + Config.VERSION) + (title == null ? "" : " · " + title));
        out.println("  database     " + target.describe() + style.dim(" (" + target.origin() + ")"));
        warnings.forEach(warning -> out.println(style.yellow("  warning: " + warning)));
        out.println("  environment  " + environment + style.dim(" (" + environmentDeclared + ")"));
        if (migrate) {
            out.println("  migrations   " + layout.migrations() + style.dim(" (" + layout.migrationsFrom() + ")"));
        }
        if (seed) {
            out.println("  seeds        " + layout.seeds() + style.dim(" (" + layout.seedsFrom() + ")"));
        }
        if (only != null) {
            out.println("  only         " + String.join(", ", only) + style.dim(" (the other seed files are left out)"));
        }
    }

    void run(Results.RunOutcome run) {
        if (json) {
            printJson((run.json()));
            return;
        }
        if (passesReportedTogether && (!format.prose() || quiet)) {
            return;
        }
        boolean failing = run.mode().failsWhenNotInSync() && !run.inSync();
        switch (format) {
            case junit -> out.print(CiReport.junit(run, failing));
            case markdown -> out.print(CiReport.markdown(run, verdict(run)));
            default -> {
                if (!quiet) {
                    if (run.migrations() != null) {
                        migrations(run.migrations(), run.dryRun());
                    }
                    if (!run.seeds().isEmpty() || !run.skipped().isEmpty() || run.mode() == Mode.SEED
                            || run.migrations() == null) {
                        seeds(run, run.dryRun());
                    }
                }
                if (quiet) {
                    // What would stop a run is said even so: the last line points at it.
                    run.seeds().forEach(o -> o.warnings().forEach(warning -> out.println(style.yellow("warning: "
                            + o.file().name() + ": a run would stop here: " + warning))));
                }
                out.println(summary(run));
                if (format == Format.github && !passesReportedTogether) {
                    out.print(CiReport.github(run, failing, inRepository));
                    appendStepSummary(CiReport.markdown(run, verdict(run)));
                }
            }
        }
    }

    /** What a run came to, in a few words, for the heading of its Markdown. */
    static String verdict(Results.RunOutcome run) {
        if (run.mode().failsWhenNotInSync()) {
            return run.inSync() ? "in sync" : "out of sync";
        }
        var parts = amounts(run);
        return parts.isEmpty() ? "nothing to change" : String.join(" and ", parts) + (run.dryRun() ? " to write" : " written");
    }

    /** Appends to the GitHub job summary, when there is one: the Markdown shows on the run's page. */
    void appendStepSummary(String markdown) {
        if (stepSummary == null) {
            return;
        }
        try {
            java.nio.file.Files.writeString(stepSummary, mask.apply(markdown) + "\n", java.nio.charset.StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        } catch (java.io.IOException e) {
            throw SeedError.usage("cannot append to GITHUB_STEP_SUMMARY (" + stepSummary + "): " + e.getMessage(), null);
        }
    }

    private void migrations(Migrations.Outcome outcome, boolean dryRun) {
        outcome.warnings().forEach(warning -> out.println(style.yellow("warning: " + warning)));
        if (outcome.baselinedAt() != null) {
            out.println("Migrations: " + (dryRun ? "would baseline" : "baselined") + " at version " + outcome.baselinedAt()
                    + ": the database's schema is taken as made by the migrations up to it");
        }
        if (outcome.applied().isEmpty()) {
            out.println("Migrations: up to date" + (outcome.versionAfter() == null ? " (there are none yet)"
                    : " at version " + outcome.versionAfter()));
            return;
        }
        out.println(dryRun
                ? "Migrations: " + outcome.applied().size() + " pending; the seeds are planned against the schema at version "
                        + outcome.versionAfter()
                : "Migrations: " + outcome.applied().size() + " applied, now at version " + outcome.versionAfter());
        int width = outcome.applied().stream().mapToInt(m -> m.version().length()).max().orElse(0);
        for (var m : outcome.applied()) {
            out.println("  " + style.green("V" + pad(m.version(), width)) + "  " + m.description());
        }
    }

    private void seeds(Results.RunOutcome run, boolean dryRun) {
        var outcomes = run.seeds();
        if (outcomes.isEmpty() && run.skipped().isEmpty()) {
            out.println("Seeds: " + style.yellow("no seed files (*.yaml, *.yml) in " + run.seedsDir()));
            return;
        }
        out.println("Seeds:");
        for (var o : outcomes) {
            out.println("  " + style.bold(o.file().name()) + " → " + o.table().name() + ": "
                    + counts(o.inserted(), o.updated(), o.unchanged(), o.deactivated(), o.deleted(), dryRun)
                    + (o.rowsElsewhere() == 0 ? "" : style.dim(" (" + count(o.rowsElsewhere(), "row") + " for other environments)"))
                    + (o.compared() ? "" : style.dim(" (not compared: file and table as the last run left them)")));
            changes(o.changes(), o.written(), "    ");
            o.warnings().forEach(warning -> out.println(style.yellow("    warning: a run would stop here: " + warning)));
            if (o.notInFile() > 0) {
                String keys = String.join(", ", o.notInFileKeys().stream().limit(KEYS_SHOWN).toList())
                        + (o.notInFile() > KEYS_SHOWN ? ", …" : "");
                out.println(style.dim("    (" + count(o.notInFile(), "row") + " of " + o.table().name()
                        + " that no seed file lists, left as " + (o.notInFile() == 1 ? "it is" : "they are") + ": " + keys + ")"));
            }
        }
        for (var f : run.skipped()) {
            out.println("  " + f.name() + style.dim(" → skipped: it is for " + String.join(", ", f.environments())
                    + ", and this run is for " + run.environment()));
        }
    }

    String counts(long inserted, long updated, long unchanged, long deactivated, long deleted, boolean dryRun) {
        String counts = dryRun
                ? inserted + " to insert, " + updated + " to update, " + unchanged + " unchanged"
                : inserted + " inserted, " + updated + " updated, " + unchanged + " unchanged";
        if (deactivated > 0) {
            counts += ", " + deactivated + (dryRun ? " to deactivate" : " deactivated");
        }
        if (deleted > 0) {
            counts += ", " + deleted + (dryRun ? " to delete" : " deleted");
        }
        return counts;
    }

    /**
     * Changed rows, aligned: "+ key" for a new row, "~ key  column: old → new" for a changed one,
     * "- key  column: true → false" for a deactivated one, "- key  (deleted)" for a deleted one.
     */
    void changes(List<Results.Change> changes, long total, String indent) {
        int keyWidth = changes.stream().limit(ROWS_SHOWN).filter(c -> !c.inserted())
                .mapToInt(c -> shownKey(c.key()).length()).max().orElse(0);
        changes.stream().limit(ROWS_SHOWN).forEach(change -> {
            String key = shownKey(change.key());
            if (change.inserted()) {
                out.println(indent + style.green("+ " + key));
                return;
            }
            if (change.action() == Results.Action.DELETE) {
                out.println(indent + style.red("- " + pad(key, keyWidth)) + "  " + style.dim("(deleted)"));
                return;
            }
            String prefix = indent + (change.action() == Results.Action.DEACTIVATE ? style.red("- " + pad(key, keyWidth))
                    : style.yellow("~ " + pad(key, keyWidth))) + "  ";
            String continued = indent + " ".repeat(keyWidth + 4);
            for (var column : change.columns()) {
                out.println(prefix + column.column() + ": " + change(column));
                prefix = continued;
            }
        });
        if (total > Math.min(changes.size(), ROWS_SHOWN)) {
            out.println(indent + style.dim("… and " + (total - Math.min(changes.size(), ROWS_SHOWN))
                    + " more changed rows (--json lists " + (changes.size() < total ? "the first " + changes.size() : "them all") + ")"));
        }
    }

    /** What a run changes, counted: "2 migrations", "1 row"; nothing when it changes nothing. */
    private static List<String> amounts(Results.RunOutcome run) {
        var parts = new ArrayList<String>();
        if (run.migrationsApplied() > 0) {
            parts.add(count(run.migrationsApplied(), "migration"));
        }
        if (run.rowsWritten() > 0) {
            parts.add(count(run.rowsWritten(), "row"));
        }
        return parts;
    }

    private String summary(Results.RunOutcome run) {
        var parts = amounts(run);
        String seconds = String.format(Locale.ROOT, "%.2f s", run.durationNanos() / 1e9);
        if (run.mode().failsWhenNotInSync()) {
            return run.inSync() ? style.green("In sync") + ": the database matches the migrations and the seeds (" + seconds + ")."
                    : style.red("Out of sync") + ": " + String.join(" and ", parts) + " to write (" + seconds + ").";
        }
        if (run.dryRun()) {
            boolean stops = run.seeds().stream().anyMatch(o -> !o.warnings().isEmpty());
            return "Planned in " + seconds + ": " + (parts.isEmpty() ? "nothing to change" : String.join(" and ", parts)
                    + " would be written") + (stops ? style.yellow(", but a run would stop (see the warnings above)") : "")
                    + ". Nothing was written.";
        }
        return "Done in " + seconds + ": " + (parts.isEmpty() ? "nothing to change"
                : String.join(" and ", parts) + (run.rowsWritten() == 0 ? " applied" : " written"))
                + (run.historyTable() == null ? "." : "; recorded in " + run.historyTable() + ".");
    }

    // ── info and history (HistoryReport prints them) ───────────────────────────────────────

    void info(List<Migrations.Info> migrations, Results.RunOutcome plan, History.Entry lastRun, String historyTable) {
        new HistoryReport(this).info(migrations, plan, lastRun, historyTable);
    }

    void history(String historyTable, List<History.Entry> entries) {
        new HistoryReport(this).history(historyTable, entries);
    }

    void timeline(String key, String historyTable, List<History.Event> events) {
        new HistoryReport(this).timeline(key, historyTable, events);
    }

    // ── helpers ─────────────────────────────────────────────────────────────────────────────

    static String shortCommit(String commit) {
        return commit.length() > 12 ? commit.substring(0, 12) + (commit.endsWith("-dirty") ? "-dirty" : "") : commit;
    }

    /** old → new; long values are cut around the first place they differ, so the difference is what shows. */
    String change(Results.ColumnChange column) {
        // Once either side shows an escape (a line break as \n, a bidi override), a backslash is shown doubled
        // on both, so that the text "\n" and a line break never read alike.
        boolean escapes = escapes(column.before()) || escapes(column.after());
        String before = oneLine(escapes && column.before() != null ? column.before().replace("\\", "\\\\") : column.before());
        String after = oneLine(escapes && column.after() != null ? column.after().replace("\\", "\\\\") : column.after());
        int differ = 0;
        while (differ < before.length() && differ < after.length() && before.charAt(differ) == after.charAt(differ)) {
            differ++;
        }
        int from = Math.max(before.length(), after.length()) > VALUE_WIDTH ? Math.max(0, differ - VALUE_WIDTH / 3) : 0;
        return style.red(shown(before, from)) + " → " + style.green(shown(after, from));
    }

    /** A value on one line from {@code from} on, at most VALUE_WIDTH long, with … where it is cut. */
    static String shown(String value, int from) {
        String text = oneLine(value);
        String start = from > 0 && from < text.length() ? "…" + text.substring(from) : text;
        return start.length() > VALUE_WIDTH ? start.substring(0, VALUE_WIDTH - 1) + "…" : start;
    }

    private static boolean escapes(String value) {
        return value != null && !visible(value).equals(value);
    }

    private static String oneLine(String value) {
        return value == null ? "null" : visible(value);
    }

    /**
     * Text as a terminal shows it on one line: line breaks, control characters and bidi overrides
     * escaped (\n, \r, \t, \u001b…). A value's \r, ESC or U+202E would otherwise rewrite what the
     * reader sees: "two\r\nlines → two\nlines" would read as no change at all.
     */
    static String visible(String text) {
        var out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // Control characters, line and paragraph separators, bidi controls, and the invisible
                    // ones (zero-width, byte order mark) that make two texts look alike.
                    if (c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x2028 || c == 0x2029 || c >= 0x202a && c <= 0x202e
                            || c >= 0x2066 && c <= 0x2069 || c >= 0x200b && c <= 0x200f || c == 0x061c || c == 0xfeff) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }

    /** A key as it reads on one line: control characters escaped, quoted when spaces at its ends would hide. */
    static String shownKey(String key) {
        String escaped = visible(key.replace("\\", "\\\\"));
        return escaped.isEmpty() || escaped.strip().length() != escaped.length() || !escaped.equals(key)
                ? "\"" + escaped.replace("\"", "\\\"") + "\"" : key;
    }

    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    /**
     * ANSI colour, on when stdout is a terminal, off otherwise (containers, CI logs). --no-color
     * and NO_COLOR turn it off; --color=always (or CLICOLOR_FORCE) turns it on.
     */
    record Style(boolean on, boolean plainSymbols) {
        /** terminal: stdout is a terminal; process: env is this process's (not a test's made-up one). */
        static Style resolve(boolean noColor, String when, Map<String, String> env, boolean terminal, boolean process) {
            boolean plain = process && !PlainSymbols.utf8Reader(env);
            if (noColor || "never".equals(when)) {
                return new Style(false, plain);
            }
            if ("always".equals(when)) {
                return new Style(true, plain);
            }
            if (DatabaseTarget.blankToNull(env.get("NO_COLOR")) != null || "dumb".equals(env.get("TERM"))) {
                return new Style(false, plain);
            }
            String force = DatabaseTarget.blankToNull(env.get("CLICOLOR_FORCE"));
            return new Style(force != null && !force.equals("0") || terminal, plain);
        }

        private String paint(String code, String text) {
            return on ? "\033[" + code + "m" + text + "\033[0m" : text;
        }

        String bold(String text) {
            return paint("1", text);
        }

        String dim(String text) {
            return paint("2", text);
        }

        String red(String text) {
            return paint("31", text);
        }

        String green(String text) {
            return paint("32", text);
        }

        String yellow(String text) {
            return paint("33", text);
        }
    }

    /**
     * Text for a reader whose locale is not UTF-8 (cron, env -i, a container without LANG): the
     * report's own symbols in ASCII, → as ->, … as ..., · as -, the progress bar's █ and ░ as # and
     * -. Everything else passes unchanged, as UTF-8: a value from a seed file is shown as it is.
     * Machine-readable output (--json, export) never passes through here.
     */
    static final class PlainSymbols extends FilterWriter {

        private PlainSymbols(Writer out) {
            super(out);
        }

        static PrintWriter around(Writer out) {
            return new PrintWriter(new PlainSymbols(out), true);
        }

        /**
         * Whether whoever reads this process's output has a UTF-8 locale. Under the POSIX locale
         * ./jbang runs Java with C.UTF-8 (so that names and values arrive whole) and says so in the
         * system property jbang.wrapper.locale: the reader still has POSIX.
         */
        static boolean utf8Reader(Map<String, String> env) {
            return !"POSIX".equals(System.getProperty("jbang.wrapper.locale")) && utf8Locale(env);
        }

        /** The locale as POSIX orders it: LC_ALL, else LC_CTYPE, else LANG; none set is the POSIX locale, ASCII. */
        static boolean utf8Locale(Map<String, String> env) {
            for (String name : List.of("LC_ALL", "LC_CTYPE", "LANG")) {
                String locale = DatabaseTarget.blankToNull(env.get(name));
                if (locale != null) {
                    return locale.toUpperCase(Locale.ROOT).replace("-", "").contains("UTF8");
                }
            }
            return false;
        }

        private static String plain(char c) {
            return switch (c) {
                case '→' -> "->";
                case '…' -> "...";
                case '·' -> "-";
                case '█' -> "#";
                case '░' -> "-";
                default -> null;
            };
        }

        @Override
        public void write(int c) throws IOException {
            String plain = plain((char) c);
            if (plain == null) {
                out.write(c);
            } else {
                out.write(plain);
            }
        }

        @Override
        public void write(char[] chars, int offset, int length) throws IOException {
            write(new String(chars, offset, length), 0, length);
        }

        @Override
        public void write(String text, int offset, int length) throws IOException {
            var plain = new StringBuilder(length);
            for (int i = offset; i < offset + length; i++) {
                char c = text.charAt(i);
                String replacement = plain(c);
                if (replacement == null) {
                    plain.append(c);
                } else {
                    plain.append(replacement);
                }
            }
            out.write(plain.toString());
        }
    }
}
