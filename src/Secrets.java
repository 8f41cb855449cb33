// Values that came from the environment through ${VAR}: what every printer of a run masks.

import java.io.IOException;
import java.io.Writer;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Every value a ${VAR} gave while the seed files were read (SeedReader adds them as it
 * substitutes), and the one scrubber that masks them as ***. A run hands out only writers that
 * pass through {@link #masking}, and writes its history through {@link #scrub}: whatever prints a
 * value, an error PostgreSQL quotes it in, a stack trace, Flyway's log, cannot show it.
 *
 * <p>A value is searched for in free text only when it can be told apart from the text around it:
 * four characters or more, and not a word or number the report prints itself (true, false, null,
 * an integer of fewer than 7 digits). Such a value is still masked where it is a column's value
 * (plan, run, history): there the change itself knows where the value came from.
 */
final class Secrets {
    static final String MASK = "***";
    private static final Pattern COMMON = Pattern.compile("(?i)true|false|null|[-+]?[0-9]{1,6}");

    private final Set<String> values = ConcurrentHashMap.newKeySet();
    /** The values, longest first (one that holds another is masked whole); rebuilt when one is added. */
    private volatile List<String> longestFirst = List.of();

    /** A value a variable gave. */
    synchronized void add(String value) {
        if (value.length() < 4 || COMMON.matcher(value.strip()).matches()) {
            return;
        }
        boolean added = false;
        for (String form : forms(value)) {
            added |= values.add(form);
        }
        if (added) {
            longestFirst = values.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
        }
    }

    /**
     * A value as each output writes it: as it is; as JSON (--json, the history) and the terminal
     * (control characters escaped) write it; as a GitHub annotation, Markdown and XML escape it; and
     * those of its terminal form. Each escape works character by character, so a value inside a
     * message is escaped exactly as the value alone: masking each form masks the value everywhere.
     */
    static java.util.Set<String> forms(String value) {
        var forms = new java.util.LinkedHashSet<String>();
        for (String text : List.of(value, Report.visible(value))) {
            forms.add(text);
            var json = new StringBuilder();
            Json.quote(json, text);
            forms.add(json.substring(1, json.length() - 1));
            forms.add(CiReport.data(text));
            forms.add(CiReport.cell(text));
            forms.add(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;"));
        }
        forms.removeIf(String::isEmpty);
        return forms;
    }

    /** The text with every value from the environment replaced by ***. */
    String scrub(String text) {
        if (text == null) {
            return null;
        }
        for (String secret : longestFirst) {
            text = text.replace(secret, MASK);
        }
        return text;
    }

    /**
     * A writer that masks every value from the environment in what passes through it. Text is held
     * until a flush (println flushes), so that a value written in pieces is masked whole; the end of
     * the text is held back while it could be the start of a value, until {@link Masking#drain}.
     */
    Masking masking(Writer out) {
        return new Masking(out);
    }

    final class Masking extends Writer {
        private final Writer out;
        private final StringBuilder pending = new StringBuilder();

        private Masking(Writer out) {
            this.out = out;
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            synchronized (lock) {
                pending.append(chars, offset, length);
            }
        }

        @Override
        public void write(String text, int offset, int length) {
            synchronized (lock) {
                pending.append(text, offset, offset + length);
            }
        }

        @Override
        public void flush() throws IOException {
            emit(false);
        }

        /** Everything, held back or not: at the end of a command. */
        void drain() throws IOException {
            emit(true);
        }

        @Override
        public void close() throws IOException {
            emit(true);
            out.close();
        }

        private void emit(boolean all) throws IOException {
            synchronized (lock) {
                if (!pending.isEmpty()) {
                    String text = scrub(pending.toString());
                    int keep = all ? 0 : startOfAValue(text);
                    out.write(text, 0, text.length() - keep);
                    pending.setLength(0);
                    pending.append(text, text.length() - keep, text.length());
                }
                out.flush();
            }
        }
    }

    /** How many characters at the end of the text could be the beginning of a value. */
    private int startOfAValue(String text) {
        int longest = 0;
        for (String secret : longestFirst) {
            for (int n = Math.min(secret.length() - 1, text.length()); n > longest; n--) {
                if (text.regionMatches(text.length() - n, secret, 0, n)) {
                    longest = n;
                    break;
                }
            }
        }
        return longest;
    }
}
