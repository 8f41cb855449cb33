// The rows of a seed file kept in a CSV file beside it: read as a stream, never held whole.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ObjIntConsumer;
import java.util.function.UnaryOperator;

/**
 * A CSV file of rows, as RFC 4180 and PostgreSQL's COPY read it: a header row of column names,
 * then one record per row; fields separated by commas, quoted with " when they hold a comma, a
 * quote ("") or a line break. An empty field is NULL; a quoted empty field ("") is empty text.
 * Every field is PostgreSQL's input text for its column, as in COPY. A header a.b is column a,
 * given by the natural key b of the row it refers to (exchange_id.mic).
 *
 * <p>Each pass reads the file again: memory does not grow with it.
 */
final class CsvRows implements SeedFile.Rows {

    /** A header field: a column, or a foreign key column given by a lookup column of the row it refers to. */
    record Header(String column, String lookup, SeedFile.Pos pos) {}

    private final Path path;
    private final String displayPath;
    private final List<Header> header;
    private final UnaryOperator<SeedFile.Row> complete;
    private final Set<String> extraColumns;
    private int size = -1;
    /** How much of the file the pass in progress has read, 0 to 1: for the progress bar. */
    private volatile double fractionRead;
    /** The line of each row, by index, once a pass has read them: positions without reading again. */
    private int[] lines = new int[0];

    private CsvRows(Path path, String displayPath, List<Header> header, UnaryOperator<SeedFile.Row> complete,
                    Set<String> extraColumns) {
        this.path = path;
        this.displayPath = displayPath;
        this.header = header;
        this.complete = complete;
        this.extraColumns = extraColumns;
    }

    Path path() {
        return path;
    }

    /**
     * The CSV file that a seed file names in rows: csv, beside it: checked to be there, inside the
     * seed file's directory, and to start with a header of column names.
     */
    static CsvRows open(Path seedFile, String seedDisplay, String name, SeedFile.Pos at, boolean followSymlinks) {
        Path dir = seedFile.toAbsolutePath().getParent();
        Path csv = dir.resolve(name).normalize();
        String display = Path.of(seedDisplay).resolveSibling(name).normalize().toString();
        if (!name.toLowerCase(java.util.Locale.ROOT).endsWith(".csv")) {
            throw SeedError.in(seedDisplay, at, "rows names \"" + name + "\": rows is a list of rows, or the name of a CSV "
                    + "file (ending in .csv) beside this one");
        }
        if (!csv.startsWith(dir) || !csv.getParent().equals(dir)) {
            throw SeedError.in(seedDisplay, at, "rows names " + name + ", which is not in the directory of this seed file")
                    .hint("keep the CSV file beside its seed file: rows: " + csv.getFileName());
        }
        if (!Files.isRegularFile(csv)) {
            List<String> there;
            try (var listing = Files.list(dir)) {
                there = listing.map(p -> p.getFileName().toString()).filter(n -> n.toLowerCase(java.util.Locale.ROOT).endsWith(".csv")).toList();
            } catch (IOException e) {
                there = List.of();
            }
            throw SeedError.in(seedDisplay, at, "rows names " + name + ", which " + (Files.exists(csv) ? "is not a file"
                    : "is not there") + SeedError.didYouMean(name, there));
        }
        if (Files.isSymbolicLink(csv) && !followSymlinks) {
            SeedFile.refuseLinkOutside(dir, csv, display);
        }
        var header = new ArrayList<Header>();
        var rows = new CsvRows(csv, display, header, UnaryOperator.identity(), Set.of());
        try (var parser = rows.parser()) {
            if (!parser.next()) {
                throw SeedError.in(display, new SeedFile.Pos(1, 1, display), "the file is empty; a CSV seed file starts with a "
                        + "header row of column names");
            }
            var seen = new LinkedHashSet<String>();
            for (int i = 0; i < parser.fields.size(); i++) {
                String field = parser.fields.get(i).trim();
                var pos = new SeedFile.Pos(parser.recordLine, parser.columns.get(i), display);
                if (field.isEmpty()) {
                    throw SeedError.in(display, pos, "the header names no column in field " + (i + 1))
                            .hint("the first row of a CSV seed file names the column of each field");
                }
                if (!seen.add(field)) {
                    throw SeedError.in(display, pos, "the header names " + field + " twice");
                }
                int dot = field.indexOf('.');
                if (dot == 0 || dot == field.length() - 1 || dot != field.lastIndexOf('.')) {
                    throw SeedError.in(display, pos, "the header field \"" + field + "\" is neither a column nor column.key "
                            + "(a reference, as in exchange_id.mic)");
                }
                header.add(dot < 0 ? new Header(field, null, pos) : new Header(field.substring(0, dot), field.substring(dot + 1), pos));
            }
        }
        return rows;
    }

    /** These rows, each completed (with the seed file's defaults) as it is read. */
    CsvRows map(UnaryOperator<SeedFile.Row> completeRow, Set<String> extra) {
        return new CsvRows(path, displayPath, header, completeRow, extra);
    }

