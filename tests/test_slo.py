"""Visibility SLOs, the crawl budget and the run history (issue 17, items 2-4).

Answers are planted: generated logs whose refusals are counted as they are written, hand-made
lines on known minutes (a declared maintenance window), the demo shop's golden audit, and
small scenario sites audited through the real CLI.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from seoaudit.crawl_capacity import reconcile
from seoaudit.errors import PolicyError
from seoaudit.logs.findings import run_logs
from seoaudit.logs.synthetic import GOOGLEBOT_UA, VERIFIED_GOOGLE_IPS, generate
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.result import AuditResult
from seoaudit.scenarios import ScenarioServer
from seoaudit.slo import evaluate_slos, nines, pct_text
from tests.conftest import REPO_ROOT
from tests.gather_helpers import page, scenario
from tests.test_audit_cli import CLEAN_SITE, FAST

GOLDEN = REPO_ROOT / "tests" / "golden" / "demo_result.json"
SUNDAY = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # 1 November 2026 is a Sunday
assert SUNDAY.weekday() == 6


def _line(when: dt.datetime, path: str, status: int, ip: str = VERIFIED_GOOGLE_IPS[0]) -> str:
    stamp = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    return f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "-" "{GOOGLEBOT_UA}"'


def _logs(tmp_path: Path, lines: list[str], name: str = "access.log") -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _policy(text: str = ""):
    return parse_policy_text(text, "rules.yaml")


def _sli(slo: dict, sli_id: str) -> dict:
    return next(s for s in slo["slis"] if s["id"] == sli_id)


# -- units ----------------------------------------------------------------------------------


def test_nines_are_the_uptime_team_s_unit():
    assert nines(99.9) == 3.0
    assert nines(99.95) == 3.3
    assert nines(90.0) == 1.0
    assert nines(100.0) is None  # no finite number of nines
    assert pct_text(99.999) == "99.99%"  # rounded down: never reads as 100%
    assert pct_text(97.71) == "97.7%"


def test_policy_errors_for_the_new_keys_name_file_line_and_key():
    text = (
        "infra:\n"
        "  uptime_slo: 100\n"
        "  crawler_shar: 0.2\n"
        "  maintenance_windows:\n"
        '    - {days: [sun], start: "25:00", end: "03:00"}\n'
        "visibility:\n"
        "  crawler_success: 120\n"
        "  window_day: 7\n"
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(text, "team.yaml")
    found = {(p.line, p.key_path): p.message for p in caught.value.problems}
    assert set(found) == {
        (2, "infra.uptime_slo"),
        (3, "infra.crawler_shar"),
        (5, "infra.maintenance_windows[0].start"),
        (7, "visibility.crawler_success"),
        (8, "visibility.window_day"),
    }
    assert 'did you mean "crawler_share"' in found[(3, "infra.crawler_shar")]
    assert 'did you mean "window_days"' in found[(8, "visibility.window_day")]
    assert '"HH:MM"' in found[(5, "infra.maintenance_windows[0].start")]
    assert all(p.file == "team.yaml" for p in caught.value.problems)
    semantic = 'infra:\n  expensive_paths: ["search"]\n  maintenance_windows:\n'
    semantic += '    - {start: "02:00", end: "02:00"}\n'
    with pytest.raises(PolicyError) as caught:
        parse_policy_text(semantic, "team.yaml")
    assert [(p.line, p.key_path) for p in caught.value.problems] == [
        (2, "infra.expensive_paths[0]"),
        (4, "infra.maintenance_windows[0].end"),
    ]


def test_a_window_across_midnight_covers_both_days():
    policy = _policy(
        'infra:\n  maintenance_windows:\n    - {days: [sun], start: "23:30", end: "00:30"}\n'
    )
    window = policy.infra.maintenance_windows[0]
    assert window.covers(SUNDAY.replace(hour=23, minute=45))
    assert window.covers(SUNDAY + dt.timedelta(hours=24, minutes=10))  # Monday 00:10
    assert not window.covers(SUNDAY + dt.timedelta(hours=24, minutes=40))
    assert not window.covers(SUNDAY.replace(hour=0, minute=10))  # Sunday 00:10: Saturday's night


# -- SLIs from logs ---------------------------------------------------------------------------


def test_generated_log_breaches_the_crawler_slo_by_the_planted_refusals(tmp_path):
    lines, planted = generate(20_000, seed=11)
    path = _logs(tmp_path, list(lines))
    policy = _policy()
    report, _ = run_logs([path], policy, load_registry())
    slo = evaluate_slos(policy, None, [], report)
    sli = _sli(slo, "crawler_success")
    # both required bots are verified from the shipped ranges (Google's and Bing's lists)
    served = planted.by_group[("googlebot", "verified")] + planted.by_group[("bingbot", "verified")]
    bad = planted.verified_google_403 + planted.verified_google_429
    assert bad > 0
    assert (sli["total"], sli["good"], sli["budget"]["bad"]) == (served, served - bad, bad)
    assert sli["status"] == "breached" and slo["breached"] == ["crawler_success"]
    assert sli["pct"] == pytest.approx(100 * (served - bad) / served, abs=1e-4)
    assert sli["budget"]["consumed_pct"] == pytest.approx(100 * bad / (0.005 * served), abs=0.1)
    causes = {c["cause"]: c["count"] for c in sli["consumed_by"]}
    assert causes == {"waf": planted.verified_google_403, "rate_limit": planted.verified_google_429}
    assert slo["window"]["logs_cover_days"] == pytest.approx(1.0, abs=0.01)


def test_maintenance_503s_robots_txt_and_a_met_slo(tmp_path):
    """1,000 verified requests; 2 maintenance 503s inside Sunday 02:00-03:00, 1 outside it."""
    lines = []
    for i in range(997):
        lines.append(_line(SUNDAY + dt.timedelta(seconds=30 * i), "/products/a", 200))
    lines.append(_line(SUNDAY.replace(hour=2, minute=10), "/products/a", 503))
    lines.append(_line(SUNDAY.replace(hour=2, minute=50), "/robots.txt", 503))
    lines.append(_line(SUNDAY.replace(hour=4), "/products/b", 503))
    lines += [_line(SUNDAY.replace(hour=5, minute=m), "/robots.txt", 200) for m in range(9)]
    lines.append(_line(SUNDAY.replace(hour=6), "/gone", 404))  # content, not availability
    path = _logs(tmp_path, lines)
    policy = _policy(
        "visibility: {crawler_success: 99.5, robots_txt_availability: 90}\n"
        'infra:\n  maintenance_windows:\n    - {days: [sun], start: "02:00", end: "03:00"}\n'
    )
    report, _ = run_logs([path], policy, load_registry())
    slo = evaluate_slos(policy, None, [], report)
    crawl = _sli(slo, "crawler_success")
    assert (crawl["total"], crawl["good"]) == (1009, 1006)  # the 404 is outside the SLI
    assert crawl["status"] == "met"
    assert {c["cause"]: c["count"] for c in crawl["consumed_by"]} == {
        "maintenance": 2,
        "server_error": 1,
    }
    assert crawl["budget"]["consumed_pct"] == pytest.approx(100 * 3 / (0.005 * 1009), abs=0.1)
    robots = _sli(slo, "robots_txt_availability")
    assert (robots["total"], robots["good"], robots["status"]) == (10, 9, "met")
    assert robots["consumed_by"][0]["cause"] == "maintenance"
    without = evaluate_slos(_policy(), None, [], report)  # no window declared: plain 5xx
    assert {c["cause"] for c in _sli(without, "crawler_success")["consumed_by"]} == {"server_error"}


def test_logs_cli_fail_on_slo_exit_code_and_report(cli, tmp_path):
    lines, _ = generate(5_000, seed=3)
    log = _logs(tmp_path, list(lines))
    policy = tmp_path / "rules.yaml"
    policy.write_text("bots: {required: [googlebot]}\n")
    plain = cli("logs", log, "-p", str(policy), "--fail-on", "never")
    assert plain.code == 0
    assert "Visibility SLOs" in plain.stdout and "BREACHED" in plain.stdout
    gated = cli("logs", log, "-p", str(policy), "--fail-on", "never", "--fail-on-slo", "-f", "json")
    assert gated.code == 1
    data = json.loads(gated.stdout)
    assert data["slo"]["breached"] == ["crawler_success"]
    md = cli("logs", log, "-p", str(policy), "--fail-on", "never", "-f", "markdown")
    assert "## Visibility SLOs" in md.stdout and "| BREACHED |" in md.stdout
    page_ = cli("logs", log, "-p", str(policy), "--fail-on", "never", "-f", "html").stdout
    assert page_.index("id='slo'") < page_.index("</body>")


# -- SLIs from a demo-shop audit ---------------------------------------------------------------


def test_demo_audit_breaches_must_index_and_names_the_protections():
    result = AuditResult.from_json(GOLDEN.read_text())
    policy = _policy("bots: {required: [googlebot, bingbot]}\n")
    slo = evaluate_slos(policy, result.scoreboard, result.findings, None)
    sli = _sli(slo, "must_index_indexable")
    rows = [b for b in result.scoreboard["bots"] if b["role"] == "required"]
    assert sli["total"] == sum(b["must_index"]["total"] for b in rows) > 0
    assert sli["good"] == sum(b["must_index"]["indexable"] for b in rows)
    assert sli["status"] == "breached"
    causes = {c["cause"] for c in sli["consumed_by"]}
    assert {"challenge", "waf", "robots_txt"} <= causes  # the demo's challenge, WAF and robots
    assert slo["not_measured"] == ["crawler_success: needs access logs (--logs FILE)"]
    assert slo["uptime"] == {"target_pct": 99.9, "nines": 3.0, "allowed_downtime_min": 40.3}


# -- crawl budget ---------------------------------------------------------------------------


def _scoreboard(urls: int) -> dict:
    row = {"crawl_rate": {"urls": urls, "sustainable_rps": 0.5}, "role": "required"}
    return {"bots": [{**row, "bot": "googlebot"}, {**row, "bot": "bingbot"}]}


def test_budget_that_fits_proposes_a_limiter_at_the_allowed_rate():
    policy = _policy(
        "bots: {required: [googlebot, bingbot]}\nrate: {recrawl_days: 7}\n"
        "infra: {origin_capacity_rps: 20, crawler_share: 0.1}\n"
    )
    out = reconcile(policy, _scoreboard(100_000), [], None)
    needed = 2 * 100_000 / (7 * 86_400)  # two crawlers, a full recrawl each week
    assert out["verdict"] == "fits"
    assert out["needed_rps"] == pytest.approx(needed, abs=1e-5)
    assert out["allowed_rps"] == 2.0
    proposal = out["proposal"]
    assert proposal["rate_rps"] == 2.0
    targets = [c["target"] for c in proposal["configs"]]
    assert targets == ["nginx", "nginx", "cloudflare", "aws-waf"]  # no vendor seen: all three
    http = proposal["configs"][0]["code"]
    assert "rate=2r/s" in http and "zone=crawler_budget" in http
    aws = json.loads(proposal["configs"][3]["code"])
    assert aws["Statement"]["RateBasedStatement"]["Limit"] == 120
    assert aws["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429


def test_budget_that_does_not_fit_says_by_how_much_and_what_would_fit():
    policy = _policy(
        "bots: {required: [googlebot, bingbot]}\nrate: {recrawl_days: 7}\n"
        "infra: {origin_capacity_rps: 20, crawler_share: 0.1}\n"
    )
    urls = 2_000_000
    out = reconcile(policy, _scoreboard(urls), [], None)
    needed = 2 * urls / (7 * 86_400)  # 6.61 req/s against 2 allowed
    assert out["verdict"] == "does_not_fit" and out["proposal"] is None
    assert out["shortfall_rps"] == pytest.approx(needed - 2.0, abs=1e-3)
    fits = {o["change"].split(" ")[0]: o["value"] for o in out["to_fit"]}
    assert fits["infra.crawler_share"] == pytest.approx(needed / 20, abs=1e-4)
    assert fits["infra.origin_capacity_rps"] == pytest.approx(needed / 0.1, abs=0.01)
    assert fits["rate.recrawl_days"] == pytest.approx(7 * needed / 2.0, abs=0.01)
    fit_urls = fits["at"]
    assert fit_urls == math.floor(2.0 * 7 * 86_400 / 2)
    # each option alone makes it fit
    assert 2 * fit_urls / (7 * 86_400) <= 2.0
    assert "short by" in out["summary"]


def test_budget_without_capacity_says_which_key_to_set():
    out = reconcile(_policy(), _scoreboard(1000), [], None)
    assert out["verdict"] == "unknown" and "infra.origin_capacity_rps" in out["summary"]


NGINX = __import__("shutil").which("nginx") or "/usr/sbin/nginx"


def test_the_limiter_passes_nginx_t_and_answers_429_never_403_to_verified(tmp_path):
    from seoaudit.fixconfig import RANGES_FILE_NGINX, limiter_configs
    from tests.test_fixconfig import _free_port, _need

    nginx = _need(NGINX if Path(NGINX).exists() else None, "SEOAUDIT_REQUIRE_NGINX", "nginx")
    http, server = (c.code for c in limiter_configs(2.0, None, "nginx"))
    ranges = tmp_path / "verified.conf"
    (tmp_path / "www").mkdir()
    (tmp_path / "tmp").mkdir()
    (tmp_path / "www" / "page").write_text("the page\n")
    (tmp_path / "www" / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    port = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"daemon off; master_process off; worker_processes 1; pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log; events {{ worker_connections 64; }}\n"
        f"http {{ access_log off; client_body_temp_path {tmp_path}/tmp;\n"
        f"{http.replace(RANGES_FILE_NGINX, str(ranges))}\n"
        f"server {{ listen 127.0.0.1:{port};\n{server}\nlocation / {{ root {tmp_path}/www; }} }} }}\n"
    )
    bot = {"User-Agent": GOOGLEBOT_UA}
    base = f"http://127.0.0.1:{port}"

    def serving(verified: bool) -> subprocess.Popen[bytes]:
        ranges.write_text("66.249.66.0/27 1;\n" + ("127.0.0.1/32 1;\n" if verified else ""))
        check = subprocess.run(
            [nginx, "-t", "-c", str(conf), "-p", str(tmp_path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(tmp_path)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/robots.txt", timeout=2)
                return proc
            except httpx.HTTPError:
                time.sleep(0.1)
        proc.kill()
        pytest.fail("nginx did not start")

    proc = serving(verified=True)
    try:
        with httpx.Client(timeout=5) as client:
            answers = [client.get(base + "/page", headers=bot) for _ in range(30)]
            codes = {r.status_code for r in answers}
            assert codes == {200, 429}  # limited, never refused
            assert next(r for r in answers if r.status_code == 429).headers["retry-after"] == "60"
            served = sum(r.status_code == 200 for r in answers)
            assert served >= 3  # the burst (2) and the first request; nginx counts server-side
            robots = [client.get(base + "/robots.txt", headers=bot).status_code for _ in range(20)]
            assert robots == [200] * 20  # robots.txt is never counted
    finally:
        proc.terminate()
        proc.wait(10)
    proc = serving(verified=False)
    try:
        with httpx.Client(timeout=5) as client:
            assert client.get(base + "/page", headers=bot).status_code == 403  # spoofed
            browser = [client.get(base + "/page").status_code for _ in range(30)]
            assert browser == [200] * 30  # people are not in the crawler budget
    finally:
        proc.terminate()
        proc.wait(10)


def test_limiter_aws_rule_validates_against_the_wafv2_model():
    import botocore.session
    from botocore.validate import ParamValidator

    from seoaudit.fixconfig import limiter_configs

    shape = botocore.session.get_session().get_service_model("wafv2").shape_for("Rule")
    for rate in (0.05, 2.0, 37.5):
        (config,) = limiter_configs(rate, "AWS WAF")
        report = ParamValidator().validate(json.loads(config.code), shape)
        assert not report.has_errors(), report.generate_report()
    assert "floor" in limiter_configs(0.05, "AWS WAF")[0].title  # 3 a minute → AWS minimum 10


def test_limiter_cloudflare_expression_is_well_formed():
    from seoaudit.fixconfig import limiter_configs
    from tests.test_fixconfig import _cloudflare_ok

    (config,) = limiter_configs(5.0, "Cloudflare")
    assert _cloudflare_ok(config.code) and "300 requests a minute" in config.title


# -- audits through the CLI, recorded, and the trend ---------------------------------------------


def _site_policy(tmp_path: Path, must: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(
        FAST
        + f"paths: {{must_index: {must}}}\n"
        + "infra: {origin_capacity_rps: 10, crawler_share: 0.2}\n"
        + "visibility: {must_index_indexable: 99}\n"
    )
    return path


def test_audits_recorded_then_trend_flags_the_regression(cli, tmp_path):
    history = tmp_path / "ci-cache" / "history.sqlite"
    clean = _site_policy(tmp_path, '["/$", "/a"]')
    with ScenarioServer(scenario(CLEAN_SITE)) as server:
        first = cli("audit", server.url, "-p", str(clean), "--record", "--history", str(history),
                    "--fail-on-slo", "--no-progress")  # fmt: skip
        second = cli("audit", server.url, "-p", str(clean), "--record", "--history", str(history),
                     "-q")  # fmt: skip
    assert first.code == 0, first.stdout + first.stderr
    assert "Visibility SLOs  2 met" in first.stdout and "crawl budget fits" in first.stdout
    assert second.code == 0
    broken = _site_policy(tmp_path, '["/$", "/private"]')
    with ScenarioServer(scenario([*CLEAN_SITE, page("/private")])) as server:
        third = cli("audit", server.url, "-p", str(broken), "--record", "--history", str(history),
                    "--fail-on", "never", "--fail-on-slo", "-f", "json", "--no-progress")  # fmt: skip
    assert third.code == 1  # no finding gates (--fail-on never): the breached SLO does
    data = json.loads(third.stdout)
    assert data["gate"]["slo_breached"] == ["must_index_indexable"]
    sli = _sli(data["slo"], "must_index_indexable")
    assert (sli["good"], sli["total"]) == (1, 2)
    assert sli["consumed_by"][0]["cause"] == "robots_txt"
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (3,)
        assert db.execute("SELECT value FROM meta WHERE key='format'").fetchone() == (
            "seoaudit-history",
        )
    trend = cli("trend", "--history", str(history), "-f", "json")
    assert trend.code == 0
    data = json.loads(trend.stdout)
    assert [r["id"] for r in data["runs"]] == [1, 2, 3]
    found = {(r["run"], r["what"], r["id"]) for r in data["regressions"]}
    assert (3, "sli", "must_index_indexable") in found
    assert (3, "findings", "new_findings") in found
    assert all(r["run"] == 3 for r in data["regressions"])  # runs 1 → 2 changed nothing
    series = next(s for s in data["slis"] if s["id"] == "must_index_indexable")
    assert [p["value"] for p in series["points"]] == [100.0, 100.0, 50.0]
    text = cli("trend", "--history", str(history))
    assert "SLOs over time" in text.stdout and "Regressions (" in text.stdout
    assert "moved by shared" in text.stdout
    gate = cli("trend", "--history", str(history), "--fail-on-regression", "-o",
               str(tmp_path / "trend.html"))  # fmt: skip
    assert gate.code == 1
    page_ = (tmp_path / "trend.html").read_text()
    assert page_.count("<svg") >= 2 and "<script" not in page_
    assert "Regressions" in page_ and "50%" in page_


def test_history_errors_are_clear(cli, tmp_path):
    missing = cli("trend", "--history", str(tmp_path / "none.sqlite"))
    assert missing.code == 2 and "no history yet" in missing.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all, just bytes" * 100)
    bad = cli("trend", "--history", str(junk))
    assert bad.code == 2 and "not a seoaudit history" in bad.stderr
    assert "Traceback" not in bad.stderr
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    foreign = cli("trend", "--history", str(other))
    assert foreign.code == 2 and "not a seoaudit history" in foreign.stderr


@pytest.mark.parametrize("slows", [True, False])
def test_the_crawl_safety_verdict_checks_the_allowance(tmp_path, slows):
    from seoaudit.logs.synthetic import generate_load

    lines, _ = generate_load(peak_slows=slows, peak_rpm=200)
    path = _logs(tmp_path, lines)
    capacity = 40 if slows else 15  # 4 req/s = 240/min above the peak; 1.5 req/s = 90/min
    policy = _policy(f"infra: {{origin_capacity_rps: {capacity}, crawler_share: 0.1}}\n")
    report, _ = run_logs([path], policy, load_registry())
    budget = reconcile(policy, None, [], report)
    safety = report["safety"]
    assert budget["observed"]["safe_rps"] == pytest.approx(safety["safe_rpm"] / 60, abs=1e-3)
    if slows:
        assert safety["degraded_from_rpm"] <= 240
        assert any("loaded the origin" in n for n in budget["notes"])
    else:
        assert safety["degraded_from_rpm"] is None and safety["safe_rpm"] >= 90
        assert any("did not measurably load" in n for n in budget["notes"])


def test_audit_with_logs_reports_both_sources(cli, tmp_path):
    lines, planted = generate(5_000, seed=5)
    log = _logs(tmp_path, list(lines))
    policy = _site_policy(tmp_path, '["/$", "/a"]')
    out = tmp_path / "result.json"
    with ScenarioServer(scenario(CLEAN_SITE)) as server:
        run = cli("audit", server.url, "-p", str(policy), "--logs", log, "-f", "json",
                  "-o", str(out), "--fail-on", "never", "--fail-on-slo", "-q")  # fmt: skip
    assert run.code == 1  # the log's refusals breach crawler_success; the site itself is clean
    data = json.loads(out.read_text())
    ids = {s["id"]: s for s in data["slo"]["slis"]}
    assert set(ids) == {"crawler_success", "robots_txt_availability", "must_index_indexable"}
    assert ids["must_index_indexable"]["status"] == "met"
    bad = planted.verified_google_403 + planted.verified_google_429
    assert ids["crawler_success"]["budget"]["bad"] == bad
    assert data["gate"]["slo_breached"] == ["crawler_success"]
    assert data["slo"]["not_measured"] == []
    rerendered = cli("report", str(out), "-q")  # the saved result keeps --fail-on-slo
    assert rerendered.code == 1


def test_logs_runs_recorded_and_their_regression(cli, tmp_path):
    history = tmp_path / "history.sqlite"
    policy = tmp_path / "rules.yaml"
    policy.write_text("bots: {required: [googlebot]}\n")
    clean = [_line(SUNDAY + dt.timedelta(minutes=i), "/products/a", 200) for i in range(500)]
    refused = [*clean[:490], *(_line(SUNDAY.replace(hour=9), "/p", 403) for _ in range(10))]
    for name, lines in (("day1.log", clean), ("day2.log", refused)):
        run = cli("logs", _logs(tmp_path, lines, name), "-p", str(policy), "--fail-on", "never",
                  "--record", "--history", str(history), "-f", "json")  # fmt: skip
        assert run.code == 0 and "recorded run" in run.stderr
    data = json.loads(cli("trend", "--history", str(history), "-f", "json").stdout)
    assert [r["kind"] for r in data["runs"]] == ["logs", "logs"]
    series = next(s for s in data["slis"] if s["id"] == "crawler_success")
    assert [p["value"] for p in series["points"]] == [100.0, 98.0]
    sli = next(r for r in data["regressions"] if r["what"] == "sli")
    assert sli["newly_breached"] and sli["cause"] == "waf" and sli["run"] == 2
    kpi = next(r for r in data["regressions"] if r["what"] == "kpi")
    assert kpi["id"] == "log_verified_refused" and (kpi["before"], kpi["after"]) == ("0", "10")


def _recorded_history(path: Path, runs: int = 6) -> None:
    """Runs recorded straight into the store: an SLI that dips below its target at run 4."""
    from seoaudit.history import record

    for i in range(runs):
        pct = 99.9 if i != 3 else 97.0
        sli = {"id": "crawler_success", "label": "Verified required-crawler requests served",
               "source": "logs", "pct": pct, "target_pct": 99.5,
               "status": "met" if pct >= 99.5 else "breached", "moved_by": "shared",
               "budget": {"consumed_pct": 20.0 if pct > 99 else 600.0},
               "consumed_by": [{"cause": "rate_limit"}]}  # fmt: skip
        kpi = {"id": "block_challenge_rate", "label": "Crawler requests blocked or challenged",
               "value": f"{i}.0% ({i}/100)", "status": "good" if i < 2 else "bad",
               "moved_by": "infra"}  # fmt: skip
        record(path, kind="audit", site="https://shop.example/", started_at=None,
               tool_version="test", policy_sha256=None, complete=True, gate_failed=False,
               kpis=[kpi], slis=[sli], findings=[],
               now=SUNDAY + dt.timedelta(days=i))  # fmt: skip


def test_trend_html_charts_every_run_without_script_and_fits_a_phone(cli, tmp_path):
    from tests.test_report_people import CHROMIUM, MEASURE, _flags

    history = tmp_path / "history.sqlite"
    _recorded_history(history)
    out = tmp_path / "trend.html"
    assert cli("trend", "--history", str(history), "-o", str(out)).code == 0
    page_ = out.read_text()
    assert "<script" not in page_ and page_.count("<svg") == 2
    assert page_.count("<circle") == 12  # 6 runs × (1 SLI + 1 KPI)
    assert page_.count('fill="#c62828"') == 5  # run 4's breach, runs 3-6 bad KPI
    regressions = page_[page_.index('id="regressions"') : page_.index('id="slos"')]
    assert "run 4" in regressions and "run 3" in regressions and "run 5" not in regressions
    if not CHROMIUM:
        pytest.skip("headless Chromium is not installed")
    (tmp_path / "measured.html").write_text(page_.replace("</body>", MEASURE + "</body>"))
    host = (
        "<!doctype html><html><body style='margin:0'><iframe src='measured.html' "
        "style='width:390px;height:2400px;border:0;display:block'></iframe><pre id='out'>"
        "waiting</pre><script>addEventListener('message', e => "
        "{ document.getElementById('out').textContent = e.data; });</script></body></html>"
    )
    (tmp_path / "host.html").write_text(host)
    dom = subprocess.run(
        [*_flags(tmp_path), "--window-size=1400,900", "--virtual-time-budget=10000",
         "--dump-dom", (tmp_path / "host.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r"<pre id=\"out\">(\{.*?\})</pre>", dom.stdout)
    assert found, dom.stdout[-500:] + dom.stderr[-500:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["scroll"] <= measured["width"] <= 390 and measured["overflowing"] == []
