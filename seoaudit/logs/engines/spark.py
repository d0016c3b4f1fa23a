"""The Spark backend: the same SQL, transpiled by sqlglot, on `local[*]` or a cluster.

Each input is read with Spark's text (or Parquet) source, numbered with
`monotonically_increasing_id()` (increasing in file order within one file, which is all the
line-order figures need), parsed by the shared SELECT and unioned into `parsed`, persisted
so the handful of aggregation queries do not re-read the lake. ANSI mode is off so a list
index past the end is NULL, as in DuckDB.

Spark picks codecs by file name: gzip needs `.gz` (`.zst` needs Hadoop's zstd codec).
A local file whose first bytes say otherwise is refused with a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from seoaudit.errors import UsageError
from seoaudit.logs.analyse import MAX_SAMPLES, LogAnalysis
from seoaudit.logs.engines.assemble import fill_analysis
from seoaudit.logs.engines.queries import DISTINCT_AGENTS, grouped_select
from seoaudit.logs.engines.sql import PARSED_COLUMNS, parse_select, to_spark

_SUFFIX = {"gzip": (".gz",), "zstd": (".zst", ".zstd")}


class SparkBackend:
    name = "spark"

    def __init__(self, master: str | None = None) -> None:
        from pyspark.sql import SparkSession

        master = master or os.environ.get("SEOAUDIT_SPARK_MASTER") or "local[*]"
        builder = (
            SparkSession.builder.master(master)
            .appName("seoaudit-logs")
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.ui.enabled", "false")
            # local mode runs the work in the driver: its default 1g heap ran out at 20M lines
            .config("spark.driver.memory", os.environ.get("SEOAUDIT_SPARK_DRIVER_MEMORY", "2g"))
            .config(
                "spark.sql.shuffle.partitions", os.environ.get("SEOAUDIT_SPARK_PARTITIONS", "8")
            )
        )
        if master.startswith("local"):  # a local run listens on loopback only
            builder = builder.config("spark.driver.bindAddress", "127.0.0.1").config(
                "spark.driver.host", "127.0.0.1"
            )
        self.spark = builder.getOrCreate()
        self.spark.sparkContext.setLogLevel("ERROR")
        self._cached: list[Any] = []

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self.spark.sql(to_spark(sql)).collect()]

    def register(
        self, name: str, columns: list[tuple[str, str]], rows: list[tuple[Any, ...]]
    ) -> None:
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        kinds = {"VARCHAR": StringType(), "BIGINT": LongType()}
        schema = StructType([StructField(c, kinds[t]) for c, t in columns])
        self.spark.createDataFrame(rows, schema).createOrReplaceTempView(name)

    def load(
        self,
        plans: list[Any],
        classify: Callable[[str], str],
        must_index: tuple[str, ...] = (),
        required: tuple[str, ...] = (),
    ) -> None:
        """Parse every input into `parsed` (kept on disk), then aggregate it into `grouped`."""
        from pyspark.sql import functions as F

        frames = []
        columns = ", ".join(PARSED_COLUMNS)
        for plan in plans:
            item = plan.item
            suffixes = _SUFFIX.get(item.compression)
            if suffixes and not item.remote and not item.path.endswith(suffixes):
                raise UsageError(
                    f"{item.path}: {item.compression} data without a {suffixes[0]} name; Spark "
                    "chooses codecs by name: rename it or use --engine duckdb"
                )
            if plan.kind == "parquet":
                raw = self.spark.read.parquet(item.path)
                lines = raw.select(F.to_json(F.struct(*raw.columns)).alias("line"))
            else:
                lines = self.spark.read.text(item.path).withColumnRenamed("value", "line")
            view = f"lines_{plan.index}"
            lines.withColumn("seq", F.monotonically_increasing_id()).createOrReplaceTempView(view)
            headers = []
            if plan.kind == "w3c":
                headers = [
                    (int(r[0]), r[1])
                    for r in self.spark.sql(
                        f"SELECT seq, line FROM {view} WHERE startswith(line, '#Fields:') ORDER BY seq"
                    ).collect()
                ]
            select = parse_select(plan.kind, plan.mapping, view, headers, dialect="spark")
            sql = to_spark(
                f"SELECT {plan.index} AS file_idx, {columns} FROM ({select}) AS parsed_file"
            )
            frames.append(self.spark.sql(sql))
        parsed = frames[0]
        for frame in frames[1:]:
            parsed = parsed.unionByName(frame)
        from pyspark import StorageLevel

        parsed = parsed.persist(StorageLevel.DISK_ONLY)  # read a few times; never on the heap
        self._cached.append(parsed)
        parsed.createOrReplaceTempView("parsed")
        agents = [row[0] for row in self.query(DISTINCT_AGENTS)]
        self.register(
            "ua_bot", [("ua", "VARCHAR"), ("bot", "VARCHAR")], [(ua, classify(ua)) for ua in agents]
        )
        select = grouped_select(
            "parsed", samples=MAX_SAMPLES, must_index=must_index, required=required, dialect="spark"
        )
        grouped = self.spark.sql(to_spark(select)).persist(StorageLevel.DISK_ONLY)
        self._cached.append(grouped)
        grouped.createOrReplaceTempView("grouped")

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()


def run_spark(plans: list[Any], analysis: LogAnalysis, *, master: str | None = None) -> LogAnalysis:
    backend = SparkBackend(master)
    try:
        backend.load(plans, analysis.verifier.bot_for, analysis.must_index, analysis.required)
        return fill_analysis(
            backend, analysis, [p.item.name for p in plans], {p.item.name: p.label for p in plans}
        )
    finally:
        backend.close()
