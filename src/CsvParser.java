// Reading a CSV seed file as PostgreSQL's COPY reads it, one record at a time, and the errors of
// what COPY would read otherwise, which the COPY of the file (CsvRows.copyTo) shares.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;

/** RFC 4180, one record at a time, with the line and column where each field starts. */
final class CsvParser implements AutoCloseable {
    private final Path path;
    private final String displayPath;
    private final Reader in;
    private final DoubleConsumer fractionRead;
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

    private CsvParser(Path path, String displayPath, Reader in, int expected, long fileSize, DoubleConsumer fractionRead) {
        this.path = path;
        this.displayPath = displayPath;
        this.in = in;
        this.expected = expected;
        this.fileSize = Math.max(1, fileSize);
        this.fractionRead = fractionRead;
    }

    /** Opens a CSV file to read records of expected fields each (0: any number); fractionRead hears how far it got. */
    static CsvParser open(Path path, String displayPath, int expected, DoubleConsumer fractionRead) {
        try {
            var decoder = UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
            return new CsvParser(path, displayPath, new InputStreamReader(Files.newInputStream(path), decoder), expected,
                    Files.size(path), fractionRead);
        } catch (IOException e) {
            throw SeedError.in(displayPath, null, "the file cannot be read: " + e.getMessage());
        }
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
        fractionRead.accept(charsRead / fileSize);
        return true;
    }

    /** The characters of the line being read, and of the record: bounded as they are read, never buffered whole. */
    private long lineChars, recordChars;

    private int read() {
        if (!fill()) {
            return -1;
        }
        char c = buffer[at++];
        if (c == '\n' || c == '\r' && peek() != '\n') {   // LF, CRLF or a lone CR: one line break
            line++;
            column = 1;
            lineChars = 0;
        } else if (c != '\r') {
            column++;
            if (++lineChars > SeedFile.MAX_LINE_CHARS) {
                throw lineTooLong(displayPath, line);
            }
            if (++recordChars > SeedFile.MAX_SCALAR_CHARS) {
                throw rowTooLong(displayPath, recordLine);
            }
        }
        return c;
    }

    private int peek() {
        return fill() ? buffer[at] : -1;
    }

    /** Reads the next record; false at the end of the file. A blank line is a record, as COPY reads it. */
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
            recordChars = 0;
            if (line == 1 && column == 1 && peek() == '\uFEFF') {
                read();   // a byte order mark, as spreadsheets write
            }
            if (readRecord()) {
                return true;
            }
        }
    }

    /**
     * One record, read as PostgreSQL's COPY reads CSV (the file goes to COPY as it is, so this
     * parser must agree with it): a quote anywhere opens a quoted stretch, "" in one is a quote,
     * and a field is NULL only when it is empty and has no quotes at all.
     */
    private boolean readRecord() {
        while (true) {
            int startColumn = column, startLine = line;
            field.setLength(0);
            boolean wasQuoted = false, inQuotes = false;
            int c;
            while (true) {
                c = read();
                if (c == -1) {
                    if (inQuotes) {
                        throw SeedError.in(displayPath, new SeedFile.Pos(startLine, startColumn, displayPath),
                                "a quoted field that is never closed: the file ends inside it")
                                .hint("a quote inside a quoted field is written twice: \"\"");
                    }
                    break;
                }
                if (inQuotes) {
                    if (c == '"') {
                        if (peek() == '"') {
                            read();
                            field.append('"');
                        } else {
                            inQuotes = false;
                        }
                    } else {
                        field.append((char) c);
                    }
                } else if (c == '"') {
                    inQuotes = wasQuoted = true;
                } else if (c == ',' || c == '\n') {
                    break;
                } else if (c == '\r') {
                    if (peek() == '\n') {
                        read();
                    }
                    c = '\n';
                    break;
                } else {
                    field.append((char) c);
                }
            }
            fields.add(field.toString());
            quoted.add(wasQuoted);
            columns.add(startColumn);
            lineOffsets.add(startLine - recordLine);
            if (c != ',') {
                if (fields.size() == 1 && !wasQuoted && startColumn == 1 && field.toString().equals("\\.")) {
                    throw endOfDataMarker(displayPath, recordLine);
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

    /**
     * A line that is \. and nothing else, unquoted: COPY reads it as the end of the data and
     * leaves out every row after it, so it is an error wherever it is (as a value, "\." is data).
     */
    static SeedError endOfDataMarker(String displayPath, int line) {
        return SeedError.in(displayPath, new SeedFile.Pos(line, 1, displayPath), "this line is \\. and nothing else, which "
                + "PostgreSQL's COPY reads as the end of the data: the rows after it would be left out")
                .hint("if it is a value, quote it: \"\\.\" (PostgreSQL reads a quoted \\. as data)");
    }

    static SeedError lineTooLong(String displayPath, int line) {
        return SeedError.in(displayPath, new SeedFile.Pos(line, 1, displayPath), "line " + line + " is longer than the "
                + SeedFile.MAX_LINE_CHARS + " characters a line of a seed file may have")
                .hint("a value this large does not belong in a seed file (a quoted value may span lines, up to "
                        + SeedFile.MAX_SCALAR_CHARS + " characters a row)");
    }

    static SeedError rowTooLong(String displayPath, int line) {
        return SeedError.in(displayPath, new SeedFile.Pos(line, 1, displayPath), "the row that starts on line " + line
                + " is longer than the " + SeedFile.MAX_SCALAR_CHARS + " characters a row of a CSV seed file may have")
                .hint("a value this large does not belong in a seed file; a quote that is never closed makes the rest "
                        + "of the file one value: a quote inside a quoted field is written twice, \"\"");
    }
}
