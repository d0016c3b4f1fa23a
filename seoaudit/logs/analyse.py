"""One streaming pass over access logs into a `LogReport`.

Everything kept is bounded by the number of bots, minutes and statuses, never by lines:
counts, per-minute histograms, and a few sample URLs per conflict. That is what keeps
memory flat from 200k to millions of lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seoaudit.logs.parse import LogRecord, Malformed, iter_records
from seoaudit.logs.verify import HUMAN, OTHER_BOT, SPOOFED, VERIFIED, Verifier
from seoaudit.robots_txt.matching import pattern_regex

MAX_SAMPLES = 10
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


@dataclass
class GroupStats:
    """One (bot, verdict) pair."""

    requests: int = 0
    bytes: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    per_minute: Counter[int] = field(default_factory=Counter)
    robots_statuses: Counter[int] = field(default_factory=Counter)
    addresses: set[str] = field(default_factory=set)  # capped at MAX_SAMPLES * 10

    def add(self, record: LogRecord, minute: int) -> None:
        self.requests += 1
        self.bytes += record.bytes_sent
        self.statuses[record.status] += 1
        self.per_minute[minute] += 1
        if record.path.split("?", 1)[0] == "/robots.txt":
            self.robots_statuses[record.status] += 1
        if len(self.addresses) < MAX_SAMPLES * 10:
            self.addresses.add(record.ip)


@dataclass
class ConflictStats:
    bot: str
    kind: str
    count: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    first: str = ""
    last: str = ""
    samples: list[dict[str, Any]] = field(default_factory=list)  # url, time, status, ip


@dataclass
class LogAnalysis:
    """Mutable accumulator; `finish()` turns it into the report dict."""

    verifier: Verifier
    required: tuple[str, ...] = ()
    must_index: tuple[str, ...] = ()
    lines: int = 0
    requests: int = 0
    bytes: int = 0
    malformed: int = 0
    malformed_samples: list[dict[str, Any]] = field(default_factory=list)
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    groups: dict[tuple[str, str], GroupStats] = field(
        default_factory=lambda: defaultdict(GroupStats)
    )
    conflicts: dict[tuple[str, str], ConflictStats] = field(default_factory=dict)
    crawler_minutes: Counter[int] = field(default_factory=Counter)
    error_minutes: Counter[int] = field(default_factory=Counter)
    visited_must_index: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    files: list[str] = field(default_factory=list)

    def feed(self, items: Iterable[LogRecord | Malformed], name: str) -> None:
        self.files.append(name)
        identify = self.verifier.identify
        groups, conflicts = self.groups, self.conflicts
        required = self.required
        must_index = [(p, re.compile(pattern_regex(p), re.DOTALL).match) for p in self.must_index]
        for item in items:
            self.lines += 1
            if isinstance(item, Malformed):
                self.malformed += 1
                if len(self.malformed_samples) < MAX_MALFORMED_SAMPLES:
                    self.malformed_samples.append(
                        {"file": name, "line": item.line_no, "text": item.text}
                    )
                continue
            record = item
            self.requests += 1
            self.bytes += record.bytes_sent
            when = record.time
            if self.first is None or when < self.first:
                self.first = when
            if self.last is None or when > self.last:
                self.last = when
            minute = int(when.timestamp()) // 60
            identity = identify(record.user_agent, record.ip)
            groups[(identity.bot_id, identity.verdict)].add(record, minute)
            if identity.bot_id == HUMAN:
                continue
            self.crawler_minutes[minute] += 1
            if record.status >= 400:
                self.error_minutes[minute] += 1
            if identity.verdict != VERIFIED:
                continue
            kind = conflict_kind(record.status)
            if kind is not None:
                if record.path.split("?", 1)[0] == "/robots.txt":
                    kind = "robots_txt_" + kind
                key = (identity.bot_id, kind)
                conflict = conflicts.get(key)
                if conflict is None:
                    conflict = conflicts[key] = ConflictStats(identity.bot_id, kind)
                conflict.count += 1
                conflict.statuses[record.status] += 1
                stamp = when.isoformat()
                conflict.first = conflict.first or stamp
                conflict.last = stamp
                if len(conflict.samples) < MAX_SAMPLES:
                    conflict.samples.append({"url": record.path, "time": stamp,
                                             "status": record.status, "ip": record.ip})  # fmt: skip
            if must_index and identity.bot_id in required and 200 <= record.status < 400:
                path = record.path
                for pattern, match in must_index:
                    if match(path):
                        self.visited_must_index[pattern].add(identity.bot_id)

    def finish(self) -> dict[str, Any]:
        total_requests = self.requests or 1
        total_bytes = self.bytes or 1
        bots = []
        for (bot, verdict), stats in sorted(
            self.groups.items(), key=lambda item: (-item[1].requests, item[0])
        ):
            peak = max(stats.per_minute.values(), default=0)
            bots.append(
                {
                    "bot": bot,
                    "verdict": verdict,
                    "requests": stats.requests,
                    "share_requests": round(stats.requests / total_requests, 4),
                    "bytes": stats.bytes,
                    "share_bytes": round(stats.bytes / total_bytes, 4),
                    "peak_rpm": peak,
                    "statuses": {str(k): v for k, v in sorted(stats.statuses.items())},
                    "robots_txt_statuses": {
                        str(k): v for k, v in sorted(stats.robots_statuses.items())
                    },
                    "sample_addresses": sorted(stats.addresses)[:MAX_SAMPLES],
                }
            )
        crawler = [b for b in bots if b["bot"] != HUMAN]
        spoofed = [b for b in bots if b["verdict"] == SPOOFED]
        return {
            "files": self.files,
            "window": {
                "start": self.first.isoformat() if self.first else None,
                "end": self.last.isoformat() if self.last else None,
            },
            "lines": self.lines,
            "requests": self.requests,
            "bytes": self.bytes,
            "malformed": {"count": self.malformed, "samples": self.malformed_samples},
            "crawler_share": {
                "requests": round(sum(b["requests"] for b in crawler) / total_requests, 4),
                "bytes": round(sum(b["bytes"] for b in crawler) / total_bytes, 4),
                "verified_requests": round(
                    sum(b["requests"] for b in crawler if b["verdict"] == VERIFIED) / total_requests, 4
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
                for c in sorted(self.conflicts.values(), key=lambda c: (-c.count, c.bot, c.kind))
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
                for p in self.must_index
                if (missing := [b for b in self.required if b not in self.visited_must_index.get(p, ())])
            ],
            "timeline": {
                "minutes": {str(k): v for k, v in sorted(self.crawler_minutes.items())},
                "error_minutes": {str(k): v for k, v in sorted(self.error_minutes.items())},
            },
            "ranges": {"source": self.verifier.ranges.source, "created": self.verifier.ranges.created},
            "rdns": self.verifier.rdns,
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
) -> dict[str, Any]:
    analysis = LogAnalysis(verifier, required=required, must_index=must_index)
    for path in paths:
        analysis.feed(
            iter_records(path, fmt, fields=fields, preset=preset), "stdin" if path == "-" else path
        )
    return analysis.finish()


__all__ = ["OTHER_BOT", "analyse_logs", "conflict_kind"]
