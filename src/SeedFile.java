// A seed file: YAML read into rows that keep the line and column of every value.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

record SeedFile(Path path, String displayPath, String table, Pos tablePos, List<String> key, Pos keyPos,
                Map<String, Value> defaults, Rows rows, Future<String> checksumInProgress,
                List<String> environments,
                List<String> dependsOn, Removal removal, boolean ownsTable, Map<String, Generated> generated,
                Map<String, Pos> settings, boolean usesVariables) {
    /**
     * The file's path and table: equal files have equal ones, so this agrees with equals, without
     * hashing every row of the file (a YAML file's are all in memory) at each lookup in a map of files.
     */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(path, table);
    }

    /**
     * A position in a file, 1-based, printed the way compilers do: line:column. A position in the
     * CSV file that holds a seed file's rows names that file: where() then says it.
     */
    record Pos(int line, int column, String file) {
        Pos(int line, int column) {
            this(line, column, null);
        }

        /** file:line:column, in the given file unless this position is in another. */
        String where(String displayPath) {
            return (file != null ? file : displayPath) + ":" + this;
        }

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

    /**
     * What a YAML scalar was written as; booleans are true/false only, as in YAML 1.2. LITERAL is a
     * CSV field: PostgreSQL's input text for the column's type, whatever the type (JSON text for
     * jsonb, {a,b} for an array), passed on as written.
     */
    enum Kind { NULL, TEXT, BOOL, INT, FLOAT, TIMESTAMP, BINARY, LIST, MAP, LITERAL }

    /**
     * One value from a seed file. Scalars keep the text as written, so that a text column gets
     * exactly what the file says (NO stays NO, 1.10 stays 1.10); lists and maps keep their items.
     */
    record Value(Kind kind, String text, List<Value> items, Map<String, Value> entries, Pos pos, Pos namePos,
                 String template, boolean substituted) {
        static Value scalar(Kind kind, String text, Pos pos) {
            return new Value(kind, text, null, null, pos, null, null, false);
        }

        /** The value of a column, with where that column's name was written. */
        Value named(Pos at) {
            return new Value(kind, text, items, entries, pos, at, template, substituted);
        }

        /**
         * Whether the value (or one inside it) came from the environment through ${VAR}: such a value
         * may be a secret, so no plan, diff, history or error shows it.
         */
        boolean fromEnvironment() {
            return template != null
                    || items != null && items.stream().anyMatch(Value::fromEnvironment)
                    || entries != null && entries.values().stream().anyMatch(Value::fromEnvironment);
        }

        /**
         * Whether the value (or one inside it) was written with ${VAR}, whether or not the environment
         * gave it (${VAR:-default}): then what it is depends on the environment, not only on the text.
         */
        boolean holdsVariable() {
            return substituted
                    || items != null && items.stream().anyMatch(Value::holdsVariable)
                    || entries != null && entries.values().stream().anyMatch(Value::holdsVariable);
        }

        /** Where the column of this value is named: errors about the column point there. */
        Pos columnPos() {
            return namePos != null ? namePos : pos;
        }
    }

    /** A row, and the environments it belongs to (null: all of them). */
    record Row(Pos pos, Map<String, Value> values, List<String> environments) {}

    /**
     * A file's rows. A YAML file's are in memory; a CSV file's are read from disk at each pass, so
     * that memory does not grow with the file: a pass is forEach, and get(i) is for error messages.
     */
    interface Rows {
        /** Each row with its index, in file order. */
        void forEach(java.util.function.ObjIntConsumer<Row> action);

        /** How many rows (for a CSV file, counted by a pass the first time). */
        int size();

        /** One row, for an error message (a CSV file is read again up to it). */
        Row get(int index);

        /** Several rows by index, in one pass where the rows are read from disk. */
        default Map<Integer, Row> get(java.util.SortedSet<Integer> indexes) {
            var found = new java.util.HashMap<Integer, Row>();
            indexes.forEach(i -> found.put(i, get(i)));
            return found;
        }

        /** Where a row starts. */
        Pos pos(int index);

        /** The columns the rows give: every column some row names. */
        Set<String> columns();

        /** The environments rows are for, by their _environments (a CSV file has none). */
        Set<String> environments();

        /** The rows of one environment, each completed (with the seed file's defaults, extraColumns) as it is read. */
        Rows forEnvironment(String environment, java.util.function.UnaryOperator<Row> complete, Set<String> extraColumns);

        /** How many rows are for other environments than the given one. */
        long rowsElsewhere(String environment);

        /** The rows as the file writes them, for COPY to parse (a CSV file's); null: the tool reads each row for COPY. */
        default AsWritten asWritten() {
            return null;
        }

        /** How a value that is not there is written, in an error about it. */
        default String noValue() {
            return "null";
        }

        /** How much of the rows a pass has read, 0 to 1, when staged of them have been. */
        default java.util.function.DoubleSupplier fractionStaged(java.util.function.LongSupplier staged) {
            int total = Math.max(1, size());
            return () -> (double) staged.getAsLong() / total;
        }
    }

    /**
     * Rows that go to COPY as the file writes them (a CSV file: PostgreSQL parses it), all giving
     * the columns of one header: checked once by their shape, their values by PostgreSQL.
     */
    interface AsWritten {
        /** The header's fields: a column each, or a lookup column of a reference. */
        List<CsvRows.Header> header();

        /** A row that gives every column of the header, with placeholder values (and a reference as its lookup columns). */
        Row shape();

        /** Streams the rows, as written, to sink; with keyField ≥ 0, the pairs of rows whose keys hash the same. */
        default CsvRows.Copied copyTo(java.util.function.Consumer<java.nio.ByteBuffer> sink, java.util.function.LongConsumer rowsSent,
                                      int keyField) {
            return copyTo(sink, rowsSent, keyField, null);
        }

        /** The same, with check shown the fields it wants of every row on their way (null: none). */
        CsvRows.Copied copyTo(java.util.function.Consumer<java.nio.ByteBuffer> sink, java.util.function.LongConsumer rowsSent,
                              int keyField, FieldCheck check);

        /** The row a line of COPY's input belongs to. */
        int rowAtLine(int line);

        /** How much of the file the pass in progress has read, 0 to 1. */
        double fractionRead();
    }

    /**
     * A check of some fields of every row of a file as written, as the file streams to COPY: each
     * field's UTF-8 bytes as COPY reads them (length 0 and not quoted: an empty field, NULL), by its
     * position in the header. It refuses a value by throwing.
     */
    interface FieldCheck {
        boolean wants(int field);

        void field(int field, byte[] bytes, int length, boolean quoted);
    }

    /** Rows held in memory: those of a YAML file. */
    record Listed(List<Row> list) implements Rows {
        @Override
        public void forEach(java.util.function.ObjIntConsumer<Row> action) {
            for (int i = 0; i < list.size(); i++) {
                action.accept(list.get(i), i);
            }
        }

        @Override public int size() { return list.size(); }
        @Override public Row get(int index) { return list.get(index); }
        @Override public Pos pos(int index) { return list.get(index).pos(); }

        @Override
        public Set<String> columns() {
            var names = new java.util.LinkedHashSet<String>();
            list.forEach(row -> names.addAll(row.values().keySet()));
            return names;
        }

        @Override
        public Set<String> environments() {
            var names = new java.util.TreeSet<String>();
            list.stream().filter(row -> row.environments() != null).forEach(row -> names.addAll(row.environments()));
            return names;
        }

        @Override
        public Rows forEnvironment(String environment, java.util.function.UnaryOperator<Row> complete, Set<String> extraColumns) {
            return new Listed(list.stream().filter(row -> row.environments() == null || row.environments().contains(environment))
                    .map(complete).toList());
        }

        @Override
        public long rowsElsewhere(String environment) {
            return list.stream().filter(row -> row.environments() != null && !row.environments().contains(environment)).count();
        }
    }

    /** What happens to the rows a file owns but no longer lists: keep, deactivate (the column) or delete. */
    record Removal(String mode, String column) {
        static final Removal KEEP = new Removal("keep", null);

        boolean keeps() {
            return mode.equals("keep");
        }
    }

    /**
     * A column the tool fills when it inserts a row that does not give it, for columns the database
     * does not fill itself (keys generated by application code): generate: {id: uuid}. Only on
     * insert: a rerun never changes the value, so the rule never makes a seed non-idempotent.
     */
    record Generated(String column, String rule, Pos pos) {
        /** The rules, each the SQL expression it stands for. */
        static final Map<String, String> RULES = Map.of("uuid", "gen_random_uuid()");

        String expression() {
            return RULES.get(rule);
        }
    }

    /** The key of a row that gives the environments it belongs to; the rest of a row's keys are columns. */
    static final String ROW_ENVIRONMENTS = "_environments";
    static final Set<String> SETTINGS = Set.of("table", "key", "defaults", "rows", "description", "environments", "depends_on",
            "removal", "owns", "generate");
    static final int MAX_SCALAR_CHARS = 10 * 1024 * 1024;
    /**
     * The longest line a seed file may have. SnakeYAML's reader works in time quadratic in the
     * length of one token, so a single huge line (a 50 MB value) would take hours: refused first.
     */
    static final int MAX_LINE_CHARS = 256 * 1024;
    static final int MAX_VALUES = 5_000_000;

    /**
     * The SHA-256 of the file (and of the CSV file of its rows), as the history records it. A
     * large CSV file's is computed on a thread of its own while the run works, and waited for here.
     */
    String checksum() {
        try {
            return checksumInProgress.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof SeedError error ? error : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A checksum computed on a thread of its own, while the run goes on: a large file's. */
    static Future<String> checksumInBackground(Path of, java.util.function.Supplier<String> checksum) {
        return CompletableFuture.supplyAsync(checksum, runnable -> {
            var thread = new Thread(runnable, "checksum of " + of.getFileName());
            thread.setDaemon(true);
            thread.start();
        });
    }

    /**
     * This file with other rows, and their checksum: a large YAML file's, read as a stream. Whether
     * those rows take values from the environment is known only once they are read: taken as yes.
     */
    SeedFile withRows(Rows otherRows, Future<String> checksum) {
        return new SeedFile(path, displayPath, table, tablePos, key, keyPos, defaults, otherRows, checksum, environments, dependsOn,
                removal, ownsTable, generated, settings, true);
    }

    /** Whether this file applies in the given environment. */
    boolean appliesTo(String environment) {
        return environments == null || environments.contains(environment);
    }

    /**
     * The rows for the given environment, each completed with the file's defaults for the columns it
     * does not give; with removal by deactivation, a row that does not say otherwise is active.
     */
    Rows rowsFor(String environment) {
        var extra = new LinkedHashMap<String, Value>();
        if (removal.mode().equals("deactivate")) {
            extra.put(removal.column(), Value.scalar(Kind.BOOL, "true", settings.get("removal")));
        }
        extra.putAll(defaults);
        java.util.function.UnaryOperator<Row> complete = row -> {
            if (extra.isEmpty()) {
                return row;
            }
            var values = new LinkedHashMap<>(extra);
            values.putAll(row.values());
            return new Row(row.pos(), values, row.environments());
        };
        return rows.forEnvironment(environment, complete, extra.keySet());
    }

    /** How many rows are for other environments than this one. */
    long rowsElsewhere(String environment) {
        return rows.rowsElsewhere(environment);
    }

    String name() {
        return path.getFileName().toString();
    }

    /**
     * Every seed file of the directory, in file-name order; the declaration of environments beside
     * them is not one. A file may name only the environments declared.
     */
    static List<SeedFile> readAll(Path dir, Path workingDir, Map<String, String> env, Secrets secrets, boolean followSymlinks,
                                  Environments declared) {
        List<Path> files;
        try (var listing = Files.list(dir)) {
            files = listing.filter(p -> {
                String name = p.getFileName().toString();
                return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"))
                        && !Environments.FILES.contains(name);
            }).sorted().toList();
        } catch (IOException e) {
            throw SeedError.usage("cannot list " + dir + ": " + e.getMessage(), null);
        }
        return files.stream().map(path -> {
            String display = displayPath(path, workingDir);
            if (Files.isSymbolicLink(path) && !followSymlinks) {
                refuseLinkOutside(dir, path, display);
            }
            return read(path, display, env, secrets, followSymlinks, declared);
        }).toList();
    }

    /** A seed file that is a link to somewhere outside the seeds directory is refused: --follow-symlinks allows it. */
    static void refuseLinkOutside(Path dir, Path link, String display) {
        Path target;
        try {
            target = link.toRealPath();
        } catch (IOException e) {
            throw SeedError.in(display, null, "the file cannot be read: it is a link to " + linkTarget(link) + ", which is not there");
        }
        try {
            if (!target.startsWith(dir.toRealPath())) {
                throw SeedError.in(display, null, "the file is a link to " + target + ", outside the seeds directory")
                        .hint("seed files are read from the seeds directory only; pass --follow-symlinks to allow links out of it");
            }
        } catch (IOException e) {
            throw SeedError.usage("cannot read the seeds directory " + dir + ": " + e.getMessage(), null);
        }
    }

    /**
     * What the path is (through a link, what the link points to) when it is not a regular file:
     * "a named pipe (FIFO)", "a character device" (/dev/zero)…; null for a regular file, or for one
     * that is not there (reading it says so). Such a file is never opened: a FIFO would block the
     * run, and a device would never end.
     */
    static String specialFile(Path path) {
        java.nio.file.attribute.BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (IOException e) {
            return null;
        }
        if (attributes.isRegularFile()) {
            // The kernel's files look regular but are not files of anyone's: /proc/self/environ holds the
            // process's environment (passwords too), which an error about its "header" would print.
            try {
                Path real = path.toRealPath();
                for (String pseudo : List.of("/proc", "/sys", "/dev")) {
                    if (real.startsWith(pseudo)) {
                        return "a file of the kernel (" + real + ")";
                    }
                }
            } catch (IOException e) {
                return null;   // not there: reading it says so
            }
            return null;
        }
        if (attributes.isDirectory()) {
            return "a directory";
        }
        try {
            return switch ((Integer) Files.getAttribute(path, "unix:mode") & 0170000) {
                case 0010000 -> "a named pipe (FIFO)";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "a special file";
        }
    }

    static String linkTarget(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return "a place that cannot be read";
        }
    }

    /** A path as the user names it: relative to the working directory when inside it (but from / it reads as relative: absolute). */
    static String displayPath(Path path, Path workingDir) {
        var absolute = path.toAbsolutePath().normalize();
        return absolute.startsWith(workingDir) && workingDir.getParent() != null ? workingDir.relativize(absolute).toString()
                : absolute.toString();
    }

    static SeedFile read(Path path, String displayPath, Map<String, String> env, Secrets secrets, boolean followSymlinks,
                         Environments declared) {
        if (Files.isDirectory(path)) {
            throw SeedError.in(displayPath, null, "this is a directory, not a seed file");
        }
        String special = specialFile(path);
        if (special != null) {
            throw SeedError.in(displayPath, null, "this is " + (Files.isSymbolicLink(path) ? "a link to " + linkTarget(path) + ", " : "")
                    + special + ", not a seed file").hint("a seed file is a regular file; nothing else in the seeds directory may "
                    + "end in .yaml or .yml");
        }
        byte[] bytes;
        try {
            if (Files.size(path) > YamlRows.STREAMED_BYTES) {
                return YamlRows.read(path, displayPath, env, secrets, followSymlinks, declared);
            }
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
        }
        Node root = YamlSyntax.compose(bytes, displayPath);
        if (root == null) {
            throw YamlSyntax.emptyFile(displayPath);
        }
        var reader = new SeedReader(path, displayPath, bytes, env, secrets, followSymlinks, declared);
        reader.checkExpandedSize(root);
        return reader.file(root);
    }

    /** The file's content checksum, as the history records it. */
    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** The checksum of a YAML file and the CSV file that holds its rows: a change to either changes it. */
    static String sha256(byte[] bytes, Path csv) {
        var digest = digest();
        // The YAML file's length first: a line moved from the end of one file to the start of the other changes it.
        digest.update((bytes.length + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        digest.update(bytes);
        try (var in = Files.newInputStream(csv)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        } catch (IOException e) {
            throw SeedError.in(displayPath(csv, Path.of("").toAbsolutePath()), null, "the file cannot be read: " + e.getMessage());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static java.security.MessageDigest digest() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java has SHA-256", e);
        }
    }
}
