///usr/bin/env jbang "$0" "$@" ; exit $?
//DESCRIPTION Keeps a PostgreSQL database's reference data in step with seed files: Flyway migrations, then idempotent upserts.
//JAVA 17+

//DEPS info.picocli:picocli:4.7.7

//DEPS org.postgresql:postgresql:42.7.14
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.flywaydb:flyway-core:13.12.0
//DEPS org.flywaydb:flyway-database-postgresql:13.12.0

//DEPS org.yaml:snakeyaml:2.7

//DEPS org.slf4j:slf4j-jdk14:2.0.17

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.core.internal.exception.FlywayMigrateException;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * seed_database: one command that migrates a PostgreSQL database with Flyway, then upserts the
 * reference data in seeds/*.yaml, writing only the rows that differ, all in one transaction.
 *
 * <p>A run flows top to bottom through this file: CLI → DatabaseTarget (URL forms) → Layout
 * (where migrations/ and seeds/ are) → SeedFile (YAML → rows with their line numbers) → Session
 * (one connection, one transaction, one advisory lock) → Migrations (Flyway, inside that
 * transaction) → Seeder (stage with COPY, diff, upsert) → Report.
 */
@Command(name = "seed_database", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
        version = {"seed_database " + seed_database.VERSION, "Java ${java.version} (${java.vendor})"},
        sortOptions = false, usageHelpAutoWidth = true,
        description = {
                "Keeps a PostgreSQL database's reference data in step with this repository:",
                "applies the Flyway migrations in migrations/, then upserts the rows of seeds/*.yaml,",
                "writing only what changed. Everything happens in one transaction: a run applies",
                "completely or not at all.",
                "",
                "Without a command: migrate, then seed."},
        subcommands = {seed_database.MigrateCommand.class, seed_database.SeedCommand.class},
        footerHeading = "%nWhere things are found:%n",
        footer = {
                "  Database     --url, else DATABASE_URL, else the libpq variables PGHOST, PGPORT, PGDATABASE,",
                "               PGUSER and PGPASSWORD, else postgres@localhost:5432/postgres.",
                "  Directories  --migrations and --seeds, else $SEED_DATABASE_HOME/migrations and /seeds, else",
                "               the nearest of the working directory and its parents that holds",
                "               seed_database.java or a seeds/ directory.",
                "",
                "Exit codes:",
                "  0  success",
                "  1  a seed file, a migration or the data it meets is wrong (the message names the file);",
                "     nothing was written",
                "  2  usage error: an unknown option, a directory that is not there",
                "  3  the database is unreachable, or refused the connection or the credentials"})