    @Override
    public void forEach(ObjIntConsumer<SeedFile.Row> action) {
        int index = 0;
        try (var parser = parser()) {
            parser.next();   // the header
            while (parser.next()) {
                if (index == lines.length) {
                    lines = java.util.Arrays.copyOf(lines, Math.max(1024, lines.length * 2));
                }
                lines[index] = parser.recordLine;
                action.accept(row(parser), index++);
            }
        }
        size = index;
    }

    @Override
    public SeedFile.Pos pos(int index) {
        return size >= 0 && index < size ? new SeedFile.Pos(lines[index], 1, displayPath) : get(index).pos();
    }

    /**
     * A row that gives every column of the header, each with a placeholder value (and a reference
     * as its lookup columns): what every row of the file gives, to check against the catalog once.
     */
    SeedFile.Row shape() {
        var values = new LinkedHashMap<String, SeedFile.Value>();
        for (var h : header) {
            var placeholder = SeedFile.Value.scalar(SeedFile.Kind.LITERAL, "", h.pos()).named(h.pos());
            if (h.lookup() == null) {
                values.put(h.column(), placeholder);
            } else {
                var known = values.get(h.column());
                var entries = new LinkedHashMap<String, SeedFile.Value>(known != null && known.entries() != null ? known.entries() : Map.of());
                entries.put(h.lookup(), placeholder);
                values.put(h.column(), new SeedFile.Value(SeedFile.Kind.MAP, null, null, entries, h.pos(), h.pos(), null));
            }
        }
        return complete.apply(new SeedFile.Row(new SeedFile.Pos(1, 1, displayPath), values, null));
    }

    @Override
    public int size() {
        if (size < 0) {
            forEach((row, index) -> { });
        }
        return size;
    }

    @Override
    public SeedFile.Row get(int index) {
        try (var parser = parser()) {
            parser.next();
            for (int i = 0; parser.next(); i++) {
                if (i == index) {
                    return row(parser);
                }
            }
        }
        throw new IndexOutOfBoundsException("row " + index + " of " + displayPath);
    }

    double fractionRead() {
        return fractionRead;
    }

    @Override
    public boolean inMemory() {
        return false;
    }

    @Override
    public Set<String> columns() {
        var names = new LinkedHashSet<String>(extraColumns);
        header.forEach(h -> names.add(h.column()));
        return names;
    }

    @Override
    public Set<String> environments() {
        return Set.of();
    }

    /** One record as a row: a field per column, a reference's fields as one {lookup: value} per column. */
    private SeedFile.Row row(Parser parser) {
        var values = new LinkedHashMap<String, SeedFile.Value>(header.size() * 2);
        Map<String, Map<String, SeedFile.Value>> references = null;
        for (int i = 0; i < header.size(); i++) {
            var h = header.get(i);
            var pos = new SeedFile.Pos(parser.recordLine + parser.lineOffsets.get(i), parser.columns.get(i), displayPath);
            var value = parser.quoted.get(i) || !parser.fields.get(i).isEmpty()
                    ? SeedFile.Value.scalar(SeedFile.Kind.LITERAL, parser.fields.get(i), pos)
                    : SeedFile.Value.scalar(SeedFile.Kind.NULL, null, pos);
            if (h.lookup() == null) {
                values.put(h.column(), value.named(h.pos()));
            } else {
                references = references == null ? new LinkedHashMap<>() : references;
                references.computeIfAbsent(h.column(), c -> new LinkedHashMap<>()).put(h.lookup(), value.named(h.pos()));
            }
        }
        if (references != null) {
            for (var reference : references.entrySet()) {
                var entries = reference.getValue();
                var first = entries.values().iterator().next();
                // No lookup value at all: no reference (NULL), as an empty field is for a plain column.
                boolean none = entries.values().stream().allMatch(v -> v.kind() == SeedFile.Kind.NULL);
                values.put(reference.getKey(), none ? SeedFile.Value.scalar(SeedFile.Kind.NULL, null, first.pos())
                        : new SeedFile.Value(SeedFile.Kind.MAP, null, null, entries, first.pos(), first.pos(), null));
            }
        }
        return complete.apply(new SeedFile.Row(new SeedFile.Pos(parser.recordLine, 1, displayPath), values, null));
    }

    private Parser parser() {
        try {
            var decoder = UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            return new Parser(new InputStreamReader(Files.newInputStream(path), decoder), header.size(), Files.size(path));
        } catch (IOException e) {
            throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
        }
    }

