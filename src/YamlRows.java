// The rows of a large YAML seed file, read as a stream: one row in memory at a time.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.ObjIntConsumer;
import java.util.function.UnaryOperator;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.composer.Composer;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserImpl;
import org.yaml.snakeyaml.reader.ReaderException;
import org.yaml.snakeyaml.reader.StreamReader;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * A YAML seed file larger than {@link #STREAMED_BYTES}: its settings are read as usual, and its
 * rows: list is parsed again at each pass, one row node at a time, so that memory does not grow
 * with the file. The rows are the same as if the file were read whole: same values, same
 * positions, same errors (aliases may still refer to anchors of earlier rows).
 */
final class YamlRows implements SeedFile.Rows {

    /** Files larger than this are read as a stream. */
    static final long STREAMED_BYTES = 8L * 1024 * 1024;

    private final Path path;
    private final String displayPath;
    private final Map<String, String> env;
    private final Secrets secrets;
    private final boolean followSymlinks;
    private final Environments declared;
    /** What the first pass found: the rows, their columns and environments, and rows by environments. */
    private final int allRows;
    private final Set<String> columns;
    private final Map<List<String>, Integer> rowsByEnvironments;
    /** Which rows a pass hands on (this run's environment), each completed with the file's defaults. */
    private final String environment;
    private final UnaryOperator<SeedFile.Row> complete;
    private int size = -1;
    private int[] lines = new int[0];

    private YamlRows(Path path, String displayPath, Map<String, String> env, Secrets secrets, boolean followSymlinks,
                     Environments declared, int allRows, Set<String> columns, Map<List<String>, Integer> rowsByEnvironments, String environment,
                     UnaryOperator<SeedFile.Row> complete) {
        this.path = path;
        this.displayPath = displayPath;
        this.env = env;
        this.secrets = secrets;
        this.followSymlinks = followSymlinks;
        this.declared = declared;
        this.allRows = allRows;
        this.columns = columns;
        this.rowsByEnvironments = rowsByEnvironments;
        this.environment = environment;
        this.complete = complete;
    }

    /** Reads and checks the whole file, keeping its settings and what its rows are, but not the rows. */
    static SeedFile read(Path path, String displayPath, Map<String, String> env, Secrets secrets, boolean followSymlinks,
                         Environments declared) {
        var columns = new LinkedHashSet<String>();
        var byEnvironments = new HashMap<List<String>, Integer>();
        int[] count = {0};
        var settings = new Pass(path, displayPath, env, secrets, followSymlinks, declared).run(row -> {
            columns.addAll(row.values().keySet());
            byEnvironments.merge(row.environments() == null ? List.of() : row.environments(), 1, Integer::sum);
            count[0]++;
        });
        var file = settings.reader.file(settings.root);
        if (!settings.rowsListed) {
            return file;   // its rows are in a CSV file
        }
        var rows = new YamlRows(path, displayPath, env, secrets, followSymlinks, declared, count[0], columns, byEnvironments, null,
                UnaryOperator.identity());
        var checksum = SeedFile.checksumInBackground(path, () -> SeedFile.sha256(new byte[0], path));
        return file.withRows(rows, checksum);
    }

    /** The rows a run for this environment applies, completed by the file's defaults. */
    @Override
    public YamlRows forEnvironment(String runEnvironment, UnaryOperator<SeedFile.Row> completeRow, Set<String> extraColumns) {
        return new YamlRows(path, displayPath, env, secrets, followSymlinks, declared, allRows, columns, rowsByEnvironments, runEnvironment,
                completeRow);
    }

    @Override
    public long rowsElsewhere(String runEnvironment) {
        return rowsByEnvironments.entrySet().stream()
                .filter(e -> !e.getKey().isEmpty() && !e.getKey().contains(runEnvironment)).mapToLong(Map.Entry::getValue).sum();
    }

    @Override
    public void forEach(ObjIntConsumer<SeedFile.Row> action) {
        int[] index = {0};
        new Pass(path, displayPath, env, secrets, followSymlinks, declared).run(row -> {
            if (environment != null && row.environments() != null && !row.environments().contains(environment)) {
                return;
            }
            if (index[0] == lines.length) {
                lines = java.util.Arrays.copyOf(lines, Math.max(1024, lines.length * 2));
            }
            lines[index[0]] = row.pos().line();
            action.accept(complete.apply(row), index[0]++);
        });
        size = index[0];
    }

    @Override
    public int size() {
        if (size < 0) {
            size = environment == null ? allRows : allRows - (int) rowsElsewhere(environment);
        }
        return size;
    }

    @Override
    public SeedFile.Row get(int index) {
        var row = get(new TreeSet<>(List.of(index))).get(index);
        if (row == null) {
            throw new IndexOutOfBoundsException("row " + index + " of " + displayPath);
        }
        return row;
    }

    @Override
    public Map<Integer, SeedFile.Row> get(java.util.SortedSet<Integer> indexes) {
        var found = new HashMap<Integer, SeedFile.Row>();
        if (indexes.isEmpty()) {
            return found;
        }
        int last = indexes.last();
        try {
            forEach((row, i) -> {
                if (indexes.contains(i)) {
                    found.put(i, row);
                }
                if (i == last) {
                    throw new Found();
                }
            });
        } catch (Found stop) {
            // the last one looked for is found
        }
        return found;
    }

    /** Ends a pass at the row that get() looks for. */
    private static final class Found extends RuntimeException {
        Found() {
            super(null, null, false, false);
        }
    }

    @Override
    public SeedFile.Pos pos(int index) {
        return index < lines.length && lines[index] > 0 ? new SeedFile.Pos(lines[index], 1) : get(index).pos();
    }

    @Override
    public Set<String> columns() {
        return columns;
    }

    @Override
    public Set<String> environments() {
        var names = new TreeSet<String>();
        rowsByEnvironments.keySet().forEach(names::addAll);
        return names;
    }

    /**
     * One reading of the file: the top-level mapping is composed setting by setting, except that
     * the rows: list is composed row by row, each handed on and then forgotten.
     */
    private static final class Pass {
        final SeedReader reader;
        final Path path;
        final String displayPath;
        MappingNode root;
        /** Whether the file has a rows: list (and not, say, rows: instruments.csv). */
        boolean rowsListed;

        Pass(Path path, String displayPath, Map<String, String> env, Secrets secrets, boolean followSymlinks,
             Environments declared) {
            this.path = path;
            this.displayPath = displayPath;
            this.reader = new SeedReader(path, displayPath, new byte[0], env, secrets, followSymlinks, declared);
        }

        Pass run(Consumer<SeedFile.Row> eachRow) {
            var options = YamlSyntax.loaderOptions(Integer.MAX_VALUE);   // lines are bounded by LineGuard
            var guard = new LineGuard(path, displayPath);
            try (guard) {
                var parser = new ParserImpl(new StreamReader(guard), options);
                var composer = new RowComposer(parser, options);
                parser.getEvent();   // the stream starts
                if (parser.checkEvent(Event.ID.StreamEnd)) {
                    throw YamlSyntax.emptyFile(displayPath);
                }
                parser.getEvent();   // the document starts
                if (!parser.checkEvent(Event.ID.MappingStart)) {
                    root = null;
                    reader.file(composer.next());   // says what a seed file is
                }
                var start = parser.getEvent();
                var tuples = new ArrayList<NodeTuple>();
                while (!parser.checkEvent(Event.ID.MappingEnd)) {
                    Node key = composer.next();
                    if (key instanceof ScalarNode scalar && scalar.getValue().equals("rows") && parser.checkEvent(Event.ID.SequenceStart)) {
                        var sequence = parser.getEvent();
                        while (!parser.checkEvent(Event.ID.SequenceEnd)) {
                            Node row = composer.next();
                            reader.values = 0;   // the limit on values is per row here: memory holds one
                            reader.checkExpandedSize(row);
                            eachRow.accept(reader.row(row));
                        }
                        parser.getEvent();
                        // The settings keep an empty list where the rows were: they are read above, not held.
                        tuples.add(new NodeTuple(key, new SequenceNode(Tag.SEQ, true, List.of(), sequence.getStartMark(),
                                sequence.getStartMark(), DumperOptions.FlowStyle.BLOCK)));
                        rowsListed = true;
                    } else {
                        tuples.add(new NodeTuple(key, composer.next()));
                    }
                }
                root = new MappingNode(Tag.MAP, true, tuples, start.getStartMark(), start.getStartMark(), DumperOptions.FlowStyle.BLOCK);
            } catch (MarkedYAMLException e) {
                throw YamlSyntax.yamlError(e, displayPath);
            } catch (ReaderException e) {
                throw YamlSyntax.controlCharacter(e, displayPath, new SeedFile.Pos(guard.line, 1));
            } catch (YAMLException e) {
                if (e.getCause() instanceof CharacterCodingException) {
                    throw SeedError.in(displayPath, new SeedFile.Pos(guard.line, 1), "the file is not valid UTF-8 (near line "
                            + guard.line + ")");
                }
                throw YamlSyntax.yamlError(e, displayPath);
            }
            return this;
        }
    }

    /** Composes one node at a time from where the parser stands. */
    private static final class RowComposer extends Composer {
        private final MappingNode parent = new MappingNode(Tag.MAP, List.of(), DumperOptions.FlowStyle.BLOCK);

        RowComposer(ParserImpl parser, LoaderOptions options) {
            super(parser, new Resolver(), options);
        }

        Node next() {
            return composeValueNode(parent);
        }
    }

    /**
     * The file's characters, strictly UTF-8, with the line they are on; a line longer than a seed
     * file may have is refused before SnakeYAML sees it (its scanner is quadratic in a token's length).
     */
    private static final class LineGuard extends java.io.Reader {
        private final java.io.Reader in;
        private final String displayPath;
        int line = 1;
        private int lineLength;

        LineGuard(Path path, String displayPath) {
            this.displayPath = displayPath;
            try {
                this.in = new InputStreamReader(Files.newInputStream(path), UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT));
            } catch (IOException e) {
                throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
            }
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            int n = in.read(buffer, offset, length);
            for (int i = offset; i < offset + n; i++) {
                if (buffer[i] == '\n') {
                    line++;
                    lineLength = 0;
                } else if (++lineLength > SeedFile.MAX_LINE_CHARS) {
                    throw YamlSyntax.lineTooLong(displayPath, line, lineLength + restOfLine(buffer, i + 1, offset + n));
                }
            }
            return n;
        }

        /** How many characters the line has after the ones read: the rest of the buffer, then of the file. */
        private long restOfLine(char[] buffer, int from, int to) throws IOException {
            long rest = 0;
            for (int i = from; i < to; i++, rest++) {
                if (buffer[i] == '\n') {
                    return rest;
                }
            }
            var more = new char[1 << 16];
            for (int read = in.read(more); read >= 0; read = in.read(more)) {
                for (int i = 0; i < read; i++, rest++) {
                    if (more[i] == '\n') {
                        return rest;
                    }
                }
            }
            return rest;
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // read, or failed already
            }
        }
    }
}
