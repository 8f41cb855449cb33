// Values written as seed-file YAML that SeedFile reads back exactly as they were: plain where that
// is certainly safe, double-quoted otherwise; what export writes its rows with.

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;
/**
 * Writes the values of a seed file. A scalar is plain (GPT-4o, 0.0500, true) only where
 * that is certainly read back as the same text and the same kind of value; otherwise it is
 * double-quoted with escapes. Nested values (jsonb, arrays) are written in flow style when
 * they fit on a line, else in block style, as the files in seeds/ are.
 */
final class SeedYaml {
    /** A value that its column reads as written: a number, a boolean, a date. YAML may take it for a number. */
    record Typed(String text) {}

    /** bytea, as base64: !!binary. */
    record Binary(String base64) {}

    /** A value from the environment, as the ${VAR} it came from: written as it is, its ${ not escaped. */
    record Template(String text) {}

    static final int WIDTH = 100;
    /** Longer values are double-quoted and continued over lines: a seed file's line may have 256 KB. */
    static final int LONGEST_LINE = 64 * 1024;
    private static final Resolver RESOLVER = new Resolver();
    /** What YAML may take a typed value for, which SeedFile then reads as written: not null, nothing else. */
    private static final Set<Tag> TYPED_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.TIMESTAMP);
    /** Characters a plain scalar may hold anywhere but in the first place (and in flow style, but ,:[]{}). */
    private static final String PLAIN_PUNCTUATION = " _.,/+()'@:;=?!&%$*~^<>|-[]{}";

    private final StringBuilder out = new StringBuilder();

    /** A text column's value, a number's, a boolean's... as its category reads it. */
    static Object typed(String text, char category) {
        // Numbers, booleans, dates, times and intervals are read as written, whatever YAML makes of them;
        // any other text must be a string to YAML too, or it is quoted.
        return "NBDT".indexOf(category) >= 0 ? new Typed(text) : text;
    }

    /** A JSON value (from {@link Json#parse}): its strings stay strings; numbers and booleans are written as they are. */
    static Object fromJson(Object json) {
        if (json instanceof Map<?, ?> map) {
            var entries = new LinkedHashMap<String, Object>();
            map.forEach((k, v) -> entries.put((String) k, fromJson(v)));
            return entries;
        }
        if (json instanceof List<?> list) {
            return list.stream().map(SeedYaml::fromJson).toList();
        }
        return json instanceof Json.Literal literal ? new Typed(literal.text()) : json;
    }

    /** table: and key: (a list for several columns). */
    void settings(String table, List<String> key) {
        out.append("table: ").append(name(table, false)).append('\n');
        out.append("key: ").append(key.size() == 1 ? name(key.get(0), false)
                : key.stream().map(k -> name(k, true)).collect(Collectors.joining(", ", "[", "]"))).append('\n');
    }

    void rows(List<Map<String, Object>> rows) {
        if (rows.isEmpty()) {
            out.append("rows: []\n");
            return;
        }
        out.append("rows:\n");
        for (int i = 0; i < rows.size(); i++) {
            out.append(i == 0 ? "" : "\n");
            item("  ", rows.get(i));
        }
    }

    @Override
    public String toString() {
        return out.toString();
    }

    /** A mapping's entries (key: value) or a list's items (- value), each line starting with indent. */
    private void block(String indent, Object collection) {
        if (collection instanceof Map<?, ?> map) {
            map.forEach((name, value) -> entry(indent, name((String) name, false) + ":", value));
        } else {
            ((List<?>) collection).forEach(value -> entry(indent, "-", value));
        }
    }

    /** A block collection as an item of a list: its first line on the item's line. */
    private void item(String indent, Object collection) {
        int start = out.length();
        block(indent + "  ", collection);
        out.replace(start, start + indent.length() + 2, indent + "- ");
    }

    /** One entry, "name:" or "-", and its value: on the line when it fits, else in block style below it. */
    private void entry(String indent, String lead, Object value) {
        if (value instanceof Map || value instanceof List) {
            String flow = flow(value);
            boolean empty = value instanceof Map<?, ?> m ? m.isEmpty() : ((List<?>) value).isEmpty();
            if (empty || indent.length() + lead.length() + 1 + flow.length() <= WIDTH) {
                out.append(indent).append(lead).append(' ').append(flow).append('\n');
            } else if (lead.equals("-")) {
                item(indent, value);
            } else {
                out.append(indent).append(lead).append('\n');
                block(indent + "  ", value);
            }
        } else if (value instanceof Binary binary && indent.length() + lead.length() + binary.base64().length() > WIDTH) {
            // Long base64 as a literal block of 76-character lines; the line breaks are not part of the value.
            out.append(indent).append(lead).append(" !!binary |\n");
            for (int at = 0; at < binary.base64().length(); at += 76) {
                out.append(indent).append("  ").append(binary.base64(), at, Math.min(binary.base64().length(), at + 76))
                        .append('\n');
            }
        } else {
            out.append(indent).append(lead).append(' ').append(scalar(value, false, indent + "  ")).append('\n');
        }
    }

    /** A value on one line: {a: 1, b: [x, y]}. */
    private static String flow(Object value) {
        if (value instanceof Map<?, ?> map) {
            return map.entrySet().stream().map(e -> name((String) e.getKey(), true) + ": " + flow(e.getValue()))
                    .collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof List<?> list) {
            return list.stream().map(SeedYaml::flow).collect(Collectors.joining(", ", "[", "]"));
        }
        return scalar(value, true, null);
    }

    /** A column name, a JSON key, the table: names are read as they are written, ${ and all. */
    private static String name(String name, boolean inFlow) {
        return plainIsSafe(name, inFlow) && RESOLVER.resolve(NodeId.scalar, name, true).equals(Tag.STR) ? name
                : doubleQuoted(name, null);
    }

    /**
     * A scalar value. SeedFile replaces ${VAR} in values with the environment's, and reads $${
     * as ${: a value that holds ${ is written with $${, so that it reads back as it was.
     */
    private static String scalar(Object value, boolean inFlow, String continuation) {
        if (value == null) {
            return "null";
        }
        if (value instanceof Binary binary) {
            return "!!binary " + (binary.base64().isEmpty() ? "\"\"" : binary.base64());
        }
        if (value instanceof Template template) {
            return doubleQuoted(template.text(), continuation);
        }
        boolean typed = value instanceof Typed;
        String text = (typed ? ((Typed) value).text() : (String) value).replace("${", "$${");
        if (plainIsSafe(text, inFlow)) {
            Tag tag = RESOLVER.resolve(NodeId.scalar, text, true);
            if (tag.equals(Tag.STR) || typed && TYPED_TAGS.contains(tag)) {
                return text;
            }
        }
        return doubleQuoted(text, continuation);
    }

    /**
     * Whether text is read back as the same text when written plain: conservative on purpose.
     * Letters, digits and a few punctuation characters, with no YAML indicator first, no ": "
     * or " #", no space at either end; in flow style, also none of ,:[]{}.
     */
    static boolean plainIsSafe(String text, boolean inFlow) {
        if (text.isEmpty() || text.length() > LONGEST_LINE || text.startsWith(" ") || text.endsWith(" ")
                || text.endsWith(":") || text.contains(": ") || text.contains("#")) {
            return false;
        }
        char first = text.charAt(0);
        boolean dashThenMore = first == '-' && text.length() > 1 && text.charAt(1) != ' ';
        if (!Character.isLetterOrDigit(first) && "_.(/+$<~^=".indexOf(first) < 0 && !dashThenMore) {
            return false;
        }
        return text.codePoints().allMatch(c -> Character.isLetterOrDigit(c) || visibleBeyondAscii(c)
                || PLAIN_PUNCTUATION.indexOf(c) >= 0 && !(inFlow && ",:[]{}".indexOf(c) >= 0));
    }

    /** Ø, →, €, 😀: a printable character beyond ASCII that is neither a space, a line break nor invisible. */
    private static boolean visibleBeyondAscii(int c) {
        int type = Character.getType(c);
        return c >= 0xA0 && !Character.isSpaceChar(c) && type != Character.CONTROL && type != Character.FORMAT
                && type != Character.UNASSIGNED && type != Character.SURROGATE && type != Character.PRIVATE_USE;
    }

    /**
     * "text" with YAML's escapes: \\ \" \n \t \r, and \\uXXXX for other control characters and
     * for the characters YAML takes as line breaks. With a continuation indent, a value longer
     * than a line may be is continued on the next line after an escaped line break.
     */
    static String doubleQuoted(String text, String continuation) {
        var quoted = new StringBuilder(text.length() + 2).append('"');
        int lineStart = 0;
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (continuation != null && quoted.length() - lineStart >= LONGEST_LINE) {
                quoted.append("\\\n").append(continuation);
                lineStart = quoted.length();
                if (c == ' ') {
                    // A continued line's leading spaces are not part of the value; an escaped one is.
                    quoted.append("\\x20");
                    i++;
                    continue;
                }
            }
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                case '\r' -> quoted.append("\\r");
                default -> {
                    if (c < 0x20 || c >= 0x7F && c <= 0x9F || c == 0x2028 || c == 0x2029 || c == 0xFEFF || c == 0xFFFE
                            || c == 0xFFFF) {
                        quoted.append(String.format("\\u%04X", c));
                    } else {
                        quoted.appendCodePoint(c);
                    }
                }
            }
            i += Character.charCount(c);
        }
        return quoted.append('"').toString();
    }
}
