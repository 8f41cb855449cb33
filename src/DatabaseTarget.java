// Where to connect: every form a backend writes its DATABASE_URL in, resolved the way libpq does.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Where to connect. The password is kept out of toString() and every message. */
record DatabaseTarget(List<HostPort> hosts, int defaultPort, String database, boolean databaseNamed, String user,
                      String password, String passwordFrom, Map<String, String> parameters, String source,
                      List<String> warnings) {

    private static final List<String> SSL_MODES = List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** libpq's target_session_attrs values as pgjdbc's targetServerType values. */
    private static final Map<String, String> TARGET_SESSION_ATTRS = Map.of(
            "read-write", "primary", "read-only", "secondary", "standby", "secondary",
            "prefer-standby", "preferSecondary", "any", "any", "primary", "primary");

    /** URL query parameters of libpq (and asyncpg) that pgjdbc spells differently. */
    private static final Map<String, String> LIBPQ_TO_PGJDBC = Map.of(
            "connect_timeout", "connectTimeout",
            "application_name", "ApplicationName",
            "target_session_attrs", "targetServerType",
            "ssl", "sslmode");

    /**
     * What every message about a malformed connection string says instead of quoting it: when a
     * password holds a character that separates the parts of a URL, a part of the password lands
     * in another part (a port, a setting), so no part of a string that could not be read is shown.
     */
    static final String NOT_SHOWN = "it is not shown, as it may hold a password";
    static final String ENCODE_HINT = "percent-encode special characters in the user name and password "
            + "(@ is %40, : is %3A, / is %2F, ? is %3F, # is %23, & is %26, % is %25)";

    static DatabaseTarget resolve(String urlOption, Map<String, String> env) {
        return resolve(urlOption, "--url", env);
    }

    /** urlFrom: what a message calls the URL given (--url; a target of a targets file). */
    static DatabaseTarget resolve(String urlOption, String urlFrom, Map<String, String> env) {
        String url = urlOption != null ? urlOption : blankToNull(env.get("DATABASE_URL"));
        String source = urlOption != null ? urlFrom : url != null ? "DATABASE_URL" : null;
        var parsed = url == null ? new ConnectionString(List.of(), null, null, null, null, new LinkedHashMap<>()) : ConnectionString.parse(url, source);

        int defaultPort = 5432;
        if (parsed.port() != null) {
            defaultPort = parsed.port();
        } else if (blankToNull(env.get("PGPORT")) != null) {
            defaultPort = portNumber(env.get("PGPORT"), "PGPORT", true);
        }
        List<HostPort> hosts = parsed.hosts();
        if (hosts.isEmpty() && blankToNull(env.get("PGHOST")) != null) {
            hosts = Stream.of(env.get("PGHOST").split(",")).map(h -> new HostPort(h.trim(), null)).toList();
        }
        if (hosts.isEmpty()) {
            hosts = List.of(defaultHost(defaultPort));
        }
        if (hosts.size() > 1 && hosts.stream().anyMatch(HostPort::isSocket)) {
            throw SeedError.usage("the database hosts include a Unix-socket directory among several hosts",
                    "a socket directory (a host that begins with /) is the one host of a connection");
        }
        // libpq's defaults: the user is the operating system's user, the database is named after the user.
        String user = firstNonBlank(parsed.user(), env.get("PGUSER"), System.getProperty("user.name"));
        String namedDatabase = firstNonBlank(parsed.database(), env.get("PGDATABASE"));
        String database = namedDatabase != null ? namedDatabase : user;
        String password = parsed.password(), passwordFrom = password == null ? null : "the connection string";
        if (password == null && blankToNull(env.get("PGPASSWORD")) != null) {
            password = env.get("PGPASSWORD");
            passwordFrom = "PGPASSWORD";
        }
        var warnings = new ArrayList<String>();
        if (password == null) {
            var fromFile = PasswordFile.find(env, hosts.get(0), defaultPort, database, user, warnings);
            if (fromFile != null) {
                password = fromFile.password();
                passwordFrom = fromFile.where();
            }
        }

        var parameters = new LinkedHashMap<String, String>();
        parsed.parameters().forEach((name, value) -> parameters.put(LIBPQ_TO_PGJDBC.getOrDefault(name, name), value));
        if ("true".equalsIgnoreCase(parameters.get("sslmode"))) {
            parameters.put("sslmode", "require");   // asyncpg's ssl=true
        }
        parameters.computeIfPresent("targetServerType", (name, value) -> TARGET_SESSION_ATTRS.getOrDefault(value, value));
        putIfPresent(parameters, "sslmode", env.get("PGSSLMODE"));
        putIfPresent(parameters, "sslrootcert", env.get("PGSSLROOTCERT"));
        putIfPresent(parameters, "connectTimeout", env.get("PGCONNECT_TIMEOUT"));
        putIfPresent(parameters, "ApplicationName", env.get("PGAPPNAME"));
        parameters.putIfAbsent("ApplicationName", "seed_database");

        if (source == null) {
            var variables = Stream.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
                    .filter(name -> blankToNull(env.get(name)) != null).toList();
            source = variables.isEmpty() ? "libpq's defaults" : String.join(", ", variables);
        }
        // A setting's value is not quoted: a password with an unencoded & would have its rest here.
        String sslmode = parameters.get("sslmode");
        if (sslmode != null && !SSL_MODES.contains(sslmode)) {
            throw SeedError.usage("the connection setting sslmode has a value it does not take (" + NOT_SHOWN + ")",
                    "it takes one of " + String.join(", ", SSL_MODES));
        }
        for (String name : List.of("connectTimeout", "socketTimeout", "loginTimeout")) {
            String value = parameters.get(name);
            if (value != null && !value.matches("\\d+")) {
                throw SeedError.usage("the connection setting " + name + " is not a number (" + NOT_SHOWN + ")",
                        "it takes a number of seconds");
            }
        }
        warnings.addAll(unknownSettings(parameters.keySet()));
        return new DatabaseTarget(hosts, defaultPort, database, namedDatabase != null, user, password, passwordFrom, parameters,
                source, warnings);
    }

    /** As libpq: the Unix socket in the default directory when a server listens there, else localhost over TCP. */
    private static HostPort defaultHost(int port) {
        for (String directory : PasswordFile.DEFAULT_SOCKET_DIRECTORIES) {
            if (java.nio.file.Files.exists(java.nio.file.Path.of(directory, ".s.PGSQL." + port))) {
                return new HostPort(directory, null);
            }
        }
        return new HostPort("localhost", null);
    }

    /** PostgreSQL's maintenance databases: postgres, and the templates new databases are copied from. */
    static boolean isMaintenanceDatabase(String name) {
        return name.equals("postgres") || name.startsWith("template");
    }

    /**
     * Refuses to write into a maintenance database that nobody named: reached only because the
     * database defaults to the user's name (libpq's rule), it is an accident, not a target.
     */
    void requireANamedDatabaseToWrite() {
        if (!databaseNamed && isMaintenanceDatabase(database)) {
            throw SeedError.usage("the database is " + database + ", a maintenance database of PostgreSQL, only because no "
                            + "database was named and it defaults to the user's name (" + user + "); seed_database writes "
                            + "into such a database only when it is named",
                    "name the database to seed in --url, DATABASE_URL or PGDATABASE; if " + database + " is meant, name it, "
                            + "as in --url " + urlFor(database) + " or PGDATABASE=" + database);
        }
    }

    /** A URL for this server, user and settings and another database; without the password. */
    String urlFor(String otherDatabase) {
        var host = hosts.get(0);
        if (host.isSocket()) {
            return "postgresql://" + percentEncode(user) + "@/" + percentEncode(otherDatabase) + "?host=" + host.host()
                    + (host.portOr(defaultPort) == 5432 ? "" : "&port=" + host.portOr(defaultPort));
        }
        return "postgresql://" + percentEncode(user) + "@" + hosts.stream().map(h -> h.render(defaultPort))
                .collect(Collectors.joining(",")) + "/" + percentEncode(otherDatabase);
    }

    /** The same server, user and settings, another database (said to come from source). */
    DatabaseTarget withDatabase(String otherDatabase, String otherSource) {
        return new DatabaseTarget(hosts, defaultPort, otherDatabase, true, user, password, passwordFrom, parameters, otherSource,
                warnings);
    }

    /**
     * The same database with this schema first and alone on the search_path (pgjdbc's
     * currentSchema, sent as the connection's search_path): a tenant schema, whose tables, Flyway
     * history and seed history are its own. Quoted, so that any name is one schema.
     */
    DatabaseTarget withSchema(String schema) {
        var withSchema = new LinkedHashMap<>(parameters);
        withSchema.put("currentSchema", Catalog.quote(schema));
        return new DatabaseTarget(hosts, defaultPort, database, databaseNamed, user, password, passwordFrom, withSchema,
                source, warnings);
    }

    /** The schema a connection's search_path begins with, as currentSchema names it (unquoted), or null: public. */
    String schema() {
        String schemas = parameters.get("currentSchema");
        if (schemas == null || schemas.isBlank()) {
            return null;
        }
        // As PostgreSQL reads a search_path: a quoted name as it is, another folded to lower case.
        String first = schemas.startsWith("\"") ? schemas.substring(1, Math.max(1, schemas.indexOf('"', 1)))
                : schemas.split(",")[0].trim().toLowerCase(java.util.Locale.ROOT);
        return first.replace("\"\"", "\"");
    }

    /**
     * pgjdbc ignores a setting it does not know: say so rather than let a typo pass unnoticed. The
     * name itself is not repeated (the rest of a password with an unencoded & would be one), but
     * the known setting it is closest to is.
     */
    private static List<String> unknownSettings(java.util.Collection<String> names) {
        var known = new java.util.TreeSet<String>(LIBPQ_TO_PGJDBC.keySet());
        for (var property : org.postgresql.PGProperty.values()) {
            known.add(property.getName());
        }
        var warnings = new ArrayList<String>();
        int unnamed = 0;
        for (String name : names) {
            if (org.postgresql.PGProperty.forName(name) == null) {
                String closest = SeedError.didYouMean(name, known);
                if (closest.isEmpty()) {
                    unnamed++;
                } else {
                    warnings.add("the connection string has a setting the PostgreSQL driver does not know" + closest.replace(";", ",")
                            + " It is ignored (its name is not repeated here, as it could be part of a password)");
                }
            }
        }
        if (unnamed > 0) {
            warnings.add("the connection string has " + (unnamed == 1 ? "a setting" : unnamed + " settings")
                    + " the PostgreSQL driver does not know and ignores (not named here, as a name could be part of a password)");
        }
        return warnings;
    }

    /**
     * The Unix-domain socket of a connection whose host is a directory (PostgreSQL's socket is the
     * file .s.PGSQL.PORT in it), or null for TCP.
     */
    java.nio.file.Path socketFile() {
        if (hosts.size() != 1 || !hosts.get(0).isSocket()) {
            return null;
        }
        var host = hosts.get(0);
        return java.nio.file.Path.of(host.host(), ".s.PGSQL." + (host.port() == null ? defaultPort : host.port()));
    }

    String jdbcUrl() {
        if (socketFile() != null) {
            // pgjdbc wants a host; the socket factory below decides where the connection goes.
            return "jdbc:postgresql://localhost:" + hosts.get(0).portOr(defaultPort) + "/" + percentEncode(database);
        }
        return "jdbc:postgresql://" + hosts.stream().map(h -> h.render(defaultPort)).collect(Collectors.joining(","))
                + "/" + percentEncode(database);
    }

    Properties properties() {
        var properties = new Properties();
        properties.putAll(parameters);
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        var socket = socketFile();
        if (socket != null) {
            // junixsocket: a java.net.Socket over the Unix-domain socket, which pgjdbc takes as its socket factory.
            properties.setProperty("socketFactory", "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg");
            properties.setProperty("socketFactoryArg", socket.toString());
            // As libpq: no SSL over a Unix-domain socket, whatever sslmode says (it never leaves the machine).
            properties.setProperty("sslmode", "disable");
        }
        return properties;
    }

    /** Where the settings came from, and how the connection goes when it is not plain TCP: what the header shows. */
    String origin() {
        return "from " + source + (databaseNamed ? "" : ", the database named after the user")
                + (socketFile() == null ? "" : ", over the Unix socket " + socketFile());
    }

    /** user@host:port/database — what the user sees; never the password. */
    String describe() {
        String schema = parameters.get("currentSchema");
        if (schema != null && schema.matches("\"[^\"]+\"")) {
            schema = schema.substring(1, schema.length() - 1);
        }
        return user + "@" + hosts.stream().map(h -> h.render(defaultPort)).collect(Collectors.joining(","))
                + "/" + database + (schema == null ? "" : " (schema " + schema + ")");
    }

    @Override
    public String toString() {
        return describe();
    }

    /** A port number; a port that came from a connection string is not quoted when it is wrong (it may be a password). */
    static int portNumber(String text, String what, boolean mayQuote) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        if (mayQuote) {
            throw SeedError.usage(what + " is not a port number from 1 to 65535: \"" + text + "\"", null);
        }
        throw SeedError.usage(what + " has a port that is not a number from 1 to 65535 (" + NOT_SHOWN
                + ": a password that holds / unencoded, or has no @host after it, lands there)", ENCODE_HINT);
    }

    private static void putIfPresent(Map<String, String> parameters, String name, String value) {
        if (blankToNull(value) != null) {
            parameters.putIfAbsent(name, value);
        }
    }

    static String percentEncode(String text) {
        var encoded = new StringBuilder();
        for (byte b : text.getBytes(UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }

    static String blankToNull(String text) {
        return text == null || text.isBlank() ? null : text;
    }

    static String firstNonBlank(String... candidates) {
        for (String candidate : candidates) {
            if (blankToNull(candidate) != null) {
                return candidate;
            }
        }
        return null;
    }

    record HostPort(String host, Integer port) {
        String render(int defaultPort) {
            var h = host.contains(":") && !isSocket() ? "[" + host + "]" : host;
            return h + ":" + portOr(defaultPort);
        }

        int portOr(int defaultPort) {
            return port == null ? defaultPort : port;
        }

        /** A host that begins with / is the directory of a Unix-domain socket, as in libpq. */
        boolean isSocket() {
            return host.startsWith("/");
        }
    }
}
