// Where migrations/ and seeds/ are, and how each was found.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where migrations/ and seeds/ are: --migrations/--seeds, else SEED_DATABASE_HOME, else the
 * directory of seed_database.java when the launcher said where that is (JBang itself does not
 * tell a script; ./jbang does), else the nearest of the working directory and its parents that
 * holds seed_database.java or a seeds/ directory. Each says how it was found.
 */
record Layout(Path migrations, String migrationsFrom, Path seeds, String seedsFrom) {

    /** What ./jbang passes: the script's path, in the system property jbang.wrapper.script. */
    static final String SCRIPT_PROPERTY = "jbang.wrapper.script";

    /**
     * The directory of seed_database.java, when ./jbang said where the script it runs is, and
     * that script is this tool (another script that includes it is not its project).
     */
    static Path scriptLocation() {
        String script = DatabaseTarget.blankToNull(System.getProperty(SCRIPT_PROPERTY));
        if (script == null) {
            return null;
        }
        Path file = Path.of(script).toAbsolutePath().normalize();
        return file.getFileName().toString().equals("seed_database.java") && Files.isRegularFile(file) ? file.getParent() : null;
    }

    /**
     * ./jbang records the classes of one run to start the runs after it faster (its section 6), and
     * tells that run where to say it is no run to record from: in the system property
     * jbang.wrapper.unfit, a file to make. A run that never reached a database (a usage error, a
     * server that was down: a new user's first run, often) loaded too few of the classes a run
     * needs for an archive of them to help; the wrapper then lets a later run record instead.
     */
    static void tellTheWrapperIfUnfitToRecord(boolean reachedADatabase) {
        String unfit = DatabaseTarget.blankToNull(System.getProperty("jbang.wrapper.unfit"));
        if (unfit == null || reachedADatabase) {
            return;
        }
        try {
            Files.newOutputStream(Path.of(unfit), java.nio.file.StandardOpenOption.CREATE_NEW).close();   // never over a file
        } catch (java.io.IOException | RuntimeException e) {
            // only start-up time is at stake: the wrapper then keeps the archive of this run
        }
    }

    static Layout resolve(Path migrationsOption, Path seedsOption, Map<String, String> env, Path workingDir, Path scriptDir,
                          boolean needMigrations, boolean needSeeds) {
        Path home = null;
        String homeFrom;
        String homeVariable = DatabaseTarget.blankToNull(env.get("SEED_DATABASE_HOME"));
        if (homeVariable != null) {
            home = workingDir.resolve(homeVariable).normalize();
            if (!Files.isDirectory(home)) {
                throw SeedError.usage("SEED_DATABASE_HOME is " + home + ", which is not a directory", null);
            }
            homeFrom = "from SEED_DATABASE_HOME";
        } else if (scriptDir != null) {
            home = scriptDir;
            homeFrom = "found where seed_database.java is";
        } else {
            for (Path dir = workingDir; dir != null && home == null; dir = dir.getParent()) {
                if (Files.isRegularFile(dir.resolve("seed_database.java")) || Files.isDirectory(dir.resolve("seeds"))) {
                    home = dir;
                }
            }
            homeFrom = "found from the working directory";
        }
        var layout = new Layout(
                migrationsOption != null ? workingDir.resolve(migrationsOption).normalize()
                        : home == null ? null : home.resolve("migrations"),
                migrationsOption != null ? "from --migrations" : homeFrom,
                seedsOption != null ? workingDir.resolve(seedsOption).normalize() : home == null ? null : home.resolve("seeds"),
                seedsOption != null ? "from --seeds" : homeFrom);
        if (needMigrations) {
            requireDirectory(layout.migrations(), layout.migrationsFrom(), "migrations", "--migrations", workingDir);
        }
        if (needSeeds) {
            requireDirectory(layout.seeds(), layout.seedsFrom(), "seeds", "--seeds", workingDir);
        }
        return layout;
    }

    private static void requireDirectory(Path dir, String from, String name, String option, Path workingDir) {
        if (dir == null) {
            throw SeedError.usage("no " + name + "/ directory found in " + workingDir + " or its parents",
                    "run from the directory that holds seed_database.java, set SEED_DATABASE_HOME to it, or pass "
                            + option + " DIR");
        }
        if (!Files.isDirectory(dir)) {
            throw SeedError.usage("the " + name + " directory " + dir + " (" + from + ") is "
                    + (Files.exists(dir) ? "a file, not a directory" : "not there"), null);
        }
    }
}
