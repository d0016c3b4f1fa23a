"""Run the shared queries on a backend and fill the `LogAnalysis` the Python reader fills.

Verification stays in Python and stays exact: the engine hands over each distinct
user-agent (classified by `Verifier.bot_for`) and each distinct (bot, address) claim
(decided by `Verifier.verify_claim`, ranges and reverse DNS as on the Python path); the
answers go back as two small tables the aggregation joins. Then `LogAnalysis.finish()`
builds the report, so every engine's report has one shape and one rounding.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from seoaudit.logs.analyse import (
    MAX_MALFORMED_SAMPLES,
    MAX_SAMPLES,
    ConflictStats,
    LogAnalysis,
    conflict_kind,
    time_key,
)
from seoaudit.logs.cube import TrafficKey
from seoaudit.logs.engines import queries as q
from seoaudit.logs.parse import LogRecord, open_log
from seoaudit.logs.verify import Verifier

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class FastFile:
    """A file read without line order: where it is and the Python reader's line parser."""

    path: str
    parse: Callable[[str], LogRecord | None]


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


def _fields(value: Any) -> tuple[Any, ...]:
    """A struct as a tuple: DuckDB gives dicts, Spark gives Rows."""
    return tuple(value.values()) if isinstance(value, dict) else tuple(value)


def fill_analysis(
    backend: Backend,
    analysis: LogAnalysis,
    names: list[str],
    formats: dict[str, str] | None = None,
    fast_files: dict[int, FastFile] | None = None,
) -> LogAnalysis:
    """Everything `LogAnalysis.feed` would have counted, from `grouped` on the backend.

    `fast_files` are the files a fast reader read without line order: the lines it left as
    'odd' are parsed here by the Python reader's own parser (so they count exactly as it
    counts them), and their malformed lines are found again by text for line numbers."""
    verifier: Verifier = analysis.verifier
    formats = formats or {}
    analysis.files.extend(names)
    claims = []
    for bot, ip in backend.query(q.CLAIMS):
        claims.append((bot, ip, verifier.verify_claim(bot, ip).verdict))
    backend.register(
        "claims", [("bot", "VARCHAR"), ("ip", "VARCHAR"), ("verdict", "VARCHAR")], claims
    )

    cube = analysis.cube
    requests = 0
    for kind, count in backend.query(q.TOTALS):
        if kind == "ok":
            requests = int(count)
        elif kind == "bad":
            cube.malformed += int(count)
    cube.lines += requests + cube.malformed
    for plan_name, kind in formats.items():
        cube.formats[plan_name] = kind
        cube.timing_fields[plan_name] = ""  # the engines do not read origin time yet
    fast_files = fast_files or {}
    odd_bad = _odd_lines(backend, analysis, fast_files)
    _malformed_samples(backend, analysis, names, fast_files, odd_bad)
    if requests == 0:
        return analysis
    ((first_e, first_z, last_e, last_z),) = backend.query(q.WINDOW)
    first, last = to_datetime(first_e, first_z), to_datetime(last_e, last_z)
    if analysis.first is None or time_key(first) < time_key(analysis.first):
        analysis.first = first
    if analysis.last is None or time_key(last) > time_key(analysis.last):
        analysis.last = last

    for bot, verdict, minute, status, robots, count, size in backend.query(q.CUBE):
        cell = cube.traffic[
            TrafficKey(int(minute), bot, verdict, int(status), "/robots.txt" if robots else "")
        ]
        cell.requests += int(count)
        cell.bytes += int(size or 0)
    for bot, verdict, ip, count in backend.query(q.ADDRESSES):
        analysis.addresses[(bot, verdict)][ip] += int(count)

    for row in backend.query(q.CONFLICTS):
        bot, robots, status, ip, count, fe, fz, le, lz, samples = row
        status = int(status)
        kind = ("robots_txt_" if robots else "") + (conflict_kind(status) or "")
        conflict = analysis.conflicts.get((bot, kind))
        if conflict is None:
            conflict = analysis.conflicts[(bot, kind)] = ConflictStats(bot, kind)
        conflict.count += int(count)
        conflict.statuses[status] += int(count)
        first_key, last_key = (int(fe), int(fz)), (int(le), int(lz))
        if conflict.first_key is None or first_key < conflict.first_key:
            conflict.first_key, conflict.first = first_key, to_datetime(*first_key).isoformat()
        if conflict.last_key is None or last_key > conflict.last_key:
            conflict.last_key, conflict.last = last_key, to_datetime(*last_key).isoformat()
        for sample in sorted(_fields(s) for s in samples or ())[:MAX_SAMPLES]:
            epoch_us, tz_min, path = sample
            conflict.ranked.append(
                ((int(epoch_us), int(tz_min)), path, status, ip,
                 to_datetime(epoch_us, tz_min).isoformat())
            )  # fmt: skip

    query = q.must_index_query(analysis.must_index, analysis.required)
    if query:
        for bot, *flags in backend.query(query):
            for pattern, flag in zip(analysis.must_index, flags, strict=True):
                if flag:
                    analysis.visited_must_index[pattern].add(bot)
    return analysis


