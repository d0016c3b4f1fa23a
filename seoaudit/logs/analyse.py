"""One streaming pass over access logs into the log cube, and the report derived from it.

Everything kept is bounded by the number of bots, minutes, statuses and latency buckets,
never by lines: the cube (`seoaudit.logs.cube`), and a few sample URLs and addresses. That
is what keeps memory flat from 200k to millions of lines. Every figure in the report is
computed from the cube (`report_from_cube`), so another engine that fills the same cube
gets the same report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seoaudit.logs.cube import ROBOTS_SECTION, LogCube, section_of
from seoaudit.logs.parse import LogRecord, Malformed, ReadInfo, iter_records
from seoaudit.logs.safety import crawl_safety
from seoaudit.logs.verify import HUMAN, OTHER_BOT, SPOOFED, VERIFIED, Verifier, snapshot_date
from seoaudit.robots_txt.matching import pattern_regex

MAX_SAMPLES = 10
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_MINUTE = dt.timedelta(minutes=1)
MAX_MALFORMED_SAMPLES = 5
CONFLICT_STATUSES = (401, 403, 429)


def conflict_kind(status: int) -> str | None:
    """What a status served to a verified crawler means for it (crawler-facts.md §3, §4.4)."""
    if status in (401, 403):
        return "blocked"
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "server_error"
    return None


def time_key(when: dt.datetime) -> tuple[int, int]:
    """(epoch µs, written UTC offset in minutes): the order every engine sorts times by, so
    equal instants written with different offsets still have one first and one last."""
    offset = when.utcoffset()
    return (
        (when - _EPOCH) // _MICROSECOND,
        offset // _MINUTE if offset is not None else 0,
    )


@dataclass
class ConflictStats:
    """One (bot, kind) conflict: counts, the earliest and latest time, and the earliest
    requests as samples. Ordered by time, never by position in the log, so every engine
    (and any split of the input) gives the same answer."""

    bot: str
    kind: str
    count: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    first: str = ""
    last: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)  # url, time, status, ip
    first_key: tuple[int, int] | None = None
    last_key: tuple[int, int] | None = None
    ranked: list[tuple[Any, ...]] = field(default_factory=list)  # (key, url, status, ip, stamp)

    def add(
        self, key: tuple[int, int], stamp: str, url: str, status: int, ip: str, count: int = 1
    ) -> None:
        self.count += count
        self.statuses[status] += count
        if self.first_key is None or key < self.first_key:
            self.first_key, self.first = key, stamp
        if self.last_key is None or key > self.last_key:
            self.last_key, self.last = key, stamp
        self.ranked.extend([(key, url, status, ip, stamp)] * min(count, MAX_SAMPLES))
        if len(self.ranked) > 4 * MAX_SAMPLES:
            self.ranked = sorted(self.ranked)[:MAX_SAMPLES]

    def finish(self) -> None:
        self.samples = [
            {"url": url, "time": stamp, "status": status, "ip": ip}
            for _, url, status, ip, stamp in sorted(self.ranked)[:MAX_SAMPLES]
        ]


@dataclass
class LogAnalysis:
    """Mutable accumulator; `finish()` turns it into the report dict."""

    verifier: Verifier
    required: tuple[str, ...] = ()
    must_index: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    cube: LogCube = field(default_factory=LogCube)
    malformed_samples: list[dict[str, Any]] = field(default_factory=list)
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    # requests per address of each crawler group (never of browsers: visitors' addresses
    # stay out of reports); the report names the busiest
    addresses: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    conflicts: dict[tuple[str, str], ConflictStats] = field(default_factory=dict)
    visited_must_index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files: list[str] = field(default_factory=list)
    full_parse: dict[str, str] = field(default_factory=dict)  # engine files off the fast path

    def feed(self, items: Iterable[LogRecord | Malformed], name: str, info: ReadInfo) -> None:
        self.files.append(name)
        cube = self.cube
        timings: Counter[str] = Counter()
        must_index = self.must_index_matchers()
        for item in items:
            cube.lines += 1
            if isinstance(item, Malformed):
                cube.malformed += 1
                if len(self.malformed_samples) < MAX_MALFORMED_SAMPLES:
                    self.malformed_samples.append(
                        {"file": name, "line": item.line_no, "text": item.text}
                    )
                continue
            self.add_record(item, timings, must_index)
        cube.formats[name] = f"{info.format} ({info.preset})" if info.preset else info.format
        cube.timing_fields[name] = timings.most_common(1)[0][0] if timings else ""

    def must_index_matchers(self) -> list[tuple[str, Any]]:
        return [(p, re.compile(pattern_regex(p), re.DOTALL).match) for p in self.must_index]

    def add_record(
        self,
        record: LogRecord,
        timings: Counter[str],
        must_index: list[tuple[str, Any]],
        weight: int = 1,
    ) -> None:
        """Count one parsed request (`weight` identical ones: the engines hand over the few
        lines their SQL leaves to this reader, each distinct text once)."""
        when = record.time
        first, last = self.first, self.last
        # equal instants written with other offsets: the smaller offset is first (rare: the
        # offset objects of one log are shared, so the common tie costs one identity test)
        if (
            first is None
            or when < first
            or (
                when == first
                and when.tzinfo is not first.tzinfo
                and time_key(when) < time_key(first)
            )
        ):
            self.first = when
        if (
            last is None
            or when > last
            or (when == last and when.tzinfo is not last.tzinfo and time_key(when) > time_key(last))
        ):
            self.last = when
        minute = int(when.timestamp()) // 60
        identity = self.verifier.identify(record.user_agent, record.ip)
        bot, verdict = identity.bot_id, identity.verdict
        if record.origin_us is not None:
            timings[record.timing] += weight
        self.cube.add(
            minute,
            bot,
            verdict,
            record.status,
            section_of(record.path, self.sections),
            record.bytes_sent * weight,
            record.origin_us,
            weight,
        )
        if bot == HUMAN:
            return
        self.addresses[(bot, verdict)][record.ip] += weight
        if verdict != VERIFIED:
            return
        kind = conflict_kind(record.status)
        if kind is not None:
            if record.path.split("?", 1)[0] == "/robots.txt":
                kind = "robots_txt_" + kind
            conflict = self.conflicts.get((bot, kind))
            if conflict is None:
                conflict = self.conflicts[(bot, kind)] = ConflictStats(bot, kind)
            conflict.add(
                time_key(when), when.isoformat(), record.path, record.status, record.ip, weight
            )
        if must_index and bot in self.required and 200 <= record.status < 400:
            path = record.path
            for pattern, match in must_index:
                if match(path):
                    self.visited_must_index[pattern].add(bot)

    def finish(self) -> dict[str, Any]:
        for conflict in self.conflicts.values():
            conflict.finish()
        report = report_from_cube(
            self.cube,
            files=self.files,
            first=self.first,
            last=self.last,
            conflicts=list(self.conflicts.values()),
            addresses=self.addresses,
            malformed_samples=self.malformed_samples,
            must_index=self.must_index,
            required=self.required,
            visited_must_index=self.visited_must_index,
            verifier=self.verifier,
        )
        report["verified_refusals"] = verified_refusals(self.cube)
        return report


def busiest(counts: Counter[str] | None) -> list[str]:
    """The addresses with the most requests (ties by address), busiest first."""
    if not counts:
        return []
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [address for address, _ in ranked[:MAX_SAMPLES]]


def verified_refusals(cube: LogCube) -> list[dict[str, Any]]:
    """Verified crawlers' 4xx/5xx by bot, robots.txt or not, status and minute, from the cube
    (so every engine gives them): the SLO module attributes each to a protection, and a
    maintenance window needs the minute."""
    counts: Counter[tuple[str, bool, int, int]] = Counter()
    for (minute, bot, verdict, status, section), cell in cube.traffic.items():
        if verdict == VERIFIED and bot != HUMAN and status >= 400:
            counts[(bot, section == ROBOTS_SECTION, status, minute)] += cell.requests
    return [
        {"bot": b, "robots_txt": r, "status": st, "minute": m, "count": n}
        for (b, r, st, m), n in sorted(counts.items())
    ]


def report_from_cube(
    cube: LogCube,
    *,
    files: list[str],
    first: dt.datetime | None,
    last: dt.datetime | None,
    conflicts: list[ConflictStats],
    addresses: dict[tuple[str, str], Counter[str]],
    malformed_samples: list[dict[str, Any]],
    must_index: tuple[str, ...],
    required: tuple[str, ...],
    visited_must_index: dict[str, set[str]],
    verifier: Verifier,
) -> dict[str, Any]:
    """The log report: counts from the cube, samples from the side tables."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    crawler_minutes: Counter[int] = Counter()
    error_minutes: Counter[int] = Counter()
    total_requests = total_bytes = 0
    for key, cell in cube.traffic.items():
        total_requests += cell.requests
        total_bytes += cell.bytes
        group = groups.get((key.bot, key.verdict))
        if group is None:
            group = groups[(key.bot, key.verdict)] = {
                "requests": 0, "bytes": 0, "statuses": Counter(), "robots": Counter(),
                "minutes": Counter(),
            }  # fmt: skip
        group["requests"] += cell.requests
        group["bytes"] += cell.bytes
        group["statuses"][key.status] += cell.requests
        group["minutes"][key.minute] += cell.requests
        if key.section == ROBOTS_SECTION:
            group["robots"][key.status] += cell.requests
        if key.bot != HUMAN:
            crawler_minutes[key.minute] += cell.requests
            if key.status >= 400:
                error_minutes[key.minute] += cell.requests
    share_base_requests, share_base_bytes = total_requests or 1, total_bytes or 1
    bots = []
    for (bot, verdict), stats in sorted(
        groups.items(), key=lambda item: (-item[1]["requests"], item[0])
    ):
        bots.append(
            {
                "bot": bot,
                "verdict": verdict,
                "requests": stats["requests"],
                "share_requests": round(stats["requests"] / share_base_requests, 4),
                "bytes": stats["bytes"],
                "share_bytes": round(stats["bytes"] / share_base_bytes, 4),
                "peak_rpm": max(stats["minutes"].values(), default=0),
                "statuses": {str(k): v for k, v in sorted(stats["statuses"].items())},
                "robots_txt_statuses": {str(k): v for k, v in sorted(stats["robots"].items())},
                "sample_addresses": busiest(addresses.get((bot, verdict))),
            }
        )
    crawler = [b for b in bots if b["bot"] != HUMAN]
    spoofed = [b for b in bots if b["verdict"] == SPOOFED]
    return {
        "files": files,
        "formats": dict(cube.formats),
        "window": {
            "start": first.isoformat() if first else None,
            "end": last.isoformat() if last else None,
        },
        "lines": cube.lines,
        "requests": total_requests,
        "bytes": total_bytes,
        "malformed": {"count": cube.malformed, "samples": malformed_samples},
        "crawler_share": {
            "requests": round(sum(b["requests"] for b in crawler) / share_base_requests, 4),
            "bytes": round(sum(b["bytes"] for b in crawler) / share_base_bytes, 4),
            "verified_requests": round(
                sum(b["requests"] for b in crawler if b["verdict"] == VERIFIED) / share_base_requests, 4
            ),
        },
        "bots": bots,
        "conflicts": [
            {
                "bot": c.bot,
                "kind": c.kind,
                "count": c.count,
                "statuses": {str(k): v for k, v in sorted(c.statuses.items())},
                "first": c.first,
                "last": c.last,
                "samples": c.samples,
            }
            for c in sorted(conflicts, key=lambda c: (-c.count, c.bot, c.kind))
        ],
        "spoofed": [
            {
                "bot": b["bot"],
                "requests": b["requests"],
                "refused": sum(v for k, v in b["statuses"].items() if int(k) in (401, 403, 429)),
                "served": sum(v for k, v in b["statuses"].items() if int(k) < 400),
            }
            for b in spoofed
        ],
        "must_index_unvisited": [
            {"pattern": p, "missing_bots": missing}
            for p in must_index
            if (missing := [b for b in required if b not in visited_must_index.get(p, ())])
        ],
        "timeline": {
            "minutes": {str(k): v for k, v in sorted(crawler_minutes.items())},
            "error_minutes": {str(k): v for k, v in sorted(error_minutes.items())},
        },
        "safety": crawl_safety(cube),
        "ranges": {
            "source": verifier.ranges.source,
            "created": verifier.ranges.created,
            "snapshot_date": snapshot_date(verifier.ranges),
            "origin": verifier.ranges.origin,
        },
        "rdns": verifier.rdns,
    }  # fmt: skip


def analyse_logs(
    paths: list[str],
    verifier: Verifier,
    *,
    fmt: str = "auto",
    fields: str | None = None,
    preset: str | None = None,
    required: tuple[str, ...] = (),
    must_index: tuple[str, ...] = (),
    sections: tuple[str, ...] = (),
) -> dict[str, Any]:
    analysis = LogAnalysis(verifier, required=required, must_index=must_index, sections=sections)
    for path in paths:
        info = ReadInfo()
        records = iter_records(path, fmt, fields=fields, preset=preset, info=info)
        analysis.feed(records, "stdin" if path == "-" else path, info)
    return analysis.finish()


__all__ = ["OTHER_BOT", "analyse_logs", "conflict_kind"]
