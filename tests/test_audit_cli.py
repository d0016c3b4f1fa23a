"""The audit, evaluate, report and demo commands through the real CLI: exit codes and outputs."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from seoaudit.report import RenderOptions, get_reporter
from seoaudit.result import AuditResult
from seoaudit.scenarios import ScenarioServer
from tests.conftest import REPO_ROOT
from tests.gather_helpers import page, scenario

GOLDEN = REPO_ROOT / "tests" / "golden"
ROBOTS_LINES = ["User-agent: *", "Disallow: /private", "Sitemap: {origin}/sitemap.xml"]
ROBOTS = {
    "path": "/robots.txt",
    "response": {"template": "robots", "params": {"lines": ROBOTS_LINES}},
}
SITEMAP = {"path": "/sitemap.xml", "response": {"template": "sitemap", "params": {"paths": ["/", "/a"]}}}  # fmt: skip
CLEAN_SITE = [ROBOTS, SITEMAP, page("/", ["/a"]), page("/a")]
FAST = "crawl: {max_rps: 500, sample_per_bot: 5, max_pages: 20}\nbots: {required: [googlebot], wanted: []}\n"


def _policy(tmp_path: Path, extra: str = "", must: str = '["/$", "/a"]') -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(FAST + f"paths: {{must_index: {must}}}\n" + extra)
    return path


def test_clean_site_exits_0(cli, tmp_path):
    with ScenarioServer(scenario(CLEAN_SITE)) as server:
        result = cli("audit", server.url, "--policy", str(_policy(tmp_path)), "--no-progress")
    assert result.code == 0, result.stdout + result.stderr
    assert "Gate: passed" in result.stdout


def test_conflict_fails_the_gate_with_exit_1_and_writes_json(cli, tmp_path):
    site = [*CLEAN_SITE, page("/private")]
    out = tmp_path / "result.json"
    with ScenarioServer(scenario(site)) as server:
        result = cli(
            "audit", server.url, "--policy", str(_policy(tmp_path, must='["/$", "/private"]')),
            "-f", "json", "-o", str(out), "--no-progress",
        )  # fmt: skip
    assert result.code == 1
    data = json.loads(out.read_text())
    assert [f["rule"] for f in data["findings"]] == ["RB002"]
    assert data["gate"] == {
        "fail_on": "error", "failed": True, "counted": 1, "baseline": None,
        "fail_on_slo": False, "slo_breached": [],
    }  # fmt: skip
    assert "Gate: FAILED" in result.stdout


def test_fail_on_never_reports_but_does_not_gate(cli, tmp_path):
    site = [*CLEAN_SITE, page("/private")]
    policy = _policy(tmp_path, must='["/$", "/private"]')
    with ScenarioServer(scenario(site)) as server:
        never = cli("audit", server.url, "--policy", str(policy), "--fail-on", "never", "-q")
    assert never.code == 0 and never.stdout.strip() == "Gate: not enforced (--fail-on never)"


def test_policy_error_exits_2_before_any_request(cli, tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("bots:\n  requried: [googlebot]\n")
    with ScenarioServer(scenario(CLEAN_SITE)) as server:
        result = cli("audit", server.url, "--policy", str(bad))
        seen = len(server.requests)
    assert result.code == 2
    assert "rules.yaml:2:3: bots.requried" in result.stderr + result.stdout
    assert seen == 0


def test_unknown_format_is_a_usage_error(cli):
    result = cli("audit", "http://127.0.0.1:9/", "-f", "pdf")
    assert result.code == 2 and "unknown format" in (result.stderr + result.stdout)


def test_unreachable_site_exits_3_and_still_writes_a_result(cli, tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    out = tmp_path / "r.json"
    result = cli(
        "audit", f"http://127.0.0.1:{port}/", "--policy", str(_policy(tmp_path)),
        "-f", "json", "-o", str(out), "-q",
    )  # fmt: skip
    assert result.code == 3
    assert "Traceback" not in result.stderr
    data = json.loads(out.read_text())
    assert data["complete"] is False and "unreachable" in data["incomplete_reason"]


def test_gather_then_evaluate_then_report_offline(cli, tmp_path):
    site = [*CLEAN_SITE, page("/private")]
    policy = _policy(tmp_path, must='["/$", "/private"]')
    snap = tmp_path / "snap.json"
    with ScenarioServer(scenario(site)) as server:
        assert cli("gather", server.url, "--policy", str(policy), "-o", str(snap), "-q").code == 0
    result_file = tmp_path / "result.json"
    evaluated = cli(
        "evaluate", str(snap), "--policy", str(policy), "-f", "json", "-o", str(result_file)
    )
    assert evaluated.code == 1
    rendered = cli("report", str(result_file), "-f", "terminal")
    assert rendered.code == 1 and "RB002" in rendered.stdout
    again = cli("report", str(result_file), "-f", "json", "--fail-on", "never")
    assert again.code == 0
    assert json.loads(again.stdout)["findings"] == json.loads(result_file.read_text())["findings"]


def test_report_rejects_a_file_that_is_not_a_result(cli, tmp_path):
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}')
    result = cli("report", str(bogus))
    assert result.code == 2 and "not a valid seoaudit result" in (result.stderr + result.stdout)
    missing = cli("report", str(tmp_path / "nope.json"))
    assert missing.code == 2 and "file not found" in (missing.stderr + missing.stdout)


def test_several_formats_into_a_directory(cli, tmp_path):
    with ScenarioServer(scenario(CLEAN_SITE)) as server:
        result = cli(
            "audit", server.url, "--policy", str(_policy(tmp_path)), "-f", "terminal,json",
            "-o", str(tmp_path / "out"), "--no-progress",
        )  # fmt: skip
    assert result.code == 0
    assert (tmp_path / "out" / "seoaudit.json").exists()
    assert "Shared scoreboard" in result.stdout


def test_golden_terminal_report():
    result = AuditResult.from_json((GOLDEN / "demo_result.json").read_text())
    text = get_reporter("terminal").render(result, RenderOptions(width=100))
    golden = GOLDEN / "demo_terminal.txt"
    if os.environ.get("SEOAUDIT_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(text)
    assert text == golden.read_text()


def test_terminal_report_fits_80_columns_and_quiet_is_one_line():
    result = AuditResult.from_json((GOLDEN / "demo_result.json").read_text())
    text = get_reporter("terminal").render(result, RenderOptions(width=80))
    assert max(len(line) for line in text.splitlines()) <= 80
    quiet = get_reporter("terminal").render(result, RenderOptions(quiet=True))
    assert quiet.count("\n") == 1 and quiet.startswith("Gate:")


def test_site_text_cannot_inject_terminal_escapes_or_markup():
    data = json.loads((GOLDEN / "demo_result.json").read_text())
    data["findings"][0]["message"] = "evil \x1b[31mred\x1b[0m [bold]markup[/bold] \x07"
    result = AuditResult.model_validate(data)
    options = RenderOptions(width=100, color=False, details=True)
    text = get_reporter("terminal").render(result, options)
    assert "\x1b" not in text and "\x07" not in text
    assert "[bold]markup[/bold]" in text


@pytest.mark.parametrize("fmt", ["terminal", "json"])
def test_report_rerenders_the_golden_result(cli, fmt):
    result = cli("report", str(GOLDEN / "demo_result.json"), "-f", fmt, "--fail-on", "never")
    assert result.code == 0 and result.stdout
