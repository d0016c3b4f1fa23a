"""Honest outcomes through the real CLI: a site that never answered is one clear result, an
interrupted audit never turns unfinished checks into failures, `diff` refuses what cannot
be compared, a first audit of a plain site says only what the user asked, and the small
things a new user tripped over are named in words.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import yaml

from seoaudit.scenarios import ScenarioServer, load_scenario
from tests.conftest import REPO_ROOT, seoaudit_child
from tests.gather_helpers import page, scenario
from tests.test_hostile import tls_server  # noqa: F401 - the fixture

GOLDEN = REPO_ROOT / "tests" / "golden" / "demo_result.json"
FAST = "crawl: {max_rps: 200, sample_per_bot: 4, max_pages: 20, timeout_s: 5}\n"


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unreachable(cli, tmp_path: Path, url: str) -> tuple[object, dict]:
    out = tmp_path / "out"
    run = cli("audit", url, "-f", "terminal,json", "-o", str(out), "--no-progress")
    return run, json.loads((out / "seoaudit.json").read_text())


def _assert_one_clear_outcome(run, data: dict, kind: str, words: str) -> None:
    assert run.code == 3, run.stderr
    assert data["complete"] is False and data["unreachable"]["kind"] == kind
    assert data["unreachable"]["what"] == words or data["unreachable"]["what"].startswith(words)
    assert data["findings"] == [] and data["scoreboard"] == {}
    assert {o["outcome"] for o in data["outcomes"]} == {"inconclusive"}
    lines = run.stdout.strip().splitlines()
    assert f"SITE UNREACHABLE: {data['unreachable']['what']}" in " ".join(run.stdout.split())
    assert len(lines) <= 14, run.stdout
    for claim in ("RB001", "WAF", "Shared scoreboard", "differs by agent", "sitemap"):
        assert claim not in run.stdout
    assert "Gate: not judged — site unreachable" in run.stdout


def test_a_refused_start_url_is_one_clear_site_unreachable_result(cli, tmp_path):
    run, data = _unreachable(cli, tmp_path, f"http://127.0.0.1:{_closed_port()}/")
    _assert_one_clear_outcome(run, data, "connect", "connection refused")
    result_file = tmp_path / "out" / "seoaudit.json"
    md = cli("report", str(result_file), "-f", "markdown")
    assert (
        md.code == 3 and "## Site unreachable" in md.stdout and "Executive summary" not in md.stdout
    )
    html = cli("report", str(result_file), "-f", "html")
    assert "Site unreachable" in html.stdout and "Shared scoreboard" not in html.stdout


def test_a_name_that_does_not_resolve_is_site_unreachable(cli, tmp_path):
    # .invalid never resolves (RFC 6761): no network is needed to get the answer
    run, data = _unreachable(cli, tmp_path, "http://seoaudit-test.invalid/")
    _assert_one_clear_outcome(run, data, "dns", "the host name does not resolve")


def test_a_tls_failure_is_site_unreachable(cli, tmp_path, tls_server):  # noqa: F811
    run, data = _unreachable(cli, tmp_path, tls_server)
    _assert_one_clear_outcome(
        run, data, "tls", "the TLS certificate was rejected (self-signed certificate;"
    )


def test_an_interrupted_audit_marks_unfinished_checks_inconclusive_never_failed(tmp_path):
    slow = [f"/slow{i}" for i in range(30)]
    routes = [
        {"path": "/robots.txt", "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}}},
        page("/", slow),
        *({**page(p), "response": {**page(p)["response"], "delay_ms": 600}} for p in slow),
    ]  # fmt: skip
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "crawl: {max_rps: 50, concurrency: 2, timeout_s: 5, max_time_s: 60}\n"
        "bots: {required: [googlebot], wanted: []}\npaths: {must_index: ['/$', '/slow*']}\n"
    )
    snap = tmp_path / "snapshot.json"
    with ScenarioServer(
        load_scenario({"name": "slow", "origins": {"main": {"routes": routes}}})
    ) as server:
        proc = subprocess.Popen(
            seoaudit_child("audit", server.url, "--policy", str(rules), "-f", "json",
                           "-o", str(tmp_path / "result.json"), "--save-snapshot", str(snap), "--no-progress", "-q"),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            r.path.startswith("/slow") for r in server.requests
        ):
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err.decode()
    result = json.loads((tmp_path / "result.json").read_text())
    snapshot = json.loads(snap.read_text())
    interrupted = {
        e["id"]
        for e in snapshot["exchanges"]
        if (e.get("error") or {}).get("kind") == "interrupted"
    }
    assert interrupted, "a slow page was in flight when the signal came"
    for finding in result["findings"]:
        cited = {ev.get("exchange_id") for ev in finding["evidence"]}
        assert not cited & interrupted, finding["rule"]
        assert "interrupted" not in finding["message"]
    unfinished = [o for o in result["outcomes"] if "interrupted" in o["reason"]]
    assert unfinished and {o["outcome"] for o in unfinished} == {"inconclusive"}
    assert not [
        o for o in result["outcomes"] if o["outcome"] == "fail" and "interrupted" in o["reason"]
    ]


# -- diff ----------------------------------------------------------------------------------------


def _variant(tmp_path: Path, name: str, **changes: object) -> Path:
    data = json.loads(GOLDEN.read_text())
    data.update(changes)
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_diff_refuses_results_of_different_sites(cli, tmp_path):
    other = _variant(tmp_path, "other.json", site="https://www.other.example/")
    run = cli("diff", str(GOLDEN), str(other))
    assert run.code == 2 and "shop.example" in run.stderr and "www.other.example" in run.stderr
    assert "different sites" in run.stderr and "Fixed" not in run.stdout
    same_site_other_port = _variant(tmp_path, "port.json", site="http://shop.example:9999/")
    assert cli("diff", str(GOLDEN), str(same_site_other_port)).code == 0


def test_diff_warns_when_a_result_is_incomplete(cli, tmp_path):
    partial = _variant(tmp_path, "partial.json", complete=False, findings=[],
                       incomplete_reason="interrupted: the run was stopped before it finished")  # fmt: skip
    run = cli("diff", str(GOLDEN), str(partial))
    assert run.code == 0
    assert "incomplete audit" in run.stderr and "not seen, not as fixed" in run.stderr
    assert "Not seen in the incomplete new audit (46)" in run.stdout and "Fixed (" not in run.stdout
    as_json = json.loads(cli("diff", str(GOLDEN), str(partial), "-f", "json").stdout)
    assert as_json["fixed_means"].startswith("not seen") and as_json["warnings"]


def test_a_baseline_of_another_site_is_said(cli, tmp_path):
    other = _variant(tmp_path, "other.json", site="https://www.other.example/")
    run = cli("report", str(GOLDEN), "--baseline", str(other), "-f", "json", "--fail-on", "never")
    assert any("every finding counts as new" in w for w in json.loads(run.stdout)["warnings"])


def test_a_snapshot_and_a_result_are_told_apart(cli, tmp_path):
    site = [page("/")]
    snap = tmp_path / "snap.json"
    with ScenarioServer(scenario(site)) as server:
        assert cli("gather", server.url, "-o", str(snap), "-q").code in (0, 3)
    wrong = cli("report", str(snap))
    assert wrong.code == 2 and f"seoaudit evaluate {snap}" in wrong.stderr
    assert "Field required" not in wrong.stderr
    back = cli("evaluate", str(GOLDEN))
    assert back.code == 2 and f"seoaudit report {GOLDEN}" in back.stderr


# -- a plain site's first audit ------------------------------------------------------------------


def test_the_starter_policy_states_no_opinion_the_user_did_not(cli, tmp_path):
    run = cli("policy", "init", "https://www.example.com/")
    text = run.stdout
    policy = yaml.safe_load(text)
    assert policy["bots"]["blocked"] == [] and policy["bots"]["wanted"] == []
    assert "gptbot" in text and text.count("gptbot") == 1  # only as a commented example
    assert "repository" not in text and "seoaudit policy schema" in text


def test_a_plain_site_first_audit_says_what_is_there_and_nothing_else(cli, tmp_path):
    site = [page("/", ["/a"]), page("/a")]  # no robots.txt (404), no sitemap
    with ScenarioServer(scenario(site)) as server:
        init = cli("policy", "init", server.url)
        policy = tmp_path / "rules.yaml"
        policy.write_text(init.stdout.replace("max_rps: 5 ", "max_rps: 200"))
        out = tmp_path / "out"
        run = cli(
            "audit",
            server.url,
            "--policy",
            str(policy),
            "-f",
            "terminal,json",
            "-o",
            str(out),
            "--no-progress",
        )
    assert run.code == 0, run.stdout + run.stderr
    data = json.loads((out / "seoaudit.json").read_text())
    assert {f["rule"] for f in data["findings"]} == {"SM004", "SM005"}  # info: said, not alarmed
    assert all(f["severity"] == "info" for f in data["findings"])
    kpis = {k["id"]: k for k in data["scoreboard"]["kpis"]}
    assert kpis["robots_health"]["status"] == "good"
    assert "no robots.txt: everything allowed" in kpis["robots_health"]["value"]
    assert kpis["sitemaps"]["status"] == "warn" and "none found" in kpis["sitemaps"]["value"]
    shown = " ".join(run.stdout.split())
    assert "no robots.txt: everything allowed" in shown and "BAD" not in shown
    assert "RB009" not in run.stdout and "policy changed" not in run.stdout


def test_a_404_robots_txt_with_blocked_bots_in_the_policy_gets_its_finding(cli, tmp_path):
    site = [page("/")]
    policy = tmp_path / "rules.yaml"
    policy.write_text(FAST + "bots: {required: [googlebot], wanted: [], blocked: [gptbot]}\n")
    out = tmp_path / "r.json"
    with ScenarioServer(scenario(site)) as server:
        run = cli("audit", server.url, "--policy", str(policy), "-f", "json", "-o", str(out), "-q")
    assert run.code == 0, run.stderr
    found = [f for f in json.loads(out.read_text())["findings"] if f["rule"] == "RB009"]
    assert found and "404" in found[0]["message"]
    assert found[0]["fix"]["configs"][0]["code"] == "User-agent: gptbot\nDisallow: /\n"


# -- the smaller points --------------------------------------------------------------------------


def test_a_broken_ipv6_url_is_named(cli, tmp_path):
    for args in (("audit", "http://[::1"), ("policy", "init", "http://[::1")):
        run = cli(*args)
        assert run.code == 2 and "unclosed '['" in run.stderr and "internal error" not in run.stderr


def test_an_empty_policy_file_is_noted(cli, tmp_path):
    empty = tmp_path / "rules.yaml"
    empty.write_text("# nothing yet\n")
    check = cli("policy", "check", str(empty))
    assert check.code == 0 and "sets nothing" in check.stdout
    run = cli("report", str(GOLDEN), "-q")  # report takes no policy: no note
    assert "sets nothing" not in run.stderr
    evaluate = cli("evaluate", str(tmp_path / "missing.json"), "--policy", str(empty))
    assert "sets nothing" in evaluate.stderr


def test_robots_lint_never_prints_terminal_escapes(cli, tmp_path):
    robots = tmp_path / "robots.txt"
    robots.write_bytes(b"User-agent: *\n\x1b[31mDisalow\x1b[0m: /x\x07\n")
    run = cli("robots", "lint", str(robots))
    assert "\x1b" not in run.stdout and "\x07" not in run.stdout and "Disalow" in run.stdout


def test_robots_test_on_a_binary_file_says_so(cli, tmp_path):
    image = tmp_path / "logo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    run = cli("robots", "test", str(image), "/x")
    assert run.code == 0 and "does not look like a robots.txt" in run.stderr
    text = tmp_path / "robots.txt"
    text.write_text("User-agent: *\nDisallow: /x\n")
    assert "does not look like" not in cli("robots", "test", str(text), "/x").stderr
