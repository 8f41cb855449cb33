// How every seed file's YAML is parsed (strict UTF-8, bounded lines, safe construction only) and
// how SnakeYAML's refusals are worded for the person who wrote the file.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.util.Objects;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;

final class YamlSyntax {
    private YamlSyntax() {
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
                    new SeedFile.Pos((int) before.chars().filter(c -> c == '\n').count() + 1, at - before.lastIndexOf('\n')));
        } catch (YAMLException e) {
            throw yamlError(e, displayPath);
        }
    }

    static SeedError lineTooLong(String displayPath, int line, long length) {
        return SeedError.in(displayPath, new SeedFile.Pos(line, 1), "line " + line + " is " + length
                + " characters long; a line of a seed file may have " + SeedFile.MAX_LINE_CHARS)
                .hint("a value this large does not belong in a seed file (a value may have " + SeedFile.MAX_SCALAR_CHARS
                        + " characters, over several lines)");
    }

    private static void refuseLongLines(String text, String displayPath) {
        int line = 1;
        for (int start = 0; start < text.length(); line++) {
            int end = text.indexOf('\n', start);
            end = end < 0 ? text.length() : end;
            if (end - start > SeedFile.MAX_LINE_CHARS) {
                throw lineTooLong(displayPath, line, end - start);
            }
            start = end + 1;
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
    static SeedError controlCharacter(org.yaml.snakeyaml.reader.ReaderException e, String displayPath, SeedFile.Pos pos) {
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
            return SeedError.in(displayPath, SeedFile.Pos.of(mark), "the tag " + tag + " is not allowed in a seed file: "
                    + "seed files are data, written with YAML's own types only");
        }
        String context = e.getProblem() != null && e.getContext() != null
                ? " (" + e.getContext() + (e.getContextMark() != null ? " that starts at " + SeedFile.Pos.of(e.getContextMark()) : "") + ")"
                : "";
        if (problem.contains("\\t(TAB)")) {
            return SeedError.in(displayPath, SeedFile.Pos.of(mark), "invalid YAML: a tab character, where YAML takes spaces "
                    + "(for indentation, and after a colon)");
        }
        var error = SeedError.in(displayPath, SeedFile.Pos.of(mark), "invalid YAML: " + problem + context);
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
            throw SeedError.in(displayPath, new SeedFile.Pos(line, 1), "the file is not valid UTF-8 (a bad byte after byte " + offset + ")");
        }
    }

    /**
     * A mapping whose keys are plain text, in the file's order. A key given twice is an error: the
     * node API does not refuse one, and {production: true, production: false} would quietly be the last.
     */
    static java.util.Map<String, org.yaml.snakeyaml.nodes.NodeTuple> mapping(Node node, String file, String expected) {
        if (!(node instanceof org.yaml.snakeyaml.nodes.MappingNode map)) {
            throw SeedError.in(file, SeedFile.Pos.of(node), expected);
        }
        var entries = new java.util.LinkedHashMap<String, org.yaml.snakeyaml.nodes.NodeTuple>();
        for (org.yaml.snakeyaml.nodes.NodeTuple tuple : map.getValue()) {
            String key = text(tuple.getKeyNode(), file, "a name here is plain text");
            if (entries.put(key, tuple) != null) {
                throw SeedError.in(file, SeedFile.Pos.of(tuple.getKeyNode()), "\"" + key + "\" is given twice in this mapping");
            }
        }
        return entries;
    }

    /** A name: plain text, without spaces around it (a "live " would be another environment than live). */
    static String text(Node node, String file, String expected) {
        if (!(node instanceof org.yaml.snakeyaml.nodes.ScalarNode scalar) || !scalar.getTag().equals(Tag.STR) || scalar.getValue().isBlank()) {
            throw SeedError.in(file, SeedFile.Pos.of(node), expected);
        }
        if (!scalar.getValue().strip().equals(scalar.getValue())) {
            throw SeedError.in(file, SeedFile.Pos.of(node), "the name \"" + scalar.getValue() + "\" has spaces around it")
                    .hint("write it without them");
        }
        return scalar.getValue();
    }
}
