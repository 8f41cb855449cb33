// The rows of a seed file kept in a CSV file beside it: read as a stream, never held whole.

import java.io.IOException;
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
final class CsvRows implements SeedFile.Rows, SeedFile.AsWritten {

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
    /** The line of each row, once a pass has read them: positions without reading again. */
    private final RowLines lines = new RowLines();

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

    @Override
    public List<Header> header() {
        return header;
    }

    /**
     * Streams the file, as it is, to sink (COPY … WITH (FORMAT csv, HEADER true)), counting the
     * rows as it goes and keeping the line each starts on: a quote toggles quoting, and a line
     * break (LF, CRLF or a lone CR) outside quotes ends a row, as COPY reads it. With keyField ≥ 0,
     * it also hashes that field of every row, and returns pairs of rows whose keys may be the same
     * (the same hash) for the database to confirm: a key given twice is found without grouping a
     * million rows there. What COPY would read otherwise than this count is refused here, before
     * the bytes that hold it are sent: a line \. (COPY's end of data), a line or a row longer than
     * a seed file may have.
     */
    @Override
    public Copied copyTo(java.util.function.Consumer<java.nio.ByteBuffer> sink, java.util.function.LongConsumer rowsSent, int keyField,
                         SeedFile.FieldCheck check) {
        int index = -2;   // the header is row -1, the first row 0
        // The field being captured for check: its bytes without its quotes, and whether it had any ("" is empty text, not NULL).
        byte[] captured = new byte[64];
        int capturedLength = 0;
        boolean capturing = false, capturedQuoted = false;
        int line = 1, field = 0, rowLine = 1;
        long lineChars = 0, rowChars = 0;
        boolean inQuotes = false, atRowStart = true, keyGiven = false, afterCr = false;
        int endMarker = 0;   // of the row's first line so far: 0 nothing, 1 "\", 2 "\.", -1 anything else
        long hash = FNV_OFFSET;
        var keys = keyField >= 0 ? new KeyHashes() : null;
        long bytesSent = 0, total;
        try (var in = Files.newInputStream(path)) {
            total = Math.max(1, Files.size(path));
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                int before = index;
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (afterCr) {
                        afterCr = false;
                        if (b == '\n') {
                            continue;   // the LF of a CRLF: the line (and the row) ended at its CR
                        }
                    }
                    if (atRowStart) {
                        atRowStart = false;
                        field = 0;
                        hash = FNV_OFFSET;
                        keyGiven = false;
                        endMarker = 0;
                        rowChars = 0;
                        rowLine = line;
                        capturedLength = 0;
                        capturedQuoted = false;
                        if (++index >= 0) {
                            lines.record(index, line);
                        }
                        capturing = check != null && index >= 0 && check.wants(0);
                    }
                    if (b == '\n' || b == '\r') {
                        if (!inQuotes && endMarker == 2) {
                            throw CsvParser.endOfDataMarker(displayPath, line);
                        }
                        endMarker = -1;
                        line++;
                        lineChars = 0;
                        afterCr = b == '\r';
                        if (!inQuotes) {
                            if (capturing) {
                                check.field(field, captured, capturedLength, capturedQuoted);
                            }
                            atRowStart = true;
                            if (keys != null && index >= 0 && keyGiven) {
                                keys.add(hash, index);
                            }
                        } else {
                            if (field == keyField) {
                                hash = (hash ^ (b & 0xFF)) * FNV_PRIME;
                            }
                            if (capturing) {
                                captured = capture(captured, capturedLength++, b);
                            }
                        }
                        continue;
                    }
                    // Characters, as Java counts them (a pair for one beyond the BMP): the same bound as the parser's.
                    if ((b & 0xC0) != 0x80) {
                        int chars = (b & 0xF8) == 0xF0 ? 2 : 1;
                        if ((lineChars += chars) > SeedFile.MAX_LINE_CHARS) {
                            throw CsvParser.lineTooLong(displayPath, line);
                        }
                        if ((rowChars += chars) > SeedFile.MAX_SCALAR_CHARS) {
                            throw CsvParser.rowTooLong(displayPath, rowLine);
                        }
                    }
                    endMarker = endMarker == 0 && b == '\\' ? 1 : endMarker == 1 && b == '.' ? 2 : -1;
                    if (b == '"') {
                        inQuotes = !inQuotes;
                        keyGiven |= field == keyField;   // "" is a key (empty text); an empty field is none
                        capturedQuoted = true;
                    } else if (!inQuotes && b == ',') {
                        if (capturing) {
                            check.field(field, captured, capturedLength, capturedQuoted);
                        }
                        field++;
                        capturedLength = 0;
                        capturedQuoted = false;
                        capturing = check != null && index >= 0 && check.wants(field);
                    } else {
                        if (field == keyField) {
                            // The field's bytes without its quotes: the same for every way of writing the same text.
                            hash = (hash ^ (b & 0xFF)) * FNV_PRIME;
                            keyGiven = true;
                        }
                        if (capturing) {
                            captured = capture(captured, capturedLength++, b);
                        }
                    }
                }
                if (keys != null && bytesSent == 0 && index > 0) {
                    keys.expect((long) ((double) total / n * (index + 1) * 1.1));   // rows as long as the first buffer's, and a tenth more
                }
                sink.accept(java.nio.ByteBuffer.wrap(buffer, 0, n));
                bytesSent += n;
                fractionRead = bytesSent / (double) total;
                rowsSent.accept(Math.max(index, -1) - Math.max(before, -1));
            }
        } catch (IOException e) {
            throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
        }
        if (!atRowStart && !inQuotes && endMarker == 2) {
            // The last line, without a line break: refused alike, though COPY would read it as data.
            throw CsvParser.endOfDataMarker(displayPath, line);
        }
        if (capturing && !atRowStart) {
            check.field(field, captured, capturedLength, capturedQuoted);   // the last row's last field
        }
        if (keys != null && !atRowStart && index >= 0 && keyGiven) {
            keys.add(hash, index);   // the last row, without a line break after it
        }
        size = Math.max(index, -1) + 1;
        return new Copied(size, keys == null ? null : keys.sameHashAsEarlier);
    }

    private static byte[] capture(byte[] captured, int at, byte b) {
        var into = at < captured.length ? captured : java.util.Arrays.copyOf(captured, captured.length * 2);
        into[at] = b;
        return into;
    }

    /** What copyTo saw: the rows, and those whose key hashed like an earlier row's (null: keys not hashed). */
    record Copied(int rows, List<Integer> sameHash) {}

    private static final long FNV_OFFSET = 0xcbf29ce484222325L, FNV_PRIME = 0x100000001b3L;

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
        String special = SeedFile.specialFile(csv);
        if (special != null) {
            throw SeedError.in(seedDisplay, at, "rows names " + name + ", which is " + (Files.isSymbolicLink(csv)
                    ? "a link to " + SeedFile.linkTarget(csv) + ", " : "") + special + ", not a file of rows")
                    .hint("the rows of a seed file are in a regular CSV file beside it");
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
                    throw SeedError.in(display, pos, "the header field \"" + Report.shown(field, 0) + "\" is neither a column nor column.key "
                            + "(a reference, as in exchange_id.mic)");
                }
                header.add(dot < 0 ? new Header(field, null, pos) : new Header(field.substring(0, dot), field.substring(dot + 1), pos));
            }
        }
        // A column is given one way: its value (p_id), or the referred row's key (p_id.code), not both.
        for (var plain : header) {
            for (var reference : header) {
                if (plain.lookup() == null && reference.lookup() != null && plain.column().equals(reference.column())) {
                    var later = plain.pos().column() > reference.pos().column() ? plain : reference;
                    throw SeedError.in(display, later.pos(), "the header gives " + plain.column() + " twice: as "
                            + plain.column() + " and as " + reference.column() + "." + reference.lookup()
                            + " (the row it refers to, by its key)").hint("keep one of the two fields");
                }
            }
        }
        return rows;
    }

    /** These rows (a CSV file is for every environment), each completed (with the seed file's defaults) as it is read. */
    @Override
    public CsvRows forEnvironment(String environment, UnaryOperator<SeedFile.Row> completeRow, Set<String> extra) {
        return new CsvRows(path, displayPath, header, completeRow, extra);
    }

    @Override
    public long rowsElsewhere(String environment) {
        return 0;
    }

    @Override
    public SeedFile.AsWritten asWritten() {
        return this;
    }

    @Override
    public String noValue() {
        return "an empty field; \"\" is empty text";
    }

    @Override
    public void forEach(ObjIntConsumer<SeedFile.Row> action) {
        int index = 0;
        try (var parser = parser()) {
            parser.next();   // the header
            while (parser.next()) {
                lines.record(index, parser.recordLine);
                action.accept(row(parser), index++);
            }
        }
        size = index;
    }

    @Override
    public SeedFile.Pos pos(int index) {
        return index < lines.known() ? new SeedFile.Pos(lines.line(index), 1, displayPath) : get(index).pos();
    }

    /**
     * A row that gives every column of the header, each with a placeholder value (and a reference
     * as its lookup columns): what every row of the file gives, to check against the catalog once.
     */
    @Override
    public SeedFile.Row shape() {
        var values = new LinkedHashMap<String, SeedFile.Value>();
        for (var h : header) {
            var placeholder = SeedFile.Value.scalar(SeedFile.Kind.LITERAL, "", h.pos()).named(h.pos());
            if (h.lookup() == null) {
                values.put(h.column(), placeholder);
            } else {
                var known = values.get(h.column());
                var entries = new LinkedHashMap<String, SeedFile.Value>(known != null && known.entries() != null ? known.entries() : Map.of());
                entries.put(h.lookup(), placeholder);
                values.put(h.column(), new SeedFile.Value(SeedFile.Kind.MAP, null, null, entries, h.pos(), h.pos(), null, false));
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

    /** Several rows by index, in one pass that stops at the last of them. */
    @Override
    public Map<Integer, SeedFile.Row> get(java.util.SortedSet<Integer> indexes) {
        var found = new java.util.HashMap<Integer, SeedFile.Row>();
        try (var parser = parser()) {
            parser.next();
            for (int i = 0; !indexes.isEmpty() && i <= indexes.last() && parser.next(); i++) {
                if (indexes.contains(i)) {
                    found.put(i, row(parser));
                }
            }
        }
        return found;
    }

    /**
     * The row that a line of the file belongs to, by the lines counted as it went to COPY: the
     * last row that starts on it or before. (COPY names the line where a row ends.)
     */
    @Override
    public int rowAtLine(int line) {
        int found = lines.rowAt(line);
        return found >= 0 ? found : Math.max(0, line - 2);
    }

    @Override
    public double fractionRead() {
        return fractionRead;
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
    private SeedFile.Row row(CsvParser parser) {
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
                        : new SeedFile.Value(SeedFile.Kind.MAP, null, null, entries, first.pos(), first.pos(), null, false));
            }
        }
        return complete.apply(new SeedFile.Row(new SeedFile.Pos(parser.recordLine, 1, displayPath), values, null));
    }

    private CsvParser parser() {
        return CsvParser.open(path, displayPath, header.size(), read -> fractionRead = read);
    }
}
