// What a command does: migrate, seed, commit or roll back, fail when not in sync; the Runner follows it.

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The commands, each with what it does. A run migrates and seeds in one transaction and commits
 * it (unless --dry-run); plan and check are that run rolled back, check failing when it would
 * change something; info is the same dry run shown as one screen of status; verify commits on a
 * throwaway database. history and export only read.
 */
enum Mode {
    RUN(Does.MIGRATE, Does.SEED, Does.COMMIT),
    MIGRATE(Does.MIGRATE, Does.COMMIT),
    SEED(Does.SEED, Does.COMMIT),
    PLAN(Does.MIGRATE, Does.SEED, Does.CI_REPORT),
    CHECK(Does.MIGRATE, Does.SEED, Does.CI_REPORT, Does.FAIL_WHEN_NOT_IN_SYNC),
    INFO(Does.MIGRATE, Does.SEED, Does.ONLY_READ),
    HISTORY(Does.ONLY_READ),
    VERIFY(Does.MIGRATE, Does.SEED, Does.COMMIT, Does.CI_REPORT),
    EXPORT(Does.ONLY_READ);

    /** What a command may do. */
    enum Does {
        /** Applies the pending migrations. */
        MIGRATE,
        /** Applies the seed files. */
        SEED,
        /** Commits what it did (unless --dry-run); without it, everything is rolled back. */
        COMMIT,
        /** Exits 1 when the database is not in sync with the migrations and the seeds. */
        FAIL_WHEN_NOT_IN_SYNC,
        /** Takes the CI forms of output (--format github, junit, markdown). */
        CI_REPORT,
        /** Never writes, so its errors do not say that nothing was written. */
        ONLY_READ
    }

    private final Set<Does> does;

    Mode(Does first, Does... more) {
        this.does = EnumSet.of(first, more);
    }

    boolean migrates() {
        return does.contains(Does.MIGRATE);
    }

    boolean seeds() {
        return does.contains(Does.SEED);
    }

    boolean commits() {
        return does.contains(Does.COMMIT);
    }

    /** Whether the command's verdict is "in sync" or "out of sync" (and exit 1 for the latter). */
    boolean failsWhenNotInSync() {
        return does.contains(Does.FAIL_WHEN_NOT_IN_SYNC);
    }

    boolean takesCiFormats() {
        return does.contains(Does.CI_REPORT);
    }

    boolean onlyReads() {
        return does.contains(Does.ONLY_READ);
    }

    /** The command's name, as typed and as --json documents name it. */
    String command() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The title of a report of what this command would change, rolled back. */
    String rolledBackTitle() {
        return failsWhenNotInSync() ? command() : "plan: nothing is written";
    }

    /** The exit code of a run that ended as outcome. */
    int exitCode(Results.RunOutcome outcome) {
        return failsWhenNotInSync() && !outcome.inSync() ? SeedError.EXIT_FAILED : SeedError.EXIT_OK;
    }

    /** The mode of a command by its name; a run for the tool itself (and completion, help). */
    static Mode of(String command) {
        for (var mode : values()) {
            if (mode.command().equals(command)) {
                return mode;
            }
        }
        return RUN;
    }
}
