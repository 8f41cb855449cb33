// The environments a project declares beside its seed files, and which of them are production.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Every environment a run may be for, declared once in seeds/environments.yaml:
 *
 * <pre>
 * environments:
 *   development: {}
 *   test: {}
 *   production: {production: true}
 * </pre>
 *
 * A run for a name not declared here stops before it reads anything else (a misspelt --env would
 * skip files and remove rows as a run for another environment), a seed file may name only
 * declared environments, and the production guards follow the declaration, not the name's
 * spelling. Without the file, the built-in declaration is the one above.
 *
 * @param production each declared name, in lower case and in the file's order, and whether it is production
 * @param defaultName the environment of a run that names none (default: development)
 * @param source where the declaration is (or, built in, would be), as messages show it
 * @param builtIn whether there is no such file, and the declaration is the built-in one
 */
record Environments(Map<String, Boolean> production, String defaultName, String source, boolean builtIn) {

    /** The names the declaration may have; it is not a seed file. */
    static final List<String> FILES = List.of("environments.yaml", "environments.yml");
    static final Set<String> SETTINGS = Set.of("environments", "default", "description");
    static final Set<String> ENVIRONMENT_SETTINGS = Set.of("production", "description");
    /** A declaration is a few lines: a file larger than this is not one. */
    static final long MAX_BYTES = 1024 * 1024;

    /** The environment a run is for: its name, whether it is production, and what chose it. */
    record Environment(String name, boolean production, String chosenBy) {}

    private static Environments builtIn(String source) {
        var names = new LinkedHashMap<String, Boolean>();
        names.put("development", false);
        names.put("test", false);
        names.put("production", true);
        return new Environments(java.util.Collections.unmodifiableMap(names), "development", source, true);
    }

