// The order seed files are applied in: after the files whose tables theirs refers to.

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The seed files of a run, each with its table, in dependency order; a cycle is an error that names its tables. */
final class FileOrder {

    private FileOrder() {}
    /** A seed file with its table, described by the catalog once. */
    record Planned(SeedFile file, Catalog.Table table) {}

    /**
     * The files in dependency order: a file whose table has a foreign key to another file's table
     * (or that names it in depends_on) comes after it; files the order leaves free go by name.
     * A cycle is an error that names its tables.
     */
    static List<Planned> order(Session session, List<SeedFile> files, List<SeedFile> known) {
        // Every file's table described at once; Catalog.table for a table that is not there: its error names the file and
        // the closest table.
        session.describe(files.stream().map(SeedFile::table).toList());
        var planned = files.stream().map(f -> new Planned(f, session.table(f.table())
                .orElseGet(() -> Catalog.table(session.handle, f)))).toList();
        var after = new LinkedHashMap<Planned, Set<Planned>>();
        for (var p : planned) {
            var needs = new java.util.LinkedHashSet<Planned>();
            var given = new java.util.HashSet<String>(p.file().defaults().keySet());
            given.addAll(p.file().rows().columns());
            for (var fk : p.table().references()) {
                // A foreign key the file gives no value for puts no order on it: this breaks a cycle
                // when one side leaves its reference out.
                if (fk.selfReference() || fk.columns().stream().noneMatch(given::contains)) {
                    continue;
                }
                planned.stream().filter(q -> q != p && q.table().qualified().equals(fk.to())).forEach(needs::add);
            }
            for (String dependency : p.file().dependsOn()) {
                var named = planned.stream().filter(q -> q != p && (q.file().name().equals(dependency)
                        || q.table().name().equals(dependency) || q.file().table().equals(dependency))).toList();
                if (named.isEmpty() && known.stream().noneMatch(f -> f.name().equals(dependency) || f.table().equals(dependency))) {
                    throw SeedError.in(p.file().displayPath(), p.file().settings().get("depends_on"), "depends_on names \""
                            + dependency + "\", which is neither a seed file nor the table of one"
                            + SeedError.didYouMean(dependency, files.stream().map(SeedFile::name).toList()));
                }
                needs.addAll(named);
            }
            after.put(p, needs);
        }
        var ordered = new ArrayList<Planned>();
        var ready = new TreeMap<String, Planned>();
        var waiting = new LinkedHashMap<>(after);
        while (!waiting.isEmpty()) {
            waiting.forEach((p, needs) -> {
                if (ordered.containsAll(needs)) {
                    ready.put(p.file().name(), p);
                }
            });
            if (ready.isEmpty()) {
                throw cycle(waiting);
            }
            var next = ready.pollFirstEntry().getValue();
            ready.clear();
            ordered.add(next);
            waiting.remove(next);
        }
        return ordered;
    }

    /** The tables of a dependency cycle, in order: a → b → a. */
    private static SeedError cycle(Map<Planned, Set<Planned>> waiting) {
        var path = new ArrayList<Planned>();
        var at = waiting.keySet().iterator().next();
        while (!path.contains(at)) {
            path.add(at);
            final var from = at;
            at = waiting.get(from).stream().filter(waiting::containsKey).findFirst().orElseThrow();
        }
        var loop = path.subList(path.indexOf(at), path.size());
        String tables = Stream.concat(loop.stream(), Stream.of(at)).map(p -> p.table().name()).collect(Collectors.joining(" → "));
        return SeedError.in(loop.get(0).file().displayPath(), null, "the seed files depend on each other in a cycle: " + tables)
                .hint("files are applied one table after another, so one of these files must leave out its column that "
                        + "refers to the next (it keeps its value), or a depends_on must go");
    }
}
