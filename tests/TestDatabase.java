import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A database of its own on the real PostgreSQL at TEST_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/postgres), created for one test class and dropped after it.
 * Also what every test needs around it: the project's files, a scratch copy of them to edit,
 * and the tool run in-process with an environment of the test's choosing.
 */
final class TestDatabase implements AutoCloseable {

    static final String SERVER_URL = System.getenv().getOrDefault("TEST_DATABASE_URL",
            "postgresql://postgres@127.0.0.1:5432/postgres");
    static final Path PROJECT = findProject();
    /**
     * The tests' own project: migrations/ and seeds/ as the tests expect them. The shipped
     * migrations/ and seeds/ are the user's data, which the tests never read (but for
     * ShippedDataTest, which applies them twice and pins nothing).
     */
    static final Path FIXTURES = PROJECT.resolve("tests/fixtures");
    private static final AtomicInteger COUNTER = new AtomicInteger();

    final String name;

    private TestDatabase(String name) {
        this.name = name;
    }

    /** A new, empty database named after the test class. */
    static TestDatabase create(Class<?> testClass) {
        String name = ("seed_test_" + testClass.getSimpleName() + "_" + ProcessHandle.current().pid() + "_"
                + COUNTER.incrementAndGet()).toLowerCase();
        var database = new TestDatabase(name);
        database.recreate();
        return database;
    }

