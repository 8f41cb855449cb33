// libpq's password file (PGPASSFILE or ~/.pgpass): the one place a password is read from it, with
// libpq's matching rules and its refusal of a file that others may read.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

    static PasswordFile find(Map<String, String> env, DatabaseTarget.HostPort host, int defaultPort, String database, String user,
                             List<String> warnings) {
        String explicit = DatabaseTarget.blankToNull(env.get("PGPASSFILE"));
        String home = DatabaseTarget.firstNonBlank(env.get("HOME"), System.getProperty("user.home"));
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