public class seed_database implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    static final int EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3;

    @Option(names = "--url", paramLabel = "URL", scope = ScopeType.INHERIT,
            description = "Database URL: postgresql://user:password@host:port/db?sslmode=require, postgres://…, "
                    + "postgresql+psycopg2://…, postgresql+asyncpg://… or jdbc:postgresql://…")
    String url;

    @Option(names = "--migrations", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of Flyway SQL migrations (default: see below)")
    Path migrationsOption;

    @Option(names = "--seeds", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Directory of seed files (default: see below)")
    Path seedsOption;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show Flyway's log and, on an error, its stack trace")
    boolean verbose;

    @Spec CommandSpec spec;

    /** The process environment and working directory; tests hand in their own. */
    Map<String, String> env = System.getenv();
    Path workingDir = Path.of("").toAbsolutePath();
    /** Where this run connects, once known: error messages name it. */
    DatabaseTarget target;

    public static void main(String... args) {
        System.exit(execute(args, System.getenv(), Path.of("").toAbsolutePath(),
                new PrintWriter(new OutputStreamWriter(System.out, UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, UTF_8), true)));
    }

    /** Runs one command line; the single place where errors become a paragraph and an exit code. */
    static int execute(String[] args, Map<String, String> env, Path workingDir, PrintWriter out, PrintWriter err) {
        var tool = new seed_database();
        tool.env = env;
        tool.workingDir = workingDir;
        var cli = new CommandLine(tool).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> tool.reportFailure(e, err));
        try {
            return cli.execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    @Override
    public Integer call() {
        return run(true, true);
    }

    @Command(name = "migrate", description = "Apply the pending Flyway migrations, and nothing else.")
    static class MigrateCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run(true, false);
        }
    }

    @Command(name = "seed", description = "Upsert seeds/*.yaml into the database, without running migrations.")
    static class SeedCommand implements Callable<Integer> {
        @ParentCommand seed_database tool;

        @Override
        public Integer call() {
            return tool.run(false, true);
        }
    }

    int run(boolean migrate, boolean seed) {
        long started = System.nanoTime();
        var out = spec.commandLine().getOut();
        Logging.configure(verbose, spec.commandLine().getErr());

        target = DatabaseTarget.resolve(url, env);
        var layout = Layout.resolve(migrationsOption, seedsOption, env, workingDir, migrate, seed);
        // Every seed file is read and checked before the database is touched.
        var seedFiles = seed ? SeedFile.readAll(layout.seeds(), workingDir) : List.<SeedFile>of();

        var report = new Report(out);
        report.header(target, layout, migrate, seed);
        try (var session = Session.open(target)) {
            var migrated = migrate ? Migrations.apply(session, layout.migrations(), workingDir) : null;
            var seeded = new ArrayList<Seeder.Outcome>();
            for (var file : seedFiles) {
                seeded.add(new Seeder(session, file).apply());
            }
            session.commit();
            if (migrated != null) {
                report.migrations(migrated);
            }
            if (seed) {
                report.seeds(seeded);
            }
        }
        report.done(started);
        return EXIT_OK;
    }

    int reportFailure(Exception e, PrintWriter err) {
        var failure = e instanceof SeedError error ? error : SeedError.unexpected(e, target);
        err.println("error: " + failure.paragraph());
        if (verbose) {
            e.printStackTrace(err);
        } else if (!(e instanceof SeedError)) {
            err.println("(rerun with --verbose for the stack trace)");
        }
        return failure.exitCode;
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Errors: everything a user can cause is a SeedError: where, what, and what to do about it.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    static final class SeedError extends RuntimeException {
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
        static SeedError in(String file, Pos pos, String message) {
            return new SeedError(EXIT_FAILED, pos == null ? file : file + ":" + pos, message, null, null);
        }

        static SeedError usage(String message, String hint) {
            return new SeedError(EXIT_USAGE, null, message, hint, null);
        }

        static SeedError unexpected(Exception e, DatabaseTarget target) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql) {
                    return SqlErrors.translate(sql, target);
                }
            }
            return new SeedError(EXIT_FAILED, null, "internal error: " + e, "this is a bug in seed_database", e);
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
            if (exitCode == EXIT_FAILED || exitCode == EXIT_UNREACHABLE) {
                text.append(endsWithStop(text) ? " " : ". ").append("Nothing was written.");
            }
            return text.toString();
        }

        private static boolean endsWithStop(CharSequence text) {
            char last = text.charAt(text.length() - 1);
            return last == '.' || last == '?' || last == '!';
        }

        private static String capitalized(String text) {
            return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
        }
    }

    /** A position in a file, 1-based, printed the way compilers do: line:column. */
    record Pos(int line, int column) {
        static Pos of(Mark mark) {
            return mark == null ? null : new Pos(mark.getLine() + 1, mark.getColumn() + 1);
        }

        static Pos of(Node node) {
            return of(node.getStartMark());
        }

        @Override
        public String toString() {
            return line + ":" + column;
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // DatabaseTarget: every way a backend writes its DATABASE_URL, resolved libpq-style.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    record HostPort(String host, Integer port) {
        String render(int defaultPort) {
            var h = host.contains(":") ? "[" + host + "]" : host;
            return h + ":" + (port == null ? defaultPort : port);
        }
    }

    /** Where to connect. The password is kept out of toString() and every message. */
    record DatabaseTarget(List<HostPort> hosts, int defaultPort, String database, String user, String password,
                          Map<String, String> parameters, String source) {

        private static final Pattern URL_FORM = Pattern.compile(
                "(?i)^(?:jdbc:)?(postgres(?:ql)?)(?:\\+[a-z0-9_]+)?://(.*)$", Pattern.DOTALL);

        /** URL query parameters of libpq (and asyncpg) that pgjdbc spells differently. */
        private static final Map<String, String> LIBPQ_TO_PGJDBC = Map.of(
                "connect_timeout", "connectTimeout",
                "application_name", "ApplicationName",
                "target_session_attrs", "targetServerType",
                "ssl", "sslmode");

        static DatabaseTarget resolve(String urlOption, Map<String, String> env) {
            String url = urlOption != null ? urlOption : blankToNull(env.get("DATABASE_URL"));
            String source = urlOption != null ? "--url" : url != null ? "DATABASE_URL" : null;
            var parsed = url == null ? new ParsedUrl(List.of(), null, null, null, new LinkedHashMap<>()) : ParsedUrl.parse(url);

            List<HostPort> hosts = parsed.hosts();
            if (hosts.isEmpty() && blankToNull(env.get("PGHOST")) != null) {
                hosts = Stream.of(env.get("PGHOST").split(",")).map(h -> new HostPort(h.trim(), null)).toList();
            }
            if (hosts.isEmpty()) {
                hosts = List.of(new HostPort("localhost", null));
            }
            for (var h : hosts) {
                if (h.host().startsWith("/")) {
                    throw SeedError.usage("the database host is a Unix-domain socket (" + h.host() + ")",
                            "connect over TCP instead, e.g. host localhost or 127.0.0.1");
                }
            }
            int defaultPort = 5432;
            if (blankToNull(env.get("PGPORT")) != null) {
                defaultPort = port(env.get("PGPORT"), "PGPORT");
            }
            String user = firstNonBlank(parsed.user(), env.get("PGUSER"), "postgres");
            String database = firstNonBlank(parsed.database(), env.get("PGDATABASE"), user);   // libpq: the user's name
            String password = parsed.password() != null ? parsed.password() : blankToNull(env.get("PGPASSWORD"));

            var parameters = new LinkedHashMap<String, String>();
            parsed.parameters().forEach((name, value) -> parameters.put(LIBPQ_TO_PGJDBC.getOrDefault(name, name), value));
            if ("true".equalsIgnoreCase(parameters.get("sslmode"))) {
                parameters.put("sslmode", "require");   // asyncpg's ssl=true
            }
            putIfPresent(parameters, "sslmode", env.get("PGSSLMODE"));
            putIfPresent(parameters, "sslrootcert", env.get("PGSSLROOTCERT"));
            putIfPresent(parameters, "connectTimeout", env.get("PGCONNECT_TIMEOUT"));
            putIfPresent(parameters, "ApplicationName", env.get("PGAPPNAME"));
            parameters.putIfAbsent("ApplicationName", "seed_database");

            if (source == null) {
                boolean anyLibpq = Stream.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
                        .anyMatch(name -> blankToNull(env.get(name)) != null);
                source = anyLibpq ? "PG* variables" : "defaults";
            }
            return new DatabaseTarget(hosts, defaultPort, database, user, password, parameters, source);
        }

        String jdbcUrl() {
            return "jdbc:postgresql://" + hosts.stream().map(h -> h.render(defaultPort)).collect(Collectors.joining(","))
                    + "/" + percentEncode(database);
        }

        Properties properties() {
            var properties = new Properties();
            properties.putAll(parameters);
            properties.setProperty("user", user);
            if (password != null) {
                properties.setProperty("password", password);
            }
            return properties;
        }

        /** user@host:port/database — what the user sees; never the password. */
        String describe() {
            return user + "@" + hosts.stream().map(h -> h.render(defaultPort)).collect(Collectors.joining(","))
                    + "/" + database;
        }

        @Override
        public String toString() {
            return describe();
        }

        private static int port(String text, String what) {
            try {
                int port = Integer.parseInt(text.trim());
                if (port > 0 && port < 65536) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw SeedError.usage(what + " has no valid port number: \"" + text + "\"", null);
        }

        private static void putIfPresent(Map<String, String> parameters, String name, String value) {
            if (blankToNull(value) != null) {
                parameters.putIfAbsent(name, value);
            }
        }

        /** postgresql://[user[:password]@][host[:port][,host[:port]…]][/database][?name=value&…] */
        record ParsedUrl(List<HostPort> hosts, String user, String password, String database,
                         Map<String, String> parameters) {

            static ParsedUrl parse(String url) {
                Matcher form = URL_FORM.matcher(url.trim());
                if (!form.matches()) {
                    throw SeedError.usage("the database URL " + redact(url) + " is not a PostgreSQL URL",
                            "write it as postgresql://user:password@host:5432/database");
                }
                String rest = form.group(2);
                String query = "";
                int queryStart = rest.indexOf('?');
                if (queryStart >= 0) {
                    query = rest.substring(queryStart + 1);
                    rest = rest.substring(0, queryStart);
                }
                int pathStart = rest.indexOf('/', rest.lastIndexOf('@') + 1);
                String authority = pathStart >= 0 ? rest.substring(0, pathStart) : rest;
                String database = pathStart >= 0 ? blankToNull(decode(rest.substring(pathStart + 1), url)) : null;

                String user = null, password = null;
                int at = authority.lastIndexOf('@');
                if (at >= 0) {
                    String userInfo = authority.substring(0, at);
                    authority = authority.substring(at + 1);
                    int colon = userInfo.indexOf(':');
                    user = blankToNull(decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo, url));
                    password = colon >= 0 ? decode(userInfo.substring(colon + 1), url) : null;
                }
                var hosts = new ArrayList<HostPort>();
                if (!authority.isEmpty()) {
                    for (String hostPort : authority.split(",")) {
                        hosts.add(hostPort(hostPort, url));
                    }
                }
                var parameters = new LinkedHashMap<String, String>();
                for (String pair : query.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String name = decode(eq >= 0 ? pair.substring(0, eq) : pair, url);
                    String value = eq >= 0 ? decode(pair.substring(eq + 1), url) : "";
                    switch (name) {
                        case "user" -> user = value;
                        case "password" -> password = value;
                        case "host" -> hosts.add(hostPort(value, url));
                        case "port" -> {
                            int port = port(value, "the database URL");
                            hosts.replaceAll(h -> h.port() == null ? new HostPort(h.host(), port) : h);
                        }
                        case "dbname" -> database = value;
                        default -> parameters.put(name, value);
                    }
                }
                return new ParsedUrl(hosts, user, password, database, parameters);
            }

            private static HostPort hostPort(String text, String url) {
                String host = text, port = null;
                if (text.startsWith("[")) {
                    int close = text.indexOf(']');
                    host = text.substring(1, close);
                    port = text.length() > close + 2 ? text.substring(close + 2) : null;
                } else if (text.indexOf(':') >= 0) {
                    host = text.substring(0, text.indexOf(':'));
                    port = text.substring(text.indexOf(':') + 1);
                }
                host = decode(host, url);
                if (host.isEmpty()) {
                    host = "localhost";
                }
                return new HostPort(host, port == null || port.isEmpty() ? null : port(port, "the database URL"));
            }
        }

        /** Percent-decoding as libpq and SQLAlchemy do it: %XX only; a '+' stays a '+'. */
        static String decode(String text, String url) {
            if (text.indexOf('%') < 0) {
                return text;
            }
            var bytes = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '%') {
                    if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0
                            || Character.digit(text.charAt(i + 2), 16) < 0) {
                        throw SeedError.usage("the database URL " + redact(url) + " has a malformed %-escape",
                                "percent-encode special characters in the user name and password (@ is %40, : is %3A, / is %2F, % is %25)");
                    }
                    bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    bytes.writeBytes(String.valueOf(c).getBytes(UTF_8));
                }
            }
            return bytes.toString(UTF_8);
        }

        static String percentEncode(String text) {
            var encoded = new StringBuilder();
            for (byte b : text.getBytes(UTF_8)) {
                char c = (char) (b & 0xff);
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                    encoded.append(c);
                } else {
                    encoded.append('%').append(String.format("%02X", b & 0xff));
                }
            }
            return encoded.toString();
        }

        /** The URL in quotes with any password replaced by ***, for messages. */
        static String redact(String url) {
            String redacted = url.replaceAll("(?i)([?&]password=)[^&]*", "$1***")
                    // user:password@ up to the last @, so that an unencoded @ in a password is hidden too
                    .replaceFirst("^([^:/?#]+(?::[^:/?#]+)?://[^:@/?#]*):.*@", "$1:***@");
            return "\"" + redacted + "\"";
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Layout: where migrations/ and seeds/ are. A JBang script is not told where its source
    // lies, so: the options, else SEED_DATABASE_HOME, else the working directory and its parents.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    record Layout(Path migrations, String migrationsFrom, Path seeds, String seedsFrom) {

        static Layout resolve(Path migrationsOption, Path seedsOption, Map<String, String> env, Path workingDir,
                              boolean needMigrations, boolean needSeeds) {
            Path home = null;
            String homeFrom;
            String homeVariable = blankToNull(env.get("SEED_DATABASE_HOME"));
            if (homeVariable != null) {
                home = workingDir.resolve(homeVariable).normalize();
                if (!Files.isDirectory(home)) {
                    throw SeedError.usage("SEED_DATABASE_HOME is " + home + ", which is not a directory", null);
                }
                homeFrom = "from SEED_DATABASE_HOME";
            } else {
                for (Path dir = workingDir; dir != null && home == null; dir = dir.getParent()) {
                    if (Files.isRegularFile(dir.resolve("seed_database.java")) || Files.isDirectory(dir.resolve("seeds"))) {
                        home = dir;
                    }
                }
                homeFrom = "found from the working directory";
            }
            var layout = new Layout(
                    migrationsOption != null ? workingDir.resolve(migrationsOption).normalize()
                            : home == null ? null : home.resolve("migrations"),
                    migrationsOption != null ? "from --migrations" : homeFrom,
                    seedsOption != null ? workingDir.resolve(seedsOption).normalize() : home == null ? null : home.resolve("seeds"),
                    seedsOption != null ? "from --seeds" : homeFrom);
            if (needMigrations) {
                requireDirectory(layout.migrations(), "migrations", "--migrations", workingDir);
            }
            if (needSeeds) {
                requireDirectory(layout.seeds(), "seeds", "--seeds", workingDir);
            }
            return layout;
        }

        private static void requireDirectory(Path dir, String name, String option, Path workingDir) {
            if (dir == null) {
                throw SeedError.usage("no " + name + "/ directory found in " + workingDir + " or its parents",
                        "run from the directory that holds seed_database.java, set SEED_DATABASE_HOME to it, or pass "
                                + option + " DIR");
            }
            if (!Files.isDirectory(dir)) {
                throw SeedError.usage(dir + " is not a directory", "pass " + option + " DIR, or set SEED_DATABASE_HOME");
            }
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // SeedFile: one seeds/*.yaml, read with SnakeYAML's node API (safe construction only, and
    // every value keeps its line and column for error messages).
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /** What a YAML scalar was written as; booleans are true/false only, as in YAML 1.2. */
    enum Kind { NULL, TEXT, BOOL, INT, FLOAT, TIMESTAMP, BINARY, LIST, MAP }

    /**
     * One value from a seed file. Scalars keep the text as written, so that a text column gets
     * exactly what the file says (NO stays NO, 1.10 stays 1.10); lists and maps keep their items.
     */
    record SeedValue(Kind kind, String text, List<SeedValue> items, Map<String, SeedValue> entries, Pos pos) {
        static SeedValue scalar(Kind kind, String text, Pos pos) {
            return new SeedValue(kind, text, null, null, pos);
        }
    }

    record SeedRow(Pos pos, Map<String, SeedValue> values) {}

    record SeedFile(Path path, String displayPath, String table, Pos tablePos, List<String> key, Pos keyPos,
                    Map<String, SeedValue> defaults, List<SeedRow> rows) {

        static final Set<String> SETTINGS = Set.of("table", "key", "defaults", "rows", "description");
        static final int MAX_SCALAR_CHARS = 10 * 1024 * 1024;
        static final int MAX_VALUES = 5_000_000;

        /** The rows, each completed with the file's defaults for the columns it does not give. */
        List<SeedRow> effectiveRows() {
            if (defaults.isEmpty()) {
                return rows;
            }
            return rows.stream().map(row -> {
                var values = new LinkedHashMap<>(defaults);
                values.putAll(row.values());
                return new SeedRow(row.pos(), values);
            }).toList();
        }

        String name() {
            return path.getFileName().toString();
        }

        static List<SeedFile> readAll(Path dir, Path workingDir) {
            List<Path> files;
            try (var listing = Files.list(dir)) {
                files = listing.filter(p -> {
                    String name = p.getFileName().toString();
                    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
                }).sorted().toList();
            } catch (IOException e) {
                throw SeedError.usage("cannot list " + dir + ": " + e.getMessage(), null);
            }
            return files.stream().map(path -> read(path, displayPath(path, workingDir))).toList();
        }

        static String displayPath(Path path, Path workingDir) {
            var absolute = path.toAbsolutePath().normalize();
            return absolute.startsWith(workingDir) ? workingDir.relativize(absolute).toString() : absolute.toString();
        }

        static SeedFile read(Path path, String displayPath) {
            if (Files.isDirectory(path)) {
                throw SeedError.in(displayPath, null, "this is a directory, not a seed file");
            }
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(path);
            } catch (IOException e) {
                throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
            }
            String text = decodeUtf8(bytes, displayPath);
            var options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setAllowRecursiveKeys(false);
            options.setMaxAliasesForCollections(1000);
            options.setNestingDepthLimit(64);
            options.setCodePointLimit(Math.max(text.length() + 1, 3 * 1024 * 1024));
            // Safe construction only; and the node API below never constructs Java objects at all.
            var yaml = new Yaml(new SafeConstructor(options));
            Node root;
            try {
                root = yaml.compose(new java.io.StringReader(text));
            } catch (MarkedYAMLException e) {
                throw yamlError(e, displayPath);
            } catch (YAMLException e) {
                throw SeedError.in(displayPath, null, "invalid YAML: " + e.getMessage());
            }
            if (root == null) {
                throw SeedError.in(displayPath, null, "the file is empty; a seed file names its table, its key and its rows");
            }
            return new Reader(path, displayPath).file(root);
        }

        private static SeedError yamlError(MarkedYAMLException e, String displayPath) {
            var mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = Objects.requireNonNullElse(e.getProblem(), e.getContext());
            if (problem.startsWith("Global tag is not allowed: ")) {
                String tag = problem.substring(problem.indexOf(": ") + 2).replace(Tag.PREFIX, "!!");
                return SeedError.in(displayPath, Pos.of(mark), "the tag " + tag + " is not allowed in a seed file: "
                        + "seed files are data, written with YAML's own types only");
            }
            String context = e.getProblem() != null && e.getContext() != null
                    ? " (" + e.getContext() + (e.getContextMark() != null ? " that starts at " + Pos.of(e.getContextMark()) : "") + ")"
                    : "";
            return SeedError.in(displayPath, Pos.of(mark), "invalid YAML: " + problem + context);
        }

        /** Strict UTF-8, with the line of the first bad byte. */
        private static String decodeUtf8(byte[] bytes, String displayPath) {
            try {
                return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                int line = 1, offset = 0;
                // Find the first invalid byte by decoding prefixes line by line.
                for (int start = 0; start < bytes.length; ) {
                    int end = start;
                    while (end < bytes.length && bytes[end] != '\n') {
                        end++;
                    }
                    try {
                        UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(bytes, start, end - start));
                    } catch (CharacterCodingException bad) {
                        offset = start;
                        break;
                    }
                    line++;
                    start = end + 1;
                }
                throw SeedError.in(displayPath, new Pos(line, 1), "the file is not valid UTF-8 (a bad byte after byte " + offset + ")");
            }
        }

        /** Walks the composed YAML nodes; keeps positions; follows merge keys; refuses anything else. */
        private static final class Reader {
            final Path path;
            final String file;
            final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());
            int values;

            Reader(Path path, String file) {
                this.path = path;
                this.file = file;
            }

            SeedFile file(Node root) {
                var top = mapping(root, "a seed file is a mapping with table, key and rows");
                String table = null;
                Pos tablePos = null, keyPos = null;
                List<String> key = null;
                Map<String, SeedValue> defaults = Map.of();
                List<SeedRow> rows = null;
                for (var entry : top.entrySet()) {
                    Node node = entry.getValue().value;
                    switch (entry.getKey()) {
                        case "table" -> {
                            table = name(node, "table");
                            tablePos = Pos.of(node);
                        }
                        case "key" -> {
                            keyPos = Pos.of(node);
                            if (node instanceof SequenceNode list) {
                                key = new ArrayList<>();
                                for (Node item : list.getValue()) {
                                    key.add(name(item, "key column"));
                                }
                                if (key.isEmpty()) {
                                    throw SeedError.in(file, keyPos, "key names no column");
                                }
                            } else {
                                key = List.of(name(node, "key"));
                            }
                        }
                        case "defaults" -> defaults = columns(mapping(node, "defaults is a mapping of column: value"));
                        case "rows" -> {
                            if (!(node instanceof SequenceNode list)) {
                                throw SeedError.in(file, Pos.of(node), "rows is a list of rows, each a mapping of column: value");
                            }
                            rows = new ArrayList<>();
                            for (Node item : list.getValue()) {
                                rows.add(new SeedRow(Pos.of(item), columns(mapping(item, "each row is a mapping of column: value"))));
                            }
                        }
                        case "description" -> { }
                        default -> throw SeedError.in(file, entry.getValue().pos,
                                "unknown setting \"" + entry.getKey() + "\"" + suggestion(entry.getKey(), SETTINGS))
                                .hint("a seed file has table, key, defaults, rows and description");
                    }
                }
                var start = Pos.of(root);
                if (table == null) {
                    throw SeedError.in(file, start, "names no table (add table: <name>)");
                }
                if (key == null) {
                    throw SeedError.in(file, start, "names no key (add key: <column>, the natural key its rows are matched on)");
                }
                if (rows == null) {
                    throw SeedError.in(file, start, "has no rows (add rows:, a list of mappings; rows: [] for none)");
                }
                return new SeedFile(path, file, table, tablePos, List.copyOf(key), keyPos, defaults, rows);
            }

            private record Entry(Pos pos, Node value) {}

            /** A mapping's entries by key, merge keys (<<) followed; a key given twice is an error. */
            private Map<String, Entry> mapping(Node node, String expected) {
                if (!(node instanceof MappingNode map)) {
                    throw SeedError.in(file, Pos.of(node), expected);
                }
                var entries = new LinkedHashMap<String, Entry>();
                var merged = new LinkedHashMap<String, Entry>();
                for (NodeTuple tuple : map.getValue()) {
                    Node keyNode = tuple.getKeyNode();
                    if (keyNode.getTag().equals(Tag.MERGE)) {
                        var sources = tuple.getValueNode() instanceof SequenceNode list ? list.getValue() : List.of(tuple.getValueNode());
                        for (Node source : sources) {
                            guard(source, () -> mapping(source, "<< merges a mapping").forEach(merged::putIfAbsent));
                        }
                        continue;
                    }
                    if (!(keyNode instanceof ScalarNode scalar)) {
                        throw SeedError.in(file, Pos.of(keyNode), "a key must be a plain name, not a list or mapping");
                    }
                    checkTag(keyNode);
                    if (entries.put(scalar.getValue(), new Entry(Pos.of(keyNode), tuple.getValueNode())) != null) {
                        throw SeedError.in(file, Pos.of(keyNode), "\"" + scalar.getValue() + "\" is given twice in this mapping");
                    }
                }
                merged.forEach(entries::putIfAbsent);
                return entries;
            }

            private Map<String, SeedValue> columns(Map<String, Entry> entries) {
                var columns = new LinkedHashMap<String, SeedValue>();
                entries.forEach((name, entry) -> columns.put(name, value(entry.value())));
                return columns;
            }

            private String name(Node node, String what) {
                if (!(node instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
                    throw SeedError.in(file, Pos.of(node), what + " must be a name");
                }
                checkTag(node);
                return scalar.getValue();
            }

            private SeedValue value(Node node) {
                if (++values > MAX_VALUES) {
                    throw SeedError.in(file, Pos.of(node), "holds more than " + MAX_VALUES
                            + " values; are aliases (*name) multiplying it?");
                }
                checkTag(node);
                Pos pos = Pos.of(node);
                if (node instanceof ScalarNode scalar) {
                    String text = scalar.getValue();
                    if (text.length() > MAX_SCALAR_CHARS) {
                        throw SeedError.in(file, pos, "a value of " + text.length() + " characters is larger than the "
                                + MAX_SCALAR_CHARS + " a seed value may have");
                    }
                    if (text.indexOf('\0') >= 0) {
                        throw SeedError.in(file, pos, "a value holds a NUL character, which PostgreSQL text cannot store");
                    }
                    return SeedValue.scalar(kind(scalar), text, pos);
                }
                var result = new SeedValue[1];
                guard(node, () -> {
                    if (node instanceof SequenceNode list) {
                        var items = new ArrayList<SeedValue>();
                        for (Node item : list.getValue()) {
                            items.add(value(item));
                        }
                        result[0] = new SeedValue(Kind.LIST, null, items, null, pos);
                    } else {
                        result[0] = new SeedValue(Kind.MAP, null, null, columns(mapping(node, "a mapping")), pos);
                    }
                });
                return result[0];
            }

            /** Refuses a structure that contains itself (an alias to an enclosing anchor). */
            private void guard(Node node, Runnable walk) {
                if (!inProgress.add(node)) {
                    throw SeedError.in(file, Pos.of(node), "an alias refers to a structure that contains it");
                }
                try {
                    walk.run();
                } finally {
                    inProgress.remove(node);
                }
            }

            private static Kind kind(ScalarNode scalar) {
                Tag tag = scalar.getTag();
                if (tag.equals(Tag.NULL)) {
                    return Kind.NULL;
                } else if (tag.equals(Tag.BOOL)) {
                    String text = scalar.getValue().toLowerCase(Locale.ROOT);
                    return text.equals("true") || text.equals("false") ? Kind.BOOL : Kind.TEXT;
                } else if (tag.equals(Tag.INT)) {
                    return Kind.INT;
                } else if (tag.equals(Tag.FLOAT)) {
                    return Kind.FLOAT;
                } else if (tag.equals(Tag.TIMESTAMP)) {
                    return Kind.TIMESTAMP;
                } else if (tag.equals(Tag.BINARY)) {
                    return Kind.BINARY;
                }
                return Kind.TEXT;
            }

            private static final Set<Tag> ALLOWED_TAGS = Set.of(Tag.NULL, Tag.BOOL, Tag.INT, Tag.FLOAT, Tag.TIMESTAMP,
                    Tag.BINARY, Tag.STR, Tag.SEQ, Tag.MAP, Tag.MERGE);

            /** Only YAML's own types: a tag that names a Java class (or anything else) is refused. */
            private void checkTag(Node node) {
                if (!ALLOWED_TAGS.contains(node.getTag())) {
                    throw SeedError.in(file, Pos.of(node), "the tag " + node.getTag()
                            + " is not allowed in a seed file: seed files are data, written with YAML's own types only");
                }
            }
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Session: one connection, one transaction, one advisory lock for the whole run.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    static final class Session implements AutoCloseable {
        /** Serializes seed_database runs against one database: pg_advisory_xact_lock(RUN_LOCK). */
        static final long RUN_LOCK = 0x5EED_DA7A_BA5E_0001L;

        final DatabaseTarget target;
        final Connection connection;
        final Handle handle;
        private boolean committed;

        private Session(DatabaseTarget target, Connection connection) {
            this.target = target;
            this.connection = connection;
            this.handle = Jdbi.open(connection);
        }

        static Session open(DatabaseTarget target) {
            Connection connection;
            try {
                connection = new org.postgresql.Driver().connect(target.jdbcUrl(), target.properties());
                connection.setAutoCommit(false);
            } catch (SQLException e) {
                throw SqlErrors.translate(e, target);
            }
            var session = new Session(target, connection);
            try {
                // Timestamps written without an offset mean UTC, whatever the server's or the machine's zone.
                session.run("SET TIME ZONE 'UTC'");
                session.run("SELECT pg_advisory_xact_lock(" + RUN_LOCK + ")");
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
            return session;
        }

        /** Runs generated SQL (quoted catalog names, no values) as it is; returns the rows it changed. */
        long run(String sql) {
            try (var statement = connection.createStatement()) {
                return statement.execute(sql) ? 0 : statement.getLargeUpdateCount();
            } catch (SQLException e) {
                throw SqlErrors.translate(e, target);
            }
        }

        void commit() {
            try {
                connection.commit();
                committed = true;
            } catch (SQLException e) {
                throw SqlErrors.translate(e, target);
            }
        }

        @Override
        public void close() {
            try {
                if (!committed && !connection.isClosed()) {
                    connection.rollback();
                }
            } catch (SQLException e) {
                // The connection is gone: PostgreSQL has rolled the transaction back itself.
            }
            try {
                connection.close();
            } catch (SQLException e) {
                // Nothing more to do with a broken connection.
            }
        }

        /**
         * A DataSource for Flyway that hands out this session's connection, so migrations run inside
         * the run's transaction. Flyway's own transactions become savepoints: its commit releases
         * one, its rollback rolls back to one; closing is a no-op.
         */
        DataSource dataSourceForFlyway() {
            var connectionView = (Connection) Proxy.newProxyInstance(seed_database.class.getClassLoader(),
                    new Class<?>[]{Connection.class}, new java.lang.reflect.InvocationHandler() {
                        boolean inFlywayTransaction;

                        @Override
                        public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
                            switch (method.getName()) {
                                case "close", "setReadOnly":
                                    return null;
                                case "isClosed":
                                    return false;
                                case "getAutoCommit":
                                    return !inFlywayTransaction;
                                case "setAutoCommit":
                                    boolean autoCommit = (Boolean) args[0];
                                    if (!autoCommit && !inFlywayTransaction) {
                                        sql("SAVEPOINT flyway");
                                    } else if (autoCommit && inFlywayTransaction) {
                                        sql("RELEASE SAVEPOINT flyway");
                                    }
                                    inFlywayTransaction = !autoCommit;
                                    return null;
                                case "commit":
                                    if (inFlywayTransaction) {
                                        sql("RELEASE SAVEPOINT flyway");
                                        sql("SAVEPOINT flyway");
                                    }
                                    return null;
                                case "rollback":
                                    if (args == null || args.length == 0) {
                                        if (inFlywayTransaction) {
                                            sql("ROLLBACK TO SAVEPOINT flyway");
                                        }
                                        return null;
                                    }
                                    break;
                                default:
                                    break;
                            }
                            try {
                                return method.invoke(connection, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                        }

                        private void sql(String statement) throws SQLException {
                            try (var s = connection.createStatement()) {
                                s.execute(statement);
                            }
                        }
                    });
            return new DataSource() {
                @Override public Connection getConnection() { return connectionView; }
                @Override public Connection getConnection(String user, String password) { return connectionView; }
                @Override public PrintWriter getLogWriter() { return null; }
                @Override public void setLogWriter(PrintWriter out) { }
                @Override public void setLoginTimeout(int seconds) { }
                @Override public int getLoginTimeout() { return 0; }
                @Override public Logger getParentLogger() { return Logger.getLogger("org.postgresql"); }
                @Override public <T> T unwrap(Class<T> type) throws SQLException { throw new SQLException("not a wrapper"); }
                @Override public boolean isWrapperFor(Class<?> type) { return false; }
            };
        }
    }

    /** Turns a PostgreSQL error into a SeedError: exit 3 for connection trouble, 1 for the rest. */
    static final class SqlErrors {
        static SeedError translate(SQLException e, DatabaseTarget target) {
            String state = Objects.requireNonNullElse(e.getSQLState(), "");
            String where = target == null ? null : target.describe();
            if (state.startsWith("08") || state.startsWith("28") || state.equals("3D000") || state.startsWith("57P")) {
                String message = describe(e);
                String hint = switch (state.isEmpty() ? "" : state.substring(0, 2)) {
                    case "28" -> "check the user name and password (in the URL, PGUSER/PGPASSWORD or ~/.pgpass)";
                    case "3D" -> "create the database first, or point --url / DATABASE_URL at the right one";
                    case "57" -> "the server ended the connection; the transaction was rolled back";
                    default -> "is PostgreSQL running there and reachable? Set --url or DATABASE_URL to point elsewhere";
                };
                return new SeedError(EXIT_UNREACHABLE, where == null ? null : "cannot use " + where,
                        message + (target == null ? "" : " (connection from " + target.source() + ")"), hint, e);
            }
            return new SeedError(EXIT_FAILED, where, "PostgreSQL: " + describe(e), null, e);
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
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Migrations: Flyway, run inside the session's transaction.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    record AppliedMigration(String version, String description) {}

    record MigrationOutcome(String versionBefore, String versionAfter, List<AppliedMigration> applied, List<String> warnings) {}

    static final class Migrations {
        static MigrationOutcome apply(Session session, Path dir, Path workingDir) {
            var flyway = Flyway.configure(seed_database.class.getClassLoader())
                    .dataSource(session.dataSourceForFlyway())
                    .locations("filesystem:" + dir.toAbsolutePath())
                    .validateMigrationNaming(true)
                    .load();
            try {
                MigrateResult result = flyway.migrate();
                var applied = result.migrations.stream()
                        .map(m -> new AppliedMigration(m.version, m.description)).toList();
                String after = applied.isEmpty() ? result.initialSchemaVersion : result.targetSchemaVersion;
                return new MigrationOutcome(result.initialSchemaVersion, after, applied,
                        result.warnings == null ? List.of() : List.copyOf(result.warnings));
            } catch (FlywayMigrateException e) {
                String file = e.getAbsolutePathOnDisk() != null
                        ? SeedFile.displayPath(Path.of(e.getAbsolutePathOnDisk()), workingDir)
                        : "migration " + e.getMigration().getVersion();
                var cause = sqlCause(e);
                String message = cause != null ? "PostgreSQL: " + SqlErrors.describe(cause) : firstParagraph(e.getMessage());
                throw new SeedError(EXIT_FAILED, e.getLineNumber() > 0 ? file + ":" + e.getLineNumber() : file,
                        "migration failed: " + message, null, e);
            } catch (FlywayException e) {
                var cause = sqlCause(e);
                if (cause != null && SqlErrors.translate(cause, session.target).exitCode == EXIT_UNREACHABLE) {
                    throw SqlErrors.translate(cause, session.target);
                }
                throw new SeedError(EXIT_FAILED, SeedFile.displayPath(dir, workingDir), "Flyway: " + firstParagraph(e.getMessage()),
                        e.getMessage() != null && e.getMessage().contains("checksum mismatch")
                                ? "an applied migration was edited: revert the edit and put the change in a new migration"
                                : null, e);
            }
        }

        private static SQLException sqlCause(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql) {
                    return sql;
                }
            }
            return null;
        }

        private static String firstParagraph(String text) {
            if (text == null) {
                return "unknown error";
            }
            return text.lines().map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("---"))
                    .limit(4).collect(Collectors.joining(" "));
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Catalog: the target table as PostgreSQL describes it. Names from seed files are only
    // ever compared with these; SQL is built from the catalog's names, quoted.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    record Column(String name, String type, char category, String baseType, boolean array, char elementCategory,
                  String elementType, boolean notNull, boolean hasDefault, boolean generated, boolean identityAlways) {

        boolean json() {
            return baseType.equals("json") || baseType.equals("jsonb");
        }

        boolean elementJson() {
            return "json".equals(elementType) || "jsonb".equals(elementType);
        }

        /** The expression compared to decide whether a value changed; json has no equality, xml and geometry neither. */
        String comparable(String alias) {
            String column = alias + "." + quote(name);
            if (array) {
                return elementJson() || elementCategory == 'G' || "xml".equals(elementType) ? column + "::text" : column;
            }
            if (baseType.equals("json")) {
                return column + "::jsonb";
            }
            return category == 'G' || baseType.equals("xml") ? column + "::text" : column;
        }
    }

    record Table(String schema, String name, Map<String, Column> columns, List<List<String>> uniqueKeys) {
        String qualified() {
            return quote(schema) + "." + quote(name);
        }
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static final class Catalog {
        static Table table(Handle handle, SeedFile file) {
            String schema = null, name = file.table();
            int dot = name.indexOf('.');
            if (dot > 0 && dot == name.lastIndexOf('.')) {
                schema = name.substring(0, dot);
                name = name.substring(dot + 1);
            }
            var found = handle.createQuery("""
                            SELECT n.nspname, c.relname, c.oid::bigint
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.relname = ? AND c.relkind IN ('r', 'p')
                              AND CASE WHEN ?::text IS NULL THEN n.nspname = ANY (current_schemas(false)) ELSE n.nspname = ? END
                            ORDER BY array_position(current_schemas(false), n.nspname)
                            LIMIT 1""")
                    .bind(0, name).bind(1, schema).bind(2, schema)
                    .map((rs, ctx) -> new Object[]{rs.getString(1), rs.getString(2), rs.getLong(3)})
                    .findOne();
            if (found.isEmpty()) {
                var tables = handle.createQuery("""
                                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                                WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (current_schemas(false))""")
                        .mapTo(String.class).list();
                throw SeedError.in(file.displayPath(), file.tablePos(), "the database has no table \"" + file.table() + "\""
                        + suggestion(file.table(), tables)).hint("tables are created by migrations: check the name, "
                        + "or add a migration that creates it");
            }
            long oid = (Long) found.get()[2];
            var columns = new LinkedHashMap<String, Column>();
            handle.createQuery("""
                            SELECT a.attname, format_type(a.atttypid, a.atttypmod), bt.typcategory, bt.typname,
                                   bt.typcategory = 'A', coalesce(et.typcategory, ' '), et.typname,
                                   a.attnotnull, a.atthasdef OR a.attidentity <> '', a.attgenerated <> '', a.attidentity = 'a'
                            FROM pg_attribute a
                            JOIN pg_type t ON t.oid = a.atttypid
                            JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
                            LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
                            WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped
                            ORDER BY a.attnum""")
                    .bind(0, oid)
                    .map((rs, ctx) -> new Column(rs.getString(1), rs.getString(2), rs.getString(3).charAt(0),
                            rs.getString(4), rs.getBoolean(5), rs.getString(6).charAt(0), rs.getString(7),
                            rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10), rs.getBoolean(11)))
                    .forEach(c -> columns.put(c.name(), c));
            var uniqueKeys = handle.createQuery("""
                            SELECT array_agg(a.attname::text ORDER BY k.position)
                            FROM pg_index i
                            CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
                            JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                            WHERE i.indrelid = ? AND i.indisunique AND i.indimmediate AND i.indisvalid
                              AND i.indpred IS NULL AND i.indexprs IS NULL AND k.position <= i.indnkeyatts
                            GROUP BY i.indexrelid""")
                    .bind(0, oid)
                    .map((rs, ctx) -> List.of((String[]) rs.getArray(1).getArray()))
                    .list();
            return new Table((String) found.get()[0], (String) found.get()[1], columns, uniqueKeys);
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Seeder: one seed file against its table. Rows are staged with COPY into a temporary table
    // typed like the target (PostgreSQL itself checks every value), compared there, and then
    // upserted with one set-based statement that writes only rows whose values differ.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    record ColumnChange(String column, String before, String after) {}

    /** A row the run inserts (no column changes listed) or updates (the changed columns). */
    record RowChange(String key, Pos pos, boolean inserted, List<ColumnChange> columns) {}

    static final class Seeder {
        /** What a file did to its table. */
        record Outcome(SeedFile file, Table table, List<RowChange> changes, long inserted, long updated,
                       long unchanged, long notInFile) {}

        private static final String ROW = quote("seed.row"), GROUP = quote("seed.group");
        /** Where a write statement takes an extra condition on the staged rows. */
        private static final String ROWS = "/*rows*/";

        final Session session;
        final Handle handle;
        final SeedFile file;
        final List<SeedRow> rows;
        Table table;
        String stage;
        /** The column group of each row, by row index. */
        int[] rowGroup;
        java.sql.Savepoint beforeWrites;

        Seeder(Session session, SeedFile file) {
            this.session = session;
            this.handle = session.handle;
            this.file = file;
            this.rows = file.effectiveRows();
        }

        Outcome apply() {
            table = Catalog.table(handle, file);
            var groups = validate();
            session.run("LOCK TABLE " + table.qualified() + " IN SHARE ROW EXCLUSIVE MODE");
            stage(groups);
            rejectDuplicateKeys();
            try {
                // PostgreSQL aborts the transaction on an error; rolling back to here lets the
                // error message still consult the catalog.
                beforeWrites = handle.getConnection().setSavepoint("seed_file");
            } catch (SQLException e) {
                throw SqlErrors.translate(e, session.target);
            }
            var changes = new ArrayList<RowChange>();
            long inserted = 0, updated = 0;
            for (var group : groups.values()) {
                var groupChanges = diff(group);
                long groupInserted = groupChanges.stream().filter(RowChange::inserted).count();
                if (groupInserted > 0) {
                    requireValuesForInsert(group, groupChanges);
                }
                long groupUpdated = groupChanges.size() - groupInserted;
                if (write(updateStatement(group)) != groupUpdated || write(insertStatement(group)) != groupInserted) {
                    // Cannot happen while the run holds its lock on the table; a check, not an expectation.
                    throw SeedError.in(file.displayPath(), null, "the rows written differ from the rows that differ")
                            .hint("the table changed during the run; rerun");
                }
                inserted += groupInserted;
                updated += groupUpdated;
                changes.addAll(groupChanges);
            }
            checkDeferredConstraints();
            long notInFile = handle.createQuery("SELECT count(*) FROM " + table.qualified() + " t WHERE NOT EXISTS (SELECT 1 FROM "
                    + stage + " s WHERE " + keyMatch("t", "s") + ")").mapTo(Long.class).one();
            session.run("DROP TABLE " + stage);
            changes.sort(Comparator.comparing(c -> c.pos().line()));
            return new Outcome(file, table, changes, inserted, updated, rows.size() - inserted - updated, notInFile);
        }

        /** The columns a set of rows gives; rows giving the same columns are staged and upserted together. */
        record Group(int id, List<Column> columns) {}

        /** Checks every name against the catalog and every key for presence; returns the rows' column groups. */
        private Map<List<String>, Group> validate() {
            for (String keyColumn : file.key()) {
                if (!table.columns().containsKey(keyColumn)) {
                    throw unknownColumn(keyColumn, file.keyPos());
                }
            }
            if (table.uniqueKeys().stream().noneMatch(k -> Set.copyOf(k).equals(Set.copyOf(file.key())))) {
                String existing = table.uniqueKeys().stream().map(k -> String.join(", ", k))
                        .map(k -> "(" + k + ")").collect(Collectors.joining(" or "));
                throw SeedError.in(file.displayPath(), file.keyPos(), "the key (" + String.join(", ", file.key())
                        + ") is not unique in " + table.name() + ": no unique constraint covers exactly these columns")
                        .hint(existing.isEmpty() ? "add one in a migration: ALTER TABLE " + table.name() + " ADD UNIQUE ("
                                + String.join(", ", file.key()) + ")" : "its unique keys are " + existing);
            }
            var groups = new LinkedHashMap<List<String>, Group>();
            rowGroup = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                var row = rows.get(i);
                for (String keyColumn : file.key()) {
                    var value = row.values().get(keyColumn);
                    if (value == null || value.kind() == Kind.NULL) {
                        throw SeedError.in(file.displayPath(), value == null ? row.pos() : value.pos(),
                                "this row has no value for the key column " + keyColumn);
                    }
                }
                for (var entry : row.values().entrySet()) {
                    var column = table.columns().get(entry.getKey());
                    if (column == null) {
                        throw unknownColumn(entry.getKey(), entry.getValue().pos());
                    }
                    if (column.generated() || column.identityAlways()) {
                        throw SeedError.in(file.displayPath(), entry.getValue().pos(), "column " + column.name()
                                + " is generated by the database and cannot be given a value");
                    }
                    if (column.notNull() && entry.getValue().kind() == Kind.NULL) {
                        throw SeedError.in(file.displayPath(), entry.getValue().pos(), "column " + column.name()
                                + " is NOT NULL, but this row gives it no value (null)");
                    }
                }
                var names = table.columns().keySet().stream().filter(row.values()::containsKey).toList();
                rowGroup[i] = groups.computeIfAbsent(names, n -> new Group(groups.size() + 1,
                        n.stream().map(table.columns()::get).toList())).id();
            }
            return groups;
        }

        private SeedError unknownColumn(String name, Pos pos) {
            return SeedError.in(file.displayPath(), pos, "table " + table.name() + " has no column \"" + name + "\""
                    + suggestion(name, table.columns().keySet()));
        }

        /** COPY every row into a temporary table typed like the target; PostgreSQL parses each value. */
        private void stage(Map<List<String>, Group> groups) {
            var used = table.columns().values().stream()
                    .filter(c -> groups.values().stream().anyMatch(g -> g.columns().contains(c))).toList();
            stage = "pg_temp." + quote("seed_stage");
            session.run("DROP TABLE IF EXISTS " + stage);
            session.run("CREATE TEMPORARY TABLE " + stage + " (" + ROW + " integer, " + GROUP + " integer"
                    + used.stream().map(c -> ", " + quote(c.name()) + " " + c.type()).collect(Collectors.joining())
                    + ") ON COMMIT DROP");
            String copy = "COPY " + stage + " (" + ROW + ", " + GROUP
                    + used.stream().map(c -> ", " + quote(c.name())).collect(Collectors.joining()) + ") FROM STDIN";
            try {
                CopyIn in = handle.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn(copy);
                try {
                    var line = new StringBuilder();
                    var buffer = new java.io.ByteArrayOutputStream(1 << 16);
                    for (int i = 0; i < rows.size(); i++) {
                        var row = rows.get(i);
                        line.setLength(0);
                        line.append(i).append('\t').append(rowGroup[i]);
                        for (var column : used) {
                            line.append('\t');
                            appendCopyField(line, Values.text(row.values().get(column.name()), column, file));
                        }
                        buffer.writeBytes(line.append('\n').toString().getBytes(UTF_8));
                        if (buffer.size() >= 1 << 16) {
                            in.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                            buffer.reset();
                        }
                    }
                    in.writeToCopy(buffer.toByteArray(), 0, buffer.size());
                    in.endCopy();
                } finally {
                    if (in.isActive()) {
                        try {
                            in.cancelCopy();
                        } catch (SQLException ignored) {
                            // the error that got us here is the one to report
                        }
                    }
                }
            } catch (SQLException e) {
                throw copyError(e);
            }
        }

        private static final Pattern COPY_WHERE = Pattern.compile("COPY [^,]+, line (\\d+), column (.+?)(?::|$)");

        /** A value PostgreSQL refused, traced back to the row and column of the seed file. */
        private SeedError copyError(SQLException e) {
            var where = e instanceof PSQLException pg && pg.getServerErrorMessage() != null
                    ? pg.getServerErrorMessage().getWhere() : null;
            Matcher m = where == null ? null : COPY_WHERE.matcher(where);
            if (m != null && m.find()) {
                var row = rows.get(Integer.parseInt(m.group(1)) - 1);
                String columnName = m.group(2);
                var column = table.columns().get(columnName);
                var value = row.values().get(columnName);
                return new SeedError(EXIT_FAILED, file.displayPath() + ":" + (value != null ? value.pos() : row.pos()),
                        columnName + " (" + (column != null ? column.type() : "?") + "): " + SqlErrors.describe(e), null, e);
            }
            return new SeedError(EXIT_FAILED, file.displayPath(), SqlErrors.describe(e), null, e);
        }

        private void rejectDuplicateKeys() {
            String keys = file.key().stream().map(k -> "s." + quote(k)).collect(Collectors.joining(", "));
            var duplicate = handle.createQuery("SELECT array_agg(s." + ROW + " ORDER BY s." + ROW + ") FROM " + stage
                            + " s GROUP BY " + keys + " HAVING count(*) > 1 ORDER BY min(s." + ROW + ") LIMIT 1")
                    .map((rs, ctx) -> (Integer[]) rs.getArray(1).getArray()).findOne();
            if (duplicate.isPresent()) {
                var lines = Stream.of(duplicate.get()).map(i -> String.valueOf(rows.get(i).pos().line())).toList();
                var second = rows.get(duplicate.get()[1]);
                throw SeedError.in(file.displayPath(), second.pos(), "the key " + keyText(second) + " is given twice (rows at lines "
                        + String.join(" and ", lines) + ")").hint("each key may appear once in a seed file");
            }
        }

        private String keyText(SeedRow row) {
            return file.key().stream().map(k -> row.values().get(k).text()).collect(Collectors.joining(", "));
        }

        private String keyMatch(String left, String right) {
            return file.key().stream().map(k -> left + "." + quote(k) + " = " + right + "." + quote(k))
                    .collect(Collectors.joining(" AND "));
        }

        /** Rows of the group that the upsert would insert or change, with every changed column's old and new value. */
        private List<RowChange> diff(Group group) {
            var values = valueColumns(group);
            var select = new StringBuilder("SELECT s." + ROW + ", t." + quote(file.key().get(0)) + " IS NULL");
            for (var c : values) {
                select.append(", t.").append(quote(c.name())).append("::text, s.").append(quote(c.name())).append("::text, ")
                        .append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
            }
            select.append(" FROM ").append(stage).append(" s LEFT JOIN ").append(table.qualified()).append(" t ON ")
                    .append(keyMatch("t", "s")).append(" WHERE s.").append(GROUP).append(" = ").append(group.id())
                    .append(" AND (t.").append(quote(file.key().get(0))).append(" IS NULL");
            for (var c : values) {
                select.append(" OR ").append(c.comparable("t")).append(" IS DISTINCT FROM ").append(c.comparable("s"));
            }
            select.append(") ORDER BY s.").append(ROW);
            return handle.createQuery(select.toString()).map((rs, ctx) -> {
                var row = rows.get(rs.getInt(1));
                boolean inserted = rs.getBoolean(2);
                var changed = new ArrayList<ColumnChange>();
                for (int i = 0; !inserted && i < values.size(); i++) {
                    if (rs.getBoolean(5 + 3 * i)) {
                        changed.add(new ColumnChange(values.get(i).name(), rs.getString(3 + 3 * i), rs.getString(4 + 3 * i)));
                    }
                }
                return new RowChange(keyText(row), row.pos(), inserted, changed);
            }).list();
        }

        private List<Column> valueColumns(Group group) {
            return group.columns().stream().filter(c -> !file.key().contains(c.name())).toList();
        }

        /** A row to insert must give every NOT NULL column that has no default. */
        private void requireValuesForInsert(Group group, List<RowChange> changes) {
            var missing = table.columns().values().stream()
                    .filter(c -> c.notNull() && !c.hasDefault() && !group.columns().contains(c))
                    .map(Column::name).toList();
            if (!missing.isEmpty()) {
                var first = changes.stream().filter(RowChange::inserted).findFirst().orElseThrow();
                throw SeedError.in(file.displayPath(), first.pos(), "the new row " + first.key() + " gives no value for "
                        + String.join(", ", missing) + (missing.size() == 1 ? ", which is" : ", which are")
                        + " NOT NULL without a default");
            }
        }

        /**
         * The group's changed rows, written with UPDATE … FROM the stage; only rows whose values
         * differ are touched. Not INSERT … ON CONFLICT DO UPDATE: that checks NOT NULL and CHECK
         * constraints on the whole proposed row first, so a row that leaves out a column (which must
         * keep its value) would fail. The table lock makes the two statements as safe as one.
         * The statement has a ROWS marker where a row range can be added, to find the row a
         * constraint refuses.
         */
        private String updateStatement(Group group) {
            var values = valueColumns(group);
            if (values.isEmpty()) {
                return null;
            }
            return "UPDATE " + table.qualified() + " AS t SET "
                    + values.stream().map(c -> quote(c.name()) + " = s." + quote(c.name())).collect(Collectors.joining(", "))
                    + " FROM " + stage + " s WHERE " + keyMatch("t", "s") + " AND s." + GROUP + " = " + group.id() + ROWS + " AND ("
                    + values.stream().map(c -> c.comparable("t") + " IS DISTINCT FROM " + c.comparable("s"))
                            .collect(Collectors.joining(" OR ")) + ")";
        }

        /** The group's new rows; columns they leave out get the table's defaults. */
        private String insertStatement(Group group) {
            String columns = group.columns().stream().map(c -> quote(c.name())).collect(Collectors.joining(", "));
            return "INSERT INTO " + table.qualified() + " (" + columns + ") SELECT "
                    + group.columns().stream().map(c -> "s." + quote(c.name())).collect(Collectors.joining(", "))
                    + " FROM " + stage + " s WHERE s." + GROUP + " = " + group.id() + ROWS + " AND NOT EXISTS (SELECT 1 FROM "
                    + table.qualified() + " t WHERE " + keyMatch("t", "s") + ") ORDER BY s." + ROW;
        }

        /** Runs a write statement for all the group's rows; a refused value is traced to its row. */
        private long write(String statement) {
            if (statement == null) {
                return 0;
            }
            try (var sql = handle.getConnection().createStatement()) {
                return sql.executeLargeUpdate(statement.replace(ROWS, ""));
            } catch (SQLException e) {
                if (!Objects.requireNonNullElse(e.getSQLState(), "").startsWith("2")) {
                    throw constraintError(e, null);
                }
                rollbackTo(beforeWrites, e);
                return throwForCulprit(statement, e);
            }
        }

        /**
         * Finds the row PostgreSQL refuses: the shortest prefix of the file's rows for which the
         * statement fails ends with it (also when the violation needs an earlier row, as a duplicate
         * value does). Each probe runs inside a savepoint and is rolled back.
         */
        private long throwForCulprit(String statement, SQLException original) {
            int low = 0, high = rows.size() - 1;
            SQLException refusal = original;
            try (var sql = handle.getConnection().createStatement()) {
                while (low < high) {
                    int middle = (low + high) >>> 1;
                    var probe = handle.getConnection().setSavepoint();
                    try {
                        sql.executeLargeUpdate(statement.replace(ROWS, " AND s." + ROW + " <= " + middle));
                        low = middle + 1;
                    } catch (SQLException refused) {
                        high = middle;
                        refusal = refused;
                    }
                    handle.getConnection().rollback(probe);
                }
            } catch (SQLException e) {
                throw constraintError(original, null);
            }
            throw constraintError(refusal, rows.get(low));
        }

        private void rollbackTo(java.sql.Savepoint savepoint, SQLException cause) {
            try {
                handle.getConnection().rollback(savepoint);
            } catch (SQLException e) {
                throw SqlErrors.translate(cause, session.target);
            }
        }

        /** Deferred constraints (at most one default model, say) are checked here, so the error names this file. */
        private void checkDeferredConstraints() {
            try (var statement = handle.getConnection().createStatement()) {
                statement.execute("SET CONSTRAINTS ALL IMMEDIATE");
                statement.execute("SET CONSTRAINTS ALL DEFERRED");
            } catch (SQLException e) {
                throw constraintError(e, null);
            }
        }

        /** A refused write: the file, the row when known, PostgreSQL's words, and the constraint's comment or definition. */
        private SeedError constraintError(SQLException e, SeedRow row) {
            if (!Objects.requireNonNullElse(e.getSQLState(), "").startsWith("2")) {
                return SqlErrors.translate(e, session.target);
            }
            var error = e instanceof PSQLException pg ? pg.getServerErrorMessage() : null;
            Pos pos = row == null ? null : row.pos();
            String hint = null;
            if (error != null && error.getConstraint() != null) {
                try {
                    handle.getConnection().rollback(beforeWrites);
                } catch (SQLException unusable) {
                    return new SeedError(EXIT_FAILED, file.displayPath(), SqlErrors.describe(e), null, e);
                }
                var constraint = handle.createQuery("""
                                SELECT coalesce(obj_description(c.oid, 'pg_constraint'), 'the constraint is ' || pg_get_constraintdef(c.oid)),
                                       array(SELECT a.attname::text FROM pg_attribute a
                                             WHERE a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey))
                                FROM pg_constraint c WHERE c.conname = ? AND c.conrelid = ?::regclass""")
                        .bind(0, error.getConstraint()).bind(1, table.qualified())
                        .map((rs, ctx) -> Map.entry(rs.getString(1), List.of((String[]) rs.getArray(2).getArray())))
                        .findOne();
                if (constraint.isPresent()) {
                    hint = constraint.get().getKey();
                    var columns = constraint.get().getValue();
                    if (row != null && columns.size() == 1 && row.values().containsKey(columns.get(0))) {
                        pos = row.values().get(columns.get(0)).pos();
                    }
                }
            }
            if (row != null && error != null && error.getColumn() != null && row.values().containsKey(error.getColumn())) {
                pos = row.values().get(error.getColumn()).pos();
            }
            // Once the row is named, PostgreSQL's "Failing row contains (…)" only repeats it.
            String message = row == null ? "table " + table.name() + ": " + SqlErrors.describe(e)
                    : "row " + keyText(row) + ": " + SqlErrors.describe(e).replaceFirst(" \\(Failing row contains .*\\)$", "");
            return new SeedError(EXIT_FAILED, pos == null ? file.displayPath() : file.displayPath() + ":" + pos, message, hint, e);
        }

        private static void appendCopyField(StringBuilder line, String value) {
            if (value == null) {
                line.append("\\N");
                return;
            }
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '\\' -> line.append("\\\\");
                    case '\n' -> line.append("\\n");
                    case '\r' -> line.append("\\r");
                    case '\t' -> line.append("\\t");
                    default -> line.append(c);
                }
            }
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Values: a seed value as the text PostgreSQL parses for its column's type.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    static final class Values {
        /** The input text for the column, or null for SQL NULL. */
        static String text(SeedValue value, Column column, SeedFile file) {
            if (value == null || value.kind() == Kind.NULL) {
                return null;
            }
            if (column.json()) {
                return json(value, file);
            }
            if (column.array()) {
                if (value.kind() != Kind.LIST) {
                    throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type()
                            + ": write its value as a list, e.g. [a, b]");
                }
                return arrayLiteral(value, column, file);
            }
            if (value.kind() == Kind.LIST || value.kind() == Kind.MAP) {
                throw SeedError.in(file.displayPath(), value.pos(), column.name() + " is " + column.type() + ": a YAML "
                        + (value.kind() == Kind.LIST ? "list" : "mapping") + " fits only a json, jsonb or array column");
            }
            return scalar(value, column.category(), column.baseType(), file);
        }

        private static String scalar(SeedValue value, char category, String baseType, SeedFile file) {
            return switch (value.kind()) {
                case INT, FLOAT -> category == 'N' ? number(value, file) : value.text();
                case BINARY -> {
                    if (!"bytea".equals(baseType)) {
                        yield value.text();
                    }
                    try {
                        yield "\\x" + HexFormat.of().formatHex(Base64.getMimeDecoder().decode(value.text()));
                    } catch (IllegalArgumentException e) {
                        throw SeedError.in(file.displayPath(), value.pos(), "!!binary value is not base64");
                    }
                }
                default -> value.text();
            };
        }

        private static final Pattern SEXAGESIMAL = Pattern.compile("[-+]?[0-9][0-9]*(:[0-5]?[0-9])+(\\.[0-9]*)?");

        /** A YAML number as PostgreSQL numeric input: digits as written (0.010 keeps its scale), no underscores. */
        static String number(SeedValue value, SeedFile file) {
            String text = value.text().replace("_", "");
            String lower = text.toLowerCase(Locale.ROOT);
            boolean negative = lower.startsWith("-");
            String unsigned = lower.startsWith("-") || lower.startsWith("+") ? lower.substring(1) : lower;
            try {
                if (unsigned.equals(".inf")) {
                    return negative ? "-Infinity" : "Infinity";
                } else if (unsigned.equals(".nan")) {
                    return "NaN";
                } else if (unsigned.startsWith("0x") || unsigned.startsWith("0o") || unsigned.startsWith("0b")) {
                    int radix = unsigned.charAt(1) == 'x' ? 16 : unsigned.charAt(1) == 'o' ? 8 : 2;
                    var number = new BigInteger(unsigned.substring(2), radix);
                    return (negative ? number.negate() : number).toString();
                } else if (SEXAGESIMAL.matcher(text).matches()) {
                    var number = BigDecimal.ZERO;
                    for (String part : unsigned.split(":")) {
                        number = number.multiply(BigDecimal.valueOf(60)).add(new BigDecimal(part));
                    }
                    return (negative ? number.negate() : number).toPlainString();
                }
                new BigDecimal(text);
                return text;
            } catch (NumberFormatException e) {
                throw SeedError.in(file.displayPath(), value.pos(), "\"" + value.text() + "\" is not a number");
            }
        }

        static String json(SeedValue value, SeedFile file) {
            var out = new StringBuilder();
            writeJson(out, value, file);
            return out.toString();
        }

        private static void writeJson(StringBuilder out, SeedValue value, SeedFile file) {
            switch (value.kind()) {
                case NULL -> out.append("null");
                case BOOL -> out.append(value.text().toLowerCase(Locale.ROOT));
                case INT, FLOAT -> {
                    String number = number(value, file);
                    if (number.equals("NaN") || number.endsWith("Infinity")) {
                        throw SeedError.in(file.displayPath(), value.pos(), value.text() + " has no JSON form");
                    }
                    out.append(new BigDecimal(number));
                }
                case LIST -> {
                    out.append('[');
                    for (int i = 0; i < value.items().size(); i++) {
                        out.append(i == 0 ? "" : ",");
                        writeJson(out, value.items().get(i), file);
                    }
                    out.append(']');
                }
                case MAP -> {
                    out.append('{');
                    boolean first = true;
                    for (var entry : value.entries().entrySet()) {
                        out.append(first ? "" : ",");
                        first = false;
                        jsonString(out, entry.getKey());
                        out.append(':');
                        writeJson(out, entry.getValue(), file);
                    }
                    out.append('}');
                }
                default -> jsonString(out, value.text());
            }
        }

        private static void jsonString(StringBuilder out, String text) {
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

        /** A YAML list as a PostgreSQL array literal: {"a","b"}, nested lists for more dimensions. */
        private static String arrayLiteral(SeedValue list, Column column, SeedFile file) {
            var out = new StringBuilder("{");
            for (int i = 0; i < list.items().size(); i++) {
                var item = list.items().get(i);
                out.append(i == 0 ? "" : ",");
                if (item.kind() == Kind.NULL) {
                    out.append("NULL");
                } else if (item.kind() == Kind.LIST) {
                    out.append(arrayLiteral(item, column, file));
                } else {
                    String text = item.kind() == Kind.MAP || column.elementJson() ? json(item, file)
                            : scalar(item, column.elementCategory(), column.elementType(), file);
                    out.append('"').append(text.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                }
            }
            return out.append('}').toString();
        }
    }

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Report: what a person reads after editing a price.
    // ─────────────────────────────────────────────────────────────────────────────────────────

    static final class Report {
        static final int ROWS_SHOWN = 20, VALUE_WIDTH = 60;
        final PrintWriter out;

        Report(PrintWriter out) {
            this.out = out;
        }

        void header(DatabaseTarget target, Layout layout, boolean migrate, boolean seed) {
            out.println("seed_database " + VERSION);
            out.println("  database    " + target.describe() + " (from " + target.source() + ")");
            if (migrate) {
                out.println("  migrations  " + layout.migrations() + " (" + layout.migrationsFrom() + ")");
            }
            if (seed) {
                out.println("  seeds       " + layout.seeds() + " (" + layout.seedsFrom() + ")");
            }
        }

        void migrations(MigrationOutcome outcome) {
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

        void done(long startedNanos) {
            out.printf(Locale.ROOT, "Done in %.2f s.%n", (System.nanoTime() - startedNanos) / 1e9);
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

    // ─────────────────────────────────────────────────────────────────────────────────────────
    // Small helpers
    // ─────────────────────────────────────────────────────────────────────────────────────────

    /** Flyway and the driver log through java.util.logging: short lines on stderr; more with --verbose. */
    static final class Logging {
        private static final java.util.logging.Formatter FORMATTER = new java.util.logging.SimpleFormatter();
        /** Held here: java.util.logging keeps loggers only weakly, and would forget the level. */
        private static final Logger DRIVER = Logger.getLogger("org.postgresql"), FLYWAY = Logger.getLogger("org.flywaydb");

        static void configure(boolean verbose, PrintWriter err) {
            Logger root = Logger.getLogger("");
            for (Handler handler : root.getHandlers()) {
                root.removeHandler(handler);
            }
            root.addHandler(new Handler() {
                @Override
                public void publish(LogRecord record) {
                    if (isLoggable(record)) {
                        String source = record.getLoggerName() != null && record.getLoggerName().startsWith("org.flywaydb")
                                ? "flyway" : Objects.requireNonNullElse(record.getLoggerName(), "log");
                        err.println("  " + source + ": " + FORMATTER.formatMessage(record));
                    }
                }

                @Override public void flush() { err.flush(); }
                @Override public void close() { }
            });
            root.setLevel(verbose ? Level.INFO : Level.WARNING);
            DRIVER.setLevel(Level.WARNING);
            // Flyway's log only with --verbose: the run reports migrations (and Flyway's warnings) itself.
            FLYWAY.setLevel(verbose ? Level.INFO : Level.OFF);
        }
    }

    /** ", did you mean …?" for the closest of the candidates, or nothing when none is close. */
    static String suggestion(String name, java.util.Collection<String> candidates) {
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

    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1], current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    static String firstNonBlank(String... candidates) {
        for (String candidate : candidates) {
            if (blankToNull(candidate) != null) {
                return candidate;
            }
        }
        return null;
    }
}
