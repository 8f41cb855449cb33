// How export writes a reference by natural key: the key --reference-key chooses for a table, else
// the key its seed file seeds it by, each checked to be a unique key of that table.

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.jdbi.v3.core.Handle;

/** The keys an export names referred rows by, chosen once per table. */
final class ExportReferences {
    private final Handle handle;
    /** --reference-key, by the qualified name of the table it is for, each checked to be a unique key. */
    private final Map<String, List<String>> referenceKeys = new LinkedHashMap<>();
    /** The seed files of the seeds directory, read when a reference needs the key one of them seeds a table by. */
    private final java.util.function.Supplier<List<SeedFile>> seedFiles;
    private List<SeedFile> seedFilesRead;

    ExportReferences(Handle handle, Map<String, List<String>> chosen, java.util.function.Supplier<List<SeedFile>> seedFiles) {
        this.handle = handle;
        this.seedFiles = seedFiles;
        chosen.forEach((name, columns) -> {
            Catalog.Table target;
            try {
                target = Catalog.table(handle, name, null, null);
            } catch (SeedError noSuchTable) {
                throw Export.tableError("--reference-key " + name + "=" + String.join(",", columns) + ": " + noSuchTable.getMessage(), null);
            }
            for (String column : columns) {
                if (!target.columns().containsKey(column)) {
                    throw Export.tableError("--reference-key " + name + "=" + String.join(",", columns) + ": " + target.name()
                            + " has no column \"" + column + "\"" + SeedError.didYouMean(column, target.columns().keySet()), null);
                }
            }
            if (!target.isUnique(columns)) {
                throw Export.tableError("--reference-key " + name + "=" + String.join(",", columns) + ": (" + String.join(", ", columns)
                        + ") is not a unique key of " + target.name() + ", so it could name more than one row",
                        "its unique keys are " + Catalog.keysText(target.uniqueKeys()));
            }
            referenceKeys.put(target.qualified(), List.copyOf(columns));
        });
    }

    /**
     * The key a reference to a row of the target names it by: --reference-key, else (for a row
     * of the table exported) the export's own key, else the key of the target's seed file, else
     * its one natural key.
     */
    List<String> referenceKey(Catalog.Table target, String via, Catalog.Table exported, List<String> exportKey) {
        var chosen = referenceKeys.get(target.qualified());
        if (chosen != null) {
            return chosen;
        }
        if (target.qualified().equals(exported.qualified())) {
            return exportKey;
        }
        var seeded = seededKey(target);
        if (seeded != null) {
            return seeded;
        }
        var natural = target.naturalKeys();
        if (natural.size() == 1) {
            return natural.get(0);
        }
        throw Export.tableError(via + " refers to " + target.name() + " by its primary key (" + String.join(", ", target.primaryKey())
                + "), an id that means another row in another database, and " + target.name() + " has several natural keys "
                + "to write the reference by instead: " + Catalog.keysText(natural),
                "choose one with --reference-key " + target.name() + "=" + String.join(",", natural.get(0))
                        + " (a seed file of " + target.name() + " in the seeds directory chooses its key: by itself)");
    }

    /**
     * The key the seed files of the seeds directory seed a table by, or null when none seeds it;
     * files that seed it by different keys leave the choice to --reference-key or --key.
     */
    List<String> seededKey(Catalog.Table target) {
        if (seedFilesRead == null) {
            seedFilesRead = seedFiles.get();
        }
        var keys = new LinkedHashMap<Set<String>, SeedFile>();
        for (var file : seedFilesRead) {
            var seeded = Catalog.find(handle, file.table());
            if (seeded.isPresent() && seeded.get().qualified().equals(target.qualified())) {
                keys.putIfAbsent(Set.copyOf(file.key()), file);
            }
        }
        if (keys.size() > 1) {
            throw Export.tableError("the seed files seed " + target.name() + " by different keys: " + keys.values().stream()
                    .map(f -> f.displayPath() + " by (" + String.join(", ", f.key()) + ")").collect(Collectors.joining(", ")),
                    "choose the one to write it by with --reference-key " + target.name() + "=COLUMN[,COLUMN] (or --key, "
                            + "when exporting " + target.name() + " itself)");
        }
        if (keys.isEmpty()) {
            return null;
        }
        var file = keys.values().iterator().next();
        if (!target.isUnique(file.key())) {
            throw Export.tableError(file.displayPath() + " seeds " + target.name() + " by (" + String.join(", ", file.key())
                    + "), which is not a unique key of it", "its unique keys are " + Catalog.keysText(target.uniqueKeys()));
        }
        return file.key();
    }
}
