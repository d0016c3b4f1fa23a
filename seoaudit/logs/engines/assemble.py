"""Run the shared queries on a backend and fill the `LogAnalysis` the Python reader fills.

Verification stays in Python and stays exact: the engine hands over each distinct
user-agent (classified by `Verifier.bot_for`) and each distinct (bot, address) claim
(decided by `Verifier.verify_claim`, ranges and reverse DNS as on the Python path); the
answers go back as two small tables the aggregation joins. Then `LogAnalysis.finish()`
builds the report, so every engine's report has one shape and one rounding.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, Protocol

from seoaudit.logs.analyse import MAX_MALFORMED_SAMPLES, MAX_SAMPLES, ConflictStats, LogAnalysis
from seoaudit.logs.cube import TrafficKey
from seoaudit.logs.engines import queries as q
from seoaudit.logs.verify import Verifier

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Backend(Protocol):
    """What an engine offers: run SQL (DuckDB dialect; the backend transpiles) and tables."""

    name: str

    def query(self, sql: str) -> list[tuple[Any, ...]]: ...

    def register(
        self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
    ) -> None: ...


def to_datetime(epoch_us: int, tz_min: int) -> dt.datetime:
    """The record's time as the Python reader holds it: same instant, same written offset."""
    tz = dt.UTC if tz_min == 0 else dt.timezone(dt.timedelta(minutes=tz_min))
    return (_EPOCH + dt.timedelta(microseconds=epoch_us)).astimezone(tz)


def fill_analysis(
    backend: Backend,
    analysis: LogAnalysis,
    names: list[str],
    formats: dict[str, str] | None = None,
) -> LogAnalysis:
    """Everything `LogAnalysis.feed` would have counted, from `parsed` on the backend."""
    verifier: Verifier = analysis.verifier
    formats = formats or {}
    analysis.files.extend(names)
    agents = [row[0] for row in backend.query(q.DISTINCT_AGENTS)]
    # a backend that classified while loading stores the bot in `ua` (narrower rows)
    classify = (lambda bot: bot) if getattr(backend, "stores_bots", False) else verifier.bot_for
    backend.register(
        "ua_bot",
        [("ua", "VARCHAR"), ("bot", "VARCHAR")],
        [(ua, classify(ua)) for ua in agents],
    )
    claims = []
    for bot, ip in backend.query(q.CLAIMS):
        claims.append((bot, ip, verifier.verify_claim(bot, ip).verdict))
    backend.register(
        "claims", [("bot", "VARCHAR"), ("ip", "VARCHAR"), ("verdict", "VARCHAR")], claims
    )

    cube = analysis.cube
    requests = 0
    for kind, count, _size in backend.query(q.TOTALS):
        if kind == "ok":
            requests = int(count)
        elif kind == "bad":
            cube.malformed += int(count)
    cube.lines += requests + cube.malformed
    for plan_name, kind in formats.items():
        cube.formats[plan_name] = kind
        cube.timing_fields[plan_name] = ""  # the engines do not read origin time yet
    _malformed_samples(backend, analysis, names)
    if requests == 0:
        return analysis
    (first,) = backend.query(q.FIRST_SEEN)
    (last,) = backend.query(q.LAST_SEEN)
    analysis.first, analysis.last = to_datetime(*first), to_datetime(*last)

    for bot, verdict, minute, status, robots, count, size in backend.query(q.CUBE):
        cell = cube.traffic[
            TrafficKey(int(minute), bot, verdict, int(status), "/robots.txt" if robots else "")
        ]
        cell.requests += int(count)
        cell.bytes += int(size or 0)
    for bot, verdict, ip in backend.query(q.FIRST_ADDRESSES.format(limit=MAX_SAMPLES * 10)):
        analysis.addresses[(bot, verdict)].add(ip)

    for bot, kind, status, count in backend.query(q.CONFLICT_STATUSES):
        conflict = analysis.conflicts.setdefault((bot, kind), ConflictStats(bot, kind))
        conflict.count += int(count)
        conflict.statuses[int(status)] += int(count)
    samples: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    for bot, kind, first_rank, last_rank, epoch_us, tz_min, path, status, ip in backend.query(
        q.CONFLICT_SAMPLES.format(limit=MAX_SAMPLES)
    ):
        conflict = analysis.conflicts[(bot, kind)]
        stamp = to_datetime(epoch_us, tz_min).isoformat()
        if first_rank == 1:
            conflict.first = stamp
        if last_rank == 1:
            conflict.last = stamp
        if first_rank <= MAX_SAMPLES:
            sample = {"url": path, "time": stamp, "status": int(status), "ip": ip}
            samples[(bot, kind)].append((int(first_rank), sample))
    for key, ranked in samples.items():
        analysis.conflicts[key].samples = [s for _, s in sorted(ranked, key=lambda r: r[0])]

    query = q.must_index_query(analysis.must_index, analysis.required)
    if query:
        for bot, *flags in backend.query(query):
            for pattern, flag in zip(analysis.must_index, flags, strict=True):
                if flag:
                    analysis.visited_must_index[pattern].add(bot)
    return analysis


def _malformed_samples(backend: Backend, analysis: LogAnalysis, names: list[str]) -> None:
    if not analysis.cube.malformed:
        return
    first = backend.query(q.MALFORMED_FIRST.format(limit=MAX_MALFORMED_SAMPLES))
    backend.register(
        "samples", [("file_idx", "BIGINT"), ("seq", "BIGINT")], [(f, s) for f, s, _ in first]
    )
    numbers = {(int(f), int(s)): int(n) for f, s, n in backend.query(q.LINE_NUMBERS)}
    for file_idx, seq, text in first:
        analysis.malformed_samples.append(
            {"file": names[int(file_idx)], "line": numbers[(int(file_idx), int(seq))], "text": text}
        )
