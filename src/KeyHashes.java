// 64-bit hashes of a CSV file's keys, taken on their way to COPY, for the duplicate-key check:
// 8 bytes a slot, the table sized once from the file's size.

import java.util.ArrayList;
import java.util.List;

/**
 * An open-addressing set of 64-bit key hashes, at most four fifths full. A hash already there marks
 * its row as perhaps a key given twice (the same key, or once in billions two keys that hash
 * alike): the database, which has the rows, says which earlier row has the same key. Only the
 * hashes are kept, not the rows that gave them: 8 bytes a slot rather than 12, and the table is
 * sized from an estimate of the rows rather than doubled (with the old table beside the new) all
 * the way up.
 */
final class KeyHashes {
    /** How many rows are marked at most: past that, the database groups the keys itself. */
    static final int MARKED_AT_MOST = 100;

    private long[] hashes = new long[1 << 10];
    private int count;
    /** The rows whose key hashed like an earlier row's, in file order. */
    final List<Integer> sameHashAsEarlier = new ArrayList<>();

    /** Makes room for about this many rows in all, at once (an estimate: the table still grows if it is short). */
    void expect(long rows) {
        long slots = Math.min(Integer.MAX_VALUE - 8, rows * 5 / 4 + 16);
        if (slots > hashes.length) {
            resize((int) slots);
        }
    }

    void add(long hash, int row) {
        if (hash == 0) {
            hash = 1;   // 0 marks an empty slot
        }
        if (5L * (count + 1) > 4L * hashes.length) {
            resize((int) Math.min(Integer.MAX_VALUE - 8, 2L * hashes.length));
        }
        if (insert(hashes, hash)) {
            count++;
        } else if (sameHashAsEarlier.size() < MARKED_AT_MOST) {
            sameHashAsEarlier.add(row);
        }
    }

    /** Puts hash in the table; false when it is there already. */
    private static boolean insert(long[] hashes, long hash) {
        int n = hashes.length;
        // The slot from the mixed hash's high bits, scaled to the table (whose size need not be a power of two).
        long mixed = hash * 0x9E3779B97F4A7C15L;
        for (int i = (int) (((mixed >>> 32) * n) >>> 32); ; i = i + 1 == n ? 0 : i + 1) {
            if (hashes[i] == 0) {
                hashes[i] = hash;
                return true;
            }
            if (hashes[i] == hash) {
                return false;
            }
        }
    }

    private void resize(int slots) {
        long[] old = hashes;
        hashes = new long[slots];
        for (long hash : old) {
            if (hash != 0) {
                insert(hashes, hash);
            }
        }
    }
}
