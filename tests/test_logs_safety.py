"""Crawl safety from logs: generated logs with planted answers (a crawler peak that slows
everyone else, one that does not, one that only adds 5xx, one too small to be load), the
cube's exact quantiles, and the verdict in JSON, terminal, HTML and Markdown."""

from __future__ import annotations

import json
import random
from collections import Counter

import pytest

from seoaudit.logs.analyse import analyse_logs
from seoaudit.logs.cube import exact_quantile, latency_bucket_ms, section_of
from seoaudit.logs.safety import MIN_RISE_MS, mann_whitney_greater
from seoaudit.logs.synthetic import generate_load
from seoaudit.logs.verify import Verifier
from seoaudit.registry import load_registry


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(load_registry())


def _safety(tmp_path, verifier, name: str = "access.log", **kwargs):
    lines, planted = generate_load(**kwargs)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    report = analyse_logs([str(path)], verifier)
    assert report["requests"] == planted.lines == planted.crawler_requests + planted.human_requests
    return report["safety"], planted, str(path)


def test_a_crawler_peak_that_slows_the_origin_is_load(tmp_path, verifier):
    safety, planted, _ = _safety(tmp_path, verifier, peak_slows=True)
    assert safety["status"] == "load" and safety["load"] is True
    assert safety["degraded_from_rpm"] == planted.peak_rpm_min
    assert safety["safe_rpm"] == planted.base_rpm_max  # the rate seen outside the peak
    assert f"{planted.peak_rpm_min} req/min and more did measurably load" in safety["verdict"]
    latency = safety["comparison"]["latency_test"]
    assert latency["load"] and latency["p_value"] < 0.01 and latency["rise_ms"] >= MIN_RISE_MS
    peak_band = [b for b in safety["bands"] if b["tested"] and b["load"]]
    assert [b["minutes"] for b in peak_band] == [len(planted.peak_minutes)]


def test_a_crawler_peak_that_does_not_slow_the_origin_is_not_load(tmp_path, verifier):
    safety, planted, _ = _safety(tmp_path, verifier, peak_slows=False)
    assert safety["status"] == "no_load" and safety["load"] is False
    assert safety["safe_rpm"] == planted.peak_rpm_max
    assert safety["verdict"].startswith(
        f"Crawling at up to {planted.peak_rpm_max} req/min did not measurably load the origin"
    )
    assert not any(b.get("load") for b in safety["bands"])
    # the planted peak is all crawlers: their share of origin time is that of their requests
    assert 0.2 < safety["crawler_share_origin_time"] < 0.45


def test_a_small_significant_shift_is_noise_not_load(tmp_path, verifier):
    """10% slower in the peak: real, detectable on enough minutes, but under the minimum
    effect (20% and 25 ms), so no capacity decision follows from it."""
    safety, _, _ = _safety(tmp_path, verifier, peak_slows=True, slow_factor=1.1)
    assert safety["status"] == "no_load"
    assert safety["comparison"]["latency_test"]["rise_ms"] < MIN_RISE_MS


def test_a_crawler_peak_at_everyone_elses_peak_carries_a_caution(tmp_path, verifier):
    safety, _, _ = _safety(tmp_path, verifier, peak_slows=True, peak_human_rpm=80)
    assert safety["status"] == "load" and safety["confounded"] is True
    assert "Caution: everyone else's traffic was" in safety["verdict"]
    calm, _, _ = _safety(tmp_path, verifier, name="calm.log", peak_slows=True)
    assert calm["confounded"] is False and "Caution" not in calm["verdict"]


def test_5xx_in_the_peak_is_load_even_without_slowness(tmp_path, verifier):
    safety, planted, _ = _safety(tmp_path, verifier, peak_slows=False, peak_error_share=0.2)
    assert safety["status"] == "load"
    peak = [b for b in safety["bands"] if b.get("load")]
    assert (
        peak and peak[0]["share_5xx"] > 0.1 and safety["degraded_from_rpm"] == planted.peak_rpm_min
    )