    /**
     * The declaration in the seeds directory, or the built-in one when there is none (or no seeds
     * directory); a link to outside the directory is refused as a seed file's is.
     */
    static Environments read(Path seedsDir, Path workingDir, boolean followSymlinks) {
        if (seedsDir == null || !Files.isDirectory(seedsDir)) {
            return builtIn("seeds/" + FILES.get(0));
        }
        // A link that leads nowhere is a declaration that cannot be read, not a missing one.
        var present = FILES.stream().map(seedsDir::resolve).filter(p -> Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS))
                .toList();
        if (present.isEmpty()) {
            return builtIn(SeedFile.displayPath(seedsDir.resolve(FILES.get(0)), workingDir));
        }
        String display = SeedFile.displayPath(present.get(0), workingDir);
        if (present.size() > 1) {
            throw SeedError.in(display, null, "the environments are declared twice, in " + String.join(" and ", FILES)
                    + "; keep one");
        }
        Path path = present.get(0);
        if (Files.isSymbolicLink(path) && !followSymlinks) {
            SeedFile.refuseLinkOutside(seedsDir, path, display);
        }
        byte[] bytes;
        try {
            if (!Files.isRegularFile(path)) {
                throw SeedError.in(display, null, "the declaration of environments is not a regular file");
            }
            if (Files.size(path) > MAX_BYTES) {
                throw SeedError.in(display, null, "the file is " + Files.size(path) + " bytes; a declaration of environments "
                        + "may have " + MAX_BYTES);
            }
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw SeedError.in(display, null, "the file cannot be read: " + e.getMessage());
        }
        return parse(YamlSyntax.compose(bytes, display), display);
    }

    private static Environments parse(Node root, String file) {
        if (root == null) {
            throw SeedError.in(file, null, "the file is empty; it declares the environments runs may be for, as in "
                    + "environments: {development: {}, production: {production: true}}");
        }
        var top = YamlSyntax.mapping(root, file, "the declaration of environments is a mapping with environments:");
        if (top.containsKey("table")) {
            throw SeedError.in(file, at(top.get("table").getKeyNode()), "this file declares the environments; it is not a "
                    + "seed file").hint("give the seed file of a table named environments another name, such as "
                    + "deployment_environments.yaml (its table: says which table it seeds)");
        }
        var production = new LinkedHashMap<String, Boolean>();
        String defaultName = null;
        SeedFile.Pos defaultPos = null;
        for (var setting : top.entrySet()) {
            Node value = setting.getValue().getValueNode();
            switch (setting.getKey()) {
                case "environments" -> {
                    var declared = YamlSyntax.mapping(value, file, "environments is a mapping of name: settings, as in "
                            + "production: {production: true}");
                    if (declared.isEmpty()) {
                        throw SeedError.in(file, at(value), "environments declares none; a run is always for one");
                    }
                    for (var entry : declared.entrySet()) {
                        String name = entry.getKey().toLowerCase(Locale.ROOT);
                        if (production.containsKey(name)) {
                            throw SeedError.in(file, at(entry.getValue().getKeyNode()), "the environment " + name
                                    + " is declared twice (names match whatever their case)");
                        }
                        production.put(name, isProduction(entry.getValue().getValueNode(), name, file));
                    }
                }
                case "default" -> {
                    defaultPos = at(value);
                    defaultName = YamlSyntax.text(value, file, "default names the environment of a run that names none").toLowerCase(Locale.ROOT);
                }
                case "description" -> { }
                default -> throw SeedError.in(file, at(setting.getValue().getKeyNode()), "unknown setting \"" + setting.getKey()
                        + "\"" + SeedError.didYouMean(setting.getKey(), SETTINGS))
                        .hint("the declaration of environments has environments, and optionally default and description");
            }
        }
        if (production.isEmpty()) {
            throw SeedError.in(file, at(root), "declares no environments (add environments:, a mapping of name: settings)");
        }
        if (defaultName != null && !production.containsKey(defaultName)) {
            throw SeedError.in(file, defaultPos, "default is " + defaultName + ", which is not declared"
                    + SeedError.didYouMean(defaultName, production.keySet()));
        }
        return new Environments(java.util.Collections.unmodifiableMap(production),
                defaultName != null ? defaultName : "development", file, false);
    }

    /** An environment's settings: {} (or nothing), or {production: true}. */
    private static boolean isProduction(Node settings, String name, String file) {
        if (settings instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL)) {
            return false;
        }
        boolean production = false;
        for (var setting : YamlSyntax.mapping(settings, file, "the settings of " + name + " are a mapping, {} or {production: true}").entrySet()) {
            Node value = setting.getValue().getValueNode();
            switch (setting.getKey()) {
                case "production" -> {
                    if (!(value instanceof ScalarNode scalar) || !scalar.getTag().equals(Tag.BOOL)
                            || !Set.of("true", "false").contains(scalar.getValue())) {
                        throw SeedError.in(file, at(value), "production is true or false");
                    }
                    production = ((ScalarNode) value).getValue().equals("true");
                }
                case "description" -> YamlSyntax.text(value, file, "description is text");
                default -> throw SeedError.in(file, at(setting.getValue().getKeyNode()), "unknown setting \"" + setting.getKey()
                        + "\" of the environment " + name + SeedError.didYouMean(setting.getKey(), ENVIRONMENT_SETTINGS))
                        .hint("an environment has production (true or false) and description");
            }
        }
        return production;
    }

    private static SeedFile.Pos at(Node node) {
        return SeedFile.Pos.of(node);
    }

    /**
     * The environment a run is for: --env, else SEED_ENV, else APP_ENV, else the default. A name
     * that is not declared is a usage error, before anything is read or written.
     */
    Environment choose(String option, Map<String, String> env) {
        String chosenBy;
        String name;
        if (DatabaseTarget.blankToNull(option) != null) {
            name = option;
            chosenBy = "--env";
        } else if (DatabaseTarget.blankToNull(env.get("SEED_ENV")) != null) {
            name = env.get("SEED_ENV");
            chosenBy = "SEED_ENV";
        } else if (DatabaseTarget.blankToNull(env.get("APP_ENV")) != null) {
            name = env.get("APP_ENV");
            chosenBy = "APP_ENV";
        } else {
            name = defaultName;
            chosenBy = "the default";
        }
        name = name.trim().toLowerCase(Locale.ROOT);
        if (!production.containsKey(name) && chosenBy.equals("the default")) {
            throw SeedError.usage("this run names no environment (--env, SEED_ENV or APP_ENV), and the default, " + name
                    + ", is not declared", "name one (" + String.join(", ", production.keySet()) + "), or set default: in " + source);
        }
        if (!production.containsKey(name)) {
            throw SeedError.usage("the environment " + name + " (from " + chosenBy + ") is not declared"
                    + SeedError.didYouMean(name, production.keySet()), declaredHint());
        }
        return new Environment(name, production.get(name), chosenBy);
    }

    /** A seed file that names an environment (in environments: or a row's _environments) names a declared one. */
    void checkNamed(String name, String setting, String file, SeedFile.Pos pos) {
        if (!production.containsKey(name.toLowerCase(Locale.ROOT))) {
            throw SeedError.in(file, pos, setting + " names the environment " + name + ", which is not declared"
                    + SeedError.didYouMean(name, production.keySet())).hint(declaredHint());
        }
    }

    private String declaredHint() {
        return builtIn ? "without a " + source + ", the environments are the built-in " + listed() + "; declare yours in it"
                : "the environments declared in " + source + " are " + listed() + "; declare another there";
    }

    /** The declared names, each production one marked so: development, test, production (production). */
    private String listed() {
        return String.join(", ", production.entrySet().stream()
                .map(e -> e.getKey() + (e.getValue() ? " (production)" : "")).toList());
    }

    /** What the header says after the environment's name: whether it is production, and where that is declared. */
    String describe(Environment environment) {
        return (environment.production() ? "production, " : "") + (builtIn ? "built in: " + listed() + "; no " + source
                : "declared in " + source);
    }
}
