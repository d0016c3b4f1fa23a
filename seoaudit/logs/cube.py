"""The log cube: the one aggregate every log verdict is computed from.

Any reader (the streaming Python reader here, or a DuckDB/Spark engine) reduces access-log
lines to a `LogCube`; the report and the crawl-safety verdict (`seoaudit.logs.safety`) read
only the cube, so every engine gives the same figures. Definitions are exact so SQL can
reproduce them bit for bit:

Traffic table, one row per (minute, bot, verdict, status, section), see `TrafficKey`:
- `minute`: floor(Unix seconds of the request time / 60), an integer (UTC).
- `bot`: the registry id of the claimed crawler (`Verifier.bot_for` on the user-agent),
  `"other bot"` or `"browser or unknown"`.
- `verdict`: `verified`, `spoofed`, `unverifiable`, or `""` for browsers.
- `status`: the HTTP status as logged (an integer; classes are derived, `status // 100`).
- `section`: `"/robots.txt"` when the path without its query is exactly that; otherwise the
  first of the reader's `sections` (path prefixes, in the order given) the path starts with;
  otherwise `""`.
Measures per row (`TrafficCell`): `requests` (lines), `bytes` (sum of response bytes, `-` is
0), `timed` (requests that carried an origin time), `time_us` (sum of origin time in integer
microseconds over the timed requests).

Latency table, one row per (minute, audience, bucket_ms), see `LatencyKey`, counting timed
requests: `audience` is `"crawler"` when `bot != "browser or unknown"`, else `"other"`;
`bucket_ms = latency_bucket_ms(us)` (whole milliseconds below one second, three
significant digits above, both floored). Quantiles are exact discrete quantiles of the bucket values:
the lowest bucket `v` with count(values <= v) * 100 >= q * n (q in percent, n the count).

Origin time: microseconds = round(seconds * 1_000_000) of the field the log has (see
`seoaudit.logs.timing`), the upstream/origin figure preferred over the total one.

Side tables (bounded samples, not counts, so engines may pick different examples): conflict
samples, sample addresses and malformed-line samples; must-index visits are the set of
(pattern, bot) where a verified required bot got a status < 400 on a path matching the pattern.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

HUMAN_BOT = "browser or unknown"  # same value as seoaudit.logs.verify.HUMAN
ROBOTS_SECTION = "/robots.txt"
CRAWLER, OTHER = "crawler", "other"


class TrafficKey(NamedTuple):
    """A tuple, so the hot path can look cells up by a plain tuple of the same values."""

    minute: int
    bot: str
    verdict: str
    status: int
    section: str


@dataclass(slots=True)
class TrafficCell:
    requests: int = 0
    bytes: int = 0
    timed: int = 0
    time_us: int = 0

    def add(self, other: TrafficCell) -> None:
        self.requests += other.requests
        self.bytes += other.bytes
        self.timed += other.timed
        self.time_us += other.time_us


class LatencyKey(NamedTuple):
    minute: int
    audience: str  # "crawler" | "other"
    bucket_ms: int


@dataclass
class LogCube:
    """Counts from one or more log files; everything else is derived from it."""

    traffic: dict[TrafficKey, TrafficCell] = field(default_factory=lambda: defaultdict(TrafficCell))
    latency: Counter[LatencyKey] = field(default_factory=Counter)
    lines: int = 0  # every non-empty, non-comment line read
    malformed: int = 0
    formats: dict[str, str] = field(default_factory=dict)  # file name -> detected format
    timing_fields: dict[str, str] = field(default_factory=dict)  # file -> field read, or ""

    def add(
        self,
        minute: int,
        bot: str,
        verdict: str,
        status: int,
        section: str,
        size: int,
        time_us: int | None,
        count: int = 1,
    ) -> None:
        """`count` identical requests of `size` bytes in all (each `time_us` long)."""
        plain = (minute, bot, verdict, status, section)
        cell = self.traffic.get(plain)  # type: ignore[call-overload]
        if cell is None:  # stored under a TrafficKey, found again by equal plain tuples
            cell = self.traffic[TrafficKey._make(plain)] = TrafficCell()
        cell.requests += count
        cell.bytes += size
        if time_us is not None:
            cell.timed += count
            cell.time_us += time_us * count
            audience = OTHER if bot == HUMAN_BOT else CRAWLER
            key = (minute, audience, latency_bucket_ms(time_us))
            latency = self.latency
            if key in latency:
                latency[key] += count  # type: ignore[index]
            else:
                latency[LatencyKey._make(key)] = count

    def merge(self, other: LogCube) -> None:
        for key, cell in other.traffic.items():
            self.traffic[key].add(cell)
        self.latency.update(other.latency)
        self.lines += other.lines
        self.malformed += other.malformed
        self.formats.update(other.formats)
        self.timing_fields.update(other.timing_fields)

    def rows(self) -> Iterator[tuple[TrafficKey, TrafficCell]]:
        """Traffic rows in key order (what an agreement test compares)."""
        return iter(sorted(self.traffic.items()))


def section_of(path: str, sections: Iterable[str] = ()) -> str:
    if not sections:  # the common case, without splitting the path
        if path.startswith(ROBOTS_SECTION) and (len(path) == 11 or path[11] == "?"):
            return ROBOTS_SECTION
        return ""
    bare = path.split("?", 1)[0]
    if bare == ROBOTS_SECTION:
        return ROBOTS_SECTION
    return next((s for s in sections if bare.startswith(s)), "")


def latency_bucket_ms(time_us: int) -> int:
    """Whole milliseconds below one second, three significant digits above (floored).

    At most 900 buckets a decade of latency keeps the latency table bounded per minute
    while the error (under 1% above a second, under 1 ms below) stays far below the 20%
    minimum effect the crawl-safety test looks for.
    """
    ms = max(0, time_us) // 1000
    if ms < 1000:
        return ms
    scale = 10 ** (len(str(ms)) - 3)
    return ms // scale * scale


def exact_quantile(histogram: dict[int, int] | Counter[int], q: float) -> int | None:
    """The lowest value v with count(x <= v) * 100 >= q * n; None for an empty histogram."""
    n = sum(histogram.values())
    if n <= 0:
        return None
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running * 100 >= q * n:
            return value
    return max(histogram)
