// What a person reads after a run.

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

final class Report {
    static final int ROWS_SHOWN = 20, VALUE_WIDTH = 60;
    final PrintWriter out;

    Report(PrintWriter out) {
        this.out = out;
    }

    void header(DatabaseTarget target, seed_database.Layout layout, boolean migrate, boolean seed) {
        out.println("seed_database " + seed_database.VERSION);
        out.println("  database    " + target.describe() + " (from " + target.source() + ")");
        if (migrate) {
            out.println("  migrations  " + layout.migrations() + " (" + layout.migrationsFrom() + ")");
        }
        if (seed) {
            out.println("  seeds       " + layout.seeds() + " (" + layout.seedsFrom() + ")");
        }
    }

    void migrations(Migrations.Outcome outcome) {
        outcome.warnings().forEach(warning -> out.println("Flyway warns: " + warning));
        if (outcome.applied().isEmpty()) {
            out.println("Migrations: up to date" + (outcome.versionAfter() == null ? " (none yet)"
                    : " at version " + outcome.versionAfter()));
            return;
        }
        out.println("Migrations: " + outcome.applied().size() + " applied, now at version " + outcome.versionAfter());
        int width = outcome.applied().stream().mapToInt(m -> m.version().length()).max().orElse(0);
        for (var m : outcome.applied()) {
            out.println("  V" + pad(m.version(), width) + "  " + m.description());
        }
    }

    void seeds(List<Seeder.Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            out.println("Seeds: no seed files");
            return;
        }
        out.println("Seeds:");
        for (var o : outcomes) {
            out.println("  " + o.file().name() + " → " + o.table().name() + ": " + o.inserted() + " inserted, "
                    + o.updated() + " updated, " + o.unchanged() + " unchanged");
            int keyWidth = o.changes().stream().limit(ROWS_SHOWN).mapToInt(c -> c.key().length()).max().orElse(0);
            o.changes().stream().limit(ROWS_SHOWN).forEach(change -> {
                if (change.inserted()) {
                    out.println("    + " + change.key());
                    return;
                }
                String indent = "    ~ " + pad(change.key(), keyWidth) + "  ";
                for (var column : change.columns()) {
                    out.println(indent + column.column() + ": " + shown(column.before()) + " → " + shown(column.after()));
                    indent = " ".repeat(indent.length());
                }
            });
            if (o.changes().size() > ROWS_SHOWN) {
                out.println("    … and " + (o.changes().size() - ROWS_SHOWN) + " more changed rows");
            }
            if (o.notInFile() > 0) {
                out.println("    (" + count(o.notInFile(), "row") + " of " + o.table().name()
                        + " not in this file, left as " + (o.notInFile() == 1 ? "it is" : "they are") + ")");
            }
        }
    }

    /** The last line: what the run wrote, and how long it took. */
    void done(Migrations.Outcome migrated, List<Seeder.Outcome> seeded, long startedNanos) {
        int migrations = migrated == null ? 0 : migrated.applied().size();
        long rows = seeded.stream().mapToLong(o -> o.inserted() + o.updated()).sum();
        var written = new java.util.ArrayList<String>();
        if (migrations > 0) {
            written.add(count(migrations, "migration"));
        }
        if (rows > 0 || migrations == 0) {
            written.add(count(rows, "row"));
        }
        String what = migrations == 0 && rows == 0 ? "nothing to change" : String.join(" and ", written) + " written";
        out.printf(Locale.ROOT, "Done in %.2f s: %s.%n", (System.nanoTime() - startedNanos) / 1e9, what);
    }

    static String shown(String value) {
        if (value == null) {
            return "null";
        }
        String oneLine = value.replace("\n", "\\n");
        return oneLine.length() > VALUE_WIDTH ? oneLine.substring(0, VALUE_WIDTH - 1) + "…" : oneLine;
    }

    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }
}