    /** Drops and creates the database again: what losing a Docker volume does. */
    void recreate() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        admin("CREATE DATABASE " + name);
    }

    @Override
    public void close() {
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    /** This database's URL, in the postgresql:// form a backend's DATABASE_URL has. */
    String url() {
        return urlFor(name);
    }

    static String urlFor(String database) {
        var server = DatabaseTarget.resolve(SERVER_URL, Map.of());
        return "postgresql://" + DatabaseTarget.percentEncode(server.user())
                + (server.password() == null ? "" : ":" + DatabaseTarget.percentEncode(server.password()))
                + "@" + server.hosts().get(0).render(server.defaultPort()) + "/" + database;
    }

    static void admin(String sql) {
        try (var connection = connect(SERVER_URL); var statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    static Connection connect(String url) throws SQLException {
        var target = DatabaseTarget.resolve(url, Map.of());
        return DriverManager.getConnection(target.jdbcUrl(), target.properties());
    }

    /** Runs SQL in this database; returns the rows as ordered maps of column → value. */
    List<Map<String, Object>> query(String sql, Object... parameters) {
        try (var connection = connect(url()); var statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            if (!statement.execute()) {
                return List.of();
            }
            var rows = new ArrayList<Map<String, Object>>();
            try (ResultSet rs = statement.getResultSet()) {
                int columns = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    var row = new LinkedHashMap<String, Object>();
                    for (int i = 1; i <= columns; i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** The single value of a one-row, one-column query, as text. */
    String text(String sql, Object... parameters) {
        var rows = query(sql, parameters);
        if (rows.size() != 1) {
            throw new IllegalStateException(sql + " returned " + rows.size() + " rows");
        }
        Object value = rows.get(0).values().iterator().next();
        return value == null ? null : value.toString();
    }

    long count(String sql, Object... parameters) {
        return Long.parseLong(text(sql, parameters));
    }

    void execute(String sql) {
        query(sql);
    }

    /**
     * A connection to this database with a transaction open, as another application holds one
     * (named so in pg_stat_activity when a name is given): what a test takes a lock with.
     */
    Connection holder(String applicationName) throws SQLException {
        var connection = connect(url());
        connection.setAutoCommit(false);
        if (applicationName != null) {
            try (var statement = connection.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                statement.setString(1, applicationName);
                statement.execute();
            }
        }
        return connection;
    }

    /**
     * Asks the query every 20 ms until it returns a row, for at most the given seconds; returns
     * the row's first value, or fails with the message. How a test waits for a run to get somewhere.
     */
    Object await(int seconds, String failure, String sql, Object... parameters) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            var rows = query(sql, parameters);
            if (!rows.isEmpty()) {
                return rows.get(0).values().iterator().next();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return org.junit.jupiter.api.Assertions.fail(failure);
    }

    /**
     * Everything the database holds, as one text: every row of every table in public (with xmin,
     * so a rewrite of an identical row shows too), and the list of tables; but the tables left
     * out. Equal snapshots mean nothing was written.
     */
    String snapshot(String... leftOut) {
        var tables = query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL (?) ORDER BY tablename",
                (Object) leftOut);
        var text = new StringBuilder();
        for (var table : tables) {
            String name = (String) table.get("tablename");
            text.append(name).append(":\n");
            for (var row : query("SELECT xmin::text AS xmin, t::text AS row FROM public.\"" + name + "\" t ORDER BY 2")) {
                text.append("  ").append(row.get("xmin")).append(' ').append(row.get("row")).append('\n');
            }
        }
        return text.toString();
    }

    /** xmin of each llm_models row by model_id: it changes exactly when a row is rewritten. */
    Map<String, String> rowVersions(String table, String key) {
        var versions = new LinkedHashMap<String, String>();
        for (var row : query("SELECT \"" + key + "\"::text AS key, xmin::text AS xmin FROM \"" + table + "\" ORDER BY 1")) {
            versions.put((String) row.get("key"), (String) row.get("xmin"));
        }
        return versions;
    }

    // ── the tool, in-process ─────────────────────────────────────────────────────────────────

    /** What a run of the tool printed and returned. */
    record Run(int exitCode, String out, String err) {
        String output() {
            return out + err;
        }

        /** stdout, read as the JSON document it is under --json. */
        JsonNode json() {
            return parse(out);
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    static JsonNode parse(String json) {
        try {
            return new ObjectMapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs the tool against this database from the given directory, with DATABASE_URL as the only setting. */
    Run run(Path workingDir, String... args) {
        return runWith(Map.of("DATABASE_URL", url()), workingDir, args);
    }

    static Run runWith(Map<String, String> env, Path workingDir, String... args) {
        return capture((out, err) -> seed_database.execute(args, new HashMap<>(env), workingDir.toAbsolutePath().normalize(), out, err));
    }

    /** What a call of the tool's entry point printed on the two writers it was given, and returned. */
    static Run capture(java.util.function.ToIntBiFunction<PrintWriter, PrintWriter> tool) {
        var out = new StringWriter();
        var err = new StringWriter();
        int exitCode = tool.applyAsInt(new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exitCode, out.toString(), err.toString());
    }

    /**
     * ./jbang seed_database.java ARGS as a process of its own, started in workingDir, as a user
     * starts it; with env for the caller's PG* variables, DATABASE_URL and SEED_DATABASE_HOME.
     * What it writes goes to the files out and err in the directory output.
     */
    static Process startTool(Path workingDir, Map<String, String> env, Path output, String... args) throws IOException {
        var command = new ArrayList<>(List.of(PROJECT.resolve("jbang").toString(), PROJECT.resolve("seed_database.java").toString()));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command).directory(workingDir.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("PG") || name.equals("DATABASE_URL")
                || name.equals("SEED_DATABASE_HOME"));
        builder.environment().putAll(env);
        return builder.redirectOutput(output.resolve("out").toFile()).redirectError(output.resolve("err").toFile()).start();
    }

    /** The cases of a corpus (tests/bad-input, tests/hostile): its directories, in order. */
    static List<Path> corpusCases(Path corpus) throws IOException {
        try (var dirs = Files.list(corpus)) {
            return dirs.filter(Files::isDirectory).sorted().toList();
        }
    }

    /**
     * One case of a corpus (tests/bad-input, tests/hostile): a seeds directory and its expected.txt,
     * which gives the exit code and lines the error must contain. The run must print one paragraph
     * on stderr, no stack trace, and leave the database exactly as it was.
     */
    static void checkCorpusCase(TestDatabase db, Path dir, String... extraArguments) {
        var expected = read(dir.resolve("expected.txt")).lines()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).toList();
        int exitCode = Integer.parseInt(expected.get(0).replace("exit ", "").trim());
        String before = db.snapshot();
        var arguments = new java.util.ArrayList<>(List.of("--seeds", dir.toString()));
        arguments.addAll(List.of(extraArguments));

        var run = db.run(FIXTURES, arguments.toArray(String[]::new));

        org.junit.jupiter.api.Assertions.assertEquals(exitCode, run.exitCode(), run::toString);
        for (String line : expected.subList(1, expected.size())) {
            org.junit.jupiter.api.Assertions.assertTrue(run.err().contains(line), () -> "expected in stderr: " + line + "\n" + run);
        }
        org.junit.jupiter.api.Assertions.assertTrue(run.err().startsWith("error: "), run::toString);
        org.junit.jupiter.api.Assertions.assertEquals(1, run.err().lines().count(), () -> "one paragraph, no stack trace:\n" + run);
        org.junit.jupiter.api.Assertions.assertFalse(run.out().contains("Done"), run::toString);
        org.junit.jupiter.api.Assertions.assertEquals(before, db.snapshot(), "nothing was written");
    }

    // ── files ────────────────────────────────────────────────────────────────────────────────

    private static final List<Path> SCRATCH = new java.util.concurrent.CopyOnWriteArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> SCRATCH.forEach(TestDatabase::deleteTree)));
    }

    /** A temporary directory, removed when the tests end. */
    static Path scratch(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            SCRATCH.add(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // already gone, or not ours to remove
        }
    }

    /** A scratch copy of the tests' project (migrations/ and seeds/ of tests/fixtures) to edit, as a user edits theirs. */
    static Path workspace() {
        return copyOf(FIXTURES);
    }

    /** A scratch copy of a project's migrations/ and seeds/. */
    static Path copyOf(Path project) {
        try {
            Path dir = scratch("seed_database_test");
            copyTree(project.resolve("migrations"), dir.resolve("migrations"));
            copyTree(project.resolve("seeds"), dir.resolve("seeds"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.REPLACE_EXISTING);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static String read(Path file) {
        try {
            return Files.readString(file, UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces one exact piece of a file; fails if it is not there exactly once, so a test cannot edit nothing. */
    static void edit(Path file, String before, String after) {
        String text = read(file);
        int at = text.indexOf(before);
        if (at < 0 || text.indexOf(before, at + 1) >= 0) {
            throw new IllegalArgumentException(file + " holds \"" + before + "\" " + (at < 0 ? "nowhere" : "more than once"));
        }
        write(file, text.substring(0, at) + after + text.substring(at + before.length()));
    }

    private static Path findProject() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("seed_database.java")) && Files.isDirectory(dir.resolve("tests"))) {
                return dir;
            }
        }
        throw new IllegalStateException("run the tests from the project directory (the one with seed_database.java)");
    }
}
