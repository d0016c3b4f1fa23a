"""Spark local mode gives the Python reader's report on every fixture of
tests/test_log_engines.py (its own file, so the suite's workers run it beside the DuckDB
tests: a Spark session costs most of a minute on 2 cores). Skips without Java or pyspark;
under .ci/run (SEOAUDIT_REQUIRE_SPARK=1) that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from seoaudit.logs.engines import analyse
from seoaudit.logs.verify import Verifier
from seoaudit.registry import load_registry
from tests.test_log_engines import (  # noqa: F401 (fixtures is a pytest fixture)
    MUST_INDEX,
    REQUIRED,
    _assert_same,
    _parquet_from,
    _report,
    fixtures,
)

# A JVM that lives for one test: C1 only and the serial GC. C2 compiling Catalyst and Janino
# for minutes it will not live cost more than it saved (166 -> 136 JVM CPU-seconds measured on
# 2 cores); the results are the same bytecode's.
_SHORT_LIVED_JVM = "--driver-java-options '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' pyspark-shell"


def _spark_ready() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install 'seoaudit-crawl[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (apt-get install default-jre-headless)"
    return None


@pytest.fixture(scope="module")
def spark_required() -> Iterator[None]:
    """Spark or a skip (a failure under CI). The module's one session is stopped at its end:
    its executor threads and block store do not stay beside the worker's later files."""
    reason = _spark_ready()
    if reason:
        if os.environ.get("SEOAUDIT_REQUIRE_SPARK") == "1":
            pytest.fail(f"SEOAUDIT_REQUIRE_SPARK=1 but {reason}")
        pytest.skip(reason)
    with pytest.MonkeyPatch.context() as patch:
        if "PYSPARK_SUBMIT_ARGS" not in os.environ:
            patch.setenv("PYSPARK_SUBMIT_ARGS", _SHORT_LIVED_JVM)
        yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


# The fixtures' option sets: one Spark run each, with every fixture of that set in it (each
# file's format is still detected on its own); DuckDB is compared per fixture elsewhere.
PRESETS = (None, "cloudflare", "cloudfront", "alb")


def _options(preset: str | None) -> dict[str, Any]:
    return {"preset": preset} if preset else {}


def test_every_fixture_is_in_one_spark_run(fixtures):  # noqa: F811 (the pytest fixture)
    assert all(options in map(_options, PRESETS) for _, options in fixtures.values())


@pytest.mark.timeout(600)
@pytest.mark.parametrize("preset", PRESETS)
def test_spark_local_report_equals_the_python_readers(
    spark_required,
    fixtures,  # noqa: F811 (the pytest fixture imported above)
    preset,
):
    """Spark's report is the Python reader's, field for field (one session for the module).

    Several tests, not one: a file of one or two tests gets a second file queued behind it
    by xdist, which made this minutes-long file end the run with another one after it."""
    options = _options(preset)
    paths = [path for group, opts in fixtures.values() if opts == options for path in group]
    assert paths
    _assert_same(
        _report(paths, "spark", **options), _report(paths, "python", **options), f"spark: {preset}"
    )


@pytest.mark.timeout(600)
def test_spark_reads_a_parquet_log_lake_as_duckdb_does(
    spark_required,
    fixtures,  # noqa: F811 (the pytest fixture imported above)
    tmp_path,
):
    jsonl = fixtures["cloudflare logpush json"][0][0]
    parquet = _parquet_from(jsonl, tmp_path / "lake.parquet")
    lake = tmp_path / "lake" / "date=2026-11-01"
    lake.mkdir(parents=True)
    parts = [str(shutil.copy(parquet, lake / f"part-{n}.parquet")) for n in range(2)]
    # a log-lake URI (file:// here; s3a:// or gs:// on a cluster) goes to Spark by itself, and
    # Spark reads the Parquet as DuckDB does (one Spark run for both: each costs ~20 CPU-s)
    got = analyse(
        ["file://" + str(lake) + "/"],
        Verifier(load_registry()),
        required=REQUIRED,
        must_index=MUST_INDEX,
        preset="cloudflare",
    )
    assert got.pop("engine")["name"] == "spark"
    want = _report(parts, "duckdb", preset="cloudflare")
    assert got["requests"] == 2 * _report([parquet], "duckdb", preset="cloudflare")["requests"]
    assert set(want["formats"].values()) == {"parquet (cloudflare)"}
    # a URI's files are the lake's, and its format label names no preset ("parquet")
    for report in (got, want):
        report["files"], report["formats"] = [], {}
    _assert_same(got, want, "spark parquet log lake")
