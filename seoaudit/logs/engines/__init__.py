"""Access logs at any size: one aggregation on DuckDB (default for files) or Apache Spark.

The pipeline is SQL written once (`sql.py` parses each format, `queries.py` aggregates) and
run by a backend: DuckDB embedded, with a memory limit and a spill directory, or Spark
(`--engine spark`, `local[*]` or a master URL) where DuckDB's SQL is transpiled by sqlglot.
The Python streaming reader (`seoaudit.logs.analyse`) stays for stdin, `--follow`-style use
and small files, where starting an engine costs more than it saves; `choose_engine` picks by
input size and says why. Every engine fills the same `LogAnalysis`, so reports agree exactly.
"""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import dataclass
from typing import Any

from seoaudit.errors import UsageError
from seoaudit.logs.analyse import LogAnalysis, analyse_logs
from seoaudit.logs.inputs import LogInput, expand_inputs
from seoaudit.logs.parse import (
    PRESETS,
    LogFormatError,
    _guess_from_sample,
    detect_format,
    guess_json_mapping,
    open_log,
    parse_field_mapping,
)
from seoaudit.logs.verify import Verifier

ENGINES = ("auto", "python", "duckdb", "spark")
# Below this many bytes on disk (compressed files count 8x) the Python reader finishes before
# an engine has started: measured crossover ~30 MB on 2 cores (docs/performance.md).
AUTO_ENGINE_BYTES = 48 * 1024 * 1024
_SAMPLE_LINES = 20


@dataclass(frozen=True, slots=True)
class FilePlan:
    """One input as an engine reads it: the detected format and, for JSON, the field mapping."""

    index: int
    item: LogInput
    kind: str  # combined | common | json | w3c | parquet
    mapping: dict[str, str]
    preset: str | None = None
    quoted: bool = False  # W3C with "quoted values" (IIS Advanced Logging, Incapsula)

    @property
    def unsupported(self) -> str | None:
        """Why the SQL cannot read this file the way the Python reader does, if it cannot."""
        if self.kind not in ("combined", "common", "json", "w3c", "parquet"):
            return f"{self.kind} logs"
        if self.quoted:
            return "W3C logs with quoted values"
        if any(k != "duration" and ("." in v or "|" in v) for k, v in self.mapping.items()):
            return "nested or alternative JSON fields (dotted paths, a|b)"
        return None

    @property
    def label(self) -> str:
        """The format as the report names it (`json (cloudflare)`, as the Python reader)."""
        return f"{self.kind} ({self.preset})" if self.preset else self.kind


def choose_engine(requested: str, inputs: list[LogInput]) -> tuple[str, str]:
    """(engine, why): the requested one, or by input size and what is installed."""
    if requested not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}")
    stdin = any(i.path == "-" for i in inputs)
    parquet = any(i.container == "parquet" for i in inputs)
    remote = [i.path for i in inputs if i.remote]
    if remote and requested != "spark":
        if requested != "auto":
            raise UsageError(f"{remote[0]}: a log-lake URI is read by --engine spark only")
        _require("spark")
        return "spark", "log-lake URI"
    if requested == "python":
        if parquet:
            raise UsageError("--engine python cannot read Parquet; use --engine duckdb or spark")
        return "python", "asked for"
    if requested in ("duckdb", "spark"):
        if stdin:
            raise UsageError(f"--engine {requested} reads files; stdin needs --engine python")
        _require(requested)
        return requested, "asked for"
    if stdin:
        return "python", "stdin is streamed"
    size = sum(i.size * (8 if i.compression != "none" else 1) for i in inputs)
    if not parquet and size < AUTO_ENGINE_BYTES:
        return "python", f"small input ({size / 1e6:.1f} MB)"
    if importlib.util.find_spec("duckdb") is None:
        if parquet:
            raise UsageError("reading Parquet needs DuckDB: pip install duckdb")
        return "python", "duckdb is not installed"
    return "duckdb", "Parquet input" if parquet else f"large input ({size / 1e6:.0f} MB)"


