// Where to connect: every form a backend writes its DATABASE_URL in, resolved the way libpq does.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Where to connect. The password is kept out of toString() and every message. */
record DatabaseTarget(List<HostPort> hosts, int defaultPort, String database, boolean databaseNamed, String user,
                      String password, String passwordFrom, Map<String, String> parameters, String source,
                      List<String> warnings) {

    private static final Pattern URL_FORM = Pattern.compile(
            "(?i)^(?:jdbc:)?(postgres(?:ql)?)(?:\\+[a-z0-9_]+)?://(.*)$", Pattern.DOTALL);

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
        String url = urlOption != null ? urlOption : blankToNull(env.get("DATABASE_URL"));
        String source = urlOption != null ? "--url" : url != null ? "DATABASE_URL" : null;
        var parsed = url == null ? new ParsedUrl(List.of(), null, null, null, null, new LinkedHashMap<>()) : ParsedUrl.parse(url, source);

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
        return user + "@" + hosts.stream().map(h -> h.render(defaultPort)).collect(Collectors.joining(","))
                + "/" + database;
    }

    @Override
    public String toString() {
        return describe();
    }

    /** A port number; a port that came from a connection string is not quoted when it is wrong (it may be a password). */
    private static int portNumber(String text, String what, boolean mayQuote) {
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

    /**
     * A connection string, read into its parts: a URL, postgresql://[user[:password]@][host[:port][,…]][/database][?name=value&…]
     * (also postgres://, postgresql+driver:// and jdbc:postgresql://), or libpq's key/value form,
     * host=db port=5432 dbname=app user=app password='…'. A string that is neither is never echoed:
     * it may hold a password.
     */
    record ParsedUrl(List<HostPort> hosts, Integer port, String user, String password, String database,
                     Map<String, String> parameters) {

        private static final Pattern KEY_VALUE_FORM = Pattern.compile("^\\s*[A-Za-z_]+\\s*=.*", Pattern.DOTALL);

        static ParsedUrl parse(String text, String source) {
            var parsed = new ParsedUrl(new ArrayList<>(), null, null, null, null, new LinkedHashMap<>());
            Matcher form = URL_FORM.matcher(text.trim());
            if (form.matches()) {
                return parsed.fromUrl(form.group(2), source);
            }
            if (KEY_VALUE_FORM.matcher(text).matches() && !text.contains("://")) {
                return parsed.fromKeyValues(text, source);
            }
            int scheme = text.indexOf("://");
            boolean isScheme = scheme > 0 && scheme < 20 && text.substring(0, scheme).matches("[A-Za-z][A-Za-z0-9+.-]*");
            throw SeedError.usage(source + " is not a PostgreSQL URL"
                            + (isScheme ? " (it is a " + text.substring(0, scheme) + ":// URL)" : "")
                            + "; it is not shown here, as it may hold a password",
                    "write it as postgresql://user:password@host:5432/database, or as host=… dbname=… user=…");
        }

        /**
         * The user info ends at the last @ before the path, as in libpq: a password may hold ? # @
         * and : unencoded, but not /. Every part that could not be read is an error that quotes nothing.
         */
        private ParsedUrl fromUrl(String rest, String source) {
            int firstSlash = rest.indexOf('/');
            int at = rest.lastIndexOf('@', firstSlash < 0 ? rest.length() - 1 : firstSlash);
            String userInfo = at >= 0 ? rest.substring(0, at) : null;
            String afterUser = rest.substring(at + 1);
            int authorityEnd = indexOfAny(afterUser, "/?");
            String authority = afterUser.substring(0, authorityEnd);
            String path = null, query = "";
            if (authorityEnd < afterUser.length()) {
                String tail = afterUser.substring(authorityEnd);
                int queryStart = tail.indexOf('?');
                if (tail.startsWith("/")) {
                    path = tail.substring(1, queryStart < 0 ? tail.length() : queryStart);
                }
                query = queryStart < 0 ? "" : tail.substring(queryStart + 1);
            }
            if (path != null && path.indexOf('@') >= 0) {
                // The path begins inside a password that holds a /: the database name would be a part of it.
                throw SeedError.usage(source + " has an @ after its host, in the database name (" + NOT_SHOWN
                        + ": a password that holds / unencoded ends up there)", ENCODE_HINT);
            }
            var result = this;
            if (path != null) {
                result = result.with("dbname", decode(path, source), source);
            }
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                result = result.with("user", decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo, source), source);
                if (colon >= 0) {
                    result = result.with("password", decode(userInfo.substring(colon + 1), source), source);
                }
            }
            if (!authority.isEmpty()) {
                var more = new ArrayList<>(result.hosts());
                for (String hostPort : authority.split(",")) {
                    // Split before decoding: a socket directory in a URL is percent-encoded (%2Fvar%2Frun%2Fpostgresql:5433).
                    more.add(hostPort(hostPort, source, true));
                }
                result = new ParsedUrl(more, result.port(), result.user(), result.password(), result.database(),
                        result.parameters());
            }
            for (String pair : query.split("&")) {
                if (!pair.isEmpty()) {
                    int eq = pair.indexOf('=');
                    if (eq < 0) {
                        // As libpq: name=value or nothing. A password that holds & unencoded leaves its rest like this.
                        throw SeedError.usage(source + " has a setting without =value in its query (" + NOT_SHOWN + ")",
                                "write settings as ?name=value&name=value; " + ENCODE_HINT);
                    }
                    String name = decode(pair.substring(0, eq), source);
                    requireSettingName(name, source);
                    result = result.with(name, decode(pair.substring(eq + 1), source), source);
                }
            }
            return result;
        }

        private static int indexOfAny(String text, String characters) {
            for (int i = 0; i < text.length(); i++) {
                if (characters.indexOf(text.charAt(i)) >= 0) {
                    return i;
                }
            }
            return text.length();
        }

        /** A setting's name is letters, digits and _: anything else is part of something else, such as a password. */
        private static void requireSettingName(String name, String source) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw SeedError.usage(source + " has a setting whose name is not a name (" + NOT_SHOWN + ")",
                        "a setting is name=value, its name letters, digits and _; a value that holds spaces or quotes is "
                                + "quoted as in password='it\\'s'; in a URL, " + ENCODE_HINT);
            }
        }

        /** libpq's keyword = value pairs, values optionally 'quoted' with \\' and \\\\ escapes. */
        private ParsedUrl fromKeyValues(String text, String source) {
            var result = this;
            int i = 0;
            while (i < text.length()) {
                while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
                if (i == text.length()) {
                    break;
                }
                int eq = text.indexOf('=', i);
                if (eq < 0) {
                    throw SeedError.usage(source + " is not a valid connection string: a keyword has no = value (" + NOT_SHOWN
                            + ")", "a value that holds spaces is quoted, as in password='two words'");
                }
                String name = text.substring(i, eq).trim();
                requireSettingName(name, source);
                i = eq + 1;
                while (i < text.length() && text.charAt(i) == ' ') {
                    i++;
                }
                var value = new StringBuilder();
                if (i < text.length() && text.charAt(i) == '\'') {
                    for (i++; i < text.length() && text.charAt(i) != '\''; i++) {
                        if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                            i++;
                        }
                        value.append(text.charAt(i));
                    }
                    if (i >= text.length()) {
                        // As libpq: an unterminated quote is an error, never a guess at what was meant.
                        throw SeedError.usage(source + " is not a valid connection string: the value of " + name
                                + " opens a quote that is never closed (" + NOT_SHOWN + ")", "close it: password='…'");
                    }
                    i++;
                } else {
                    for (; i < text.length() && !Character.isWhitespace(text.charAt(i)); i++) {
                        value.append(text.charAt(i));
                    }
                }
                result = result.with(name, value.toString(), source);
            }
            return result;
        }

        /** One setting, from a URL's parts or query or from a keyword = value pair. */
        private ParsedUrl with(String name, String value, String source) {
            return switch (name) {
                case "user" -> new ParsedUrl(hosts, port, blankToNull(value), password, database, parameters);
                case "password" -> new ParsedUrl(hosts, port, user, value, database, parameters);
                case "dbname" -> new ParsedUrl(hosts, port, user, password, blankToNull(value), parameters);
                case "host", "hostaddr" -> {
                    var more = new ArrayList<>(hosts);
                    for (String one : value.split(",")) {
                        more.add(hostPort(one, source, false));
                    }
                    yield new ParsedUrl(more, port, user, password, database, parameters);
                }
                // The port of every host that does not give its own, wherever the setting stands (port=… host=… too).
                case "port" -> new ParsedUrl(hosts, portNumber(value, source, false), user, password, database, parameters);
                default -> {
                    parameters.put(name, value);
                    yield this;
                }
            };
        }

        /** host, host:port or [IPv6]:port; percent-encoded in a URL's authority, as it is written elsewhere. */
        private static HostPort hostPort(String text, String source, boolean encoded) {
            String host = text, port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw SeedError.usage(source + " has an IPv6 address without its closing ] (" + NOT_SHOWN + ")", null);
                }
                host = text.substring(1, close);
                port = text.length() > close + 2 ? text.substring(close + 2) : null;
            } else if (text.indexOf(':') >= 0) {
                host = text.substring(0, text.indexOf(':'));
                port = text.substring(text.indexOf(':') + 1);
            }
            if (!encoded && text.startsWith("/")) {
                // A socket directory: a path, whose : is not a port's.
                host = text;
                port = null;
            }
            host = encoded ? decode(host, source) : host;
            port = encoded && port != null ? decode(port, source) : port;
            if (host.isEmpty()) {
                host = "localhost";
            }
            return new HostPort(host, port == null || port.isEmpty() ? null : portNumber(port, source, false));
        }
    }

    /** Percent-decoding as libpq and SQLAlchemy do it: %XX only; a '+' stays a '+'. */
    static String decode(String text, String source) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        var bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0
                        || Character.digit(text.charAt(i + 2), 16) < 0) {
                    throw SeedError.usage(source + " has a malformed %-escape (" + NOT_SHOWN + ")", ENCODE_HINT);
                }
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(UTF_8));
            }
        }
        return bytes.toString(UTF_8);
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

    /** A password from libpq's password file, and where it was found (the file and line; never the line itself). */
    record PasswordFile(String password, String where) {

        /** The directories where a libpq built for Debian (/var/run/postgresql) or from source (/tmp) puts its socket. */
        static final List<String> DEFAULT_SOCKET_DIRECTORIES = List.of("/var/run/postgresql", "/tmp");

        /**
         * As libpq: PGPASSFILE, else ~/.pgpass, home being $HOME (user.home only when HOME is not set);
         * the first line host:port:database:user:password that matches (* matches anything, \ escapes
         * : and \). A file that others may read is ignored, with a warning, as libpq does.
         */
        static {
            // This is the one place the password file is read. pgjdbc would read one of its own when no password is
            // given (user.home's, whatever $HOME says, without libpq's permission check): point it at an empty file.
            if (System.getProperty("org.postgresql.pgpassfile") == null && java.nio.file.Files.exists(java.nio.file.Path.of("/dev/null"))) {
                System.setProperty("org.postgresql.pgpassfile", "/dev/null");
            }
        }

        static PasswordFile find(Map<String, String> env, HostPort host, int defaultPort, String database, String user,
                                 List<String> warnings) {
            String explicit = blankToNull(env.get("PGPASSFILE"));
            String home = firstNonBlank(env.get("HOME"), System.getProperty("user.home"));
            if (explicit == null && home == null) {
                return null;
            }
            var file = explicit != null ? java.nio.file.Path.of(explicit) : java.nio.file.Path.of(home, ".pgpass");
            if (!java.nio.file.Files.exists(file)) {
                return null;
            }
            if (!java.nio.file.Files.isRegularFile(file)) {
                warnings.add("the password file " + file + " is not a plain file; it is ignored");
                return null;
            }
            List<String> lines;
            try {
                var permissions = java.nio.file.Files.getPosixFilePermissions(file);
                if (permissions.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    warnings.add("the password file " + file + " may be read by others than its owner, so it is ignored, "
                            + "as libpq does; chmod 600 " + file);
                    return null;
                }
                lines = java.nio.file.Files.readAllLines(file, UTF_8);
            } catch (UnsupportedOperationException e) {
                return null;   // not a POSIX file system: nothing to check the permissions against
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                warnings.add("the password file " + file + " cannot be read (" + e.getClass().getSimpleName() + "); it is ignored");
                return null;
            }
            // A socket in the default directory is "localhost" to the password file.
            String hostName = host.isSocket() && DEFAULT_SOCKET_DIRECTORIES.contains(host.host()) ? "localhost" : host.host();
            var wanted = List.of(hostName, String.valueOf(host.portOr(defaultPort)), database, user);
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n);
                if (line.startsWith("#") || line.isBlank()) {
                    continue;
                }
                var fields = fields(line);
                if (fields.size() < 5) {
                    continue;   // as libpq: a line it cannot read is skipped
                }
                boolean matches = true;
                for (int i = 0; i < 4; i++) {
                    matches &= fields.get(i).equals("*") || fields.get(i).equals(wanted.get(i));
                }
                if (matches) {
                    return new PasswordFile(fields.get(4), file + " (line " + (n + 1) + ")");
                }
            }
            return null;
        }

        /** The fields of a line; the fifth, the password, is the rest of the line. */
        private static List<String> fields(String line) {
            var fields = new ArrayList<String>();
            var field = new StringBuilder();
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == '\\' && i + 1 < line.length()) {
                    field.append(line.charAt(++i));
                } else if (c == ':' && fields.size() < 4) {
                    fields.add(field.toString());
                    field.setLength(0);
                } else {
                    field.append(c);
                }
            }
            fields.add(field.toString());
            return fields;
        }
    }
}
