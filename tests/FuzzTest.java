import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * The fuzz test: valid seed files (tests/fuzz/, a YAML file of every value kind, a CSV file, a file
 * they refer to), mutated by a seeded Random — flipped bytes, truncation, lines duplicated, deleted
 * and swapped, odd Unicode, tags, anchors, ${…}, huge numbers, CSV quoting, \. lines — and run
 * against a database that holds the files' good state. For every case:
 * <ul>
 * <li>the exit code is 0 or 1 (a seed file's content is data: README's exit codes);</li>
 * <li>no stack trace and no "internal error" without --verbose, and a failure is one paragraph that
 *     says "Nothing was written.";</li>
 * <li>no value of a ${VAR} appears in any output;</li>
 * <li>exit ≠ 0: every table is exactly as it was (rows and xmin);</li>
 * <li>exit 0: the table equals what the file says, by an oracle that does not use the tool: the
 *     file read again with SnakeYAML's node API and the README's rules, or the CSV parsed here, each
 *     value cast by PostgreSQL to its column's type and compared with IS NOT DISTINCT FROM; rows the
 *     file leaves out are kept, deactivated or deleted as its removal says; the other tables and
 *     every row whose content did not change are not rewritten; and `check` then finds nothing;</li>
 * <li>each case ends within {@link #CASE_TIME_LIMIT_SECONDS} and allocates at most
 *     {@link #CASE_ALLOCATION_LIMIT} bytes.</li>
 * </ul>
 * The cases are a sequence fixed by FUZZ_SEED (default {@link #DEFAULT_SEED}); FUZZ_SECONDS (60)
 * only cuts it short, FUZZ_CASES caps it. A failing case prints its case seed and the file, which
 * FUZZ_REPLAY=seed runs again alone (README, Tests).
 */
class FuzzTest extends WithDatabase {

    static final long DEFAULT_SEED = 11;
    static final int CASE_TIME_LIMIT_SECONDS = 10;
    static final long CASE_ALLOCATION_LIMIT = 1L << 30;

    /**
     * Bugs the fuzz test found whose fixes have not landed yet. A mutator named here has its cases
     * generated (so every seed stays the same) but not run; an oracle rule named here lets the
     * oracle pass over what the rule would refuse (counted as "beyond the oracle"). An entry goes
     * when its fix lands; FUZZ_PENDING=run runs everything as if none were pending.
     */
    static final Set<String> PENDING_FIXES = Set.of();   // every fix the fuzz test found so far has landed

    /** An oracle rule that is pending: the oracle cannot hold the tool to it yet. */
    static void unlessPending(String rule, String what) {
        if (pending(rule)) {
            throw new Oracle.Unsure(rule + ", pending");
        }
        throw new Oracle.Refused(what);
    }

    static final Map<String, String> VARIABLES = Map.of(
            "FUZZ_SECRET", "s3cr3t-Zq81",
            "FUZZ_NUMBER", "31337000",
            "FUZZ_EMPTY", "");

    static final boolean RUN_PENDING = "run".equals(System.getenv("FUZZ_PENDING"));

    static boolean pending(String name) {
        return PENDING_FIXES.contains(name) && !RUN_PENDING;
    }

    final Path project = TestDatabase.scratch("fuzz");
    final ExecutorService runner = Executors.newSingleThreadExecutor(task -> {
        var thread = new Thread(task, "fuzz case");
        thread.setDaemon(true);
        return thread;
    });
    Map<String, byte[]> goodFiles;
    /** Each fixture table's rows in the good state, by key: the row, and the row but its active column. */
    Map<String, Map<String, List<String>>> baseRows;

    @BeforeAll
    void theGoodStateAsATemplate() throws IOException {
        TestDatabase.copyTree(TestDatabase.PROJECT.resolve("tests/fuzz"), project);
        if (pending("secret-in-the-good-state")) {
            TestDatabase.edit(project.resolve("seeds/items.yaml"), "note: ${FUZZ_SECRET}", "note: ${FUZZ_UNSET:-no secret}");
        }
        goodFiles = new TreeMap<>();
        for (String name : List.of("venues.yaml", "items.yaml", "stock.yaml", "stock.csv")) {
            goodFiles.put(name, Files.readAllBytes(project.resolve("seeds").resolve(name)));
        }
        var run = TestDatabase.runWith(environment(db), project, arguments(project.resolve("seeds"), false));
        assertEquals(0, run.exitCode(), run::toString);
        baseRows = rowsByKey(db);
        assertEquals(!pending("secret-in-the-good-state"), baseRows.toString().contains("s3cr3t-Zq81"),
                "the good state holds a secret a plan could show");
        db.execute("CREATE SCHEMA fuzz_good_state");
        for (var table : db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
            db.execute("CREATE TABLE fuzz_good_state.\"" + table.get("tablename") + "\" AS TABLE public.\"" + table.get("tablename") + "\"");
        }
        db.execute("CREATE TABLE fuzz_good_state.sequences AS SELECT schemaname, sequencename, last_value FROM pg_sequences "
                + "WHERE schemaname = 'public'");
        goodState = state();
    }

    @AfterAll
    void stopTheRunner() {
        runner.shutdownNow();
    }

    /**
     * The database back to the good state, kept in the schema fuzz_good_state (out of the tool's way
     * in public): the same rows, the sequences where they were, so that a case replays the same.
     * Rows get new xmin; every invariant compares a case's before and after, or rows by content.
     */
    void resetToTheGoodState() {
        try (Connection connection = TestDatabase.connect(db.url()); var statement = connection.createStatement()) {
            // A run that timed out may still be at work: end it, or it would hold its locks.
            statement.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                    + "AND pid <> pg_backend_pid()");
            connection.setAutoCommit(false);
            var tables = new ArrayList<String>();
            try (var rs = statement.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
                while (rs.next()) {
                    tables.add("public.\"" + rs.getString(1) + "\"");
                }
            }
            statement.execute("TRUNCATE " + String.join(", ", tables) + " CASCADE");
            // The rows as they were, in any order: foreign keys are not checked while they go back.
            statement.execute("SET LOCAL session_replication_role = replica");
            for (String table : tables) {
                statement.execute("INSERT INTO " + table + " OVERRIDING SYSTEM VALUE SELECT * FROM " + table.replace("public.", "fuzz_good_state."));
            }
            statement.execute("SELECT setval(format('%I.%I', schemaname, sequencename), coalesce(last_value, 1), last_value IS NOT NULL) "
                    + "FROM fuzz_good_state.sequences");
            connection.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("the good state could not be restored: " + e.getMessage(), e);
        }
        var now = state();
        if (!now.keySet().equals(goodState.keySet())) {
            throw new IllegalStateException("the good state was not restored:\n" + difference(goodState, now));
        }
    }

    /** The good state, by table and row (xmin aside: restored rows are new versions). */
    Map<String, String> goodState;

    static Map<String, Map<String, List<String>>> rowsByKey(TestDatabase database) {
        var tables = new TreeMap<String, Map<String, List<String>>>();
        for (String table : List.of("venues", "items", "stock")) {
            var rows = new TreeMap<String, List<String>>();
            for (var row : database.query("SELECT code, t::text AS whole, (to_jsonb(t) - 'active')::text AS rest, "
                    + "to_jsonb(t) ->> 'active' AS active FROM " + table + " t")) {
                rows.put((String) row.get("code"), java.util.Arrays.asList((String) row.get("whole"), (String) row.get("rest"),
                        (String) row.get("active")));
            }
            tables.put(table, rows);
        }
        return tables;
    }

    static Map<String, String> environment(TestDatabase database) {
        var env = new HashMap<>(VARIABLES);
        env.put("DATABASE_URL", database.url());
        return env;
    }

    String[] arguments(Path seeds, boolean verbose) {
        var arguments = new ArrayList<>(List.of("--migrations", project.resolve("migrations").toString(), "--seeds", seeds.toString()));
        if (verbose) {
            arguments.add("--verbose");
        }
        return arguments.toArray(String[]::new);
    }

    // ── the sequence of cases ────────────────────────────────────────────────────────────────

    @Test
    void every_mutated_seed_file_keeps_every_promise() throws Exception {
        var env = System.getenv();
        long seed = Long.parseLong(env.getOrDefault("FUZZ_SEED", String.valueOf(DEFAULT_SEED)));
        double seconds = Double.parseDouble(env.getOrDefault("FUZZ_SECONDS", "60"));
        long maxCases = Long.parseLong(env.getOrDefault("FUZZ_CASES", String.valueOf(Long.MAX_VALUE)));
        String replay = env.get("FUZZ_REPLAY");

        var failures = new ArrayList<String>();
        var tally = new TreeMap<String, Integer>();
        if (replay != null) {
            var fuzzCase = Case.generate(Long.parseLong(replay), goodFiles);
            System.out.println("fuzz: replaying case " + fuzzCase.describe() + "\n" + show(fuzzCase.content()));
            String failure = check(fuzzCase, tally);
            System.out.println("fuzz: " + tally);
            if (failure != null) {
                fail(failure);
            }
            return;
        }
        var seeds = new SplittableRandom(seed);
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long started = System.nanoTime();
        int ran = 0;
        int skipped = 0;
        int maxFailures = Integer.parseInt(env.getOrDefault("FUZZ_FAILURES", "5"));
        while (ran < maxCases && System.nanoTime() < deadline && failures.size() < maxFailures) {
            var fuzzCase = Case.generate(seeds.nextLong(), goodFiles);
            if (fuzzCase.mutators().stream().anyMatch(FuzzTest::pending)) {
                skipped++;
                continue;
            }
            ran++;
            String failure = check(fuzzCase, tally);
            if (failure != null) {
                failures.add(failure);
            }
        }
        System.out.printf("fuzz: seed %d, %d cases run in %.1f s (%d more generated but left for pending fixes %s); outcomes %s%n",
                seed, ran, (System.nanoTime() - started) / 1e9, skipped, PENDING_FIXES, tally);
        assertTrue(failures.isEmpty(), () -> failures.size() + " failing case(s); replay one with FUZZ_REPLAY=<case seed>:\n\n"
                + String.join("\n\n", failures));
        assertTrue(ran >= 10, "a fuzz run that ran " + ran + " cases tested little");
        assertTrue(tally.getOrDefault("exit 0, checked by the oracle", 0) > 0 && tally.getOrDefault("exit 1", 0) > 0,
                "the cases reached both outcomes: " + tally);
    }

    /** Runs one case and checks every invariant; returns what failed (with the seed and the file), or null. */
    String check(Case fuzzCase, Map<String, Integer> tally) {
        Path seeds;
        try {
            seeds = Files.createTempDirectory(project, "case");
            for (var file : goodFiles.entrySet()) {
                Files.write(seeds.resolve(file.getKey()), file.getKey().equals(fuzzCase.file()) ? fuzzCase.content() : file.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        var before = state();
        var problems = new ArrayList<String>();
        TestDatabase.Run run = null;
        try {
            TestDatabase.Run plan = null;
            if (fuzzCase.planFirst()) {
                plan = TestDatabase.runWith(environment(db), project, withCommand("plan", arguments(seeds, fuzzCase.verbose())));
                if (!state().equals(before)) {
                    problems.add("plan wrote something (exit " + plan.exitCode() + ")");
                }
            }
            run = timed(fuzzCase, seeds, problems);
            if (plan != null && run != null) {
                problems.addAll(planIsTheRun(plan, run));
            }
            if (run != null) {
                problems.addAll(invariants(fuzzCase, seeds, run, before, tally));
            }
        } catch (RuntimeException | Error e) {
            problems.add("the test itself failed on this case: " + e);
        } finally {
            TestDatabase.deleteTree(seeds);
            if (run == null || run.exitCode() == 0 || !problems.isEmpty()) {
                resetToTheGoodState();
            }
        }
        if (problems.isEmpty()) {
            return null;
        }
        return "case " + fuzzCase.describe() + ":\n  - " + String.join("\n  - ", problems)
                + "\n  the mutated " + fuzzCase.file() + " (also in " + keep(fuzzCase) + "):\n" + show(fuzzCase.content())
                + (run == null ? "" : "\n  the run: " + run.toString().replace("\n", "\n    "));
    }

    static String[] withCommand(String command, String[] arguments) {
        var all = new ArrayList<>(List.of(command));
        all.addAll(List.of(arguments));
        return all.toArray(String[]::new);
    }

    /** What plan shows is what the run does (README, plan): the same exit code, the same rows changed in the same way. */
    static List<String> planIsTheRun(TestDatabase.Run plan, TestDatabase.Run run) {
        if (plan.exitCode() != run.exitCode()) {
            return List.of("plan exited " + plan.exitCode() + ", the run " + run.exitCode() + ":\n    plan: " + plan.err().strip());
        }
        Function<String, List<String>> changes = out -> out.lines()
                .filter(line -> line.matches("  \\S.* → .*: .*|    [+~-] .*"))
                .map(line -> line.replace(" to insert", " inserted").replace(" to update", " updated")
                        .replace(" to deactivate", " deactivated").replace(" to delete", " deleted"))
                .toList();
        if (!changes.apply(plan.out()).equals(changes.apply(run.out()))) {
            return List.of("plan showed other changes than the run made:\n    plan: " + changes.apply(plan.out()) + "\n    run:  "
                    + changes.apply(run.out()));
        }
        return List.of();
    }

    /** The run of the case, in a thread of its own so a hang is a failure and not a stuck suite. */
    TestDatabase.Run timed(Case fuzzCase, Path seeds, List<String> problems) {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] allocated = new long[1];
        Future<TestDatabase.Run> future = runner.submit(() -> {
            long start = threads.getCurrentThreadAllocatedBytes();
            try {
                return TestDatabase.runWith(environment(db), project, arguments(seeds, fuzzCase.verbose()));
            } finally {
                allocated[0] = threads.getCurrentThreadAllocatedBytes() - start;
            }
        });
        try {
            var run = future.get(CASE_TIME_LIMIT_SECONDS, TimeUnit.SECONDS);
            if (allocated[0] > CASE_ALLOCATION_LIMIT) {
                problems.add("the run allocated " + allocated[0] / (1 << 20) + " MB (limit " + (CASE_ALLOCATION_LIMIT >> 20) + " MB)");
            }
            return run;
        } catch (TimeoutException e) {
            future.cancel(true);
            problems.add("the run did not end within " + CASE_TIME_LIMIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            problems.add("the run threw instead of exiting with a code: " + e.getCause());
        }
        return null;
    }

    /** Characters that move the cursor, start escape sequences or reverse the text on a terminal: \\r, ESC, bidi overrides. */
    static final Pattern HIDING_CHARACTER = Pattern.compile("[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]");

    static final Pattern STACK_TRACE = Pattern.compile(
            "(?m)^\\s+at [\\w$.]+\\(|\\b(java|javax|jdk|sun|org|com|picocli)\\.[\\w$.]*(Exception|Error)\\b|internal error|this is a bug");

    List<String> invariants(Case fuzzCase, Path seeds, TestDatabase.Run run, Map<String, String> before, Map<String, Integer> tally) {
        var problems = new ArrayList<String>();
        String output = run.output();
        if (run.exitCode() != 0 && run.exitCode() != 1) {
            problems.add("exit code " + run.exitCode() + ": a seed file's content is data, exit 0 or 1");
        }
        if (!fuzzCase.verbose()) {
            var trace = STACK_TRACE.matcher(output);
            if (trace.find()) {
                problems.add("a stack trace or internal error without --verbose: \"" + trace.group() + "\"");
            }
        }
        for (var variable : VARIABLES.entrySet()) {
            if (!variable.getValue().isEmpty() && output.contains(variable.getValue())) {
                problems.add("the value of " + variable.getKey() + " is in the output");
            }
        }
        var hidden = HIDING_CHARACTER.matcher(output);
        if (!fuzzCase.verbose() && hidden.find()) {
            problems.add(String.format("the output holds U+%04X, which changes what a terminal shows (a value's control "
                    + "characters must be shown escaped)", (int) hidden.group().charAt(0)));
        }
        var after = state();
        if (run.exitCode() != 0) {
            tally.merge("exit " + run.exitCode(), 1, Integer::sum);
            if (!after.equals(before)) {
                problems.add("exit " + run.exitCode() + " but tables changed:\n" + difference(before, after));
            }
            boolean oneParagraph = fuzzCase.verbose()
                    ? run.err().lines().anyMatch(line -> line.startsWith("error: ") && line.endsWith("Nothing was written."))
                    : run.err().startsWith("error: ") && run.err().endsWith("Nothing was written.\n") && run.err().lines().count() == 1;
            if (!oneParagraph) {
                problems.add("the failure is not one paragraph \"error: … Nothing was written.\"");
            }
            return problems;
        }
        if (!run.out().contains("Done")) {
            problems.add("exit 0 without \"Done\"");
        }
        problems.addAll(unchangedRowsKeepTheirVersion(before, after));
        var check = TestDatabase.runWith(environment(db), project, "check", "--migrations", project.resolve("migrations").toString(),
                "--seeds", seeds.toString());
        if (check.exitCode() != 0) {
            problems.add("after the run, check finds it out of sync (exit " + check.exitCode() + "):\n" + check);
        }
        if (!state().equals(after)) {
            problems.add("check wrote something");
        }
        for (var variable : VARIABLES.entrySet()) {
            if (!variable.getValue().isEmpty() && check.output().contains(variable.getValue())) {
                problems.add("the value of " + variable.getKey() + " is in the output of check");
            }
        }
        try {
            var says = fuzzCase.file().endsWith(".csv") ? Oracle.csv(fuzzCase.content())
                    : Oracle.yaml(fuzzCase.content(), tableOf(fuzzCase.file()));
            problems.addAll(compare(says, before, after));
            tally.merge("exit 0, checked by the oracle", 1, Integer::sum);
        } catch (Oracle.Refused refused) {
            problems.add("exit 0, but by the README's rules the file is wrong: " + refused.getMessage());
        } catch (Oracle.Unsure unsure) {
            tally.merge("exit 0, beyond the oracle (" + unsure.getMessage() + ")", 1, Integer::sum);
        }
        return problems;
    }

    static String tableOf(String file) {
        return file.substring(0, file.indexOf('.'));
    }

    /**
     * What TestDatabase.snapshot holds, on one connection: every table in public, and every row of
     * it as text (a key "table row") with its xmin, which changes when a row is rewritten, even
     * with the same content. Equal states: nothing was written.
     */
    Map<String, String> state() {
        var rows = new TreeMap<String, String>();
        try (Connection connection = TestDatabase.connect(db.url()); var statement = connection.createStatement()) {
            var tables = new ArrayList<String>();
            try (var rs = statement.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String table : tables) {
                rows.put(table, "a table");
                try (var rs = statement.executeQuery("SELECT xmin::text, t::text FROM public.\"" + table + "\" t")) {
                    while (rs.next()) {
                        rows.put(table + " " + rs.getString(2), rs.getString(1));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    /** A row whose content is the same before and after must not have been rewritten (README: not even an identical one). */
    static List<String> unchangedRowsKeepTheirVersion(Map<String, String> before, Map<String, String> after) {
        var problems = new ArrayList<String>();
        after.forEach((row, version) -> {
            String old = before.get(row);
            if (old != null && !old.equals(version)) {
                problems.add("an unchanged row was rewritten: " + escape(row, 300));
            }
        });
        return problems;
    }

    /** The table the file fills against what it says; the other fixture tables as they were. */
    List<String> compare(Oracle.FileSays says, Map<String, String> before, Map<String, String> after) {
        var problems = new ArrayList<String>();
        for (String table : List.of("venues", "items", "stock")) {
            if (!table.equals(says.table()) && !section(before, table).equals(section(after, table))) {
                problems.add("table " + table + " changed, but the mutated file fills " + says.table());
            }
        }
        var baseTable = baseRows.get(says.table());
        var nowTable = rowsByKey(db).get(says.table());
        var expectedKeys = new java.util.TreeSet<>(says.rows().keySet());
        if (!says.removal().equals("delete")) {
            expectedKeys.addAll(baseTable.keySet());
        }
        if (!expectedKeys.equals(nowTable.keySet())) {
            problems.add("the keys of " + says.table() + " are " + escape(nowTable.keySet().toString(), 500) + ", the file says "
                    + escape(expectedKeys.toString(), 500)
                    + " (removal " + says.removal() + ")");
        }
        for (var row : baseTable.entrySet()) {
            var now = nowTable.get(row.getKey());
            if (says.rows().containsKey(row.getKey()) || now == null) {
                continue;
            }
            if (says.removal().equals("keep") && !now.get(0).equals(row.getValue().get(0))) {
                problems.add("a row the file no longer lists changed with removal: keep: " + row.getValue().get(0) + " → " + now.get(0));
            }
            if (says.removal().equals("deactivate") && (!now.get(1).equals(row.getValue().get(1)) || !"false".equals(now.get(2)))) {
                problems.add("a row the file no longer lists is not only deactivated: " + row.getValue().get(0) + " → " + now.get(0));
            }
        }
        var nowKeys = nowTable.keySet();
        try (Connection connection = TestDatabase.connect(db.url())) {
            for (var row : says.rows().entrySet()) {
                if (!nowKeys.contains(row.getKey())) {
                    continue;
                }
                for (var cell : row.getValue().values()) {
                    String problem = compareCell(connection, says.table(), row.getKey(), cell);
                    if (problem != null) {
                        problems.add(problem);
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return problems;
    }

    static String compareCell(Connection connection, String table, String key, Oracle.Cell cell) throws SQLException {
        String actual = "(SELECT t." + cell.column() + "::text FROM " + table + " t WHERE t.code = ?)";
        String test = cell.type().equals("reference")
                ? "(SELECT v.code FROM " + table + " t JOIN venues v ON v.id = t.venue_id WHERE t.code = ?) IS NOT DISTINCT FROM ?"
                : "(SELECT t." + cell.column() + " FROM " + table + " t WHERE t.code = ?) IS NOT DISTINCT FROM CAST(? AS " + cell.type() + ")";
        connection.setAutoCommit(false);
        try (var statement = connection.prepareStatement("SELECT " + test + ", " + actual)) {
            statement.setString(1, key);
            statement.setString(2, cell.value());
            statement.setString(3, key);
            try (var rs = statement.executeQuery()) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return key + "." + cell.column() + " is " + quote(rs.getString(2)) + ", the file says " + quote(cell.value())
                            + (cell.type().equals("reference") ? " (a venue code)" : " (as " + cell.type() + ")");
                }
                return null;
            }
        } catch (SQLException e) {
            return "exit 0, but " + key + "." + cell.column() + " = " + quote(cell.value()) + " is not valid " + cell.type()
                    + " for PostgreSQL: " + e.getMessage();
        } finally {
            connection.rollback();
        }
    }

    static String quote(String value) {
        return value == null ? "NULL" : "\"" + escape(value, 200) + "\"";
    }

    static Map<String, String> section(Map<String, String> state, String table) {
        var rows = new TreeMap<String, String>();
        state.forEach((row, version) -> {
            if (row.equals(table) || row.startsWith(table + " ")) {
                rows.put(row, version);
            }
        });
        return rows;
    }

    static String difference(Map<String, String> before, Map<String, String> after) {
        var lost = new TreeMap<>(before);
        lost.entrySet().removeAll(after.entrySet());
        var gained = new TreeMap<>(after);
        gained.entrySet().removeAll(before.entrySet());
        return "    was: " + escape(lost.toString(), 2000) + "\n    now: " + escape(gained.toString(), 2000);
    }

    /** Where a failing case's file is kept after the tests end (scratch directories are removed). */
    static Path keep(Case fuzzCase) {
        try {
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "seed_database_fuzz", String.valueOf(fuzzCase.seed()));
            Files.createDirectories(dir);
            Path file = dir.resolve(fuzzCase.file());
            Files.write(file, fuzzCase.content());
            return file;
        } catch (IOException e) {
            return Path.of("(not written: " + e.getMessage() + ")");
        }
    }

    /** The mutated file as it can be read in a test report: escapes for what a terminal hides. */
    static String show(byte[] content) {
        String text = new String(content, UTF_8);
        var lines = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            lines.append("    | ").append(escape(line, 300)).append('\n');
            if (lines.length() > 4000) {
                lines.append("    | …\n");
                break;
            }
        }
        return lines.toString();
    }

    static String escape(String text, int limit) {
        var out = new StringBuilder();
        text.codePoints().forEach(c -> {
            if (c == '\\') {
                out.append("\\\\");
            } else if (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || c == 0xfeff || c >= 0x200b && c <= 0x200f
                    || c >= 0x2028 && c <= 0x202e || c == 0xfffd || Character.getType(c) == Character.SURROGATE) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.length() > limit ? out.substring(0, limit) + "… (" + out.length() + " characters)" : out.toString();
    }

    // ── one case: a file, mutated ────────────────────────────────────────────────────────────

    /** A case: which file, mutated how, run with --verbose or not; all of it follows from the seed. */
    record Case(long seed, String file, List<String> mutators, boolean verbose, boolean planFirst, byte[] content) {

        static Case generate(long seed, Map<String, byte[]> goodFiles) {
            var random = new Random(seed);
            int pick = random.nextInt(100);
            String file = pick < 45 ? "items.yaml" : pick < 90 ? "stock.csv" : "venues.yaml";
            boolean csv = file.endsWith(".csv");
            var choices = new ArrayList<>(Mutators.SHARED.keySet());
            choices.addAll((csv ? Mutators.CSV : Mutators.YAML).keySet());
            byte[] content = goodFiles.get(file);
            var applied = new ArrayList<String>();
            int count = 1 + (random.nextInt(10) < 7 ? 0 : random.nextInt(3));
            for (int i = 0; i < count; i++) {
                String name = choices.get(random.nextInt(choices.size()));
                var mutator = Mutators.SHARED.containsKey(name) ? Mutators.SHARED.get(name) : (csv ? Mutators.CSV : Mutators.YAML).get(name);
                content = mutator.mutate(random, content);
                applied.add(name);
            }
            return new Case(seed, file, List.copyOf(applied), random.nextInt(10) == 0, random.nextInt(8) == 0, content);
        }

        String describe() {
            return "seed " + seed + " (" + file + ": " + String.join(", ", mutators) + (verbose ? "; --verbose" : "")
                    + (planFirst ? "; plan first" : "") + ")";
        }
    }

    /** A change to a file's bytes. */
    interface Mutator {
        byte[] mutate(Random random, byte[] content);
    }

    /** The mutators, by the name a failure and PENDING_FIXES use. */
    static final class Mutators {

        static final Map<String, Mutator> SHARED = new LinkedHashMap<>();
        static final Map<String, Mutator> YAML = new LinkedHashMap<>();
        static final Map<String, Mutator> CSV = new LinkedHashMap<>();

        static final List<String> ODD_CHARACTERS = List.of("\uFEFF", "\u200B", "\u200D", "\u202E", "\u200F", "\u00A0", "\u2028",
                "\u2029", "\u0085", "\u0301", "\uD83D\uDE00", "\uFF11", "\u043E", "\uFFFD", "\uFFFE", "\u00E9", "e\u0301", "\u3000");
        static final List<String> CONTROL_CHARACTERS = List.of("\u0001", "\u001B", "\u007F", "\t", "\u000B", "\u000C", "\b", "\u0007");
        static final List<String> HUGE_NUMBERS = List.of("9".repeat(20), "9".repeat(400), "1" + "0".repeat(5000), "-" + "9".repeat(39),
                "1e400", "1e-400", "-0", "0.000000000000000000001", "2147483648", "-2147483649", "99999999.995", "1" + "0".repeat(131100),
                "9223372036854775808", "1E+30", "0." + "0".repeat(20000) + "1");
        static final List<String> NUMBER_SPELLINGS = List.of("0x7fffffff", "0o17", "0b101", "0xFF", ".nan", ".NaN", ".inf", "-.inf",
                "+.INF", "1:30", "190:20:30", "-1:30", "1_000", "0.1_5", "+12", "012", "1__2", "_1", "1_");
        static final List<String> VARIABLE_FORMS = List.of("${FUZZ_SECRET}", "${FUZZ_NUMBER}", "${FUZZ_UNSET:-fallback}",
                "${FUZZ_UNSET}", "${FUZZ_EMPTY:-x}", "${FUZZ_EMPTY}", "$${FUZZ_SECRET}", "pre-${FUZZ_SECRET}-post",
                "${FUZZ_UNSET:-}", "\"${FUZZ_SECRET}\"", "'${FUZZ_NUMBER}'", "[${FUZZ_SECRET}]", "{code: \"${FUZZ_SECRET}\"}");
        static final List<String> MALFORMED_VARIABLES = List.of("${", "${}", "${FUZZ_UNSET:-${FUZZ_SECRET}}", "${FUZZ SECRET}", "${1X}",
                "${FUZZ_SECRET", "a${b", "${FUZZ_SECRET:}", "${FUZZ_SECRET:=x}", "${FUZZ_SECRET-x}", "${-}", "${${FUZZ_SECRET}}");
        static final List<String> ODD_VALUES = List.of("", "~", "null", "\"null\"", "true", "no", "-1", "0", "[]", "{}", "[[1, 2], [3]]",
                "'quoted'", "\"\"", "2026-02-30", "2026-13-01", "1e3", "1.005", "0.001", " padded ", "NaN", "Infinity", "{code: NOPE}",
                "{code: XNYS, name: Nasdaq}", "{name: Nasdaq}", "{code: {code: XNYS}}", "[a, [b]]", "\"{a,b}\"", "\"[1]\"", "1", "'1'",
                "x'); DROP TABLE items; --", "|\n  block", ">-\n  folded", "\"\\x41\\u00e9\\N\"", "!!str 12", "-", "?", ":", "#", "@x", "`x`",
                "\"a\\\"b\"", "'it''s'", "{}{}", "[,]", "{a: 1, a: 2}", "2026-01-21T10:00:00Z", "12:30", "0001", "1,5");
        static final List<String> TAGS = List.of("!!javax.script.ScriptEngineManager", "!!java.io.File", "!!java.net.URL", "!foo",
                "!!binary", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!set", "!!omap", "!!pairs", "!!map",
                "!!seq", "!<tag:yaml.org,2002:str>", "!<tag:example.com,2000:x>", "!!python/object:os.system", "!", "!!merge", "!!value");

        static {
            SHARED.put("byte-flip", (r, c) -> {
                byte[] out = c.clone();
                for (int i = 0, n = 1 + r.nextInt(3); i < n && out.length > 0; i++) {
                    out[r.nextInt(out.length)] ^= (byte) (1 << r.nextInt(8));
                }
                return out;
            });
            SHARED.put("truncate", (r, c) -> java.util.Arrays.copyOf(c, c.length == 0 ? 0 : r.nextInt(c.length)));
            SHARED.put("duplicate-line", lines((r, l) -> l.add(r.nextInt(l.size() + 1), l.get(r.nextInt(l.size())))));
            SHARED.put("delete-line", lines((r, l) -> l.remove(r.nextInt(l.size()))));
            SHARED.put("swap-lines", lines((r, l) -> java.util.Collections.swap(l, r.nextInt(l.size()), r.nextInt(l.size()))));
            SHARED.put("odd-unicode", text((r, t) -> insert(r, t, pick(r, ODD_CHARACTERS))));
            SHARED.put("control-character", text((r, t) -> insert(r, t, pick(r, CONTROL_CHARACTERS))));
            SHARED.put("nul-byte", text((r, t) -> insert(r, t, "\0")));
            SHARED.put("invalid-utf8", (r, c) -> {
                byte[][] junk = {{(byte) 0xC3}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xC0, (byte) 0xAF},
                        {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xE2, (byte) 0x82}};
                return insertBytes(c, boundary(r, c), junk[r.nextInt(junk.length)]);
            });
            SHARED.put("line-ends", text((r, t) -> switch (r.nextInt(4)) {
                case 0 -> t.replace("\n", "\r");
                case 1 -> t.replace("\n", "\r\n");
                case 2 -> replaceOne(r, t, "\n", "\r");
                default -> replaceOne(r, t, "\n", "\r\n");
            }));
            SHARED.put("byte-order-mark", text((r, t) -> r.nextBoolean() ? "\uFEFF" + t : "\uFEFF\uFEFF" + t));
            SHARED.put("huge-number", text((r, t) -> replaceValue(r, t, pick(r, HUGE_NUMBERS))));
            SHARED.put("long-line", text((r, t) -> replaceValue(r, t, "x".repeat(pick(r, List.of(1000, 70_000, 200_000, 300_000))))));
            SHARED.put("odd-value", text((r, t) -> replaceValue(r, t, pick(r, ODD_VALUES))));
            SHARED.put("value-splice", text((r, t) -> {
                var values = values(t);
                return values.isEmpty() ? t : replaceValue(r, t, pick(r, values));
            }));

            YAML.put("yaml-tag", text((r, t) -> {
                String tag = pick(r, TAGS);
                return r.nextInt(4) == 0 ? tag + " " + t : replaceValue(r, t, v -> tag + " " + (v.isEmpty() ? "x" : v));
            }));
            YAML.put("yaml-anchor", text((r, t) -> switch (r.nextInt(6)) {
                case 0 -> replaceValue(r, t, v -> "&a " + v) + "\n  - {code: anchored, note: *a}\n";
                case 1 -> replaceValue(r, t, "*undefined");
                case 2 -> t.replaceFirst("rows:\n  - ", "rows:\n  - &row ") + "  - {<<: *row, code: merged}\n";
                case 3 -> t.replaceFirst("rows:\n  - ", "rows:\n  - &row ") + "  - {<<: *row}\n";
                case 4 -> t.replaceFirst("rows:\n", "rows: &rows\n") + "  - *rows\n";
                default -> t.replaceFirst("rows:\n  - ", "rows:\n  - &row ") + "  - {<<: [*row, {qty: 1}], code: merged-list}\n";
            }));
            YAML.put("yaml-structure", text((r, t) -> switch (r.nextInt(9)) {
                case 0 -> insertAtLineStart(r, t, " ");
                case 1 -> insertAtLineStart(r, t, pick(r, List.of("{", "[", "]", "}", "- ", "? ", ": ", "#", "&x ", "*x ", "|", ">")));
                case 2 -> insertAtLineStart(r, t, "---\n");
                case 3 -> t + "\n---\ntable: items\n";
                case 4 -> "%YAML 1.1\n---\n" + t;
                case 5 -> replaceOne(r, t, "  ", "\t");
                case 6 -> t + "...\n" + t;
                case 7 -> deindent(r, t);
                default -> insertAtLineStart(r, t, pick(r, List.of("removal: delete\n", "removal: keep\n", "key: qty\n", "owns: table\n",
                        "defaults: {qty: 5}\n", "unknown_setting: 1\n", "table: stock\n", "rows: []\n", "environments: [production]\n")));
            }));
            YAML.put("lone-surrogate", text((r, t) -> replaceValue(r, t,
                    "\"" + pick(r, List.of("\\ud800", "\\udc00", "a\\ud83d", "\\udfff\\ud800", "x\\ud800y")) + "\"")));
            YAML.put("yaml-escape", text((r, t) -> replaceValue(r, t, "\"" + pick(r, List.of("\\x00", "\\0", "\\U0010FFFF",
                    "\\U00110000", "\\e[31mred", "\\r", "\\N\\_\\L\\P", "\\a\\b\\v\\f", "\\u202e", "\\x7f", "\\q", "\\u00")) + "\"")));
            YAML.put("environment-variable", text((r, t) -> replaceValue(r, t, pick(r, VARIABLE_FORMS))));
            YAML.put("malformed-variable", text((r, t) -> replaceValue(r, t, pick(r, MALFORMED_VARIABLES))));
            YAML.put("number-spelling", text((r, t) -> replaceValue(r, t, pick(r, NUMBER_SPELLINGS))));

            CSV.put("csv-quoting", text((r, t) -> switch (r.nextInt(7)) {
                case 0 -> insert(r, t, "\"");
                case 1 -> replaceField(r, t, "ab\"c");
                case 2 -> replaceField(r, t, "\"a\"b");
                case 3 -> replaceField(r, t, "\"multi\nline\"");
                case 4 -> replaceOne(r, t, "\n", ",\n");
                case 5 -> replaceOne(r, t, ",", "");
                default -> replaceField(r, t, " \"spaced\" ");
            }));
            CSV.put("csv-end-of-data", text((r, t) -> switch (r.nextInt(4)) {
                case 0 -> insertAtLineStart(r, t, "\\.\n");
                case 1 -> t + "\\.\n";
                case 2 -> insertAtLineStart(r, t, "\\.\r\n");
                default -> replaceField(r, t, "\\.");
            }));
            CSV.put("csv-header", text((r, t) -> {
                int end = t.indexOf('\n');
                if (end < 0) {
                    return t;
                }
                var names = new ArrayList<>(List.of(t.substring(0, end).split(",", -1)));
                int i = r.nextInt(names.size());
                switch (r.nextInt(6)) {
                    case 0 -> names.set(i, names.get(r.nextInt(names.size())));
                    case 1 -> names.set(i, names.get(i).toUpperCase(java.util.Locale.ROOT));
                    case 2 -> names.set(i, " " + names.get(i));
                    case 3 -> names.set(i, "\"" + names.get(i) + "\"");
                    case 4 -> java.util.Collections.swap(names, i, r.nextInt(names.size()));
                    default -> names.set(i, pick(r, List.of("venue_id.name", "venue_id", "venue_id.id", "id", "venue_id.code.x", "",
                            "items.code", "ctid", "xmin", "\"qty\"\"\"", "code\u200B")));
                }
                return String.join(",", names) + t.substring(end);
            }));
        }

        static <T> T pick(Random random, List<T> choices) {
            return choices.get(random.nextInt(choices.size()));
        }

        interface TextChange {
            String change(Random random, String text);
        }

        /** A change to the text (the good files are UTF-8; a file a byte mutation broke is read with U+FFFD). */
        static Mutator text(TextChange change) {
            return (random, content) -> change.change(random, new String(content, UTF_8)).getBytes(UTF_8);
        }

        interface LinesChange {
            void change(Random random, List<byte[]> lines);
        }

        static Mutator lines(LinesChange change) {
            return (random, content) -> {
                var lines = new ArrayList<byte[]>();
                int start = 0;
                for (int i = 0; i <= content.length; i++) {
                    if (i == content.length || content[i] == '\n') {
                        lines.add(java.util.Arrays.copyOfRange(content, start, Math.min(i + 1, content.length)));
                        start = i + 1;
                    }
                }
                if (lines.size() > 1 && lines.get(lines.size() - 1).length == 0) {
                    lines.remove(lines.size() - 1);
                }
                if (!lines.isEmpty()) {
                    change.change(random, lines);
                }
                var out = new java.io.ByteArrayOutputStream();
                for (byte[] line : lines) {
                    out.writeBytes(line);
                    if (line.length > 0 && line[line.length - 1] != '\n') {
                        out.write('\n');
                    }
                }
                return out.toByteArray();
            };
        }

        /** A position between two characters of UTF-8 (not inside one). */
        static int boundary(Random random, byte[] content) {
            int at = random.nextInt(content.length + 1);
            while (at < content.length && (content[at] & 0xC0) == 0x80) {
                at++;
            }
            return at;
        }

        static byte[] insertBytes(byte[] content, int at, byte[] bytes) {
            byte[] out = new byte[content.length + bytes.length];
            System.arraycopy(content, 0, out, 0, at);
            System.arraycopy(bytes, 0, out, at, bytes.length);
            System.arraycopy(content, at, out, at + bytes.length, content.length - at);
            return out;
        }

        static String insert(Random random, String text, String piece) {
            int at = random.nextInt(text.length() + 1);
            if (at > 0 && at < text.length() && Character.isLowSurrogate(text.charAt(at))) {
                at++;
            }
            return text.substring(0, at) + piece + text.substring(at);
        }

        static String insertAtLineStart(Random random, String text, String piece) {
            var starts = new ArrayList<Integer>(List.of(0));
            for (int i = text.indexOf('\n'); i >= 0 && i + 1 < text.length(); i = text.indexOf('\n', i + 1)) {
                starts.add(i + 1);
            }
            int at = pick(random, starts);
            return text.substring(0, at) + piece + text.substring(at);
        }

        static String replaceOne(Random random, String text, String what, String with) {
            var places = new ArrayList<Integer>();
            for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
                places.add(i);
            }
            if (places.isEmpty()) {
                return text;
            }
            int at = pick(random, places);
            return text.substring(0, at) + with + text.substring(at + what.length());
        }

        static String deindent(Random random, String text) {
            var lines = new ArrayList<>(List.of(text.split("\n", -1)));
            int i = random.nextInt(lines.size());
            lines.set(i, lines.get(i).stripLeading());
            return String.join("\n", lines);
        }

        /** A value in YAML (`name: value`, block or flow) or a CSV field. */
        static final Pattern YAML_VALUE = Pattern.compile("(?<=[\\w\"]: )(\"[^\"\\n]*\"|[^,}\\n]*)");

        static List<String> values(String text) {
            var values = new ArrayList<String>();
            boolean csv = !text.contains(": ");
            if (csv) {
                for (String line : text.split("\n")) {
                    values.addAll(List.of(line.split(",", -1)));
                }
            } else {
                Matcher m = YAML_VALUE.matcher(text);
                while (m.find()) {
                    values.add(m.group());
                }
            }
            return values;
        }

        static String replaceValue(Random random, String text, String with) {
            return replaceValue(random, text, old -> with);
        }

        static String replaceValue(Random random, String text, Function<String, String> with) {
            if (!text.contains(": ")) {
                return replaceField(random, text, with);
            }
            Matcher m = YAML_VALUE.matcher(text);
            var places = new ArrayList<int[]>();
            while (m.find()) {
                places.add(new int[] {m.start(), m.end()});
            }
            if (places.isEmpty()) {
                return text;
            }
            int[] at = pick(random, places);
            return text.substring(0, at[0]) + with.apply(text.substring(at[0], at[1])) + text.substring(at[1]);
        }

        static String replaceField(Random random, String text, String with) {
            return replaceField(random, text, old -> with);
        }

        /** Replaces a field of a data line of a CSV file (split naively at commas: quoting oddities are welcome). */
        static String replaceField(Random random, String text, Function<String, String> with) {
            var lines = new ArrayList<>(List.of(text.split("\n", -1)));
            if (lines.size() < 2) {
                return text;
            }
            int i = 1 + random.nextInt(lines.size() - 1);
            var fields = new ArrayList<>(List.of(lines.get(i).split(",", -1)));
            int f = random.nextInt(fields.size());
            fields.set(f, with.apply(fields.get(f)));
            lines.set(i, String.join(",", fields));
            return String.join("\n", lines);
        }
    }

    // ── the oracle: what a file says, read without the tool ──────────────────────────────────

    /**
     * What the table must hold after a run that succeeded, read from the file by the README's rules
     * (seeds/README.md) with code that shares nothing with the tool: SnakeYAML's node API for YAML,
     * a CSV parser here for CSV, PostgreSQL's own input functions for every value.
     */
    static final class Oracle {

        /** The file breaks a documented rule: a run must refuse it. */
        static final class Refused extends RuntimeException {
            Refused(String message) {
                super(message, null, false, false);
            }
        }

        /** The file uses something the oracle does not model: only the other invariants hold for it. */
        static final class Unsure extends RuntimeException {
            Unsure(String message) {
                super(message, null, false, false);
            }
        }

        /** A column's value: compared as CAST(value AS type), or as the code of the venue it refers to ("reference"). */
        record Cell(String column, String type, String value) {}

        record FileSays(String table, String removal, Map<String, Map<String, Cell>> rows) {}

        static final Map<String, String> ITEM_TYPES = Map.of("code", "text", "qty", "integer", "price", "numeric", "active", "boolean",
                "meta", "jsonb", "tags", "text[]", "listed", "date", "venue_id", "integer", "note", "text", "id", "integer");
        static final Map<String, Map<String, String>> TYPES = Map.of("items", ITEM_TYPES, "stock", ITEM_TYPES,
                "venues", Map.of("id", "integer", "code", "text", "name", "text"));

        static String strictUtf8(byte[] content) {
            try {
                return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(content)).toString();
            } catch (CharacterCodingException e) {
                throw new Refused("the file is not UTF-8");
            }
        }

        // ── CSV ──

        /** stock.csv by seeds/README.md: COPY's CSV, an empty field NULL, "" empty text, the first line the header. */
        static FileSays csv(byte[] content) {
            String text = strictUtf8(content);
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            var records = records(text);
            if (records.isEmpty()) {
                throw new Refused("no header");
            }
            var header = records.get(0);
            var columns = new ArrayList<String>();
            for (String name : header) {
                String column = name == null ? "" : name.trim();   // CsvRows trims the header's names, deliberately
                if (column.equals("venue_id.code")) {
                    columns.add("venue_id.code");
                } else if (ITEM_TYPES.containsKey(column) && !column.equals("id")) {
                    columns.add(column);
                } else if (column.equals("id")) {
                    throw new Unsure("a header names id");
                } else {
                    throw new Refused("the header names " + quote(column) + ", not a column");
                }
            }
            if (new LinkedHashSet<>(columns).size() != columns.size()) {
                throw new Refused("the header names a column twice");
            }
            if (!columns.contains("code")) {
                throw new Refused("the header has no key column");
            }
            var rows = new LinkedHashMap<String, Map<String, Cell>>();
            for (int i = 1; i < records.size(); i++) {
                var fields = records.get(i);
                if (fields.size() != columns.size()) {
                    throw new Refused("record " + i + " " + escape(fields.toString(), 80) + " has " + fields.size() + " fields, the header "
                            + columns.size());
                }
                var cells = new LinkedHashMap<String, Cell>();
                for (int f = 0; f < fields.size(); f++) {
                    String column = columns.get(f);
                    String value = fields.get(f);
                    if (value != null && value.indexOf('\0') >= 0) {
                        throw new Refused("a NUL character");
                    }
                    if (column.equals("venue_id.code")) {
                        cells.put("venue_id", value == null ? new Cell("venue_id", "integer", null) : new Cell("venue_id", "reference", value));
                    } else {
                        cells.put(column, new Cell(column, ITEM_TYPES.get(column), value));
                    }
                }
                String key = cells.get("code").value();
                if (key == null) {
                    throw new Refused("record " + i + " has no key");
                }
                if (rows.put(key, cells) != null) {
                    throw new Refused("the key " + quote(key) + " twice");
                }
            }
            return new FileSays("stock", "delete", rows);
        }

        /**
         * Records as PostgreSQL's COPY … (FORMAT csv) reads them (CopyReadLineText and
         * CopyReadAttributesCSV): a quote opens a quoted part anywhere in a field and "" inside one is
         * a quote; a field is NULL when it is empty and had no quote; a line break inside quotes is
         * data. Line ends of two kinds are an error there, so a file that has them is refused here.
         * A line \. is not special: in a seed file it is data (or an error), never the end.
         */
        static List<List<String>> records(String text) {
            var records = new ArrayList<List<String>>();
            var fields = new ArrayList<String>();
            var field = new StringBuilder();
            boolean inQuote = false;
            boolean sawQuote = false;
            String lineEnd = null;
            int i = 0;
            while (i < text.length()) {
                char c = text.charAt(i);
                if (inQuote) {
                    if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    if (c == '"') {
                        inQuote = false;
                    } else {
                        field.append(c);
                    }
                    i++;
                } else if (c == '"') {
                    inQuote = true;
                    sawQuote = true;
                    i++;
                } else if (c == ',') {
                    fields.add(field.length() == 0 && !sawQuote ? null : field.toString());
                    field.setLength(0);
                    sawQuote = false;
                    i++;
                } else if (c == '\n' || c == '\r') {
                    String end = c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n' ? "\r\n" : String.valueOf(c);
                    if (lineEnd != null && !lineEnd.equals(end)) {
                        throw new Refused("line ends of two kinds");
                    }
                    lineEnd = end;
                    fields.add(field.length() == 0 && !sawQuote ? null : field.toString());
                    records.add(fields);
                    fields = new ArrayList<>();
                    field.setLength(0);
                    sawQuote = false;
                    i += end.length();
                } else {
                    field.append(c);
                    i++;
                }
            }
            if (inQuote) {
                throw new Refused("a quote that is never closed");
            }
            if (field.length() > 0 || sawQuote || !fields.isEmpty()) {
                fields.add(field.length() == 0 && !sawQuote ? null : field.toString());
                records.add(fields);
            }
            return records;
        }

        // ── YAML ──

        static final Resolver RESOLVER = new Resolver();
        static final Set<String> SETTINGS = Set.of("table", "key", "rows", "defaults", "description", "removal", "environments",
                "depends_on", "owns", "generate");

        /** items.yaml or venues.yaml by seeds/README.md. */
        static FileSays yaml(byte[] content, String expectedTable) {
            String text = strictUtf8(content);
            if (text.indexOf('\0') >= 0) {
                throw new Refused("a NUL character");
            }
            if (text.startsWith("\uFEFF")) {
                text = text.substring(1);
            }
            var options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(1000);
            options.setNestingDepthLimit(64);
            options.setCodePointLimit(64 << 20);
            Node root;
            try {
                root = new Yaml(new SafeConstructor(options)).compose(new StringReader(text));
            } catch (YAMLException e) {
                throw new Refused("not YAML: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (!(root instanceof MappingNode)) {
                throw new Refused("the file is not a mapping of settings");
            }
            checkTags(root, new java.util.IdentityHashMap<>());
            var settings = entries(root);
            for (String setting : settings.keySet()) {
                if (!SETTINGS.contains(setting)) {
                    throw new Refused("the setting " + quote(setting));
                }
            }
            for (String setting : List.of("environments", "depends_on", "owns", "generate")) {
                if (settings.containsKey(setting)) {
                    throw new Unsure(setting);
                }
            }
            if (!settings.containsKey("table") || !settings.containsKey("key") || !settings.containsKey("rows")) {
                throw new Refused("table, key or rows missing");
            }
            String table = plainText(settings.get("table"));
            if (!expectedTable.equals(table)) {
                throw new Unsure("table " + table);
            }
            Node keyNode = settings.get("key");
            String key = keyNode instanceof SequenceNode list && list.getValue().size() == 1 ? plainText(list.getValue().get(0)) : plainText(keyNode);
            if (!"code".equals(key)) {
                throw new Unsure("key " + key);
            }
            String removal = removal(settings.get("removal"), table);
            var defaults = settings.containsKey("defaults") ? entries(settings.get("defaults")) : Map.<String, Node>of();
            if (!(settings.get("rows") instanceof SequenceNode rowList)) {
                throw new Unsure("rows is not a list");
            }
            var types = TYPES.get(table);
            var rows = new LinkedHashMap<String, Map<String, Cell>>();
            for (Node rowNode : rowList.getValue()) {
                var given = new LinkedHashMap<>(defaults);
                given.putAll(entries(rowNode));
                if (given.containsKey("_environments")) {
                    throw new Unsure("_environments");
                }
                var cells = new LinkedHashMap<String, Cell>();
                for (var column : given.entrySet()) {
                    String type = types.get(column.getKey());
                    if (type == null) {
                        throw new Refused("the column " + quote(column.getKey()) + " is not in " + table);
                    }
                    if (column.getKey().equals("id")) {
                        throw new Unsure("a row gives id");
                    }
                    Cell cell = cell(column.getKey(), type, column.getValue());
                    if (cell != null) {
                        cells.put(column.getKey(), cell);
                    }
                }
                Node keyValue = given.get("code");
                if (keyValue == null) {
                    throw new Refused("a row without its key");
                }
                if (!(keyValue instanceof ScalarNode keyScalar) || keyScalar.getTag().equals(Tag.NULL)) {
                    throw new Refused("a key that is not a value");
                }
                if (keyScalar.getValue().contains("$${")) {
                    throw new Unsure("$${ in a key");
                }
                if (Oracle.takesFromTheEnvironment(keyScalar.getValue())) {
                    throw new Refused("a key whose value comes from the environment");
                }
                if (explicit(keyScalar)) {
                    throw new Unsure("a tagged key");
                }
                if (removal.equals("deactivate") && !cells.containsKey("active")) {
                    cells.put("active", new Cell("active", "boolean", "true"));
                }
                // A default in the file (${UNSET:-x}) is the file's text, which a key may be.
                if (rows.put(substitute(keyScalar.getValue()), cells) != null) {
                    throw new Refused("the key " + quote(keyScalar.getValue()) + " twice");
                }
            }
            return new FileSays(table, removal, rows);
        }

        static String removal(Node node, String table) {
            if (node == null) {
                return "keep";
            }
            if (node instanceof MappingNode) {
                var entries = entries(node);
                if (entries.size() == 1 && "active".equals(plainText(entries.get("deactivate"))) && table.equals("items")) {
                    return "deactivate";
                }
                throw new Unsure("removal " + entries.keySet());
            }
            String mode = plainText(node);
            if (mode.equals("keep") || mode.equals("delete")) {
                return mode;
            }
            if (mode.equals("deactivate")) {
                throw new Refused("removal: deactivate, and " + table + " has no is_active");
            }
            throw new Refused("removal: " + mode);
        }

        static String plainText(Node node) {
            if (!(node instanceof ScalarNode scalar) || explicit(scalar) || scalar.getTag().equals(Tag.NULL)) {
                throw new Unsure("a setting that is not plain text");
            }
            return scalar.getValue();
        }

        /** Whether the node's tag was written in the file (not what YAML's resolver gives its text). */
        static boolean explicit(Node node) {
            if (node instanceof ScalarNode scalar) {
                return !scalar.getTag().equals(scalar.isPlain() ? RESOLVER.resolve(NodeId.scalar, scalar.getValue(), true) : Tag.STR);
            }
            return !node.getTag().equals(node instanceof SequenceNode ? Tag.SEQ : Tag.MAP);
        }

        static final Set<Tag> OWN_TAGS = Set.of(Tag.STR, Tag.INT, Tag.FLOAT, Tag.BOOL, Tag.NULL, Tag.TIMESTAMP, Tag.BINARY, Tag.MAP,
                Tag.SEQ, Tag.MERGE);

        /** "Only YAML's own tags": a tag outside YAML's is an error; YAML's rarer ones the oracle does not model. */
        static void checkTags(Node node, Map<Node, Boolean> seen) {
            if (seen.put(node, true) != null) {
                return;
            }
            if (!OWN_TAGS.contains(node.getTag())) {
                if (node.getTag().getValue().startsWith(Tag.PREFIX)) {
                    throw new Unsure("the tag " + node.getTag());
                }
                throw new Refused("the tag " + node.getTag());
            }
            if (node instanceof MappingNode mapping) {
                for (NodeTuple tuple : mapping.getValue()) {
                    checkTags(tuple.getKeyNode(), seen);
                    checkTags(tuple.getValueNode(), seen);
                }
            } else if (node instanceof SequenceNode list) {
                for (Node item : list.getValue()) {
                    checkTags(item, seen);
                }
            }
        }

        /** A mapping's entries, merge keys (<<) applied as YAML says: the mapping's own keys win, then the merged in order. */
        static Map<String, Node> entries(Node node) {
            if (!(node instanceof MappingNode mapping)) {
                throw new Refused("a mapping was expected, found " + node.getNodeId());
            }
            var own = new LinkedHashMap<String, Node>();
            var merged = new LinkedHashMap<String, Node>();
            for (NodeTuple tuple : mapping.getValue()) {
                Node keyNode = tuple.getKeyNode();
                if (keyNode.getTag().equals(Tag.MERGE)) {
                    Node value = tuple.getValueNode();
                    var sources = value instanceof SequenceNode list ? list.getValue() : List.of(value);
                    for (Node source : sources) {
                        entries(source).forEach(merged::putIfAbsent);
                    }
                    continue;
                }
                if (!(keyNode instanceof ScalarNode keyScalar) || explicit(keyScalar)) {
                    throw new Unsure("a key that is not plain text");
                }
                if (keyScalar.getTag().equals(Tag.NULL) && !keyScalar.getValue().isEmpty()) {
                    throw new Unsure("a null key");
                }
                if (own.put(keyScalar.getValue(), tuple.getValueNode()) != null) {
                    throw new Refused("the key " + quote(keyScalar.getValue()) + " twice in a mapping");
                }
            }
            merged.putAll(own);
            var result = new LinkedHashMap<String, Node>();
            merged.forEach(result::put);
            return result;
        }

        /** The expected content of one column, or null when the oracle cannot say (the other invariants still hold). */
        static Cell cell(String column, String type, Node node) {
            if (explicit(node) && !(node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR))) {
                return null;
            }
            if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL)) {
                return new Cell(column, type, null);
            }
            switch (type) {
                case "jsonb" -> {
                    String json = json(node);
                    return json == null ? null : new Cell(column, type, json);
                }
                case "text[]" -> {
                    if (!(node instanceof SequenceNode list)) {
                        throw new Refused(column + " is text[] and its value is not a list");
                    }
                    var literal = new StringBuilder("{");
                    for (Node item : list.getValue()) {
                        if (!(item instanceof ScalarNode scalar) || explicit(scalar)) {
                            return null;
                        }
                        literal.append(literal.length() > 1 ? "," : "");
                        if (scalar.getTag().equals(Tag.NULL)) {
                            literal.append("NULL");
                        } else {
                            literal.append('"').append(substitute(scalar.getValue()).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                        }
                    }
                    return new Cell(column, type, literal.append('}').toString());
                }
                default -> {
                    if (column.equals("venue_id") && node instanceof MappingNode) {
                        var reference = entries(node);
                        if (reference.size() != 1 || !reference.containsKey("code")) {
                            return null;
                        }
                        if (!(reference.get("code") instanceof ScalarNode code) || explicit(code) || code.getTag().equals(Tag.NULL)
                                || code.getValue().contains("${")) {
                            return null;
                        }
                        return new Cell(column, "reference", code.getValue());
                    }
                    if (!(node instanceof ScalarNode scalar)) {
                        throw new Refused(column + " is " + type + " and its value is a " + node.getNodeId());
                    }
                    String text = substitute(scalar.getValue());
                    boolean number = scalar.isPlain() && (scalar.getTag().equals(Tag.INT) || scalar.getTag().equals(Tag.FLOAT));
                    if (number && (type.equals("integer") || type.equals("numeric"))) {
                        text = text.replace("_", "");   // "underscores are ignored"
                        if (!DECIMAL.matcher(text).matches()) {
                            unlessPending("number-spelling", column + ": " + quote(text) + " is not a decimal number (YAML 1.1 reads it as one)");
                        }
                    }
                    return new Cell(column, type, text);
                }
            }
        }

        static final Pattern DECIMAL = Pattern.compile("[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");
        static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][-+]?[0-9]+)?");

        /** JSON for a jsonb column: YAML's types, but only true and false are booleans; null when the oracle cannot say. */
        static String json(Node node) {
            if (explicit(node)) {
                return null;
            }
            if (node instanceof MappingNode) {
                var out = new StringBuilder("{");
                for (var entry : entries(node).entrySet()) {
                    String value = json(entry.getValue());
                    if (value == null) {
                        return null;
                    }
                    out.append(out.length() > 1 ? "," : "").append(jsonString(entry.getKey())).append(':').append(value);
                }
                return out.append('}').toString();
            }
            if (node instanceof SequenceNode list) {
                var out = new StringBuilder("[");
                for (Node item : list.getValue()) {
                    String value = json(item);
                    if (value == null) {
                        return null;
                    }
                    out.append(out.length() > 1 ? "," : "").append(value);
                }
                return out.append(']').toString();
            }
            var scalar = (ScalarNode) node;
            String text = scalar.getValue();
            if (text.contains("${")) {
                return null;
            }
            Tag tag = scalar.getTag();
            if (tag.equals(Tag.NULL)) {
                return "null";
            } else if (tag.equals(Tag.BOOL)) {
                return text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false") ? text.toLowerCase(java.util.Locale.ROOT) : jsonString(text);
            } else if (tag.equals(Tag.INT) || tag.equals(Tag.FLOAT)) {
                String digits = text.replace("_", "");
                return JSON_NUMBER.matcher(digits).matches() ? digits : null;
            } else if (tag.equals(Tag.STR)) {
                return jsonString(text);
            }
            return null;
        }

        static String jsonString(String text) {
            wholeCharacters(text);
            var out = new StringBuilder("\"");
            for (char c : text.toCharArray()) {
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format("\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            return out.append('"').toString();
        }

        /** A lone surrogate ("\\ud800" in YAML) is no character: UTF-8, and so PostgreSQL's text, cannot hold it (issue 11, point 9). */
        static String wholeCharacters(String text) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    unlessPending("lone-surrogate", "a lone surrogate (\\u" + Integer.toHexString(c) + "), which no UTF-8 text can hold");
                }
            }
            return text;
        }

        static boolean takesFromTheEnvironment(String text) {
            Matcher m = VARIABLE.matcher(text.replace("$${", ""));
            while (m.find()) {
                if (!VARIABLES.getOrDefault(m.group(1), "").isEmpty()) {
                    return true;
                }
            }
            return false;
        }

        static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

        /**
         * ${VAR} and ${VAR:-default} from the environment, an empty variable as unset, $${ a literal
         * ${ (seeds/README.md, "Values from the environment"); anything else that starts with ${ is
         * not one of those forms, and a file that holds it is refused (issue 11, point 9).
         */
        static String substitute(String text) {
            wholeCharacters(text);
            var out = new StringBuilder();
            int i = 0;
            while (i < text.length()) {
                if (text.startsWith("$${", i)) {
                    out.append("${");
                    i += 3;
                } else if (text.startsWith("${", i)) {
                    Matcher m = VARIABLE.matcher(text).region(i, text.length());
                    if (!m.lookingAt() || m.group(3) != null && m.group(3).contains("${")) {
                        unlessPending("malformed-variable", "a malformed ${…} in " + quote(text));
                    }
                    String value = VARIABLES.get(m.group(1));
                    if (value == null || value.isEmpty()) {
                        if (m.group(2) == null) {
                            throw new Refused("the variable " + m.group(1) + " is not set");
                        }
                        value = m.group(3);
                    }
                    out.append(value);
                    i = m.end();
                } else {
                    out.append(text.charAt(i++));
                }
            }
            return out.toString();
        }
    }
}
