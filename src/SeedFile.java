// A seed file: YAML read into rows that keep the line and column of every value.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

record SeedFile(Path path, String displayPath, String table, Pos tablePos, List<String> key, Pos keyPos,
                Map<String, Value> defaults, Rows rows, Future<String> checksumInProgress,
                List<String> environments,
                List<String> dependsOn, Removal removal, boolean ownsTable, Map<String, Generated> generated,
                Map<String, Pos> settings) {
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
                 String template) {
        static Value scalar(Kind kind, String text, Pos pos) {
            return new Value(kind, text, null, null, pos, null, null);
        }

        /** The value of a column, with where that column's name was written. */
        Value named(Pos at) {
            return new Value(kind, text, items, entries, pos, at, template);
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
        CsvRows.Copied copyTo(java.util.function.Consumer<java.nio.ByteBuffer> sink, java.util.function.LongConsumer rowsSent,
                              int keyField);

        /** The row a line of COPY's input belongs to. */
        int rowAtLine(int line);

        /** How much of the file the pass in progress has read, 0 to 1. */
        double fractionRead();
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

    /** This file with other rows, and their checksum: a large YAML file's, read as a stream. */
    SeedFile withRows(Rows otherRows, Future<String> checksum) {
        return new SeedFile(path, displayPath, table, tablePos, key, keyPos, defaults, otherRows, checksum, environments, dependsOn,
                removal, ownsTable, generated, settings);
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
        Node root = compose(bytes, displayPath);
        if (root == null) {
            throw emptyFile(displayPath);
        }
        var reader = new Reader(path, displayPath, bytes, env, secrets, followSymlinks, declared);
        reader.checkExpandedSize(root);
        return reader.file(root);
    }

    /**
     * A whole file's YAML as nodes that keep their positions (null for an empty file), by the
     * rules every seed file is read with: strict UTF-8, bounded lines, safe construction only.
     */
    static Node compose(byte[] bytes, String displayPath) {
        String text = decodeUtf8(bytes, displayPath);
        refuseLongLines(text, displayPath);
        var options = loaderOptions(Math.max(text.length() + 1, 3 * 1024 * 1024));
        // Safe construction only; and the node API never constructs Java objects at all.
        var yaml = new Yaml(new SafeConstructor(options));
        try {
            return yaml.compose(new java.io.StringReader(text));
        } catch (MarkedYAMLException e) {
            throw yamlError(e, displayPath);
        } catch (org.yaml.snakeyaml.reader.ReaderException e) {
            int at = Math.min(e.getPosition(), text.length());
            String before = text.substring(0, at);
            throw controlCharacter(e, displayPath,
                    new Pos((int) before.chars().filter(c -> c == '\n').count() + 1, at - before.lastIndexOf('\n')));
        } catch (YAMLException e) {
            throw yamlError(e, displayPath);
        }
    }

    static SeedError lineTooLong(String displayPath, int line, long length) {
        return SeedError.in(displayPath, new Pos(line, 1), "line " + line + " is " + length
                + " characters long; a line of a seed file may have " + MAX_LINE_CHARS)
                .hint("a value this large does not belong in a seed file (a value may have " + MAX_SCALAR_CHARS
                        + " characters, over several lines)");
    }

    private static void refuseLongLines(String text, String displayPath) {
        int line = 1;
        for (int start = 0; start < text.length(); line++) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end;
            if (end - start > MAX_LINE_CHARS) {
                throw lineTooLong(displayPath, line, end - start);
            }
            start = end + 1;
        }
    }

    /** The file's content checksum, as the history records it. */
    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    /** The checksum of a YAML file and the CSV file that holds its rows: a change to either changes it. */
    static String sha256(byte[] bytes, Path csv) {
        var digest = digest();
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

    /** How every seed file is parsed: no duplicate keys, no recursive ones, bounded aliases and nesting. */
    static LoaderOptions loaderOptions(int codePointLimit) {
        var options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setAllowRecursiveKeys(false);
        options.setMaxAliasesForCollections(1000);
        options.setNestingDepthLimit(64);
        options.setCodePointLimit(codePointLimit);
        return options;
    }

    static SeedError emptyFile(String displayPath) {
        return SeedError.in(displayPath, null, "the file is empty; a seed file names its table, its key and its rows");
    }

    /** A character YAML does not allow in a file at all: NUL, and other control characters. */
    static SeedError controlCharacter(org.yaml.snakeyaml.reader.ReaderException e, String displayPath, Pos pos) {
        return SeedError.in(displayPath, pos, "the file holds the control character U+" + String.format("%04X", e.getCodePoint())
                + (e.getCodePoint() == 0 ? " (NUL)" : "") + ", which a YAML file may not hold");
    }

    /** A YAML error without a position: values nested too deep, or another refusal of SnakeYAML's. */
    static SeedError yamlError(YAMLException e, String displayPath) {
        String message = String.valueOf(e.getMessage());
        return SeedError.in(displayPath, null, message.startsWith("Nesting Depth exceeded")
                ? "values nest deeper than the 64 levels a seed file may have" : "invalid YAML: " + message);
    }

    static SeedError yamlError(MarkedYAMLException e, String displayPath) {
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
        if (problem.contains("\\t(TAB)")) {
            return SeedError.in(displayPath, Pos.of(mark), "invalid YAML: a tab character, where YAML takes spaces "
                    + "(for indentation, and after a colon)");
        }
        var error = SeedError.in(displayPath, Pos.of(mark), "invalid YAML: " + problem + context);
        if (problem.contains("mapping values are not allowed") && !colonInAValue(mark)) {
            return error.hint(INDENTATION);
        }
        if (problem.contains("mapping values are not allowed")) {
            return error.hint("a value that contains \": \" must be quoted, as in description: \"Costs: a lot\"");
        }
        if (problem.contains("expected <block end>") || problem.contains("did not find expected key")
                || problem.contains("expected '<document start>'")) {
            return error.hint(INDENTATION);
        }
        return error;
    }

    private static final String INDENTATION = "check the indentation: the columns of a row start in the same column, two "
            + "spaces in from its \"- \", and a line indented further continues the value above it";

    /**
     * Whether the colon YAML refused comes after another key's colon on its line (description:
     * Costs: a lot), rather than after a key indented differently from the keys above it.
     */
    private static boolean colonInAValue(Mark mark) {
        int[] buffer = mark.getBuffer();
        if (buffer == null) {
            return true;
        }
        int at = Math.min(mark.getPointer(), buffer.length);
        int start = at;
        while (start > 0 && buffer[start - 1] != '\n') {
            start--;
        }
        String before = new String(buffer, start, at - start);
        return before.contains(": ");
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
    static final class Reader {
        final Path path;
        final String file;
        final byte[] bytes;
        final Map<String, String> env;
        /** Where every value a variable gives goes, for every printer to mask. */
        final Secrets secrets;
        final boolean followSymlinks;
        /** The environments a file may name. */
        final Environments declared;
        final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Values read so far: of the file, or of the row for a file read as a stream. */
        int values;

        Reader(Path path, String file, byte[] bytes, Map<String, String> env, Secrets secrets, boolean followSymlinks,
               Environments declared) {
            this.path = path;
            this.file = file;
            this.bytes = bytes;
            this.env = env;
            this.secrets = secrets;
            this.followSymlinks = followSymlinks;
            this.declared = declared;
        }

        /**
         * How many values the file has once every alias is expanded, counted without expanding
         * them (each node's size once): an alias bomb ("billion laughs") is refused here, before
         * anything is built from it.
         */
        void checkExpandedSize(Node root) {
            long size = size(root, new IdentityHashMap<>());
            if (size > MAX_VALUES) {
                throw SeedError.in(file, Pos.of(root), "the file holds " + (size == Long.MAX_VALUE ? "more than a billion" : size)
                        + " values once its aliases (*name) are expanded, more than the " + MAX_VALUES + " a seed file may have")
                        .hint("aliases that refer to aliases multiply; write the values out (defaults: helps with repetition)");
            }
        }

        private long size(Node node, IdentityHashMap<Node, Long> known) {
            var cached = known.get(node);
            if (cached != null) {
                return cached;
            }
            if (!inProgress.add(node)) {
                throw SeedError.in(file, Pos.of(node), "an alias refers to a structure that contains it");
            }
            long size = 1;
            if (node instanceof SequenceNode list) {
                for (Node item : list.getValue()) {
                    size = saturatedAdd(size, size(item, known));
                }
            } else if (node instanceof MappingNode map) {
                for (NodeTuple tuple : map.getValue()) {
                    size = saturatedAdd(size, saturatedAdd(size(tuple.getKeyNode(), known), size(tuple.getValueNode(), known)));
                }
            }
            inProgress.remove(node);
            known.put(node, size);
            return size;
        }

        private static long saturatedAdd(long a, long b) {
            long sum = a + b;
            return sum < 0 ? Long.MAX_VALUE : sum;
        }

        SeedFile file(Node root) {
            var top = mapping(root, "a seed file is a mapping with table, key and rows");
            String table = null;
            Pos tablePos = null, keyPos = null;
            List<String> key = null;
            Map<String, Value> defaults = Map.of();
            Rows rows = null;
            Future<String> checksum = null;
            List<String> environments = null, dependsOn = List.of();
            Removal removal = Removal.KEEP;
            boolean ownsTable = false;
            var generated = new LinkedHashMap<String, Generated>();
            var settings = new LinkedHashMap<String, Pos>();
            for (var entry : top.entrySet()) {
                Node node = entry.getValue().value;
                settings.put(entry.getKey(), Pos.of(node));
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
                            if (Set.copyOf(key).size() != key.size()) {
                                throw SeedError.in(file, keyPos, "key names a column twice");
                            }
                        } else {
                            key = List.of(name(node, "key"));
                        }
                    }
                    case "defaults" -> defaults = columns(mapping(node, "defaults is a mapping of column: value"));
                    case "rows" -> {
                        if (node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.STR) && !scalar.getValue().isEmpty()) {
                            // rows: instruments.csv, a CSV file beside this one.
                            var csv = CsvRows.open(path, file, scalar.getValue(), Pos.of(node), followSymlinks);
                            rows = csv;
                            checksum = checksumInBackground(csv.path(), () -> sha256(bytes, csv.path()));
                        } else if (!(node instanceof SequenceNode listNode)) {
                            throw SeedError.in(file, Pos.of(node), "rows is a list of rows, each a mapping of column: value, "
                                    + "or the name of a CSV file beside this one (rows: instruments.csv)"
                                    + (node instanceof ScalarNode scalar && scalar.getValue().isEmpty() ? "; for none, write rows: []" : ""));
                        } else {
                            var list = new ArrayList<Row>();
                            for (Node item : listNode.getValue()) {
                                list.add(row(item));
                            }
                            rows = new Listed(list);
                        }
                    }
                    case "environments" -> environments = environmentNames(node, "environments");
                    case "depends_on" -> dependsOn = names(node, "depends_on");
                    case "removal" -> removal = removal(node);
                    case "owns" -> {
                        if (!"table".equals(name(node, "owns"))) {
                            throw SeedError.in(file, Pos.of(node), "owns takes one value: table (the file owns every row "
                                    + "of its table); without it, a file owns the rows it has seeded");
                        }
                        ownsTable = true;
                    }
                    case "generate" -> {
                        for (var rule : mapping(node, "generate is a mapping of column: rule, such as generate: {id: uuid}").entrySet()) {
                            String name = name(rule.getValue().value, "generate rule");
                            if (!Generated.RULES.containsKey(name)) {
                                throw SeedError.in(file, Pos.of(rule.getValue().value), "generate knows no rule \"" + name + "\""
                                        + SeedError.didYouMean(name, Generated.RULES.keySet()))
                                        .hint("the rules: " + String.join(", ", new java.util.TreeSet<>(Generated.RULES.keySet()))
                                                + " (a random UUID)");
                            }
                            generated.put(rule.getKey(), new Generated(rule.getKey(), name, rule.getValue().pos));
                        }
                    }
                    case "description" -> { }
                    default -> throw SeedError.in(file, entry.getValue().pos,
                            "unknown setting \"" + entry.getKey() + "\"" + SeedError.didYouMean(entry.getKey(), SETTINGS))
                            .hint("a seed file has table, key, rows, and optionally defaults, environments, depends_on, "
                                    + "removal, owns, generate and description");
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
            return new SeedFile(path, file, table, tablePos, List.copyOf(key), keyPos, defaults, rows,
                    checksum != null ? checksum : CompletableFuture.completedFuture(sha256(bytes)), environments,
                    dependsOn, removal, ownsTable, Map.copyOf(generated), settings);
        }

        /** A name or a list of names: environments: [development, test], or environments: development. */
        private List<String> names(Node node, String what) {
            if (node instanceof SequenceNode list) {
                var names = new ArrayList<String>();
                for (Node item : list.getValue()) {
                    names.add(name(item, what));
                }
                if (names.isEmpty()) {
                    throw SeedError.in(file, Pos.of(node), what + " names nothing; leave it out for all");
                }
                return List.copyOf(names);
            }
            return List.of(name(node, what));
        }

        /**
         * Environment names match whatever their case, and each must be declared: a misspelt one
         * would quietly leave the file's rows out of the runs it is meant for.
         */
        private List<String> environmentNames(Node node, String what) {
            var items = node instanceof SequenceNode list ? list.getValue() : List.of(node);
            var names = names(node, what);
            for (int i = 0; i < names.size(); i++) {
                declared.checkNamed(names.get(i), what, file, Pos.of(items.get(i)));
            }
            return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
        }

        /** removal: keep | delete | deactivate (the column is_active) | {deactivate: column}. */
        private Removal removal(Node node) {
            if (node instanceof MappingNode) {
                var entries = mapping(node, "removal");
                var column = entries.get("deactivate");
                if (entries.size() != 1 || column == null) {
                    throw SeedError.in(file, Pos.of(node), "removal is keep, delete, deactivate, or {deactivate: <boolean column>}");
                }
                return new Removal("deactivate", name(column.value(), "the column to deactivate"));
            }
            String mode = name(node, "removal");
            return switch (mode) {
                case "keep" -> Removal.KEEP;
                case "delete" -> new Removal("delete", null);
                case "deactivate" -> new Removal("deactivate", "is_active");
                default -> throw SeedError.in(file, Pos.of(node), "removal is keep, delete, deactivate, or {deactivate: "
                        + "<boolean column>}, not \"" + mode + "\"" + SeedError.didYouMean(mode, List.of("keep", "delete", "deactivate")));
            };
        }

        /** One row of the rows: list: its columns, and the environments it is for. */
        Row row(Node item) {
            var entries = mapping(item, "each row is a mapping of column: value");
            var rowEnvironments = entries.remove(ROW_ENVIRONMENTS);
            return new Row(Pos.of(item), columns(entries),
                    rowEnvironments == null ? null : environmentNames(rowEnvironments.value(), ROW_ENVIRONMENTS));
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
                if (map.getFlowStyle() == org.yaml.snakeyaml.DumperOptions.FlowStyle.FLOW
                        && tuple.getValueNode() instanceof ScalarNode value && value.getTag().equals(Tag.NULL)
                        && value.getValue().isEmpty() && value.getStartMark().getIndex() == keyNode.getEndMark().getIndex()) {
                    // {task: Describe trend, support and resistance}: YAML reads "support and resistance" as a key
                    // without a value. Never what a seed file means.
                    throw SeedError.in(file, Pos.of(keyNode), "\"" + scalar.getValue() + "\" has no value: in a {…} mapping, "
                            + "a comma ends a value, so an unquoted one splits it").hint("quote a value that holds a comma: "
                            + "{task: \"Decide entry, stop and target, or pass\"}");
                }
                checkTag(keyNode);
                checkCharacters(scalar.getValue(), Pos.of(keyNode));
                if (entries.put(scalar.getValue(), new Entry(Pos.of(keyNode), tuple.getValueNode())) != null) {
                    throw SeedError.in(file, Pos.of(keyNode), "\"" + scalar.getValue() + "\" is given twice in this mapping");
                }
            }
            merged.forEach(entries::putIfAbsent);
            return entries;
        }

        private Map<String, Value> columns(Map<String, Entry> entries) {
            var columns = new LinkedHashMap<String, Value>();
            entries.forEach((name, entry) -> columns.put(name, value(entry.value()).named(entry.pos())));
            return columns;
        }

        private String name(Node node, String what) {
            if (!(node instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
                throw SeedError.in(file, Pos.of(node), what + " must be a name");
            }
            checkTag(node);
            checkCharacters(scalar.getValue(), Pos.of(node));
            if (scalar.getValue().indexOf('\0') >= 0) {
                // PostgreSQL refuses it as a parameter, which would be an internal error, not a line of the file.
                throw SeedError.in(file, Pos.of(node), what + " holds a NUL character");
            }
            return scalar.getValue();
        }

        /**
         * A string must be one UTF-8 can store: a lone surrogate (a backslash-u D800 escape in a double-quoted string)
         * is half a character, which the driver would store as "?".
         */
        private void checkCharacters(String text, Pos pos) {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else if (Character.isSurrogate(c)) {
                    throw SeedError.in(file, pos, "the text holds a lone surrogate (\\u" + String.format("%04X", (int) c)
                            + "), half of a character, which PostgreSQL cannot store")
                            .hint("write the whole character, or both halves of its pair (\\ud83d\\ude00 is \\U0001F600)");
                }
            }
        }

        private Value value(Node node) {
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
                checkCharacters(text, pos);
                if (text.contains("${")) {
                    tookFromEnvironment = false;
                    String substituted = substitute(text, pos);
                    if (tookFromEnvironment) {
                        // The whole value too: a variable's value inside a longer text is masked with it.
                        secrets.add(substituted);
                    }
                    // Text, for PostgreSQL to read as the column's type; a secret only if a variable gave it.
                    return new Value(Kind.TEXT, substituted, null, null, pos, null, tookFromEnvironment ? text : null);
                }
                return Value.scalar(kind(scalar), text, pos);
            }
            var result = new Value[1];
            guard(node, () -> {
                if (node instanceof SequenceNode list) {
                    var items = new ArrayList<Value>();
                    for (Node item : list.getValue()) {
                        items.add(value(item));
                    }
                    result[0] = new Value(Kind.LIST, null, items, null, pos, null, null);
                } else {
                    result[0] = new Value(Kind.MAP, null, null, columns(mapping(node, "a mapping")), pos, null, null);
                }
            });
            return result[0];
        }

        /** Whether the value being substituted took anything from the environment (a default is in the file). */
        private boolean tookFromEnvironment;

        private static final Pattern VARIABLE = Pattern.compile("\\$\\$\\{|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

        /**
         * ${VAR} and ${VAR:-default} from the environment (an empty variable counts as unset); $${ is a
         * literal ${. Any other ${ (${, ${}, ${1X}, a variable in a default) is an error, not text.
         */
        private String substitute(String text, Pos pos) {
            Matcher m = VARIABLE.matcher(text);
            var out = new StringBuilder();
            int end = 0;
            while (m.find()) {
                refuseStrayVariable(text.substring(end, m.start()), pos);
                end = m.end();
                String replacement;
                if (m.group().equals("$${")) {
                    replacement = "${";
                } else {
                    if (m.group(2) != null && m.group(2).contains("${")) {
                        throw SeedError.in(file, pos, "the default of ${" + m.group(1) + "} holds ${…}: a default is text, "
                                + "variables do not nest").hint("write the default out, or $${ for a literal ${ in it");
                    }
                    String value = env.get(m.group(1));
                    if (value == null || value.isEmpty()) {
                        if (m.group(2) == null) {
                            throw SeedError.in(file, pos, "the environment variable " + m.group(1) + " is not set")
                                    .hint("set it, or give a default: ${" + m.group(1) + ":-value}");
                        }
                        value = m.group(2);
                    } else {
                        tookFromEnvironment = true;
                        if (value.indexOf('\uFFFD') >= 0) {
                            // Java's reading of a byte the locale has no character for (the POSIX locale: anything not ASCII).
                            throw SeedError.in(file, pos, "the environment variable " + m.group(1) + " holds bytes that are "
                                    + "not text in this locale (" + System.getProperty("native.encoding", "unknown") + ")")
                                    .hint("run under a UTF-8 locale, e.g. LC_ALL=C.UTF-8 (./jbang does so under the POSIX locale)");
                        }
                        secrets.add(value);
                    }
                    replacement = value;
                }
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            refuseStrayVariable(text.substring(end), pos);
            m.appendTail(out);
            return out.toString();
        }

        /** A ${ outside a ${VAR}, ${VAR:-default} or $${: a mistyped variable, which must not become text. */
        private void refuseStrayVariable(String between, Pos pos) {
            int at = between.indexOf("${");
            if (at >= 0) {
                String written = between.substring(at, Math.min(between.length(), at + 40));
                throw SeedError.in(file, pos, "\"" + written + "\" is not a variable: a variable is ${NAME} or ${NAME:-default}, "
                        + "NAME of letters, digits and _ (not first a digit)").hint("for a literal ${, write $${");
            }
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

        private static final Pattern YAML_12_OCTAL = Pattern.compile("[-+]?0o[0-7_]+");

        private static Kind kind(ScalarNode scalar) {
            Tag tag = scalar.getTag();
            if (tag.equals(Tag.NULL)) {
                return Kind.NULL;
            } else if (tag.equals(Tag.BOOL)) {
                String text = scalar.getValue().toLowerCase(Locale.ROOT);
                return text.equals("true") || text.equals("false") ? Kind.BOOL : Kind.TEXT;
            } else if (tag.equals(Tag.INT) || scalar.getScalarStyle() == org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN
                    && YAML_12_OCTAL.matcher(scalar.getValue()).matches()) {
                // 0o17 is YAML 1.2's octal; SnakeYAML reads YAML 1.1, where it is text: a number all the same.
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