    /** The line of the first byte that is not UTF-8: decoded again line by line, for the error only. */
    private int firstBadLine() {
        try (var in = new java.io.BufferedInputStream(Files.newInputStream(path))) {
            var lineBytes = new java.io.ByteArrayOutputStream();
            int line = 1;
            for (int b; ; ) {
                b = in.read();
                if (b == '\n' || b == -1) {
                    try {
                        UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(lineBytes.toByteArray()));
                    } catch (CharacterCodingException bad) {
                        return line;
                    }
                    if (b == -1) {
                        return line;
                    }
                    lineBytes.reset();
                    line++;
                } else {
                    lineBytes.write(b);
                }
            }
        } catch (IOException e) {
            return 1;
        }
    }

    /** RFC 4180, one record at a time, with the line and column where each field starts. */
    private final class Parser implements AutoCloseable {
        private final Reader in;
        private final char[] buffer = new char[1 << 16];
        private int length, at;
        private final int expected;
        private final double fileSize;
        private long charsRead;
        /** The current record's fields, whether each was quoted, and where each starts. */
        final List<String> fields = new ArrayList<>();
        final List<Boolean> quoted = new ArrayList<>();
        final List<Integer> columns = new ArrayList<>();
        /** Lines from the record's first line to each field's (a quoted field may hold line breaks). */
        final List<Integer> lineOffsets = new ArrayList<>();
        int recordLine;
        private int line = 1, column = 1;
        private final StringBuilder field = new StringBuilder();

        Parser(Reader in, int expected, long fileSize) {
            this.in = in;
            this.expected = expected;
            this.fileSize = Math.max(1, fileSize);
        }

        /** Makes sure a character is buffered; false at the end of the file. */
        private boolean fill() {
            if (at < length) {
                return true;
            }
            try {
                length = in.read(buffer);
            } catch (CharacterCodingException e) {
                int bad = firstBadLine();
                throw SeedError.in(displayPath, new SeedFile.Pos(bad, 1, displayPath), "the file is not valid UTF-8 (line " + bad
                        + " holds a byte sequence that is not UTF-8)").hint("save the file as UTF-8");
            } catch (IOException e) {
                throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
            }
            at = 0;
            if (length <= 0) {
                length = 0;
                return false;
            }
            charsRead += length;
            fractionRead = charsRead / fileSize;
            return true;
        }

        private int read() {
            if (!fill()) {
                return -1;
            }
            char c = buffer[at++];
            if (c == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
            return c;
        }

        private int peek() {
            return fill() ? buffer[at] : -1;
        }

        /** Reads the next record; false at the end of the file. Blank lines are skipped. */
        boolean next() {
            while (true) {
                fields.clear();
                quoted.clear();
                columns.clear();
                lineOffsets.clear();
                if (peek() == -1) {
                    return false;
                }
                recordLine = line;
                if (line == 1 && column == 1 && peek() == '\uFEFF') {
                    read();   // a byte order mark, as spreadsheets write
                }
                if (readRecord()) {
                    return true;
                }
            }
        }

        /** One record; false when the line was blank. */
        private boolean readRecord() {
            while (true) {
                int startColumn = column, startLine = line;
                field.setLength(0);
                boolean isQuoted = peek() == '"';
                int c;
                if (isQuoted) {
                    read();
                    while (true) {
                        c = read();
                        if (c == -1) {
                            throw SeedError.in(displayPath, new SeedFile.Pos(startLine, startColumn, displayPath),
                                    "a quoted field that is never closed: the file ends inside it")
                                    .hint("a quote inside a quoted field is written twice: \"\"");
                        }
                        if (c == '"') {
                            if (peek() == '"') {
                                read();
                                field.append('"');
                            } else {
                                break;
                            }
                        } else {
                            field.append((char) c);
                        }
                    }
                    c = read();
                    if (c == '\r' && peek() == '\n') {
                        c = read();
                    }
                    if (c != ',' && c != '\n' && c != -1) {
                        throw SeedError.in(displayPath, new SeedFile.Pos(line, column - 1, displayPath), "after a quoted field "
                                + "comes a comma or the end of the line, not \"" + (char) c + "\"")
                                .hint("a quote inside a quoted field is written twice: \"\"");
                    }
                } else {
                    while (true) {
                        c = read();
                        if (c == ',' || c == '\n' || c == -1) {
                            break;
                        }
                        if (c == '\r' && (peek() == '\n' || peek() == -1)) {
                            continue;
                        }
                        if (c == '"') {
                            throw SeedError.in(displayPath, new SeedFile.Pos(line, column - 1, displayPath), "a quote inside "
                                    + "a field that does not start with one").hint("quote the whole field and write the quote "
                                    + "twice: \"a \"\"b\"\" c\"");
                        }
                        field.append((char) c);
                    }
                }
                if (field.indexOf("\0") >= 0) {
                    throw SeedError.in(displayPath, new SeedFile.Pos(startLine, startColumn, displayPath),
                            "a field holds a NUL character, which PostgreSQL text cannot store");
                }
                fields.add(field.toString());
                quoted.add(isQuoted);
                columns.add(startColumn);
                lineOffsets.add(startLine - recordLine);
                if (c != ',') {
                    if (fields.size() == 1 && !isQuoted && fields.get(0).isEmpty() && expected != 1) {
                        return false;   // a blank line
                    }
                    if (expected > 0 && fields.size() != expected) {
                        throw SeedError.in(displayPath, new SeedFile.Pos(recordLine, 1, displayPath), "this row has "
                                + fields.size() + (fields.size() == 1 ? " field" : " fields") + ", and the header names "
                                + expected + " columns").hint("a field that holds a comma is quoted: \"Oslo, Norway\"");
                    }
                    return true;
                }
            }
        }

        @Override
        public void close() {
            try {
                in.close();
            } catch (IOException ignored) {
                // read to the end, or failed already: nothing to add
            }
        }
    }
}
