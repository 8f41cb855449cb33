// What CI reads: GitHub workflow annotations, JUnit XML and a Markdown summary of a plan, a check or a verify.

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/**
 * The same findings as the text report — a pending migration, a row to insert, update or remove,
 * an error — in the forms CI systems show: a GitHub annotation at the file and line of each, a
 * JUnit test case per seed file (and one for the migrations), a Markdown body for a pull-request
 * comment or a job summary. A finding fails (an error annotation, a failed test case) when the
 * command fails on it: drift for check, a second pass that writes for verify; a plan only lists.
 */
final class CiReport {
    private CiReport() {
    }

    /** How many changed rows a Markdown table lists per file; the counts are complete either way. */
    static final int MARKDOWN_ROWS = 50;

    /** One finding: where (file, line; line 0 for the file as a whole) and what, in one line. */
    record Finding(String file, int line, String message) {}

    /** The findings of a run: each pending migration, and each changed row of each seed file. */
    static List<Finding> findings(Results.RunOutcome run) {
        var findings = new ArrayList<Finding>();
        if (run.migrations() != null) {
            for (var m : run.migrations().applied()) {
                findings.add(new Finding(m.file(), 0, "migration V" + m.version() + " (" + m.description() + ") is "
                        + (run.dryRun() ? "pending" : "applied")));
            }
        }
        for (var outcome : run.seeds()) {
            for (var change : outcome.changes()) {
                findings.add(new Finding(fileOf(outcome, change), lineOf(outcome, change), describe(change, run.dryRun())));
            }
            long unlisted = outcome.written() - outcome.changes().size();
            if (unlisted > 0) {
                findings.add(new Finding(outcome.file().displayPath(), 0, "and " + Report.count(unlisted, "more changed row")
                        + " of " + outcome.table().name()));
            }
        }
        return findings;
    }

    private static String fileOf(Results.FileOutcome outcome, Results.Change change) {
        return change.pos() != null && change.pos().file() != null ? change.pos().file() : outcome.file().displayPath();
    }

    /** A changed row's line; a removed row, which the file no longer has, is at the file's removal: setting. */
    private static int lineOf(Results.FileOutcome outcome, Results.Change change) {
        var pos = change.pos() != null ? change.pos() : outcome.file().settings().get("removal");
        return pos == null ? 0 : pos.line();
    }

    /** "gpt-4o typical_agent_cost 0.0500 → 0.0450", "gpt-5 to insert", "gpt-4 is_active true → false (deactivated)". */
    static String describe(Results.Change change, boolean planned) {
        String key = Report.shownKey(change.key());
        return switch (change.action()) {
            case INSERT -> key + (planned ? " is not in the table: to insert" : " inserted");
            case DELETE -> key + " is no longer in the file: " + (planned ? "to delete" : "deleted");
            case UPDATE, DEACTIVATE -> key + " " + String.join("; ", change.columns().stream()
                    .map(c -> c.column() + " " + Report.shown(c.before(), 0) + " → " + Report.shown(c.after(), 0)).toList())
                    + (change.action() == Results.Action.DEACTIVATE ? " (no longer in the file: "
                    + (planned ? "to deactivate)" : "deactivated)") : "");
        };
    }

    // ── GitHub Actions ──────────────────────────────────────────────────────────────────────

    /**
     * A workflow command per finding: ::error for what makes the command fail, ::notice for what a
     * plan lists (https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions).
     */
    static String github(Results.RunOutcome run, boolean failing, java.util.function.UnaryOperator<String> inRepository) {
        var out = new StringBuilder();
        for (var finding : findings(run)) {
            annotation(out, failing ? "error" : "notice", inRepository.apply(finding.file()), finding.line(), 0,
                    "seed_database " + run.command(), finding.message());
        }
        return out.toString();
    }

    /** One error, from its where (file:line:column, or a file, or not a file at all). */
    static String githubError(String command, String where, String message, java.util.function.UnaryOperator<String> inRepository) {
        var out = new StringBuilder();
        var at = Where.of(where);
        annotation(out, "error", at.file() == null ? null : inRepository.apply(at.file()), at.line(), at.column(),
                "seed_database " + command, message);
        return out.toString();
    }

    private static void annotation(StringBuilder out, String level, String file, int line, int column, String title,
                                   String message) {
        out.append("::").append(level).append(' ');
        if (file != null) {
            out.append("file=").append(property(Report.visible(file))).append(',');
            if (line > 0) {
                out.append("line=").append(line).append(',');
                if (column > 0) {
                    out.append("col=").append(column).append(',');
                }
            }
        }
        out.append("title=").append(property(title)).append("::").append(data(Report.visible(message))).append('\n');
    }

    /** A workflow command's message: %, CR and LF escaped, as GitHub's toolkit does. */
    static String data(String text) {
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A");
    }

    /** A workflow command's property value: also : and , escaped. */
    private static String property(String text) {
        return data(text).replace(":", "%3A").replace(",", "%2C");
    }

