"""The spider-trap guard: refuses endless URL spaces before they are queued."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlsplit

_DATE_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)")
_DATE_QUERY = re.compile(r"(^|&)(date|day|month|year|week|cal|calendar)=", re.I)
MAX_URL_LENGTH = 2048


class TrapGuard:
    """Refuses URLs that look like spider traps before they are queued.

    Traps: endless query permutations on one path, repeating path segments
    (``/a/b/a/b/``), calendar-like paths or parameters, and absurdly long URLs.
    """

    def __init__(self, *, max_queries_per_path: int = 20, max_calendar: int = 10) -> None:
        self.max_queries_per_path = max_queries_per_path
        self.max_calendar = max_calendar
        self._queries: Counter[str] = Counter()
        self._calendar = 0
        self._seen_sorted: set[str] = set()

    def admit(self, url: str) -> str | None:
        """None when the URL may be queued, else the reason ("trap")."""
        if len(url) > MAX_URL_LENGTH:
            return "trap"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > 12 or _repeats(segments):
            return "trap"
        if parts.query:
            canonical = "&".join(sorted(parts.query.split("&")))
            key = f"{parts.netloc}{parts.path}?{canonical}"
            if key in self._seen_sorted:
                return "duplicate"
            self._queries[parts.netloc + parts.path] += 1
            if self._queries[parts.netloc + parts.path] > self.max_queries_per_path:
                return "trap"
            self._seen_sorted.add(key)
        if _DATE_PATH.search(parts.path) or _DATE_QUERY.search(parts.query):
            self._calendar += 1
            if self._calendar > self.max_calendar:
                return "trap"
        return None


def _repeats(segments: list[str]) -> bool:
    """True when a run of 1-3 segments repeats three times in a row."""
    n = len(segments)
    for size in (1, 2, 3):
        for start in range(0, n - 3 * size + 1):
            block = segments[start : start + size]
            if (
                block
                == segments[start + size : start + 2 * size]
                == segments[start + 2 * size : start + 3 * size]
            ):
                return True
    return False
