// Reads one seed file's YAML nodes into a SeedFile: positions kept, merge keys followed, ${VAR}
// substituted, and anything that is not plain data refused.

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** Walks the composed YAML nodes; keeps positions; follows merge keys; refuses anything else. */
final class SeedReader {
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

    SeedReader(Path path, String file, byte[] bytes, Map<String, String> env, Secrets secrets, boolean followSymlinks,
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
        if (size > SeedFile.MAX_VALUES) {
            throw SeedError.in(file, SeedFile.Pos.of(root), "the file holds " + (size == Long.MAX_VALUE ? "more than a billion" : size)
                    + " values once its aliases (*name) are expanded, more than the " + SeedFile.MAX_VALUES + " a seed file may have")
                    .hint("aliases that refer to aliases multiply; write the values out (defaults: helps with repetition)");
        }
    }

    private long size(Node node, IdentityHashMap<Node, Long> known) {
        var cached = known.get(node);
        if (cached != null) {
            return cached;
        }
        if (!inProgress.add(node)) {
            throw SeedError.in(file, SeedFile.Pos.of(node), "an alias refers to a structure that contains it");
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
        SeedFile.Pos tablePos = null, keyPos = null;
        List<String> key = null;
        Map<String, SeedFile.Value> defaults = Map.of();
        SeedFile.Rows rows = null;
        Future<String> checksum = null;
        List<String> environments = null, dependsOn = List.of();
        SeedFile.Removal removal = SeedFile.Removal.KEEP;
        boolean ownsTable = false;
        var generated = new LinkedHashMap<String, SeedFile.Generated>();
        var settings = new LinkedHashMap<String, SeedFile.Pos>();
        for (var entry : top.entrySet()) {
            Node node = entry.getValue().value;
            settings.put(entry.getKey(), SeedFile.Pos.of(node));
            switch (entry.getKey()) {
                case "table" -> {
                    table = name(node, "table");
                    tablePos = SeedFile.Pos.of(node);
                }
                case "key" -> {
                    keyPos = SeedFile.Pos.of(node);
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
                        var csv = CsvRows.open(path, file, scalar.getValue(), SeedFile.Pos.of(node), followSymlinks);
                        rows = csv;
                        checksum = SeedFile.checksumInBackground(csv.path(), () -> SeedFile.sha256(bytes, csv.path()));
                    } else if (!(node instanceof SequenceNode listNode)) {
                        throw SeedError.in(file, SeedFile.Pos.of(node), "rows is a list of rows, each a mapping of column: value, "
                                + "or the name of a CSV file beside this one (rows: instruments.csv)"
                                + (node instanceof ScalarNode scalar && scalar.getValue().isEmpty() ? "; for none, write rows: []" : ""));
                    } else {
                        var list = new ArrayList<SeedFile.Row>();
                        for (Node item : listNode.getValue()) {
                            list.add(row(item));
                        }
                        rows = new SeedFile.Listed(list);
                    }
                }
                case "environments" -> environments = environmentNames(node, "environments");
                case "depends_on" -> dependsOn = names(node, "depends_on");
                case "removal" -> removal = removal(node);
                case "owns" -> {
                    if (!"table".equals(name(node, "owns"))) {
                        throw SeedError.in(file, SeedFile.Pos.of(node), "owns takes one value: table (the file owns every row "
                                + "of its table); without it, a file owns the rows it has seeded");
                    }
                    ownsTable = true;
                }
                case "generate" -> {
                    for (var rule : mapping(node, "generate is a mapping of column: rule, such as generate: {id: uuid}").entrySet()) {
                        String name = name(rule.getValue().value, "generate rule");
                        if (!SeedFile.Generated.RULES.containsKey(name)) {
                            throw SeedError.in(file, SeedFile.Pos.of(rule.getValue().value), "generate knows no rule \"" + name + "\""
                                    + SeedError.didYouMean(name, SeedFile.Generated.RULES.keySet()))
                                    .hint("the rules: " + String.join(", ", new java.util.TreeSet<>(SeedFile.Generated.RULES.keySet()))
                                            + " (a random UUID)");
                        }
                        generated.put(rule.getKey(), new SeedFile.Generated(rule.getKey(), name, rule.getValue().pos));
                    }
                }
                case "description" -> { }
                default -> throw SeedError.in(file, entry.getValue().pos,
                        "unknown setting \"" + entry.getKey() + "\"" + SeedError.didYouMean(entry.getKey(), SeedFile.SETTINGS))
                        .hint("a seed file has table, key, rows, and optionally defaults, environments, depends_on, "
                                + "removal, owns, generate and description");
            }
        }
        var start = SeedFile.Pos.of(root);
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
                checksum != null ? checksum : CompletableFuture.completedFuture(SeedFile.sha256(bytes)), environments,
                dependsOn, removal, ownsTable, Map.copyOf(generated), settings, usesVariables);
    }

    /** A name or a list of names: environments: [development, test], or environments: development. */
    private List<String> names(Node node, String what) {
        if (node instanceof SequenceNode list) {
            var names = new ArrayList<String>();
            for (Node item : list.getValue()) {
                names.add(name(item, what));
            }
            if (names.isEmpty()) {
                throw SeedError.in(file, SeedFile.Pos.of(node), what + " names nothing; leave it out for all");
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
            declared.checkNamed(names.get(i), what, file, SeedFile.Pos.of(items.get(i)));
        }
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }

    /** removal: keep | delete | deactivate (the column is_active) | {deactivate: column}. */
    private SeedFile.Removal removal(Node node) {
        if (node instanceof MappingNode) {
            var entries = mapping(node, "removal");
            var column = entries.get("deactivate");
            if (entries.size() != 1 || column == null) {
                throw SeedError.in(file, SeedFile.Pos.of(node), "removal is keep, delete, deactivate, or {deactivate: <boolean column>}");
            }
            return new SeedFile.Removal("deactivate", name(column.value(), "the column to deactivate"));
        }
        String mode = name(node, "removal");
        return switch (mode) {
            case "keep" -> SeedFile.Removal.KEEP;
            case "delete" -> new SeedFile.Removal("delete", null);
            case "deactivate" -> new SeedFile.Removal("deactivate", "is_active");
            default -> throw SeedError.in(file, SeedFile.Pos.of(node), "removal is keep, delete, deactivate, or {deactivate: "
                    + "<boolean column>}, not \"" + mode + "\"" + SeedError.didYouMean(mode, List.of("keep", "delete", "deactivate")));
        };
    }

    /** One row of the rows: list: its columns, and the environments it is for. */
    SeedFile.Row row(Node item) {
        var entries = mapping(item, "each row is a mapping of column: value");
        var rowEnvironments = entries.remove(SeedFile.ROW_ENVIRONMENTS);
        return new SeedFile.Row(SeedFile.Pos.of(item), columns(entries),
                rowEnvironments == null ? null : environmentNames(rowEnvironments.value(), SeedFile.ROW_ENVIRONMENTS));
    }

    private record Entry(SeedFile.Pos pos, Node value) {}

    /** A mapping's entries by key, merge keys (<<) followed; a key given twice is an error. */
    private Map<String, Entry> mapping(Node node, String expected) {
        if (!(node instanceof MappingNode map)) {
            throw SeedError.in(file, SeedFile.Pos.of(node), expected);
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
                throw SeedError.in(file, SeedFile.Pos.of(keyNode), "a key must be a plain name, not a list or mapping");
            }
            if (map.getFlowStyle() == org.yaml.snakeyaml.DumperOptions.FlowStyle.FLOW
                    && tuple.getValueNode() instanceof ScalarNode value && value.getTag().equals(Tag.NULL)
                    && value.getValue().isEmpty() && value.getStartMark().getIndex() == keyNode.getEndMark().getIndex()) {
                // {task: Describe trend, support and resistance}: YAML reads "support and resistance" as a key
                // without a value. Never what a seed file means.
                throw SeedError.in(file, SeedFile.Pos.of(keyNode), "\"" + scalar.getValue() + "\" has no value: in a {…} mapping, "
                        + "a comma ends a value, so an unquoted one splits it").hint("quote a value that holds a comma: "
                        + "{task: \"Decide entry, stop and target, or pass\"}");
            }
            checkTag(keyNode);
            checkCharacters(scalar.getValue(), SeedFile.Pos.of(keyNode));
            if (entries.put(scalar.getValue(), new Entry(SeedFile.Pos.of(keyNode), tuple.getValueNode())) != null) {
                throw SeedError.in(file, SeedFile.Pos.of(keyNode), "\"" + scalar.getValue() + "\" is given twice in this mapping");
            }
        }
        merged.forEach(entries::putIfAbsent);
        return entries;
    }

    private Map<String, SeedFile.Value> columns(Map<String, Entry> entries) {
        var columns = new LinkedHashMap<String, SeedFile.Value>();
        entries.forEach((name, entry) -> columns.put(name, value(entry.value()).named(entry.pos())));
        return columns;
    }

    private String name(Node node, String what) {
        if (!(node instanceof ScalarNode scalar) || scalar.getValue().isBlank()) {
            throw SeedError.in(file, SeedFile.Pos.of(node), what + " must be a name");
        }
        checkTag(node);
        checkCharacters(scalar.getValue(), SeedFile.Pos.of(node));
        if (scalar.getValue().indexOf('\0') >= 0) {
            // PostgreSQL refuses it as a parameter, which would be an internal error, not a line of the file.
            throw SeedError.in(file, SeedFile.Pos.of(node), what + " holds a NUL character");
        }
        return scalar.getValue();
    }

    /**
     * A string must be one UTF-8 can store: a lone surrogate (a backslash-u D800 escape in a double-quoted string)
     * is half a character, which the driver would store as "?".
     */
    private void checkCharacters(String text, SeedFile.Pos pos) {
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

    private SeedFile.Value value(Node node) {
        if (++values > SeedFile.MAX_VALUES) {
            throw SeedError.in(file, SeedFile.Pos.of(node), "holds more than " + SeedFile.MAX_VALUES
                    + " values; are aliases (*name) multiplying it?");
        }
        checkTag(node);
        SeedFile.Pos pos = SeedFile.Pos.of(node);
        if (node instanceof ScalarNode scalar) {
            String text = scalar.getValue();
            if (text.length() > SeedFile.MAX_SCALAR_CHARS) {
                throw SeedError.in(file, pos, "a value of " + text.length() + " characters is larger than the "
                        + SeedFile.MAX_SCALAR_CHARS + " a seed value may have");
            }
            if (text.indexOf('\0') >= 0) {
                throw SeedError.in(file, pos, "a value holds a NUL character, which PostgreSQL text cannot store");
            }
            checkCharacters(text, pos);
            if (text.contains("${")) {
                usesVariables = true;
                tookFromEnvironment = false;
                String substituted = substitute(text, pos);
                if (tookFromEnvironment) {
                    // The whole value too: a variable's value inside a longer text is masked with it.
                    secrets.add(substituted);
                }
                // Text, for PostgreSQL to read as the column's type; a secret only if a variable gave it.
                return new SeedFile.Value(SeedFile.Kind.TEXT, substituted, null, null, pos, null, tookFromEnvironment ? text : null, true);
            }
            return SeedFile.Value.scalar(kind(scalar), text, pos);
        }
        var result = new SeedFile.Value[1];
        guard(node, () -> {
            if (node instanceof SequenceNode list) {
                var items = new ArrayList<SeedFile.Value>();
                for (Node item : list.getValue()) {
                    items.add(value(item));
                }
                result[0] = new SeedFile.Value(SeedFile.Kind.LIST, null, items, null, pos, null, null, false);
            } else {
                result[0] = new SeedFile.Value(SeedFile.Kind.MAP, null, null, columns(mapping(node, "a mapping")), pos, null, null, false);
            }
        });
        return result[0];
    }

    /** Whether a value of the file holds ${…}: then what it means depends on the environment, not only on its text. */
    private boolean usesVariables;

    /** Whether the value being substituted took anything from the environment (a default is in the file). */
    private boolean tookFromEnvironment;

    private static final Pattern VARIABLE = Pattern.compile("\\$\\$\\{|\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    /**
     * ${VAR} and ${VAR:-default} from the environment (an empty variable counts as unset); $${ is a
     * literal ${. Any other ${ (${, ${}, ${1X}, a variable in a default) is an error, not text.
     */
    private String substitute(String text, SeedFile.Pos pos) {
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
    private void refuseStrayVariable(String between, SeedFile.Pos pos) {
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
            throw SeedError.in(file, SeedFile.Pos.of(node), "an alias refers to a structure that contains it");
        }
        try {
            walk.run();
        } finally {
            inProgress.remove(node);
        }
    }

    private static final Pattern YAML_12_OCTAL = Pattern.compile("[-+]?0o[0-7_]+");

    private static SeedFile.Kind kind(ScalarNode scalar) {
        Tag tag = scalar.getTag();
        if (tag.equals(Tag.NULL)) {
            return SeedFile.Kind.NULL;
        } else if (tag.equals(Tag.BOOL)) {
            String text = scalar.getValue().toLowerCase(Locale.ROOT);
            return text.equals("true") || text.equals("false") ? SeedFile.Kind.BOOL : SeedFile.Kind.TEXT;
        } else if (tag.equals(Tag.INT) || scalar.getScalarStyle() == org.yaml.snakeyaml.DumperOptions.ScalarStyle.PLAIN
                && YAML_12_OCTAL.matcher(scalar.getValue()).matches()) {
            // 0o17 is YAML 1.2's octal; SnakeYAML reads YAML 1.1, where it is text: a number all the same.
            return SeedFile.Kind.INT;
        } else if (tag.equals(Tag.FLOAT)) {
            return SeedFile.Kind.FLOAT;
        } else if (tag.equals(Tag.TIMESTAMP)) {
            return SeedFile.Kind.TIMESTAMP;
        } else if (tag.equals(Tag.BINARY)) {
            return SeedFile.Kind.BINARY;
        }
        return SeedFile.Kind.TEXT;
    }

    private static final Set<Tag> ALLOWED_TAGS = Set.of(Tag.NULL, Tag.BOOL, Tag.INT, Tag.FLOAT, Tag.TIMESTAMP,
            Tag.BINARY, Tag.STR, Tag.SEQ, Tag.MAP, Tag.MERGE);

    /** Only YAML's own types: a tag that names a Java class (or anything else) is refused. */
    private void checkTag(Node node) {
        if (!ALLOWED_TAGS.contains(node.getTag())) {
            throw SeedError.in(file, SeedFile.Pos.of(node), "the tag " + node.getTag()
                    + " is not allowed in a seed file: seed files are data, written with YAML's own types only");
        }
    }
}