    /** A SeedError's where, taken apart: seeds/a.yaml:12:5, seeds/a.yaml, or a database (no file). */
    record Where(String file, int line, int column) {
        private static final Pattern POSITION = Pattern.compile("(.+?):(\\d+)(?::(\\d+))?");

        static Where of(String where) {
            if (where == null || where.startsWith("cannot use ") || where.contains("@")) {
                return new Where(null, 0, 0);
            }
            Matcher m = POSITION.matcher(where);
            if (m.matches()) {
                return new Where(m.group(1), Integer.parseInt(m.group(2)), m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
            }
            return new Where(where, 0, 0);
        }
    }

    // ── JUnit XML ───────────────────────────────────────────────────────────────────────────

    /**
     * A test suite for the command: a test case for the migrations and one per seed file (skipped
     * for a file of another environment), failed where it drifts (check, verify) or erred.
     */
    static String junit(Results.RunOutcome run, boolean failing) {
        return xml(writer -> {
            var cases = new ArrayList<TestCase>();
            if (run.migrations() != null) {
                var pending = run.migrations().applied();
                String text = String.join("\n", pending.stream().map(m -> "V" + m.version() + "  " + m.description()).toList());
                cases.add(new TestCase("migrations", "migrations", 0, !pending.isEmpty() && failing
                        ? Report.count(pending.size(), "migration") + (run.dryRun() ? " pending" : " applied") : null, text, null, null));
            }
            for (var o : run.seeds()) {
                String text = String.join("\n", o.changes().stream().map(c -> describe(c, run.dryRun())).toList())
                        + (o.written() > o.changes().size() ? "\n… and " + (o.written() - o.changes().size()) + " more" : "");
                cases.add(new TestCase("seeds", o.file().name(), o.durationNanos(), o.written() > 0 && failing
                        ? Report.count(o.written(), "row") + " of " + o.table().name() + (run.dryRun() ? " to write" : " written")
                        : null, text, null, null));
            }
            for (var f : run.skipped()) {
                cases.add(new TestCase("seeds", f.name(), 0, null, "", null, "for " + String.join(", ", f.environments())
                        + "; this run is for " + run.environment()));
            }
            suite(writer, "seed_database " + run.command(), run.durationNanos(), cases);
        });
    }

    /** The JUnit report of a command that stopped with an error: one failed test case, where it happened. */
    static String junitError(String command, String where, String message) {
        var at = Where.of(where);
        String name = at.file() != null ? java.nio.file.Path.of(at.file()).getFileName().toString() : command;
        return xml(writer -> suite(writer, "seed_database " + command, 0,
                List.of(new TestCase(at.file() != null ? "seeds" : "seed_database", name, 0, null, "",
                        (where == null ? "" : where + ": ") + message, null))));
    }

    /** A test case: a failure (drift), an error, or a skip, each with its message; text is its output. */
    private record TestCase(String classname, String name, long nanos, String failure, String text, String error,
                            String skipped) {}

    /** Text for XML: each line as a terminal shows it, so that no control character (which XML 1.0 cannot hold) is in it. */
    private static String lines(String text) {
        return String.join("\n", text.lines().map(Report::visible).toList());
    }

    private static void suite(XMLStreamWriter xml, String name, long nanos, List<TestCase> cases) throws XMLStreamException {
        long failures = cases.stream().filter(c -> c.failure() != null).count();
        long errors = cases.stream().filter(c -> c.error() != null).count();
        long skipped = cases.stream().filter(c -> c.skipped() != null).count();
        xml.writeStartElement("testsuites");
        xml.writeAttribute("name", name);
        counts(xml, cases.size(), failures, errors, skipped, nanos);
        xml.writeCharacters("\n  ");
        xml.writeStartElement("testsuite");
        xml.writeAttribute("name", name);
        counts(xml, cases.size(), failures, errors, skipped, nanos);
        for (var c : cases) {
            xml.writeCharacters("\n    ");
            xml.writeStartElement("testcase");
            xml.writeAttribute("classname", lines(c.classname()));
            xml.writeAttribute("name", lines(c.name()));
            xml.writeAttribute("time", seconds(c.nanos()));
            if (c.failure() != null) {
                xml.writeStartElement("failure");
                xml.writeAttribute("message", lines(c.failure()));
                xml.writeAttribute("type", "drift");
                xml.writeCharacters(lines(c.text()));
                xml.writeEndElement();
            } else if (c.error() != null) {
                xml.writeStartElement("error");
                xml.writeAttribute("message", lines(c.error()));
                xml.writeCharacters(lines(c.error()));
                xml.writeEndElement();
            } else if (c.skipped() != null) {
                xml.writeEmptyElement("skipped");
                xml.writeAttribute("message", lines(c.skipped()));
            } else if (!c.text().isEmpty()) {
                xml.writeStartElement("system-out");
                xml.writeCharacters(lines(c.text()));
                xml.writeEndElement();
            }
            xml.writeEndElement();
        }
        xml.writeCharacters("\n  ");
        xml.writeEndElement();
        xml.writeCharacters("\n");
        xml.writeEndElement();
    }

