"""A set of URLs at 8 bytes a URL: the crawl's dedup set, without holding the URL strings.

A ``set[str]`` of 100,000 URLs holds about 13 MB (each string ~85 bytes, plus its slot);
the crawl needs only membership, so this keeps each URL's 64-bit ``hash()`` in an
open-addressing table (linear probing, at most half full) in one ``array``: 2 MB at
100,000 URLs. The strings themselves are in the snapshot store.

Two different URLs with the same 64-bit hash would count as one; with ``n`` URLs known, a
new URL collides with probability ``n / 2**64`` (about 5e-15 at 100,000): no crawl meets
one. ``hash()`` is salted per process, so the table is never written anywhere: a resumed
run builds it again from the store.
"""

from __future__ import annotations

from array import array

_EMPTY = 0
_MIN_SLOTS = 1024


class UrlSet:
    """Membership of strings by 64-bit hash; ``add`` says whether the string was new."""

    __slots__ = ("_count", "_mask", "_table")

    def __init__(self) -> None:
        self._table = array("q", bytes(8 * _MIN_SLOTS))
        self._mask = _MIN_SLOTS - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __contains__(self, url: object) -> bool:
        key = hash(url) or 1  # 0 marks an empty slot
        return self._table[self._slot(key)] == key

    def add(self, url: str) -> bool:
        """Add ``url``; True when it was not in the set before."""
        key = hash(url) or 1
        slot = self._slot(key)
        if self._table[slot] == key:
            return False
        self._table[slot] = key
        self._count += 1
        if 2 * self._count > len(self._table):
            self._grow()
        return True

    def _slot(self, key: int) -> int:
        """Where ``key`` is, or the empty slot where it would go (linear probing)."""
        table, mask = self._table, self._mask
        slot = key & mask
        while True:
            found = table[slot]
            if found in (key, _EMPTY):
                return slot
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old = self._table
        size = 2 * len(old)
        table = array("q", bytes(8 * size))
        mask = size - 1
        for key in old:
            if key == _EMPTY:
                continue
            slot = key & mask
            while table[slot] != _EMPTY:
                slot = (slot + 1) & mask
            table[slot] = key
        self._table = table
        self._mask = mask
