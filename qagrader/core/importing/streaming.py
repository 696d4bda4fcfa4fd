"""What the streaming imports (interactions, evaluations) share.

An import reads its file chunk by chunk (`csv_source.open_table`), checks each chunk and writes
its good rows inside the one open transaction; a refusal rolls the whole transaction back.
What has to cross chunks is kept small:

- `SeenKeys`: the keys (interaction ids, evaluation ids) met so far, to find one used twice
  anywhere in the file, as sorted 64-bit hashes with the row of each;
- `estimate_rows`: about how many records the file holds, for `writers.bulk_write`;
- `CACHE_KIB`: SQLite's page cache while a streaming import writes (the 256 MiB that
  `bulk_write` gives by default was most of an import's memory, and no faster).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .csv_source import CsvStream

# SQLite page cache while writing: bounded, and as fast as 256 MiB at 240,000 rows (5.2 s)
CACHE_KIB = 64 * 1024


class SeenKeys:
    """The keys met so far in a file, each with the row where it was first met and a small tag
    (e.g. the state it had before the import), as sorted 64-bit hashes: 17 bytes a key,
    whatever its length. Two different keys with the same hash (odds about n²/2⁶⁵, 2e-9 for
    265,000 keys) count as one."""

    def __init__(self) -> None:
        self._hashes = np.empty(0, dtype=np.uint64)
        self._rows = np.empty(0, dtype=np.int64)
        self._tags = np.empty(0, dtype=np.uint8)

    def meet(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """For the `keys` of one chunk (an object array of str, in file order) on spreadsheet
        `rows`: the row where each was met before (in an earlier chunk, or earlier in this
        one), 0 where this is its first; then remembers the keys met for the first time."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(keys):
            return np.zeros(0, dtype=np.int64)
        hashes = pd.util.hash_array(np.asarray(keys, dtype=object))
        at, earlier = self._find(hashes)
        before = np.where(earlier, self._rows[at] if len(self._rows) else 0, 0)
        codes, _ = pd.factorize(hashes)
        _, first_of_code = np.unique(codes, return_index=True)
        first = first_of_code[codes]  # position in this chunk of each key's first occurrence
        here = np.arange(len(hashes))
        again = ~earlier & (first != here)
        before[again] = rows[first[again]]
        new = ~earlier & (first == here)
        hashes_all = np.concatenate([self._hashes, hashes[new]])
        order = np.argsort(hashes_all, kind="stable")
        self._hashes = hashes_all[order]
        self._rows = np.concatenate([self._rows, rows[new]])[order]
        self._tags = np.concatenate([self._tags, np.zeros(int(new.sum()), dtype=np.uint8)])[order]
        return before

    def tags(self, keys: np.ndarray) -> np.ndarray:
        """The tag of each of `keys` (0: none, or a key not met)."""
        at, found = self._find(pd.util.hash_array(np.asarray(keys, dtype=object)))
        return np.where(found, self._tags[at] if len(self._tags) else 0, 0).astype(np.uint8)

    def tag(self, keys: np.ndarray, tags: np.ndarray) -> None:
        """Tag `keys` (met already) that have no tag yet: the first tag given stays."""
        at, found = self._find(pd.util.hash_array(np.asarray(keys, dtype=object)))
        at, tags = at[found], np.asarray(tags, dtype=np.uint8)[found]
        untagged = self._tags[at] == 0
        # the first of several positions naming the same key wins
        positions, first = np.unique(at[untagged], return_index=True)
        self._tags[positions] = tags[untagged][first]

    def _find(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self._hashes):
            return np.zeros(len(hashes), dtype=np.int64), np.zeros(len(hashes), dtype=bool)
        at = np.minimum(np.searchsorted(self._hashes, hashes), len(self._hashes) - 1)
        return at, self._hashes[at] == hashes


def estimate_rows(stream: CsvStream) -> int:
    """About how many records the file holds (for `writers.bulk_write`), from its first chunk."""
    first = next(iter(stream.chunks(checked=False)))
    if not len(first.frame) or first.fraction <= 0:
        return len(first.frame)
    return int(len(first.frame) / first.fraction)
