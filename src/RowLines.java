// Where each row of a CSV file starts, for error messages, in memory that does not grow with a
// file of one-line rows: only the rows that do not start on the line after the previous row's.

/**
 * The line each row starts on, recorded row by row in file order (a pass that starts again at row
 * 0 starts over): kept as breaks, the rows whose line is not the previous row's plus one, so a
 * file of one-line rows keeps one, however many rows it has; one whose rows hold line breaks keeps
 * a break after each of those.
 */
final class RowLines {
    private int[] breakRow = new int[16], breakLine = new int[16];
    private int breaks, known, lastLine;

    /** Row index starts on line; rows come in order, and row 0 starts a new pass. */
    void record(int index, int line) {
        if (index == 0) {
            breaks = 0;
        }
        if (index == 0 || line != lastLine + 1) {
            if (breaks == breakRow.length) {
                breakRow = java.util.Arrays.copyOf(breakRow, breaks * 2);
                breakLine = java.util.Arrays.copyOf(breakLine, breaks * 2);
            }
            breakRow[breaks] = index;
            breakLine[breaks++] = line;
        }
        lastLine = line;
        known = index + 1;
    }

    /** How many rows' lines are known (a pass that failed knows those it got to). */
    int known() {
        return known;
    }

    /** The line a known row starts on. */
    int line(int index) {
        int b = lastBreakAtOrBefore(breakRow, index);
        return breakLine[b] + (index - breakRow[b]);
    }

    /** The last known row that starts on line or before; -1 if none does. */
    int rowAt(int line) {
        if (breaks == 0 || breakLine[0] > line) {
            return -1;
        }
        int b = lastBreakAtOrBefore(breakLine, line);
        int lastOfSegment = (b + 1 < breaks ? breakRow[b + 1] : known) - 1;
        return (int) Math.min(lastOfSegment, (long) breakRow[b] + (line - breakLine[b]));
    }

    private int lastBreakAtOrBefore(int[] sorted, int value) {
        int low = 0, high = breaks - 1, found = 0;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            if (sorted[middle] <= value) {
                found = middle;
                low = middle + 1;
            } else {
                high = middle - 1;
            }
        }
        return found;
    }
}
