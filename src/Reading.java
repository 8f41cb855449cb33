// history and export: the commands that only read the database, each on one read-only session.

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

final class Reading {

    private Reading() {}

    /** What history shows: the recorded runs (of one seed file, when file is given), or with key one row's timeline. */
    record HistoryRequest(String file, String key, String table, int limit) {
        HistoryRequest {
            if (limit < 1) {
                throw SeedError.usage("--limit is " + limit + "; it takes a number of runs, 1 or more", null);
            }
            if (table != null && key == null) {
                throw SeedError.usage("--table goes with --key: it says which table's row --key names", "history --key KEY "
                        + "--table " + table);
            }
            if (file != null && key != null) {
                throw SeedError.usage("--file and --key cannot go together: --key shows one row's timeline, whatever the "
                        + "file", "leave out --file, or give --table for the row's table");
            }
            // A path works as well as a name: seeds/llm_models.yaml is llm_models.yaml.
            file = file == null ? null : Path.of(file).getFileName().toString();
        }
    }

    static int history(Config config, HistoryRequest request) {
        String file = request.file(), key = request.key(), table = request.table();
        int limit = request.limit();
        var report = config.report();
        String historyTable = config.historyTable();
        try (var session = Session.openForReading(config.target(), config.limits())) {
            var history = new History(session, historyTable);
            if (key != null) {
                if (table != null && history.exists() && !history.tables().contains(table)) {
                    var tables = history.tables();
                    throw SeedError.usage("--table " + table + ": no run recorded in " + historyTable + " seeded a table "
                            + table + SeedError.didYouMean(table, tables), tables.isEmpty() ? null
                            : "the tables it has recorded are " + String.join(", ", tables));
                }
                report.timeline(key, historyTable, history.exists() ? history.timeline(key, table, limit) : List.of());
            } else {
                var entries = history.exists() ? history.entries(file, limit) : List.<History.Entry>of();
                if (file != null && entries.isEmpty() && history.exists()) {
                    var files = history.files();
                    throw SeedError.usage("no seed file " + file + " was ever recorded in " + historyTable
                            + SeedError.didYouMean(file, files), files.isEmpty() ? null : "the files it has recorded are "
                            + String.join(", ", files));
                }
                report.history(historyTable, entries);
            }
        }
        return SeedError.EXIT_OK;
    }

    /**
     * A table's rows as a seed file: on stdout, which then holds only the file (so that > file
     * works), or written to a file at once (a temporary file, then moved over it).
     */
    static int export(Config config, Export.Request request, Path output) {
        config.target().warnings().forEach(warning -> config.note("warning: " + warning));
        Path file = output == null ? null : writableFile(config.workingDir().resolve(output).normalize());
        Export.Result result;
        try (var session = Session.openForReading(config.target(), config.limits())) {
            result = Export.run(session, request, () -> seedFilesForExport(config), Instant.now(),
                    History.secretCellsTable(config.historyTable()));
        }
        if (file == null) {
            config.out().print(result.yaml());
            config.out().flush();
        } else {
            writeAtOnce(file, result.yaml());
            config.note("Exported " + Report.count(result.rows(), "row") + " of " + result.table() + " to "
                    + SeedFile.displayPath(file, config.workingDir()));
        }
        return SeedError.EXIT_OK;
    }

    /** --reference-key TABLE=COLUMN[,COLUMN]…, each table's columns (none given: null). */
    static Map<String, List<String>> columnsByTable(Map<String, String> referenceKeys) {
        var byTable = new LinkedHashMap<String, List<String>>();
        if (referenceKeys != null) {
            referenceKeys.forEach((table, columns) -> byTable.put(table, Stream.of(columns.split(",", -1)).map(String::trim)
                    .toList()));
        }
        return byTable;
    }

    /** The seed files of the seeds directory, if there is one: their keys are how an export writes references. */
    private static List<SeedFile> seedFilesForExport(Config config) {
        var layout = config.layout();
        if (layout.seeds() == null || !Files.isDirectory(layout.seeds())) {
            return List.of();
        }
        try {
            return SeedFile.readAll(layout.seeds(), config.workingDir(), config.env(), config.secrets(), config.followSymlinks(),
                    Environments.read(layout.seeds(), config.workingDir(), config.followSymlinks()));
        } catch (SeedError e) {
            throw e.alsoHint("export reads the seed files in " + layout.seeds() + " for the key each one seeds its table by, "
                    + "which is the key references to that table are written by; fix the file, or choose the key with "
                    + "--reference-key TABLE=COLUMN");
        }
    }

    /** --output, checked before the database is asked anything. */
    private static Path writableFile(Path file) {
        if (Files.isDirectory(file)) {
            throw SeedError.usage("--output " + file + " is a directory; name the file to write", null);
        }
        if (file.getParent() == null || !Files.isDirectory(file.getParent())) {
            throw SeedError.usage("--output " + file + ": the directory " + file.getParent() + " is not there", null);
        }
        return file;
    }

    /** Writes a file so that a reader sees the old content or the new, never a part: a temporary file, then a move. */
    private static void writeAtOnce(Path file, String text) {
        // Created like any new file (the umask decides who may read it), beside the file, so that the move is atomic.
        Path temporary = file.getParent().resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
        try {
            Files.writeString(temporary, text, UTF_8, StandardOpenOption.CREATE_NEW);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw SeedError.usage("cannot write --output " + file + ": " + e.getMessage(), null);
        } finally {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException e) {
                // nothing more to do; the file itself was written, or the error above says why not
            }
        }
    }
}
