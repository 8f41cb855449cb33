// The databases and schemas a command runs on when it runs on many: --targets FILE, --databases, --schemas.

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Each target is a name (what the fleet report calls it), where to connect, and what its seed
 * files are read with: the environment it is for (null: the run's) and its own ${VAR} values.
 * The list is found before anything is written, and is never empty: a pattern that matches
 * nothing, or a file that lists nothing, is a usage error, not a fleet run that did nothing.
 */
record Targets(List<Target> list, String describedAs) {

    record Target(String name, DatabaseTarget database, String environment, Map<String, String> vars) {}

    /** A target's name: what a report, a log line and a prepared transaction's id can carry as it is. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}");
    private static final Pattern WHOLE_VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Set<String> SETTINGS = Set.of("name", "url", "env", "vars");
    private static final long MAX_BYTES = 16L * 1024 * 1024;

    /**
     * The targets the options name, on the server of base (--url, DATABASE_URL, libpq's) for the
     * patterns; --databases and --schemas together: each matching schema of each matching database.
     */
    static Targets resolve(Options options, DatabaseTarget base, Map<String, String> env, Path workingDir, Secrets secrets) {
        var targets = find(options, base, env, workingDir, secrets);
        // Two names for one database (and schema) would run it twice; under --atomic the second would wait for the
        // first's prepared transaction, which holds its run lock, until --lock-timeout.
        var seen = new LinkedHashMap<String, String>();
        var names = new java.util.HashSet<String>();
        for (var target : targets.list()) {
            if (!names.add(target.name())) {
                // database.schema names of --databases with --schemas can meet: a.b's c and a's b.c.
                throw SeedError.usage("two targets have the name " + target.name(), "the report, and --atomic's "
                        + "transactions, tell targets apart by name: rename a database or schema, or list them in --targets FILE");
            }
            String previous = seen.putIfAbsent(target.database().describe(), target.name());
            if (previous != null) {
                throw SeedError.usage("the targets " + previous + " and " + target.name() + " are the same database, "
                        + target.database().describe(), "list each database (and schema) once");
            }
        }
        return targets;
    }

    private static Targets find(Options options, DatabaseTarget base, Map<String, String> env, Path workingDir,
                                Secrets secrets) {
        if (options.targets != null && (options.databases != null || options.schemas != null)) {
            throw SeedError.usage("--targets lists its databases itself; it cannot go with --databases or --schemas",
                    "give one of them");
        }
        if (options.targets != null) {
            var file = workingDir.resolve(options.targets);
            return new Targets(read(file, SeedFile.displayPath(file, workingDir), env, secrets), "listed in " + options.targets);
        }
        var databases = options.databases == null ? List.of(base) : databases(base, options.databases);
        var list = new ArrayList<Target>();
        for (var database : databases) {
            if (options.schemas == null) {
                list.add(new Target(database.database(), database, null, Map.of()));
                continue;
            }
            for (String schema : schemas(database, options.schemas)) {
                String name = databases.size() > 1 ? database.database() + "." + schema : schema;
                list.add(new Target(name, database.withSchema(schema), null, Map.of()));
            }
        }
        if (list.isEmpty()) {
            throw SeedError.usage("--schemas " + options.schemas + ": no schema matches it in " + (databases.size() == 1
                    ? "the database " + databases.get(0).describe() : "the databases that --databases matches"),
                    "the pattern is SQL LIKE's: % is any text, _ any one character (\\_ a literal _)");
        }
        String described = (options.databases == null ? "" : "the databases matching " + options.databases)
                + (options.databases != null && options.schemas != null ? ", " : "")
                + (options.schemas == null ? "" : "the schemas matching " + options.schemas);
        return new Targets(List.copyOf(list), described);
    }

    /**
     * The databases of the server whose names match the LIKE pattern, by name. Templates and
     * databases that take no connections are never targets; a maintenance database (postgres)
     * only when the pattern is its very name, as a single run writes one only when it is named.
     */
    private static List<DatabaseTarget> databases(DatabaseTarget base, String pattern) {
        var names = query(base, "SELECT datname FROM pg_database WHERE datname LIKE ? AND datallowconn AND NOT datistemplate "
                + "AND (datname = ? OR datname <> 'postgres') ORDER BY datname COLLATE \"C\"", pattern, pattern);
        if (names.isEmpty()) {
            throw SeedError.usage("--databases " + pattern + ": no database on " + base.describe() + " matches it",
                    "the pattern is SQL LIKE's: % is any text, _ any one character (\\_ a literal _); maintenance databases "
                            + "(postgres, templates) are matched only by their very name");
        }
        return names.stream().map(name -> base.withDatabase(name, "--databases")).toList();
    }

    /** The schemas of the database whose names match the pattern, by name; PostgreSQL's own never. */
    private static List<String> schemas(DatabaseTarget database, String pattern) {
        return query(database, "SELECT nspname FROM pg_namespace WHERE nspname LIKE ? AND nspname NOT LIKE 'pg\\_%' "
                + "AND nspname <> 'information_schema' ORDER BY nspname COLLATE \"C\"", pattern);
    }

    /** The names a query of the catalog lists, its ? bound to values in order. */
    private static List<String> query(DatabaseTarget target, String sql, String... values) {
        try (var connection = Session.open(target); var statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                statement.setString(i + 1, values[i]);
            }
            var names = new ArrayList<String>();
            try (var rows = statement.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
            return names;
        } catch (java.sql.SQLException e) {
            throw SeedError.fromSql(e, target);
        }
    }

    /**
     * A targets file: targets, a list of {name, url, env, vars}. A url is a connection string, or
     * ${NAME}, the whole of it from the environment (where a password belongs); vars are the
     * target's ${VAR} values for its seed files, over the process environment.
     */
    static List<Target> read(Path path, String display, Map<String, String> env, Secrets secrets) {
        byte[] bytes;
        try {
            if (!Files.isRegularFile(path)) {
                throw SeedError.usage("--targets " + display + ": " + (Files.exists(path) ? "not a regular file" : "no such file"),
                        null);
            }
            if (Files.size(path) > MAX_BYTES) {
                throw SeedError.in(display, null, "the file is " + Files.size(path) + " bytes; a targets file may have "
                        + MAX_BYTES);
            }
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw SeedError.in(display, null, "the file cannot be read: " + e.getMessage());
        }
        Node root = YamlSyntax.compose(bytes, display);
        if (root == null) {
            throw SeedError.in(display, null, "the file is empty; it lists targets: [{name: tenant_a, url: ${TENANT_A_URL}}, …]");
        }
        var top = YamlSyntax.mapping(root, display, "a targets file is a mapping with targets:, a list of {name, url}");
        for (var key : top.keySet()) {
            if (!key.equals("targets")) {
                throw SeedError.in(display, SeedFile.Pos.of(top.get(key).getKeyNode()), "unknown setting \"" + key + "\"")
                        .hint("a targets file has targets:, a list of {name, url, env, vars}");
            }
        }
        if (!top.containsKey("targets") || !(top.get("targets").getValueNode() instanceof SequenceNode items)
                || items.getValue().isEmpty()) {
            throw SeedError.in(display, SeedFile.Pos.of(root), "targets: is a list of one target or more, each {name, url}");
        }
        var targets = new ArrayList<Target>();
        var names = new LinkedHashMap<String, Node>();
        for (Node item : items.getValue()) {
            var settings = YamlSyntax.mapping(item, display, "a target is a mapping: {name: tenant_a, url: ${TENANT_A_URL}}");
            for (var setting : settings.entrySet()) {
                if (!SETTINGS.contains(setting.getKey())) {
                    throw SeedError.in(display, SeedFile.Pos.of(setting.getValue().getKeyNode()), "unknown setting \""
                            + setting.getKey() + "\" of a target" + SeedError.didYouMean(setting.getKey(), SETTINGS))
                            .hint("a target has name, url, and optionally env and vars");
                }
            }
            for (String required : List.of("name", "url")) {
                if (!settings.containsKey(required)) {
                    throw SeedError.in(display, SeedFile.Pos.of(item), "this target has no " + required);
                }
            }
            Node nameNode = settings.get("name").getValueNode();
            String name = YamlSyntax.text(nameNode, display, "a target's name is text");
            if (!NAME.matcher(name).matches()) {
                throw SeedError.in(display, SeedFile.Pos.of(nameNode), "the target name \"" + name + "\" is not a name: "
                        + "letters, digits, _ . and -, at most 63, not first . or -");
            }
            if (names.put(name, nameNode) != null) {
                throw SeedError.in(display, SeedFile.Pos.of(nameNode), "the target " + name + " is listed twice");
            }
            Node urlNode = settings.get("url").getValueNode();
            String url = YamlSyntax.text(urlNode, display, "a target's url is a connection string, or ${NAME}");
            var variable = WHOLE_VARIABLE.matcher(url);
            String source = "the url of the target " + name + " in " + display;
            if (variable.matches()) {
                url = DatabaseTarget.blankToNull(env.get(variable.group(1)));
                if (url == null) {
                    throw SeedError.in(display, SeedFile.Pos.of(urlNode), "the environment variable " + variable.group(1)
                            + " (the url of the target " + name + ") is not set");
                }
                source = variable.group(1) + ", the url of the target " + name + " in " + display;
            } else if (url.contains("${")) {
                throw SeedError.in(display, SeedFile.Pos.of(urlNode), "a url is a connection string, or ${NAME} as the whole "
                        + "of it; a part of one from a variable is not read").hint("put the whole URL in the variable");
            }
            var database = DatabaseTarget.resolve(url, source, env);
            if (database.password() != null) {
                secrets.add(database.password());
            }
            String environment = settings.containsKey("env") ? YamlSyntax.text(settings.get("env").getValueNode(), display,
                    "a target's env names an environment, as --env does") : null;
            var vars = new LinkedHashMap<String, String>();
            if (settings.containsKey("vars")) {
                for (var entry : YamlSyntax.mapping(settings.get("vars").getValueNode(), display,
                        "a target's vars are a mapping of NAME: value, the ${NAME} values of its seed files").entrySet()) {
                    if (!entry.getKey().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                        throw SeedError.in(display, SeedFile.Pos.of(entry.getValue().getKeyNode()), "\"" + entry.getKey()
                                + "\" is not a variable's name: letters, digits and _, not first a digit");
                    }
                    Node value = entry.getValue().getValueNode();
                    if (!(value instanceof org.yaml.snakeyaml.nodes.ScalarNode scalar)) {
                        throw SeedError.in(display, SeedFile.Pos.of(value), "the value of " + entry.getKey() + " is text");
                    }
                    vars.put(entry.getKey(), scalar.getValue());
                }
            }
            targets.add(new Target(name, database, environment, Map.copyOf(vars)));
        }
        return List.copyOf(targets);
    }
}