def test_no_timing_says_which_field_to_add(tmp_path, verifier, cli):
    safety, _, path = _safety(tmp_path, verifier, timed=False, minutes=30)
    assert safety["status"] == "no_timing" and safety["timed_requests"] == 0
    assert "$upstream_response_time" in safety["verdict"] and "%D" in safety["verdict"]
    run = cli("logs", path)
    assert "no response times" in run.stdout and "log_format" in run.stdout


def test_too_few_timed_minutes_gives_no_verdict(tmp_path, verifier):
    safety, _, _ = _safety(tmp_path, verifier, minutes=8, peak_start=2, peak_minutes=2)
    assert safety["status"] == "too_little_data" and "Too little timed traffic" in safety["verdict"]


def test_the_verdict_and_chart_in_every_output(tmp_path, cli):
    lines, planted = generate_load(peak_slows=True)
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    report = json.loads(cli("logs", str(log), "-f", "json").stdout)
    assert report["safety"]["status"] == "load"
    series = report["safety"]["per_minute"]
    assert len(series["minute"]) == planted.minutes
    assert sum(series["crawler_requests"]) == planted.crawler_requests
    assert series["by_verified_bot"]["googlebot"] == series["verified_crawler_requests"]
    terminal = cli("logs", str(log)).stdout
    assert "Crawl safety: Crawling at" in terminal and "busiest crawler minutes" in terminal
    page = cli("logs", str(log), "-f", "html").stdout
    assert "id='crawl-safety'" in page and page.count("<circle") == planted.minutes
    markdown = cli("logs", str(log), "-f", "markdown").stdout
    assert "## Crawl safety" in markdown and "```mermaid\nxychart-beta" in markdown
    assert "did measurably load the origin" in markdown


def test_the_verdict_is_reproducible(tmp_path, verifier):
    first, _, path = _safety(tmp_path, verifier, peak_slows=True)
    again = analyse_logs([path], verifier)["safety"]
    assert again == first


def test_exact_discrete_quantiles_and_buckets():
    assert exact_quantile(Counter({10: 1, 20: 1, 30: 1, 40: 1}), 50) == 20
    assert exact_quantile(Counter({10: 1, 20: 1, 30: 1, 40: 1}), 51) == 30
    assert exact_quantile(Counter({5: 95, 900: 5}), 95) == 5
    assert exact_quantile(Counter({5: 94, 900: 6}), 95) == 900
    assert exact_quantile(Counter(), 95) is None
    assert [latency_bucket_ms(us) for us in (0, 999, 99_999, 157_900, 999_999, 1_234_567, 12_345_678)] == [
        0, 0, 99, 157, 999, 1230, 12300]  # fmt: skip
    assert section_of("/robots.txt?x=1", ["/r"]) == "/robots.txt"
    assert section_of("/search?q=1", ["/cart", "/search"]) == "/search"
    assert section_of("/other", ["/cart"]) == ""


def test_mann_whitney_against_a_shift_and_against_itself():
    rng = random.Random(3)
    base = [rng.gauss(100, 10) for _ in range(40)]
    shifted = [v + 30 for v in base]
    assert mann_whitney_greater(shifted, base)[2] < 1e-6
    assert mann_whitney_greater(base, base)[2] > 0.4
    u, _, p = mann_whitney_greater([1.0] * 10, [1.0] * 10)  # all ties: no evidence
    assert u == 50 and p == 1.0


def test_logs_produce_data_and_never_import_report():
    """Layering (issue 14): report/ renders the log report; logs/ must not import report/."""
    import ast
    from pathlib import Path

    import seoaudit.logs

    offenders = []
    for source in Path(seoaudit.logs.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{source.name}: {n}" for n in names if n.startswith("seoaudit.report")]
    assert offenders == []