def _require(engine: str) -> None:
    module = "pyspark" if engine == "spark" else "duckdb"
    if importlib.util.find_spec(module) is None:
        extra = (
            "pip install 'seoaudit-crawl[spark]' (and Java 17+)"
            if engine == "spark"
            else "pip install duckdb"
        )
        raise UsageError(f"--engine {engine} needs {module}: {extra}")


def plan_files(
    inputs: list[LogInput], fmt: str, fields: str | None, preset: str | None
) -> list[FilePlan]:
    """Detect each file's format from its first lines, exactly as the Python reader does."""
    base = dict(PRESETS[preset]) if preset else {}
    if fields:
        base.update(parse_field_mapping(fields))
    plans = []
    for index, item in enumerate(inputs):
        if item.remote:
            if item.container == "parquet" and not base:
                raise UsageError(
                    f"{item.path}: name the fields of a log lake: --preset or --fields"
                )
            if item.container == "text" and fmt == "auto":
                raise UsageError(
                    f"{item.path}: say the format of remote text logs with --log-format"
                )
            plans.append(
                FilePlan(index, item, "parquet" if item.container == "parquet" else fmt, base)
            )
            continue
        if item.container == "parquet":
            plans.append(
                FilePlan(index, item, "parquet", base or _parquet_mapping(item.path), preset)
            )
            continue
        with open_log(item.path) as stream:
            sample = []
            for number, line in enumerate(stream, 1):
                sample.append((number, line.rstrip("\r\n")))
                if number >= _SAMPLE_LINES:
                    break
        kind = fmt if fmt != "auto" else detect_format(sample, item.name)
        mapping = dict(base)
        if kind == "json" and not mapping:
            mapping = _guess_from_sample(sample)
        quoted = kind == "w3c" and any('"' in t for _, t in sample if not t.startswith("#"))
        plans.append(FilePlan(index, item, kind, mapping, preset, quoted))
    return plans


def _parquet_mapping(path: str) -> dict[str, str]:
    import duckdb

    try:
        names = [
            row[0]
            for row in duckdb.sql(
                f"DESCRIBE SELECT * FROM read_parquet({json.dumps(path)})"
            ).fetchall()
        ]
    except duckdb.Error as exc:
        raise LogFormatError(f"{path}: unreadable Parquet file ({exc})") from exc
    return guess_json_mapping(dict.fromkeys(names, ""))


def analyse(
    paths: list[str],
    verifier: Verifier,
    *,
    engine: str = "auto",
    fmt: str = "auto",
    fields: str | None = None,
    preset: str | None = None,
    required: tuple[str, ...] = (),
    must_index: tuple[str, ...] = (),
    spark_master: str | None = None,
    memory_limit: str | None = None,
) -> dict[str, Any]:
    """The logs report from whichever engine fits, with `engine`: name, why, lines, seconds."""
    started = time.monotonic()
    inputs = expand_inputs(paths)
    name, why = choose_engine(engine, inputs)
    plans: list[FilePlan] = []
    if name != "python":
        plans = plan_files(inputs, fmt, fields, preset)
        gaps = [f"{p.item.name}: {p.unsupported}" for p in plans if p.unsupported]
        if gaps and (engine != "auto" or any(p.item.remote or p.kind == "parquet" for p in plans)):
            raise UsageError(f"the {name} engine does not read {gaps[0]} yet; use --engine python")
        if gaps:
            name, why = "python", f"{gaps[0].split(': ', 1)[1]} are read by the Python reader only"
    if name == "python":
        report = analyse_logs(
            [i.path for i in inputs], verifier, fmt=fmt, fields=fields, preset=preset,
            required=required, must_index=must_index,
        )  # fmt: skip
    else:
        analysis = LogAnalysis(verifier, required=required, must_index=must_index)
        if name == "duckdb":
            from seoaudit.logs.engines.duck import run_duckdb

            run_duckdb(plans, analysis, memory_limit=memory_limit)
        else:
            from seoaudit.logs.engines.spark import run_spark

            run_spark(plans, analysis, master=spark_master)
        report = analysis.finish()
    report["engine"] = {
        "name": name,
        "why": why,
        "lines": report["lines"],
        "seconds": round(time.monotonic() - started, 3),
    }
    if name == "duckdb":  # files not read in one pass, and why: where the time went
        report["engine"]["full_parse"] = analysis.full_parse
    return report
