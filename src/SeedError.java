// Everything a user can cause: one error type, turned into one paragraph and an exit code.

import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

final class SeedError extends RuntimeException {
    final int exitCode;
    final String where;
    final String hint;

    SeedError(int exitCode, String where, String message, String hint, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
        this.where = where;
        this.hint = hint;
    }

    /** A problem in a file, at a position when one is known. */
    static SeedError in(String file, SeedFile.Pos pos, String message) {
        return new SeedError(seed_database.EXIT_FAILED, pos == null ? file : pos.where(file), message, null, null);
    }

    static SeedError usage(String message, String hint) {
        return new SeedError(seed_database.EXIT_USAGE, null, message, hint, null);
    }

    static SeedError unexpected(Exception e, DatabaseTarget target) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return SeedError.fromSql(sql, target);
            }
        }
        return new SeedError(seed_database.EXIT_FAILED, null, "internal error: " + e, "this is a bug in seed_database", e);
    }

    /**
     * This error with every value from the environment replaced by ***: it may be a secret, and
     * PostgreSQL quotes refused values in its messages. The cause, which --verbose prints, too.
     */
    SeedError scrubbed(java.util.Set<String> secrets) {
        if (secrets.isEmpty()) {
            return this;
        }
        var cause = getCause();
        if (cause != null) {
            var text = new StringBuilder();
            for (Throwable t = cause; t != null; t = t.getCause()) {
                text.append(t == cause ? "" : "\ncaused by: ").append(t);
            }
            var safe = new RuntimeException(scrub(text.toString(), secrets));
            safe.setStackTrace(cause.getStackTrace());
            cause = safe;
        }
        return new SeedError(exitCode, scrub(where, secrets), scrub(getMessage(), secrets), scrub(hint, secrets), cause);
    }

    private static String scrub(String text, java.util.Set<String> secrets) {
        if (text == null) {
            return null;
        }
        for (String secret : secrets) {
            text = text.replace(secret, "***");
        }
        return text;
    }

    /** Whether the connection failed or was lost (a retry may succeed), rather than the data or a setting being wrong. */
    boolean connectionFailure() {
        for (Throwable t = getCause(); t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                return state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03");
            }
        }
        return false;
    }

    /** This error with one more thing to try, after any it already suggests. */
    SeedError alsoHint(String more) {
        return hint(hint == null ? more : hint.replaceAll("\\.$", "") + "; " + more);
    }

    SeedError hint(String newHint) {
        return new SeedError(exitCode, where, getMessage(), newHint, getCause());
    }

    String paragraph() {
        var text = new StringBuilder();
        if (where != null) {
            text.append(where).append(": ");
        }
        text.append(getMessage());
        if (hint != null) {
            text.append(endsWithStop(text) ? " " : ". ").append(capitalized(hint));
        }
        if (exitCode == seed_database.EXIT_FAILED || exitCode == seed_database.EXIT_UNREACHABLE) {
            text.append(endsWithStop(text) ? " " : ". ").append("Nothing was written.");
        }
        // One paragraph, whatever a quoted value holds: a line break or an escape sequence in it is shown, not obeyed.
        return Report.visible(text.toString());
    }

    private static boolean endsWithStop(CharSequence text) {
        char last = text.charAt(text.length() - 1);
        return last == '.' || last == '?' || last == '!';
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    // PostgreSQL's errors, in the user's terms

    static SeedError fromSql(SQLException e, DatabaseTarget target) {
        String state = Objects.requireNonNullElse(e.getSQLState(), "");
        String where = target == null ? null : target.describe();
        if (state.equals("55P03")) {
            return new SeedError(seed_database.EXIT_LOCKED, where, "a lock wait took longer than --lock-timeout allows: "
                    + describe(e), "something else holds the lock; retry later, or give it longer with --lock-timeout SECONDS", e);
        }
        if (state.equals("57014") && String.valueOf(e.getMessage()).contains("statement timeout")) {
            return new SeedError(seed_database.EXIT_LOCKED, where, "a statement ran longer than --statement-timeout allows",
                    "give it longer with --statement-timeout SECONDS (0: no limit)", e);
        }
        if (state.startsWith("08") || state.startsWith("28") || state.equals("3D000") || state.startsWith("57P")) {
            String message = describe(e);
            boolean lost = state.equals("08006") || state.equals("08003") || state.startsWith("57P");
            String hint = lost ? "the connection was lost during the run: PostgreSQL rolls back what it did; --retries N runs it again"
                    : switch (state.substring(0, 2)) {
                        case "28" -> "check the user name and password (in the URL, PGUSER/PGPASSWORD or ~/.pgpass)";
                        case "3D" -> "create the database first, or point --url / DATABASE_URL at the right one";
                        default -> "is PostgreSQL running there and reachable? Set --url or DATABASE_URL to point elsewhere";
                    };
            return new SeedError(seed_database.EXIT_UNREACHABLE, where == null ? null : "cannot use " + where,
                    message + (target == null ? "" : " (connection from " + target.source() + ")"), hint, e);
        }
        return new SeedError(seed_database.EXIT_FAILED, where, "PostgreSQL: " + describe(e), null, e);
    }

    /** PostgreSQL's message with its detail and hint, in one line. */
    static String describe(SQLException e) {
        if (e instanceof PSQLException pg && pg.getServerErrorMessage() != null) {
            ServerErrorMessage m = pg.getServerErrorMessage();
            var text = new StringBuilder(Objects.requireNonNullElse(m.getMessage(), firstLine(e.getMessage())));
            if (m.getDetail() != null) {
                text.append(" (").append(m.getDetail().replaceAll("\\.$", "")).append(")");
            }
            if (m.getHint() != null) {
                text.append(". ").append(m.getHint());
            }
            return text.toString();
        }
        return firstLine(e.getMessage());
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unknown error";
        }
        int newline = text.indexOf('\n');
        return (newline < 0 ? text : text.substring(0, newline)).trim();
    }

    // Suggestions for a mistyped name

    /** ", did you mean …?" for the closest of the candidates, or nothing when none is close. */
    static String didYouMean(String name, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : candidates) {
            int distance = editDistance(name.toLowerCase(Locale.ROOT), candidate.toLowerCase(Locale.ROOT));
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        boolean close = best != null && (bestDistance <= Math.max(2, name.length() / 3)
                || best.startsWith(name) || name.startsWith(best));
        return close ? "; did you mean \"" + best + "\"?" : "";
    }

    /** Edits from a to b: inserting, deleting or changing a character, or swapping two neighbours (XNSA → XNAS is one). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
