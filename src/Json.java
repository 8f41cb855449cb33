// JSON out: --json documents, the history table's change lists, and json/jsonb seed values.

import java.util.List;
import java.util.Map;

/**
 * Writes maps (in their order), lists, strings, numbers, booleans and nulls as JSON. Small on
 * purpose: the tool only ever writes JSON, and PostgreSQL reads it back.
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
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (var entry : map.entrySet()) {
                out.append(first ? "" : ",").append(inner == null ? "" : inner);
                first = false;
                quote(out, String.valueOf(entry.getKey()));
                out.append(inner == null ? ":" : ": ");
                write(out, entry.getValue(), inner);
            }
            out.append(newline == null ? "" : newline).append('}');
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
        for (int i = 0; i < text.length(); i++) {
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
}
