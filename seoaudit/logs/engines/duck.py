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
from collections.abc import Callable
from typing import Any

import duckdb

from seoaudit.logs.analyse import LogAnalysis
from seoaudit.logs.engines.assemble import fill_analysis
from seoaudit.logs.engines.sql import PARSED_COLUMNS, parse_select
from seoaudit.logs.parse import LogFormatError

DEFAULT_MEMORY_LIMIT = "600MB"  # peak RSS stays under 1 GB at 20M lines (bench/logs_bench.py)
_TYPES = {"VARCHAR": "VARCHAR", "BIGINT": "BIGINT"}


class DuckBackend:
    name = "duckdb"
    stores_bots = False

    def __init__(self, *, memory_limit: str | None = None, threads: int | None = None) -> None:
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

    def load(self, plans: list[Any], classify: Callable[[str], str] | None = None) -> None:
        """Parse every file into `parsed_rows`. With `classify`, a first cheap pass takes each
        file's distinct user-agents and the rows keep the bot instead of the agent: a tenth
        of the width to hold (and spill) at 20M lines."""
        columns = [c for c in PARSED_COLUMNS if c != "seq"]
        self.stores_bots = classify is not None
        known: dict[str, str] = {}
        for plan in plans:
            source = self._source(plan)
            select = parse_select(plan.kind, plan.mapping, source, self._headers(plan, source))
            try:
                if classify is None:
                    picked = ", ".join(columns)
                    self.con.execute(
                        f"INSERT INTO parsed_rows SELECT {plan.index} AS file_idx, {picked} "
                        f"FROM ({select}) AS parsed_file"
                    )
                    continue
                agents = self.con.execute(
                    f"SELECT DISTINCT ua FROM ({select}) AS a WHERE status_kind = 'ok'"
                ).fetchall()
                fresh = [(ua, classify(ua)) for (ua,) in agents if ua not in known]
                known.update(fresh)
                self.register(
                    "agent_bots", [("ua", "VARCHAR"), ("bot", "VARCHAR")], list(known.items())
                )
                picked = ", ".join("m.bot AS ua" if c == "ua" else f"p.{c}" for c in columns)
                self.con.execute(
                    f"INSERT INTO parsed_rows SELECT {plan.index} AS file_idx, {picked} "
                    f"FROM ({select}) AS p LEFT JOIN agent_bots AS m ON p.ua = m.ua"
                )
            except duckdb.Error as exc:
                raise LogFormatError(f"{plan.item.path}: {str(exc).splitlines()[0]}") from exc

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


def run_duckdb(
    plans: list[Any], analysis: LogAnalysis, *, memory_limit: str | None = None
) -> LogAnalysis:
    backend = DuckBackend(memory_limit=memory_limit)
    try:
        backend.load(plans, analysis.verifier.bot_for)
        return fill_analysis(
            backend, analysis, [p.item.name for p in plans], {p.item.name: p.label for p in plans}
        )
    finally:
        backend.close()
