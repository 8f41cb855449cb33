import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL server of the test's own: a new cluster in a temporary directory, with the same
 * binaries as the shared server, on a free port, that checks passwords (scram-sha-256) — which the
 * shared server, trusting every local connection, never does. Nothing of the shared server's
 * configuration is touched; stopping removes the cluster.
 */
final class PrivateServer implements AutoCloseable {

    final String user;
    final String password;
    final int port;
    private final Path dir;
    private final String bin;

    private PrivateServer(String user, String password, int port, Path dir, String bin) {
        this.user = user;
        this.password = password;
        this.port = port;
        this.dir = dir;
        this.bin = bin;
    }

    /** Starts a cluster whose only user has this password. */
    static PrivateServer start(TestDatabase shared, String user, String password) throws Exception {
        return start(shared, user, password, new String[0]);
    }

    /** The same, the server started with these settings too (each NAME=VALUE, as postgres -c takes it). */
    static PrivateServer start(TestDatabase shared, String user, String password, String... settings) throws Exception {
        // The shared server says where its binaries are: use the same version for ours.
        String bin = shared.text("SELECT setting FROM pg_config WHERE name = 'BINDIR'");
        Path dir = Files.createTempDirectory("seed_database_private_pg");
        int port;
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        var server = new PrivateServer(user, password, port, dir, bin);
        Path passwordFile = dir.resolve("password");
        Files.writeString(passwordFile, password + "\n");
        if (runningAsRoot()) {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
            var owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, owner);
            Files.setOwner(passwordFile, owner);
        }
        server.run(bin + "/initdb", "-D", dir.resolve("data").toString(), "-U", user, "--auth=scram-sha-256",
                "--pwfile=" + passwordFile, "-E", "UTF8", "--no-sync", "--no-instructions");
        server.run(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c fsync=off"
                        + java.util.Arrays.stream(settings).map(s -> " -c " + s).collect(java.util.stream.Collectors.joining()), "start");
        return server;
    }

    /** The directory of this server's Unix-domain socket, .s.PGSQL.PORT. */
    Path socketDirectory() {
        return dir;
    }

    /** A URL for this server, with the given password in it. */
    String url(String withPassword) {
        return "postgresql://" + user + ":" + withPassword + "@127.0.0.1:" + port + "/postgres";
    }

    @Override
    public void close() throws Exception {
        try {
            run(bin + "/pg_ctl", "-D", dir.resolve("data").toString(), "-m", "immediate", "-w", "stop");
        } finally {
            delete(dir);
        }
    }

    private void run(String... command) throws Exception {
        var full = new ArrayList<String>();
        if (runningAsRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(List.of(command));
        var process = new ProcessBuilder(full).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", full) + " failed:\n" + output);
        }
    }

    private static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static void delete(Path dir) throws IOException {
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException e) throws IOException {
                Files.delete(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
