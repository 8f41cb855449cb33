// The tables a migration's SQL creates, drops and renames, read statement by statement: what
// --baseline checks a database against before it records migrations as applied.

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The tables a migration's SQL creates, drops and renames, statement by statement, outside
 * comments, string literals and dollar-quoted bodies. A table is named as to_regclass reads
 * it: its quoted identifiers, schema-qualified when the migration qualifies it.
 */
final class TableStatements {
    private static final String IDENTIFIER = "(?:\"(?:[^\"]|\"\")+\"|[\\p{L}_][\\p{L}\\p{N}_$]*)";
    private static final String NAME = IDENTIFIER + "(?:\\s*\\.\\s*" + IDENTIFIER + "){0,2}";
    private static final java.util.regex.Pattern CREATE = java.util.regex.Pattern.compile("(?is)CREATE\\s+(?:(GLOBAL|LOCAL)\\s+)?"
            + "(?:(TEMP|TEMPORARY)\\s+|UNLOGGED\\s+)?TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(" + NAME + ")(?=[\\s(]|$).*");
    private static final java.util.regex.Pattern DROP = java.util.regex.Pattern.compile("(?is)DROP\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?("
            + NAME + "(?:\\s*,\\s*" + NAME + ")*).*");
    private static final java.util.regex.Pattern RENAME = java.util.regex.Pattern.compile("(?is)ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?"
            + "(?:ONLY\\s+)?(" + NAME + ")\\s*\\*?\\s+RENAME\\s+TO\\s+(" + IDENTIFIER + ").*");
    private static final java.util.regex.Pattern PART = java.util.regex.Pattern.compile(IDENTIFIER);

    static void apply(String script, java.util.Map<String, String> made, String migration) {
        for (String statement : statements(script)) {
            var create = CREATE.matcher(statement);
            var drop = DROP.matcher(statement);
            var rename = RENAME.matcher(statement);
            if (create.matches() && create.group(2) == null) {
                made.putIfAbsent(name(create.group(3)), migration);
            } else if (drop.matches()) {
                for (String table : splitNames(drop.group(1))) {
                    made.remove(name(table));
                }
            } else if (rename.matches()) {
                String from = name(rename.group(1));
                String by = made.remove(from);
                if (by != null) {
                    int dot = from.lastIndexOf("\".\"");
                    made.put((dot < 0 ? "" : from.substring(0, dot + 1)) + name(rename.group(2)), by);
                }
            }
        }
    }

    /** The statements, each in one line with single spaces, without comments, literals and bodies. */
    static List<String> statements(String sql) {
        var statements = new ArrayList<String>();
        var current = new StringBuilder();
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            if (c == '-' && sql.startsWith("--", i)) {
                i = end(sql, sql.indexOf('\n', i));
                current.append(' ');
            } else if (c == '/' && sql.startsWith("/*", i)) {
                int depth = 0;
                for (; i < sql.length(); i++) {
                    if (sql.startsWith("/*", i)) {
                        depth++;
                        i++;
                    } else if (sql.startsWith("*/", i)) {
                        depth--;
                        i++;
                        if (depth == 0) {
                            break;
                        }
                    }
                }
                current.append(' ');
            } else if (c == '\'') {
                boolean escapes = i > 0 && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e');
                for (i++; i < sql.length(); i++) {
                    if (escapes && sql.charAt(i) == '\\') {
                        i++;
                    } else if (sql.charAt(i) == '\'') {
                        if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
                            i++;
                        } else {
                            break;
                        }
                    }
                }
                current.append("''");
            } else if (c == '"') {
                int close = i + 1;
                while (true) {
                    close = sql.indexOf('"', close);
                    if (close < 0 || close + 1 >= sql.length() || sql.charAt(close + 1) != '"') {
                        break;
                    }
                    close += 2;
                }
                close = end(sql, close);
                current.append(sql, i, Math.min(sql.length(), close + 1));
                i = close;
            } else if (c == '$' && (i == 0 || !Character.isLetterOrDigit(sql.charAt(i - 1)) && sql.charAt(i - 1) != '_')) {
                var tag = java.util.regex.Pattern.compile("\\$(?:[\\p{L}_][\\p{L}\\p{N}_]*)?\\$").matcher(sql).region(i, sql.length());
                if (tag.lookingAt()) {
                    int close = sql.indexOf(tag.group(), tag.end());
                    i = close < 0 ? sql.length() : close + tag.group().length() - 1;
                    current.append("''");
                } else {
                    current.append(c);
                }
            } else if (c == ';') {
                statements.add(current.toString().replaceAll("\\s+", " ").trim());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        statements.add(current.toString().replaceAll("\\s+", " ").trim());
        return statements.stream().filter(st -> !st.isEmpty()).toList();
    }

    private static int end(String sql, int at) {
        return at < 0 ? sql.length() : at;
    }

    private static List<String> splitNames(String names) {
        var parts = new ArrayList<String>();
        var name = java.util.regex.Pattern.compile(NAME).matcher(names);
        while (name.find()) {
            parts.add(name.group());
        }
        return parts;
    }

    /** A table name as PostgreSQL reads it (unquoted parts in lower case), quoted again: to_regclass's input. The last two parts. */
    static String name(String written) {
        var parts = new ArrayList<String>();
        var part = PART.matcher(written);
        while (part.find()) {
            String p = part.group();
            parts.add(p.startsWith("\"") ? p.substring(1, p.length() - 1).replace("\"\"", "\"") : p.toLowerCase(Locale.ROOT));
        }
        return parts.subList(Math.max(0, parts.size() - 2), parts.size()).stream().map(Catalog::quote)
                .collect(Collectors.joining("."));
    }
}
