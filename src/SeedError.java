// Everything a user can cause: one error type, turned into one paragraph and an exit code, printed in one place.

import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.function.UnaryOperator;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import picocli.CommandLine;

final class SeedError extends RuntimeException {

    /** The exit codes, as --help and the README list them. */
    static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3, EXIT_LOCKED = 4,
            EXIT_EXHAUSTED = 5;

    final int exitCode;
    final String where;
    final String hint;

    /** Said by {@link #endingAttempt} of an error that came with a lost connection, whatever it says itself. */
    private final boolean lostConnection;

    SeedError(int exitCode, String where, String message, String hint, Throwable cause) {
        this(exitCode, where, message, hint, cause, false);
    }

    private SeedError(int exitCode, String where, String message, String hint, Throwable cause, boolean lostConnection) {
        super(message, cause);
        this.exitCode = exitCode;
        this.where = where;
        this.hint = hint;
        this.lostConnection = lostConnection;
    }

    /** A problem in a file, at a position when one is known. */
    static SeedError in(String file, SeedFile.Pos pos, String message) {
        return new SeedError(EXIT_FAILED, pos == null ? file : pos.where(file), message, null, null);
    }

    /**
     * Memory or stack running out, anywhere (also on another thread, as the cause of what it
     * threw): one paragraph, as any error; null when e is something else.
     */
    static SeedError exhaustion(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return new SeedError(EXIT_EXHAUSTED, null, "the tool ran out of memory: its heap is bounded at "
                        + (Runtime.getRuntime().maxMemory() >> 20) + " MB, and this run needed more (" + t.getMessage() + ")",
                        "a seed file this large is better split, or its rows kept in a CSV file (streamed: a few dozen "
                                + "bytes a row); or give the tool more heap: ./jbang -R-Xmx4g seed_database.java seed", t);
            }
            if (t instanceof StackOverflowError) {
                return new SeedError(EXIT_EXHAUSTED, null, "the tool ran out of stack: something in the input is "
                        + "nested too deeply to follow", "please report the input that did this", t);
            }
        }
        return null;
    }

    static SeedError usage(String message, String hint) {
        return new SeedError(EXIT_USAGE, null, message, hint, null);
    }

    static SeedError unexpected(Exception e, DatabaseTarget target) {
        var sql = causeOf(e, SQLException.class);
        if (sql != null) {
            return SeedError.fromSql(sql, target);
        }
        return new SeedError(EXIT_FAILED, null, "internal error: " + e, "this is a bug in seed_database", e);
    }

    /**
     * What ended an attempt at a run, whatever it was thrown as (a SeedError, Jdbi's or Flyway's
     * wrapper of a driver error, a bug), in the user's terms: the one place that decides whether
     * the connection was lost, and so whether --retries may run it again. connectionLost is what
     * the session found when it ended (its connection could not even roll back): then it is a
     * lost connection whatever the error said, as when the driver's follow-up "This connection
     * has been closed" or a message without an SQLState is all that reached the tool.
     */
    static SeedError endingAttempt(Exception e, DatabaseTarget target, boolean connectionLost) {
        var error = e instanceof SeedError seedError ? seedError : unexpected(e, target);
        if (error.connectionFailure() || !(connectionLost || connectionError(e))) {
            return error;
        }
        return new SeedError(EXIT_UNREACHABLE, target == null ? null : "cannot use " + target.describe(),
                "the connection was lost (" + error.getMessage().replaceAll("\\.$", "") + ")", LOST, e, true);
    }

    private static final String LOST = "the connection was lost during the run: PostgreSQL rolls back what it did; --retries N runs it again";

    /**
     * Whether the connection failed or was lost (a retry may succeed), rather than the data or a
     * setting being wrong: any driver error on the way, each with the errors chained to it, says so.
     */
    boolean connectionFailure() {
        return exitCode == EXIT_UNREACHABLE && (lostConnection || connectionError(this));
    }

    private static boolean connectionError(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            for (SQLException sql = t instanceof SQLException s ? s : null; sql != null; sql = sql.getNextException()) {
                String state = Objects.requireNonNullElse(sql.getSQLState(), "");
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")) {
                    return true;
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }

    /** This error with one more thing to try, after any it already suggests. */
    SeedError alsoHint(String more) {
        return hint(hint == null ? more : hint.replaceAll("\\.$", "") + "; " + more);
    }

    SeedError hint(String newHint) {
        return new SeedError(exitCode, where, getMessage(), newHint, getCause(), lostConnection);
    }

    /** This error as the one paragraph a user reads, ending "Nothing was written." when the run would have written. */
    String paragraph() {
        return saysNothingWritten() ? plainParagraph() + " Nothing was written." : plainParagraph();
    }

    /** The paragraph without "Nothing was written.": for a command that only reads, a retry's note, a verdict. */
    String plainParagraph() {
        return plainParagraph(true);
    }

    /** The same without where it is: a plan's warning, which the report says of its file. */
    String withoutWhere() {
        return plainParagraph(false);
    }

    private String plainParagraph(boolean withWhere) {
        var text = new StringBuilder();
        if (withWhere && where != null) {
            text.append(where).append(": ");
        }
        text.append(getMessage());
        if (hint != null) {
            text.append(endsWithStop(text) ? " " : ". ").append(capitalized(hint));
        }
        if (saysNothingWritten() && !endsWithStop(text)) {
            text.append('.');
        }
        // One paragraph, whatever a quoted value holds: a line break or an escape sequence in it is shown, not obeyed.
        return Report.visible(text.toString());
    }

    /** Whether this error stops a run before it writes (the data, the connection, memory): the paragraph says so. */
    private boolean saysNothingWritten() {
        return exitCode == EXIT_FAILED || exitCode == EXIT_UNREACHABLE || exitCode == EXIT_EXHAUSTED;
    }

    private static boolean endsWithStop(CharSequence text) {
        char last = text.charAt(text.length() - 1);
        return last == '.' || last == '?' || last == '!';
    }

    private static String capitalized(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }

    /** The one place an error reaches the user: "error: " and its paragraph, one line on stderr. */
    static void print(PrintWriter err, String paragraph) {
        err.println("error: " + paragraph);
    }

    /**
     * The tool's one exception handler: a failed command, or a mistake on its command line, as
     * one paragraph on stderr, the document of the error on stdout when its form asks for one
     * (--json, the CI forms), and its exit code.
     */
    static final class Handler implements CommandLine.IExecutionExceptionHandler, CommandLine.IParameterExceptionHandler {
        private final PrintWriter out, err;
        private final Options options;
        /** A file as GitHub's annotations name it (Config.inRepository). */
        private final UnaryOperator<String> inRepository;
        /** Where the command connects, once known: an error names it. */
        DatabaseTarget target;

        Handler(PrintWriter out, PrintWriter err, Options options, UnaryOperator<String> inRepository) {
            this.out = out;
            this.err = err;
            this.options = options;
            this.inRepository = inRepository;
        }

        @Override
        public int handleExecutionException(Exception e, CommandLine command, CommandLine.ParseResult parsed) {
            return report(e, command);
        }

        /** What ended command (whichever it was, memory running out too), said once. */
        int report(Throwable e, CommandLine command) {
            return report(e, Mode.of(command.getCommandName()));
        }

        /** What ended a command of this mode (one target's, in a fleet), said once. */
        int report(Throwable e, Mode mode) {
            var exhausted = exhaustion(e);
            var failure = exhausted != null ? exhausted
                    : endingAttempt(e instanceof Exception x ? x : new IllegalStateException(e), target, false);
            // Commands that only read have nothing to reassure about.
            print(err, mode.onlyReads() ? failure.plainParagraph() : failure.paragraph());
            if (options.verbose) {
                // PostgreSQL's errors in it carry their detail, and a failing row's values are not for showing.
                var trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                err.print(withoutFailingRow(trace.toString()));
            } else if (!(e instanceof SeedError) && exhausted == null) {
                err.println("(rerun with --verbose for the stack trace)");
            }
            Report.Format format;
            try {
                format = options.format(mode);
            } catch (SeedError unusable) {
                format = options.json ? Report.Format.json : Report.Format.text;
            }
            String message = failure.getMessage() + (failure.hint == null ? "" : ". " + failure.hint);
            String name = mode.command();
            switch (format) {
                case json -> out.println(Json.pretty(document(name, failure.exitCode, failure.where, failure.getMessage(),
                        failure.hint)));
                case github -> out.print(CiReport.githubError(name, failure.where, message, inRepository));
                case junit -> out.print(CiReport.junitError(name, failure.where, message));
                case markdown -> out.print(CiReport.markdownError(name, failure.where, message));
                default -> { }
            }
            return failure.exitCode;
        }

        /** A mistake on the command line: one paragraph, like every other error; the full help is one --help away. */
        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] arguments) {
            String message = CommandOptions.describe(e);
            String help = e.getCommandLine().getParent() == null ? "--help" : "help " + e.getCommandLine().getCommandName();
            print(err, message + (message.matches("(?s).*[.?!]$") ? " " : ". ") + "See " + help + ".");
            if (List.of(arguments).contains("--json")) {
                out.println(Json.pretty(document("usage", EXIT_USAGE, null, message, "see " + help)));
            }
            return EXIT_USAGE;
        }

        /** The --json document of a run that failed: {"command", "tool_version", "error": {exit_code, where, message, hint}}. */
        private static Map<String, Object> document(String command, int exitCode, String where, String message, String hint) {
            var document = Report.document(command);
            var error = new LinkedHashMap<String, Object>();
            error.put("exit_code", exitCode);
            error.put("where", where);
            error.put("message", message);
            error.put("hint", hint);
            document.put("error", error);
            return document;
        }
    }

    // PostgreSQL's errors, in the user's terms

    static SeedError fromSql(SQLException e, DatabaseTarget target) {
        String state = Objects.requireNonNullElse(e.getSQLState(), "");
        String where = target == null ? null : target.describe();
        if (state.equals("55P03")) {
            var row = Session.rowWait(e, target);
            if (row.isPresent()) {
                return new SeedError(EXIT_LOCKED, where, "gave up" + (row.get().seconds() > 0 ? " after "
                        + row.get().seconds() + " s" : "") + " waiting for a row of " + row.get().table() + ", which "
                        + row.get().holders().orElse("another transaction") + " holds locked", "a transaction of the application "
                        + "has locked the row (SELECT … FOR UPDATE, or a write it has not committed yet); retry later, or give "
                        + "it longer with --lock-timeout SECONDS", e);
            }
            return new SeedError(EXIT_LOCKED, where, "a lock wait took longer than --lock-timeout allows: "
                    + describe(e), "something else holds the lock; retry later, or give it longer with --lock-timeout SECONDS", e);
        }
        if (state.equals("57014") && String.valueOf(e.getMessage()).contains("statement timeout")) {
            return new SeedError(EXIT_LOCKED, where, "a statement ran longer than --statement-timeout allows",
                    "give it longer with --statement-timeout SECONDS (0: no limit)", e);
        }
        if (state.startsWith("08") || state.startsWith("28") || state.equals("3D000") || state.startsWith("57P")) {
            String message = describe(e);
            boolean lost = state.equals("08006") || state.equals("08003") || state.startsWith("57P");
            var unknownHost = causeOf(e, java.net.UnknownHostException.class);
            var socket = target == null ? null : target.socketFile();
            String passwordFrom = target == null || target.passwordFrom() == null ? "" : " (the password came from "
                    + target.passwordFrom() + ")";
            String hint;
            if (unknownHost != null) {
                // The driver's message is "The connection attempt failed."; the cause names the host (of several, the one).
                message = "the host name " + (target != null && target.hosts().size() == 1 ? target.hosts().get(0).host()
                        : unknownHost.getMessage()) + " did not resolve: no such host is known";
                hint = "check the host name in --url, DATABASE_URL or PGHOST (in a container: the name of the database's service)";
            } else if (socket != null && state.startsWith("08") && !java.nio.file.Files.exists(socket)) {
                message = "no PostgreSQL server listens there: the socket file is not there";
                hint = "is PostgreSQL running on this machine, with " + socket.getParent() + " among its unix_socket_directories "
                        + "and port " + socket.getFileName().toString().replace(".s.PGSQL.", "") + "? Set --url or DATABASE_URL "
                        + "to point elsewhere";
            } else if (state.equals("08004") && String.valueOf(e.getMessage()).contains("SSL")) {
                hint = "this server does not offer SSL, and sslmode=" + (target == null ? "require" : target.parameters().get("sslmode"))
                        + " insists on it: "
                        + "use sslmode=prefer (SSL when the server offers it) or disable, or turn on ssl in the server's settings";
            } else if (state.equals("08004") && String.valueOf(e.getMessage()).contains("password")) {
                hint = "the server asks for a password and none was given: put it in the URL, in PGPASSWORD, or in the "
                        + "password file (PGPASSFILE, else $HOME/.pgpass)";
            } else {
                hint = lost ? LOST
                        : switch (state.substring(0, 2)) {
                            case "28" -> "check the user name and password" + passwordFrom;
                            case "3D" -> "create the database first, or point --url / DATABASE_URL at the right one";
                            default -> "is PostgreSQL running there and reachable? Set --url or DATABASE_URL to point elsewhere";
                        };
            }
            return new SeedError(EXIT_UNREACHABLE, where == null ? null : "cannot use " + where,
                    message + (target == null ? "" : " (connection " + target.origin() + ")"), hint, e);
        }
        return new SeedError(EXIT_FAILED, where, "PostgreSQL: " + describe(e), null, e);
    }

    /** The first error of this type in e's chain of causes (e itself included), else null. */
    static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /**
     * PostgreSQL's "Failing row contains (…)": every value of the row, also one a ${VAR} gave in an
     * earlier run, which this run cannot know to mask. Never shown; the row is named otherwise.
     */
    static final String FAILING_ROW_NOT_SHOWN = "the failing row is not shown: it may hold a value from the environment";

    static String withoutFailingRow(String text) {
        // To the end of its line: a row's text may hold parentheses of its own.
        return text == null ? null : text.replaceAll("Failing row contains \\(.*", FAILING_ROW_NOT_SHOWN);
    }

    /** PostgreSQL's message with its detail and hint, in one line. */
    static String describe(SQLException e) {
        if (e instanceof PSQLException pg && pg.getServerErrorMessage() != null) {
            ServerErrorMessage m = pg.getServerErrorMessage();
            var text = new StringBuilder(Objects.requireNonNullElse(m.getMessage(), firstLine(e.getMessage())));
            if (m.getDetail() != null) {
                text.append(" (").append(withoutFailingRow(m.getDetail()).replaceAll("\\.$", "")).append(")");
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