def _odd_lines(
    backend: Backend, analysis: LogAnalysis, fast_files: dict[int, FastFile]
) -> dict[int, set[str]]:
    """Count the lines a fast reader handed over, parsed by the Python reader's own parser;
    the malformed ones' texts per file come back for the line-number scan."""
    if not fast_files:
        return {}
    bad: dict[int, set[str]] = defaultdict(set)
    timings: Counter[str] = Counter()
    must_index = analysis.must_index_matchers()
    for file_idx, text, count in backend.query(q.ODD_LINES):
        count = int(count)
        parse = fast_files[int(file_idx)].parse
        for line in text.split("\n"):  # a reader may hand blank lines over with the next
            if not line.strip():
                continue
            record = parse(line)
            analysis.cube.lines += count
            if record is None:
                analysis.cube.malformed += count
                bad[int(file_idx)].add(line)
            else:
                analysis.add_record(record, timings, must_index, count)
    return bad


def _malformed_samples(
    backend: Backend,
    analysis: LogAnalysis,
    names: list[str],
    fast_files: dict[int, FastFile],
    odd_bad: dict[int, set[str]],
) -> None:
    """The first malformed lines in file and line order, with their line numbers: from the
    stored line order where the engine kept one, else by reading the file again up to them
    (they are found by text: a CLF or JSON line is malformed or not by its text alone)."""
    if not analysis.cube.malformed:
        return
    found: list[tuple[int, int, str]] = []
    stored = [
        (int(f), int(s), t)
        for f, s, t in backend.query(q.MALFORMED_FIRST.format(limit=MAX_MALFORMED_SAMPLES))
    ]
    if stored:
        backend.register(
            "samples", [("file_idx", "BIGINT"), ("seq", "BIGINT")], [(f, s) for f, s, _ in stored]
        )
        numbers = {(int(f), int(s)): int(n) for f, s, n in backend.query(q.LINE_NUMBERS)}
        found = [(f, numbers[(f, s)], t) for f, s, t in stored]
    for file_idx in sorted(odd_bad):
        if sum(f < file_idx for f, _, _ in found) >= MAX_MALFORMED_SAMPLES:
            break
        found.extend(
            (file_idx, number, text[:200])
            for number, text in find_lines(fast_files[file_idx].path, odd_bad[file_idx])
        )
    for file_idx, number, text in sorted(found)[:MAX_MALFORMED_SAMPLES]:
        analysis.malformed_samples.append({"file": names[file_idx], "line": number, "text": text})


def numbered_lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line of `path`, numbered and cut as the reader does."""
    with open_log(path) as stream:
        for number, line in enumerate(stream, 1):
            yield number, line.rstrip("\r\n")


def find_lines(path: str, texts: set[str]) -> list[tuple[int, str]]:
    """The first few lines of `path` whose text is in `texts`; stops when it has enough."""
    hits: list[tuple[int, str]] = []
    for number, text in numbered_lines(path):
        if text in texts:
            hits.append((number, text))
            if len(hits) >= MAX_MALFORMED_SAMPLES:
                break
    return hits
