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
record DatabaseTarget(List<HostPort> hosts, int defaultPort, String database, String user, String password,
                      Map<String, String> parameters, String source) {

    private static final Pattern URL_FORM = Pattern.compile(
            "(?i)^(?:jdbc:)?(postgres(?:ql)?)(?:\\+[a-z0-9_]+)?://(.*)$", Pattern.DOTALL);

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

    static DatabaseTarget resolve(String urlOption, Map<String, String> env) {
        String url = urlOption != null ? urlOption : blankToNull(env.get("DATABASE_URL"));
        String source = urlOption != null ? "--url" : url != null ? "DATABASE_URL" : null;
        var parsed = url == null ? new ParsedUrl(List.of(), null, null, null, new LinkedHashMap<>()) : ParsedUrl.parse(url);

        List<HostPort> hosts = parsed.hosts();
        if (hosts.isEmpty() && blankToNull(env.get("PGHOST")) != null) {
            hosts = Stream.of(env.get("PGHOST").split(",")).map(h -> new HostPort(h.trim(), null)).toList();
        }
        if (hosts.isEmpty()) {
            hosts = List.of(new HostPort("localhost", null));
        }
        for (var h : hosts) {
            if (h.host().startsWith("/")) {
                throw SeedError.usage("the database host is a Unix-domain socket (" + h.host() + ")",
                        "connect over TCP instead, e.g. host localhost or 127.0.0.1");
            }
        }
        int defaultPort = 5432;
        if (blankToNull(env.get("PGPORT")) != null) {
            defaultPort = port(env.get("PGPORT"), "PGPORT");
        }
        String user = firstNonBlank(parsed.user(), env.get("PGUSER"), "postgres");
        String database = firstNonBlank(parsed.database(), env.get("PGDATABASE"), user);   // libpq: the user's name
        String password = parsed.password() != null ? parsed.password() : blankToNull(env.get("PGPASSWORD"));

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
            boolean anyLibpq = Stream.of("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD")
                    .anyMatch(name -> blankToNull(env.get(name)) != null);
            source = anyLibpq ? "PG* variables" : "defaults";
        }
        return new DatabaseTarget(hosts, defaultPort, database, user, password, parameters, source);
    }

    String jdbcUrl() {
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
        return properties;
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

    private static int port(String text, String what) {
        try {
            int port = Integer.parseInt(text.trim());
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw SeedError.usage(what + " has no valid port number: \"" + text + "\"", null);
    }

    private static void putIfPresent(Map<String, String> parameters, String name, String value) {
        if (blankToNull(value) != null) {
            parameters.putIfAbsent(name, value);
        }
    }

    /** postgresql://[user[:password]@][host[:port][,host[:port]…]][/database][?name=value&…] */
    record ParsedUrl(List<HostPort> hosts, String user, String password, String database,
                     Map<String, String> parameters) {

        static ParsedUrl parse(String url) {
            Matcher form = URL_FORM.matcher(url.trim());
            if (!form.matches()) {
                throw SeedError.usage("the database URL " + redact(url) + " is not a PostgreSQL URL",
                        "write it as postgresql://user:password@host:5432/database");
            }
            String rest = form.group(2);
            String query = "";
            int queryStart = rest.indexOf('?');
            if (queryStart >= 0) {
                query = rest.substring(queryStart + 1);
                rest = rest.substring(0, queryStart);
            }
            int pathStart = rest.indexOf('/', rest.lastIndexOf('@') + 1);
            String authority = pathStart >= 0 ? rest.substring(0, pathStart) : rest;
            String database = pathStart >= 0 ? blankToNull(decode(rest.substring(pathStart + 1), url)) : null;

            String user = null, password = null;
            int at = authority.lastIndexOf('@');
            if (at >= 0) {
                String userInfo = authority.substring(0, at);
                authority = authority.substring(at + 1);
                int colon = userInfo.indexOf(':');
                user = blankToNull(decode(colon >= 0 ? userInfo.substring(0, colon) : userInfo, url));
                password = colon >= 0 ? decode(userInfo.substring(colon + 1), url) : null;
            }
            var hosts = new ArrayList<HostPort>();
            if (!authority.isEmpty()) {
                for (String hostPort : authority.split(",")) {
                    hosts.add(hostPort(hostPort, url));
                }
            }
            var parameters = new LinkedHashMap<String, String>();
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq >= 0 ? pair.substring(0, eq) : pair, url);
                String value = eq >= 0 ? decode(pair.substring(eq + 1), url) : "";
                switch (name) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "host" -> hosts.add(hostPort(value, url));
                    case "port" -> {
                        int port = port(value, "the database URL");
                        hosts.replaceAll(h -> h.port() == null ? new HostPort(h.host(), port) : h);
                    }
                    case "dbname" -> database = value;
                    default -> parameters.put(name, value);
                }
            }
            return new ParsedUrl(hosts, user, password, database, parameters);
        }

        private static HostPort hostPort(String text, String url) {
            String host = text, port = null;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                host = text.substring(1, close);
                port = text.length() > close + 2 ? text.substring(close + 2) : null;
            } else if (text.indexOf(':') >= 0) {
                host = text.substring(0, text.indexOf(':'));
                port = text.substring(text.indexOf(':') + 1);
            }
            host = decode(host, url);
            if (host.isEmpty()) {
                host = "localhost";
            }
            return new HostPort(host, port == null || port.isEmpty() ? null : port(port, "the database URL"));
        }
    }

    /** Percent-decoding as libpq and SQLAlchemy do it: %XX only; a '+' stays a '+'. */
    static String decode(String text, String url) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        var bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%') {
                if (i + 2 >= text.length() || Character.digit(text.charAt(i + 1), 16) < 0
                        || Character.digit(text.charAt(i + 2), 16) < 0) {
                    throw SeedError.usage("the database URL " + redact(url) + " has a malformed %-escape",
                            "percent-encode special characters in the user name and password (@ is %40, : is %3A, / is %2F, % is %25)");
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

    /** The URL in quotes with any password replaced by ***, for messages. */
    static String redact(String url) {
        String redacted = url.replaceAll("(?i)([?&]password=)[^&]*", "$1***")
                // user:password@ up to the last @, so that an unencoded @ in a password is hidden too
                .replaceFirst("^([^:/?#]+(?::[^:/?#]+)?://[^:@/?#]*):.*@", "$1:***@");
        return "\"" + redacted + "\"";
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
            var h = host.contains(":") ? "[" + host + "]" : host;
            return h + ":" + (port == null ? defaultPort : port);
        }
    }
}
