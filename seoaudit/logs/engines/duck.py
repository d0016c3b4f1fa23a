"""The DuckDB backend: bulk CSV reading of raw lines, a memory limit, spilling to a temp dir.

Each text file is read by DuckDB's own CSV reader as one VARCHAR column (no quoting, no
escapes, decompressing gzip/zstd itself), parsed by the shared SELECT and appended to one
`parsed_rows` table. Insertion order is kept, so `rowid` is the line order the samples and
first/last times need. Memory is bounded by `memory_limit`; DuckDB spills past it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from typing import Any

import duckdb

from seoaudit.logs.analyse import MAX_SAMPLES, LogAnalysis
from seoaudit.logs.engines.assemble import FastFile, fill_analysis, numbered_lines
from seoaudit.logs.engines.queries import grouped_select
from seoaudit.logs.engines.sql import (
    _WS,
    HUMAN_SQL,
    PARSED_COLUMNS,
    VALID_STATUS,
    clf_csv_columns,
    clf_fast_grouped,
    fast_to_grouped,
    lit,
    parse_select,
    seconds_select,
)
from seoaudit.logs.parse import LogFormatError, LogRecord, open_log, parse_clf

_REJECT_TEXT = 10_000  # characters of a refused line DuckDB keeps in its rejects table
DEFAULT_MEMORY_LIMIT = "600MB"  # peak RSS stays under 1 GB at 20M lines (bench/logs_bench.py)
_TYPES = {"VARCHAR": "VARCHAR", "BIGINT": "BIGINT"}


class DuckBackend:
    name = "duckdb"

    def __init__(
        self,
        *,
        memory_limit: str | None = None,
        threads: int | None = None,
        must_index: tuple[str, ...] = (),
        required: tuple[str, ...] = (),
    ) -> None:
        self.must_index, self.required = must_index, required
        self._grouped = self._fast_groups = False
        self.full_parse: dict[int, str] = {}  # file index -> why the fast path did not read it
        self.spill = tempfile.mkdtemp(prefix="seoaudit-duckdb-")
        # a database file in the spill directory, not :memory:: table data in an in-memory
        # database cannot be evicted, so 20M parsed lines would hit the memory limit
        self.con = duckdb.connect(
            os.path.join(self.spill, "logs.duckdb"),
            config={
                "memory_limit": memory_limit
                or os.environ.get("SEOAUDIT_DUCKDB_MEMORY")
                or DEFAULT_MEMORY_LIMIT,
                "temp_directory": self.spill,
                "preserve_insertion_order": True,
                "threads": threads or os.cpu_count() or 1,
            },
        )
        self.con.execute(
            "CREATE TABLE parsed_rows (file_idx INTEGER, status_kind VARCHAR, epoch_us BIGINT, "
            "tz_min INTEGER, ip VARCHAR, path VARCHAR, status BIGINT, bytes BIGINT, ua VARCHAR, "
            "bad_text VARCHAR)"
        )
        columns = ", ".join(c for c in PARSED_COLUMNS if c != "seq")
        self.con.execute(
            f"CREATE VIEW parsed AS SELECT file_idx, rowid AS seq, {columns} FROM parsed_rows"
        )

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.con.execute(sql).fetchall()

    def register(
        self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
    ) -> None:
        self.con.execute(f"DROP TABLE IF EXISTS {name}")
        spec = ", ".join(f"{c} {_TYPES[t]}" for c, t in columns)
        self.con.execute(f"CREATE TABLE {name} ({spec})")
        if rows:
            lists = [list(col) for col in zip(*rows, strict=True)]
            unnest = ", ".join(
                f"unnest(${i + 1}::{_TYPES[t]}[])" for i, (_, t) in enumerate(columns)
            )
            self.con.execute(f"INSERT INTO {name} SELECT {unnest}", lists)

    def load(self, plans: list[Any], classify: Callable[[str], str]) -> dict[int, FastFile]:
        """Aggregate every file into `grouped`; the files read without line order come back.

        Combined and common files take the fast path: DuckDB's CSV reader splits each line
        at its quotes, in parallel, and one aggregating pass makes the file's groups; no
        parsed line is stored, and no line is read twice. User-agents seen in the first
        lines are classified before the pass; rows with any other user-agent keep it (and
        their address) in the group until it is classified after the pass. Lines the
        checks cannot vouch for are grouped by text for the Python reader. A file the CSV
        reader gives up on (mixed line breaks, say) is read by the full parse instead.
        Other formats are parsed into `parsed_rows`, which keeps line order."""
        fast: dict[int, FastFile] = {}
        known: dict[str, str] = {}
        rows: list[Any] = []
        for plan in plans:
            try:
                if plan.kind in ("combined", "common") and self._load_fast(plan, classify, known):
                    fast[plan.index] = FastFile(plan.item.path, fast_parser(plan.kind))
                else:
                    rows.append(plan)
            except duckdb.Error as exc:
                raise LogFormatError(f"{plan.item.path}: {str(exc).splitlines()[0]}") from exc
        if fast:
            for file_idx in self._finish_fast(classify, known):
                del fast[file_idx]
                rows.append(plans[file_idx])
        for plan in plans:
            if plan.kind not in ("combined", "common"):
                self.full_parse.setdefault(plan.index, f"{plan.kind} logs")
        for plan in sorted(rows, key=lambda p: p.index):
            try:
                self._load_rows(plan, classify, known)
            except duckdb.Error as exc:
                raise LogFormatError(f"{plan.item.path}: {str(exc).splitlines()[0]}") from exc
        if rows:
            self._insert_grouped(
                grouped_select(
                    "parsed",
                    samples=MAX_SAMPLES,
                    must_index=self.must_index,
                    required=self.required,
                    bots_stored=True,
                )
            )
        return fast

    def _classify(
        self, agents: list[str], classify: Callable[[str], str], known: dict[str, str]
    ) -> None:
        known.update((ua, classify(ua)) for ua in agents if ua not in known)
        self.register("ua_bot", [("ua", "VARCHAR"), ("bot", "VARCHAR")], list(known.items()))

    def _insert_grouped(self, select: str) -> None:
        if self._grouped:
            self.con.execute(f"INSERT INTO grouped BY NAME {select}")
        else:
            self.con.execute(f"CREATE TABLE grouped AS {select}")
            self._grouped = True

    def _reader(self, plan: Any, columns: list[str], rejects: str) -> str:
        spec = ", ".join(f"'{c}': 'VARCHAR'" for c in columns)
        compression = {"gzip": "gzip", "zstd": "zstd"}.get(plan.item.compression, "none")
        # `"` is the delimiter and nothing is quoted, so the columns are exactly the pieces
        # of the line split at its quotes; a line with another count of pieces is a reject,
        # kept with its text in `rejects`
        return (
            f"read_csv({json.dumps(plan.item.path)}, columns={{{spec}}}, delim='\"', quote='', "
            "escape='', header=false, auto_detect=false, strict_mode=true, null_padding=false, "
            "nullstr='\x02\x03', ignore_errors=true, store_rejects=true, "
            f"rejects_table='{rejects}', rejects_scan='{rejects}_scan', "
            # DuckDB's read buffers are 16x the longest line allowed: 1 MiB lines, 16 MiB
            # buffers (a longer line is a reject, handed to the Python reader whole)
            f"compression='{compression}', max_line_size=1048576)"
        )

    def _load_fast(self, plan: Any, classify: Callable[[str], str], known: dict[str, str]) -> bool:
        pieces, agents = first_lines(plan.item.path)
        self._classify(agents, classify, known)
        rejects = f"rejects_{plan.index}"
        select = clf_fast_grouped(
            self._reader(plan, clf_csv_columns(plan.kind, pieces), rejects), plan.kind, pieces,
            plan.index,
            samples=MAX_SAMPLES, must_index=self.must_index, required=self.required,
        )  # fmt: skip
        self.con.execute("SET preserve_insertion_order = false")  # groups have no order
        try:
            if self._fast_groups:
                self.con.execute(f"INSERT INTO fast_groups BY NAME {select}")
            else:
                self.con.execute(f"CREATE TABLE fast_groups AS {select}")
                self._fast_groups = True
        except duckdb.InvalidInputException as exc:
            if self._fast_groups:
                self.con.execute(f"DELETE FROM fast_groups WHERE file_idx = {plan.index}")
            self.full_parse[plan.index] = "the CSV reader gave up: " + _first_line(exc)
            return False
        finally:
            self.con.execute("SET preserve_insertion_order = true")  # `rowid` is line order
        self.con.execute(
            "INSERT INTO fast_groups (file_idx, fast, text, n) "
            f"SELECT {plan.index}, FALSE, line_text, count(*) FROM (SELECT line, "
            f"any_value(csv_line) AS line_text FROM {rejects} GROUP BY line "
            f"HAVING max(length(csv_line)) < {_REJECT_TEXT}) AS r GROUP BY line_text"
        )
        # DuckDB keeps the first 10,000 characters of a refused line: longer ones are read
        # again, whole, from the file by their line numbers
        long_lines = [
            int(n)
            for (n,) in self.con.execute(
                f"SELECT line FROM {rejects} GROUP BY line "
                f"HAVING max(length(csv_line)) >= {_REJECT_TEXT} ORDER BY line"
            ).fetchall()
        ]
        if long_lines:
            texts = lines_numbered(plan.item.path, long_lines)
            self.register("long_lines", [("text", "VARCHAR")], [(t,) for t in texts])
            self.con.execute(
                "INSERT INTO fast_groups (file_idx, fast, text, n) "
                f"SELECT {plan.index}, FALSE, text, count(*) FROM long_lines GROUP BY text"
            )
        return True

    def _finish_fast(self, classify: Callable[[str], str], known: dict[str, str]) -> list[int]:
        """Classify the user-agents first seen in the pass and resolve the time texts.
        Files with an impossible time (31 Feb) or status (`2000`) in a group the checks
        passed are dropped here and come back for the full parse: no server writes them."""
        late = [
            ua
            for (ua,) in self.con.execute(
                "SELECT DISTINCT ua FROM fast_groups WHERE fast AND bot IS NULL"
            ).fetchall()
        ]
        if late:
            self._classify(late, classify, known)
            self.con.execute(
                f"UPDATE fast_groups SET bot = u.bot, ip = CASE WHEN u.bot = {lit(HUMAN_SQL)} "
                "THEN NULL ELSE fast_groups.ip END FROM ua_bot AS u "
                "WHERE fast_groups.fast AND fast_groups.bot IS NULL AND fast_groups.ua = u.ua"
            )
        self.con.execute(f"CREATE TABLE seconds AS {seconds_select()}")
        refused = {
            int(f): "a time or status no server writes (31 Feb, `2000`)"
            for (f,) in self.con.execute(
                "SELECT DISTINCT g.file_idx FROM fast_groups AS g LEFT JOIN seconds AS s "
                "ON s.ct = g.first_ct WHERE g.fast AND NOT (COALESCE(s.t_valid, FALSE) "
                f"AND {VALID_STATUS.format('g.status_text')})"
            ).fetchall()
        }
        # `\\S+`: an address with whitespace is refused by the reader (checked per address)
        for (f,) in self.con.execute(
            "SELECT DISTINCT file_idx FROM fast_groups WHERE fast AND ip IS NOT NULL "
            f"AND regexp_matches(ip, '[{_WS}]')"
        ).fetchall():
            refused.setdefault(int(f), "whitespace in a crawler's address")
        for file_idx in refused:
            self.con.execute(f"DELETE FROM fast_groups WHERE file_idx = {file_idx}")
        self.full_parse.update(refused)
        self._insert_grouped(fast_to_grouped(len(self.must_index) if self.required else 0))
        return sorted(refused)

    def _load_rows(self, plan: Any, classify: Callable[[str], str], known: dict[str, str]) -> None:
        """The full parse into `parsed_rows`, with each user-agent's bot in `ua` (a tenth of
        the width to hold, and spill, at 20M lines)."""
        columns = [c for c in PARSED_COLUMNS if c != "seq"]
        source = self._source(plan)
        select = parse_select(plan.kind, plan.mapping, source, self._headers(plan, source))
        agents = self.con.execute(
            f"SELECT DISTINCT ua FROM ({select}) AS a WHERE status_kind = 'ok'"
        ).fetchall()
        self._classify([ua for (ua,) in agents], classify, known)
        picked = ", ".join("m.bot AS ua" if c == "ua" else f"p.{c}" for c in columns)
        self.con.execute(
            f"INSERT INTO parsed_rows SELECT {plan.index} AS file_idx, {picked} "
            f"FROM ({select}) AS p LEFT JOIN ua_bot AS m ON p.ua = m.ua"
        )

    def _source(self, plan: Any) -> str:
        path = json.dumps(plan.item.path)
        if plan.kind == "parquet":
            return f"(SELECT CAST(to_json(t) AS VARCHAR) AS line, 0 AS seq FROM read_parquet({path}) AS t)"
        compression = {"gzip": "gzip", "zstd": "zstd"}.get(plan.item.compression, "none")
        reader = (
            f"read_csv({path}, columns={{'line': 'VARCHAR'}}, delim='\\x01', quote='', escape='', "
            f"header=false, auto_detect=false, ignore_errors=true, compression='{compression}', "
            "max_line_size=16777216)"
        )
        if plan.kind == "w3c":  # directive lines change the columns: number the lines first
            table = f"w3c_{plan.index}"
            self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT line FROM {reader}")
            return f"(SELECT line, rowid AS seq FROM {table})"
        return f"(SELECT line, 0 AS seq FROM {reader})"

    def _headers(self, plan: Any, source: str) -> list[tuple[int, str]]:
        if plan.kind != "w3c":
            return []
        return [
            (int(seq), line)
            for seq, line in self.con.execute(
                f"SELECT seq, line FROM {source} AS s WHERE starts_with(line, '#Fields:') ORDER BY seq"
            ).fetchall()
        ]

    def close(self) -> None:
        self.con.close()
        shutil.rmtree(self.spill, ignore_errors=True)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def lines_numbered(path: str, numbers: list[int]) -> list[str]:
    """The lines of `path` at these (sorted, 1-based) line numbers, as the reader reads them."""
    wanted, found = set(numbers), []
    for number, text in numbered_lines(path):
        if number in wanted:
            found.append(text)
        if number >= numbers[-1]:
            break
    return found


def first_lines(path: str, lines: int = 20_000) -> tuple[int, list[str]]:
    """From the first lines: how many pieces they split into at their quotes, most often
    (seven for combined, more where fields are logged after the user-agent), and the
    user-agents they carry as the reader reads them (a busy log's few agents are almost all
    there; the others are classified after the pass)."""
    counts: Counter[int] = Counter()
    agents: set[str] = set()
    with open_log(path) as stream:
        for number, line in enumerate(stream):
            if number >= lines:
                break
            text = line.rstrip("\r\n")
            record = parse_clf(text)
            if record is not None:
                counts[text.count('"') + 1] += 1
                agents.add(record.user_agent)
    return (counts.most_common(1)[0][0] if counts else 7), sorted(agents)


def fast_parser(kind: str) -> Callable[[str], LogRecord | None]:
    """The Python reader's parser for the lines the fast path hands over. The engines do
    not read origin time, so neither does this (a few timed lines would be a wrong sample)."""

    def parse(text: str) -> LogRecord | None:
        record = parse_clf(text)
        if record is not None:
            record.origin_us, record.timing = None, ""
        return record

    return parse


def run_duckdb(
    plans: list[Any], analysis: LogAnalysis, *, memory_limit: str | None = None
) -> LogAnalysis:
    backend = DuckBackend(
        memory_limit=memory_limit, must_index=analysis.must_index, required=analysis.required
    )
    try:
        fast = backend.load(plans, analysis.verifier.bot_for)
        analysis.full_parse.update(
            {plans[i].item.name: why for i, why in sorted(backend.full_parse.items())}
        )
        return fill_analysis(
            backend,
            analysis,
            [p.item.name for p in plans],
            {p.item.name: p.label for p in plans},
            fast,
        )
    finally:
        backend.close()
