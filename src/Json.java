// JSON out: --json documents, the history table's change lists, and json/jsonb seed values; and
// JSON in, as PostgreSQL writes it, for export.

import java.util.List;
import java.util.Map;

/**
 * Writes maps (in their order), lists, strings, numbers, booleans and nulls as JSON. Small on
 * purpose: the tool writes JSON for PostgreSQL to read, and reads only the JSON PostgreSQL wrote.
 */
final class Json {
    private Json() {
    }

    /** Indented, one value per line, for documents a person or jq reads. */
    static String pretty(Object value) {
        var out = new StringBuilder();
        write(out, value, "\n");
        return out.toString();
    }

    /** A JSON object with these keys and values, in this order (keys and values alternate; a value may be null). */
    static Map<String, Object> object(Object... keysAndValues) {
        var object = new java.util.LinkedHashMap<String, Object>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            object.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return object;
    }

    /** An object that names its fields, in order, as it is written: no map is made of it. */
    interface Fields {
        void each(java.util.function.BiConsumer<String, Object> field);
    }

    /** On one line, for values stored in the database. */
    static String compact(Object value) {
        var out = new StringBuilder();
        write(out, value, null);
        return out.toString();
    }

    private static void write(StringBuilder out, Object value, String newline) {
        String inner = newline == null ? null : newline + "  ";
        if (value == null) {
            out.append("null");
        } else if (value instanceof String text) {
            quote(out, text);
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Literal literal) {
            out.append(literal.text());
        } else if (value instanceof Map<?, ?> unordered) {
            // A map that keeps no order of its own (Map.of, a HashMap) is written by key: the same document every run.
            Map<?, ?> map = unordered instanceof java.util.LinkedHashMap || unordered instanceof java.util.SortedMap
                    ? unordered : new java.util.TreeMap<>(unordered);
            write(out, (Fields) field -> map.forEach((name, item) -> field.accept(String.valueOf(name), item)), newline);
        } else if (value instanceof Fields fields) {
            boolean[] first = {true};
            out.append('{');
            fields.each((name, field) -> {
                out.append(first[0] ? "" : ",").append(inner == null ? "" : inner);
                first[0] = false;
                quote(out, name);
                out.append(inner == null ? ":" : ": ");
                write(out, field, inner);
            });
            out.append(first[0] ? "" : newline == null ? "" : newline).append('}');
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                out.append(i == 0 ? "" : ",").append(inner == null ? "" : inner);
                write(out, list.get(i), inner);
            }
            out.append(newline == null ? "" : newline).append(']');
        } else {
            throw new IllegalArgumentException("no JSON form for " + value.getClass());
        }
    }

    /** A JSON string literal: quotes, backslashes and control characters escaped. */
    static void quote(StringBuilder out, String text) {
        out.append('"');
        int plain = 0;
        while (plain < text.length() && text.charAt(plain) >= 0x20 && text.charAt(plain) != '"' && text.charAt(plain) != '\\') {
            plain++;
        }
        out.append(text, 0, plain);   // most text has nothing to escape
        for (int i = plain; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /** A JSON number, true or false, as its text: 1.10 stays 1.10, digits are never lost to a double. */
    record Literal(String text) {}

    /**
     * JSON text (as PostgreSQL writes jsonb and array_to_json) as maps (in their order), lists,
     * strings and Literals; JSON's null is Java's null.
     */
    static Object parse(String text) {
        var reader = new Reader(text);
        Object value = reader.value();
        reader.skipSpace();
        if (reader.at != text.length()) {
            throw reader.unexpected();
        }
        return value;
    }

    private static final class Reader {
        final String text;
        int at;

        Reader(String text) {
            this.text = text;
        }

        Object value() {
            skipSpace();
            if (at >= text.length()) {
                throw unexpected();
            }
            char c = text.charAt(at);
            if (c == '{') {
                var map = new java.util.LinkedHashMap<String, Object>();
                at++;
                while (!next('}')) {
                    skipSpace();
                    String name = string();
                    expect(':');
                    map.put(name, value());
                    next(',');
                }
                return map;
            } else if (c == '[') {
                var list = new java.util.ArrayList<Object>();
                at++;
                while (!next(']')) {
                    list.add(value());
                    next(',');
                }
                return list;
            } else if (c == '"') {
                return string();
            } else if (text.startsWith("null", at)) {
                at += 4;
                return null;
            }
            int start = at;
            String word = text.startsWith("true", at) ? "true" : text.startsWith("false", at) ? "false" : null;
            if (word != null) {
                at += word.length();
            }
            while (word == null && at < text.length() && "+-.eE0123456789".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            if (start == at) {
                throw unexpected();
            }
            return new Literal(text.substring(start, at));
        }

        String string() {
            expect('"');
            var out = new StringBuilder();
            for (char c = text.charAt(at++); c != '"'; c = text.charAt(at++)) {
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        at += 4;
                    }
                    default -> out.append(escaped);   // " \ /
                }
            }
            return out.toString();
        }

        /** Consumes c, after any space, if it is next. */
        boolean next(char c) {
            skipSpace();
            if (at < text.length() && text.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        void expect(char c) {
            if (!next(c)) {
                throw unexpected();
            }
        }

        void skipSpace() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
        }

        IllegalArgumentException unexpected() {
            return new IllegalArgumentException("not JSON at character " + at);
        }
    }
}
