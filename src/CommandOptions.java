// Which of the shared options each command takes; a misplaced or mistyped one in the words of every other error.

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Which of the shared options each command takes. The others are taken off it, so that its
 * help lists only what applies and a misplaced option is refused rather than ignored.
 */
final class CommandOptions {
    private static final Set<String> CONNECTION = Set.of("--url", "--lock-timeout", "--statement-timeout", "--retries",
            "--verbose", "--color", "--no-color", "--format", "--json");
    private static final Set<String> SEEDING = Set.of("--seeds", "--env", "--only", "--follow-symlinks", "--history-table",
            "--allow-delete", "--max-deletes", "--quiet", "--full");
    /** Every command that works on a database works on many (--atomic: those that commit). */
    private static final Set<String> FLEET = Set.of("--targets", "--databases", "--schemas", "--parallel", "--fail-fast");
    private static final Map<String, Set<String>> TAKES = Map.of(
            "migrate", union(CONNECTION, FLEET, Set.of("--migrations", "--baseline", "--dry-run", "--quiet", "--atomic")),
            "seed", union(CONNECTION, SEEDING, FLEET, Set.of("--migrations", "--dry-run", "--atomic")),
            "plan", union(CONNECTION, SEEDING, FLEET, Set.of("--migrations", "--baseline")),
            "check", union(CONNECTION, SEEDING, FLEET, Set.of("--migrations", "--baseline")),
            "info", union(CONNECTION, FLEET, Set.of("--migrations", "--seeds", "--env", "--follow-symlinks", "--history-table")),
            "history", union(FLEET, Set.of("--url", "--lock-timeout", "--statement-timeout", "--verbose", "--color",
                    "--no-color", "--format", "--json", "--history-table")),
            "verify", union(CONNECTION, FLEET, Set.of("--migrations", "--seeds", "--env", "--only", "--follow-symlinks",
                    "--history-table", "--quiet")),
            "export", Set.of("--url", "--lock-timeout", "--statement-timeout", "--verbose", "--seeds", "--follow-symlinks"),
            "completion", Set.of(),
            "help", Set.of());
    /** Every command takes these. */
    private static final Set<String> ALWAYS = Set.of("--help", "--version");

    @SafeVarargs
    private static Set<String> union(Set<String>... sets) {
        var all = new HashSet<String>();
        for (var set : sets) {
            all.addAll(set);
        }
        return Set.copyOf(all);
    }

    private static boolean takes(String command, OptionSpec option) {
        var takes = TAKES.get(command);
        return takes == null || ALWAYS.contains(option.longestName()) || takes.contains(option.longestName());
    }

    /**
     * Takes off each subcommand the inherited options it does not take, and lists --help and
     * --version last, after the inherited options, as for the tool itself.
     */
    static void prune(CommandLine cli) {
        for (var sub : cli.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            for (var option : List.copyOf(spec.options())) {
                if (option.inherited() && !takes(sub.getCommandName(), option)) {
                    spec.remove(option);
                } else if (option.usageHelp() || option.versionHelp()) {
                    spec.remove(option);
                    spec.addOption(option);
                }
            }
        }
    }

    /** An option given before the command (seed_database --dry-run history) must be one the command takes. */
    static void refuseMisplaced(CommandLine.ParseResult parsed) {
        if (!parsed.hasSubcommand()) {
            return;
        }
        String command = parsed.subcommand().commandSpec().name();
        for (var option : parsed.matchedOptions()) {
            if (!takes(command, option)) {
                throw misplaced(option.longestName(), command);
            }
        }
    }

    private static SeedError misplaced(String option, String command) {
        var takenBy = TAKES.entrySet().stream().filter(e -> e.getValue().contains(option)).map(Map.Entry::getKey).sorted()
                .toList();
        return SeedError.usage(command + " takes no option " + option, takenBy.isEmpty() ? null
                : option + " is an option of " + String.join(", ", Stream.concat(Stream.of("a run (no command)"),
                        takenBy.stream()).toList()));
    }

    /** A command-line mistake in the words every other error uses. */
    static String describe(CommandLine.ParameterException e) {
        var line = e.getCommandLine();
        String command = line.getParent() == null ? "seed_database" : line.getCommandName();
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String argument = unmatched.getUnmatched().get(0);
            if (argument.startsWith("-")) {
                String name = argument.contains("=") ? argument.substring(0, argument.indexOf('=')) : argument;
                var root = line.getParent() == null ? line : line.getParent();
                if (line.getParent() != null && root.getCommandSpec().findOption(name) != null) {
                    return misplaced(root.getCommandSpec().findOption(name).longestName(), command).paragraph();
                }
                var ofOthers = root.getSubcommands().values().stream()
                        .filter(c -> c != line && c.getCommandSpec().findOption(name) != null
                                && !c.getCommandSpec().findOption(name).inherited())
                        .map(CommandLine::getCommandName).toList();
                if (!ofOthers.isEmpty()) {
                    return command + " has no option " + name + "; it is an option of " + String.join(", ", ofOthers);
                }
                return command + " has no option " + name + SeedError.didYouMean(name, line.getCommandSpec().options()
                        .stream().flatMap(o -> Stream.of(o.names())).filter(n -> n.startsWith("--")).toList());
            }
            if (line.getParent() == null) {
                String suggestion = SeedError.didYouMean(argument, line.getSubcommands().keySet());
                return "there is no command \"" + argument + "\"" + (suggestion.isEmpty() ? "; the" : suggestion + " The")
                        + " commands are " + String.join(", ", line.getSubcommands().keySet());
            }
            return command + " takes no argument \"" + argument + "\"";
        }
        return e.getMessage().replaceAll("\\.$", "");
    }

    // ── which commands a command line needs built (each costs picocli a pass of reflection) ──

    static Set<String> everyCommand(List<String> commands) {
        var all = new HashSet<>(commands);
        all.add("help");
        return all;
    }

    /**
     * The commands a command line can reach: those it names, word for word (picocli takes a command
     * only by its whole name). Every command for what reads them all: help and version (also in a
     * cluster of short options, -qh), completion's script, and an @file of arguments.
     */
    static Set<String> commandsNamed(List<String> commands, String[] args) {
        var named = new HashSet<String>();
        for (String arg : args) {
            boolean shortOptions = arg.startsWith("-") && !arg.startsWith("--");
            if (arg.equals("--help") || arg.equals("--version") || arg.equals("completion") || arg.startsWith("@")
                    || shortOptions && (arg.indexOf('h') > 0 || arg.indexOf('V') > 0)) {
                return everyCommand(commands);
            }
            if (commands.contains(arg) || arg.equals("help")) {
                named.add(arg);
            }
        }
        return named;
    }

    /** Whether picocli reads args without a mistake (reading sets nothing that the run's own reading does not set again). */
    static boolean parses(CommandLine cli, String[] args) {
        try {
            cli.parseArgs(args);
            return true;
        } catch (CommandLine.ParameterException mistake) {
            return false;
        }
    }
}