    private static void counts(XMLStreamWriter xml, long tests, long failures, long errors, long skipped, long nanos)
            throws XMLStreamException {
        xml.writeAttribute("tests", String.valueOf(tests));
        xml.writeAttribute("failures", String.valueOf(failures));
        xml.writeAttribute("errors", String.valueOf(errors));
        xml.writeAttribute("skipped", String.valueOf(skipped));
        xml.writeAttribute("time", seconds(nanos));
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
    }

    private interface XmlBody {
        void write(XMLStreamWriter writer) throws XMLStreamException;
    }

    /** An XML document written by the JDK's StAX writer, which escapes every attribute and text. */
    private static String xml(XmlBody body) {
        var text = new StringWriter();
        try {
            var writer = XMLOutputFactory.newFactory().createXMLStreamWriter(text);
            writer.writeStartDocument("UTF-8", "1.0");
            writer.writeCharacters("\n");
            body.write(writer);
            writer.writeEndDocument();
            writer.close();
        } catch (XMLStreamException e) {
            throw new IllegalStateException("cannot write the JUnit report", e);
        }
        return text + "\n";
    }

    // ── Markdown ────────────────────────────────────────────────────────────────────────────

    /** A pull-request comment or job summary: the verdict, then per file a table of the rows to insert, update and remove. */
    static String markdown(Results.RunOutcome run, String verdict) {
        var out = new StringBuilder("### seed_database " + run.command() + ": " + verdict + "\n\n");
        out.append("Database `").append(run.target().describe()).append("`, environment `").append(run.environment())
                .append("`.\n\n");
        if (run.migrations() != null && !run.migrations().applied().isEmpty()) {
            out.append("**Migrations** ").append(run.dryRun() ? "pending" : "applied").append(":\n\n");
            run.migrations().applied().forEach(m -> out.append("- `V").append(m.version()).append("` ")
                    .append(cell(m.description())).append('\n'));
            out.append('\n');
        }
        var inSync = new ArrayList<String>();
        for (var o : run.seeds()) {
            if (o.written() == 0) {
                inSync.add("`" + o.file().name().replace("`", "'") + "` (" + Report.count(o.unchanged(), "row") + ")");
                continue;
            }
            out.append("**").append(cell(o.file().name())).append("** → `").append(o.table().name()).append("`: ")
                    .append(o.inserted()).append(run.dryRun() ? " to insert, " : " inserted, ")
                    .append(o.updated()).append(run.dryRun() ? " to update, " : " updated, ")
                    .append(o.deactivated() + o.deleted()).append(run.dryRun() ? " to remove, " : " removed, ")
                    .append(o.unchanged()).append(" unchanged\n\n");
            out.append("| | row | column | old | new |\n|---|---|---|---|---|\n");
            o.changes().stream().limit(MARKDOWN_ROWS).forEach(change -> {
                String sign = switch (change.action()) {
                    case INSERT -> "➕ insert";
                    case UPDATE -> "✏️ update";
                    case DEACTIVATE -> "➖ deactivate";
                    case DELETE -> "➖ delete";
                };
                String key = cell(Report.shownKey(change.key()));
                if (change.columns().isEmpty()) {
                    out.append("| ").append(sign).append(" | ").append(key).append(" | | | |\n");
                }
                for (int i = 0; i < change.columns().size(); i++) {
                    var column = change.columns().get(i);
                    out.append("| ").append(i == 0 ? sign : "").append(" | ").append(i == 0 ? key : "").append(" | ")
                            .append(cell(column.column())).append(" | ")
                            .append(change.action() == Results.Action.INSERT ? "" : cell(Report.shown(column.before(), 0)))
                            .append(" | ").append(cell(Report.shown(column.after(), 0))).append(" |\n");
                }
            });
            long more = o.written() - Math.min(o.changes().size(), MARKDOWN_ROWS);
            if (more > 0) {
                out.append("\n… and ").append(Report.count(more, "more changed row")).append(".\n");
            }
            out.append('\n');
        }
        if (!inSync.isEmpty()) {
            out.append(run.seeds().size() == inSync.size() ? "Every seed file is in sync: " : "In sync: ")
                    .append(String.join(", ", inSync)).append(".\n\n");
        }
        for (var f : run.skipped()) {
            out.append("*").append(cell(f.name())).append(": skipped, it is for ").append(String.join(", ", f.environments()))
                    .append(".*\n\n");
        }
        return out.toString();
    }

    /** The Markdown of a command that stopped with an error. */
    static String markdownError(String command, String where, String message) {
        return "### seed_database " + command + ": error\n\n" + (where == null ? "" : "`" + where.replace("`", "'") + "`: ")
                + cell(message) + "\n";
    }

    /** Text for a table cell: | and line breaks would end it, and HTML would be read as markup. */
    static String cell(String text) {
        return Report.visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
                .replace("\r", "").replace("\n", "<br>");
    }
}
