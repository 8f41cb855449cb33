// A connection string read into its parts: a postgresql:// URL (with its variants) or libpq's
// key/value form, percent-decoded the way libpq reads it.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A connection string, read into its parts: a URL, postgresql://[user[:password]@][host[:port][,…]][/database][?name=value&…]
 * (also postgres://, postgresql+driver:// and jdbc:postgresql://), or libpq's key/value form,
 * host=db port=5432 dbname=app user=app password='…'. A string that is neither is never echoed:
 * it may hold a password.
 */
record ConnectionString(List<DatabaseTarget.HostPort> hosts, Integer port, String user, String password, String database,
                        Map<String, String> parameters) {

    private static final Pattern URL_FORM = Pattern.compile(
            "(?i)^(?:jdbc:)?(postgres(?:ql)?)(?:\\+[a-z0-9_]+)?://(.*)$", Pattern.DOTALL);

    private static final Pattern KEY_VALUE_FORM = Pattern.compile("^\\s*[A-Za-z_]+\\s*=.*", Pattern.DOTALL);

    static ConnectionString parse(String text, String source) {
        var parsed = new ConnectionString(new ArrayList<>(), null, null, null, null, new LinkedHashMap<>());
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
    private ConnectionString fromUrl(String rest, String source) {
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
            throw SeedError.usage(source + " has an @ after its host, in the database name (" + DatabaseTarget.NOT_SHOWN
                    + ": a password that holds / unencoded ends up there)", DatabaseTarget.ENCODE_HINT);
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
            result = new ConnectionString(more, result.port(), result.user(), result.password(), result.database(),
                    result.parameters());
        }
        for (String pair : query.split("&")) {
            if (!pair.isEmpty()) {
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    // As libpq: name=value or nothing. A password that holds & unencoded leaves its rest like this.
                    throw SeedError.usage(source + " has a setting without =value in its query (" + DatabaseTarget.NOT_SHOWN + ")",
                            "write settings as ?name=value&name=value; " + DatabaseTarget.ENCODE_HINT);
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
            throw SeedError.usage(source + " has a setting whose name is not a name (" + DatabaseTarget.NOT_SHOWN + ")",
                    "a setting is name=value, its name letters, digits and _; a value that holds spaces or quotes is "
                            + "quoted as in password='it\\'s'; in a URL, " + DatabaseTarget.ENCODE_HINT);
        }
    }

    /** libpq's keyword = value pairs, values optionally 'quoted' with \\' and \\\\ escapes. */
    private ConnectionString fromKeyValues(String text, String source) {
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
                throw SeedError.usage(source + " is not a valid connection string: a keyword has no = value (" + DatabaseTarget.NOT_SHOWN
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
                            + " opens a quote that is never closed (" + DatabaseTarget.NOT_SHOWN + ")", "close it: password='…'");
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
    private ConnectionString with(String name, String value, String source) {
        return switch (name) {
            case "user" -> new ConnectionString(hosts, port, DatabaseTarget.blankToNull(value), password, database, parameters);
            case "password" -> new ConnectionString(hosts, port, user, value, database, parameters);
            case "dbname" -> new ConnectionString(hosts, port, user, password, DatabaseTarget.blankToNull(value), parameters);
            case "host", "hostaddr" -> {
                var more = new ArrayList<>(hosts);
                for (String one : value.split(",")) {
                    more.add(hostPort(one, source, false));
                }
                yield new ConnectionString(more, port, user, password, database, parameters);
            }
            // The port of every host that does not give its own, wherever the setting stands (port=… host=… too).
            case "port" -> new ConnectionString(hosts, DatabaseTarget.portNumber(value, source, false), user, password, database, parameters);
            default -> {
                parameters.put(name, value);
                yield this;
            }
        };
    }

    /** host, host:port or [IPv6]:port; percent-encoded in a URL's authority, as it is written elsewhere. */
    private static DatabaseTarget.HostPort hostPort(String text, String source, boolean encoded) {
        String host = text, port = null;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0) {
                throw SeedError.usage(source + " has an IPv6 address without its closing ] (" + DatabaseTarget.NOT_SHOWN + ")", null);
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
        return new DatabaseTarget.HostPort(host, port == null || port.isEmpty() ? null : DatabaseTarget.portNumber(port, source, false));
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
                    throw SeedError.usage(source + " has a malformed %-escape (" + DatabaseTarget.NOT_SHOWN + ")", DatabaseTarget.ENCODE_HINT);
                }
                bytes.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.writeBytes(String.valueOf(c).getBytes(UTF_8));
            }
        }
        return bytes.toString(UTF_8);
    }
}
