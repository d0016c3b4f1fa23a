"""`seoaudit logs`: formats, crawler identification and verification, the planted-numbers
report, the join with the audit, and never-raise properties of the log-line parsers."""

from __future__ import annotations

import gzip
import io
import json
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seoaudit.logs.findings import run_logs
from seoaudit.logs.parse import (
    CADDY_FIELDS,
    CLOUDFLARE_FIELDS,
    NOT_ACCESS,
    LogFormatError,
    LogRecord,
    Malformed,
    iter_records,
    parse_alb,
    parse_clf,
    parse_json,
    parse_w3c,
)
from seoaudit.logs.synthetic import GOOGLEBOT_UA, generate
from seoaudit.logs.verify import SPOOFED, UNVERIFIABLE, VERIFIED, Verifier
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.scenarios import ScenarioServer, load_scenario

COMBINED = (
    '66.249.66.1 - - [10/Oct/2026:13:55:36 +0200] "GET /a?b=1 HTTP/1.1" 403 2326 '
    '"https://ref/" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" 0.012'
)
POLICY = (
    "bots: {required: [googlebot]}\npaths: {must_index: ['/$', '/products/', '/never-visited']}\n"
)


def _write(tmp_path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def test_combined_line_with_a_trailing_field():
    r = parse_clf(COMBINED, 3)
    assert r is not None
    assert (r.ip, r.method, r.path, r.status, r.bytes_sent, r.referer) == (
        "66.249.66.1", "GET", "/a?b=1", 403, 2326, "https://ref/")  # fmt: skip
    assert "Googlebot/2.1" in r.user_agent and r.line_no == 3
    assert r.time.isoformat() == "2026-10-10T13:55:36+02:00"


def test_common_format_has_no_agent():
    r = parse_clf('10.0.0.1 - frank [01/Jan/2026:00:00:00 +0000] "GET / HTTP/1.0" 200 -')
    assert r is not None and r.user_agent == "" and r.bytes_sent == 0


def test_cloudflare_logpush_preset_and_nanosecond_timestamps():
    line = json.dumps({"ClientIP": "66.249.66.2", "ClientRequestHost": "shop.example", "ClientRequestMethod": "GET",
                       "ClientRequestURI": "/p", "EdgeResponseStatus": 429, "EdgeResponseBytes": 10,
                       "ClientRequestUserAgent": GOOGLEBOT_UA, "EdgeStartTimestamp": 1_790_000_000_000_000_000})  # fmt: skip
    r = parse_json(line, CLOUDFLARE_FIELDS)
    assert r is not None and (r.ip, r.host, r.path, r.status, r.bytes_sent) == (
        "66.249.66.2",
        "shop.example",
        "/p",
        429,
        10,
    )
    assert r.time.year == 2026


def test_fields_mapping_through_the_cli(cli, tmp_path):
    log = _write(tmp_path, "app.jsonl", json.dumps(
        {"ts": "2026-11-01T10:00:00Z", "remote": "66.249.66.3", "uri": "/x", "code": 200, "agent": GOOGLEBOT_UA}) + "\n")  # fmt: skip
    run = cli(
        "logs", log, "--fields", "time=ts,ip=remote,path=uri,status=code,ua=agent", "-f", "json"
    )
    report = json.loads(run.stdout)
    assert report["bots"][0]["bot"] == "googlebot" and report["bots"][0]["verdict"] == VERIFIED
    bad = cli("logs", log, "--fields", "when=ts")
    assert bad.code == 2 and "unknown name 'when'" in bad.stderr


def test_cloudfront_w3c_with_url_encoded_agent(tmp_path):
    text = (
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "
        "sc-status cs(Referer) cs(User-Agent) cs-uri-query\n"
        "2026-11-01\t10:00:00\tFRA56-C1\t512\t66.249.66.4\tGET\td1.cloudfront.net\t/p\t503\t-\t"
        "Mozilla/5.0%20(compatible;%20Googlebot/2.1;%20+http://www.google.com/bot.html)\tq=1\n"
    )
    records = list(iter_records(_write(tmp_path, "cf.log", text)))
    assert len(records) == 1 and isinstance(records[0], LogRecord)
    r = records[0]
    assert (r.path, r.status, r.bytes_sent, r.host) == ("/p?q=1", 503, 512, "d1.cloudfront.net")
    assert "Googlebot/2.1" in r.user_agent and r.time.isoformat() == "2026-11-01T10:00:00+00:00"


def test_gzip_is_recognised_by_content_not_name(tmp_path):
    path = _write(tmp_path, "access.log", gzip.compress(((COMBINED + "\n") * 3).encode()))
    assert sum(isinstance(r, LogRecord) for r in iter_records(path)) == 3


def test_stdin(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO((COMBINED + "\n") * 2))
    run = cli("logs", "-", "-f", "json")
    assert json.loads(run.stdout)["requests"] == 2


def test_malformed_lines_are_counted_and_sampled_never_fatal(cli, tmp_path):
    log = _write(
        tmp_path,
        "mixed.log",
        "\n".join([COMBINED] * 5 + ["not a log line", COMBINED, "\x01\x02 junk"]),
    )
    report = json.loads(cli("logs", log, "-f", "json").stdout)
    assert report["requests"] == 6 and report["malformed"]["count"] == 2
    assert report["malformed"]["samples"][0] == {"file": log, "line": 6, "text": "not a log line"}


def test_empty_binary_and_unrecognised_files(cli, tmp_path):
    empty = cli("logs", _write(tmp_path, "empty.log", ""), "-f", "json")
    assert empty.code == 0 and json.loads(empty.stdout)["requests"] == 0
    binary = cli("logs", _write(tmp_path, "bin.log", bytes(range(256)) * 4))
    assert binary.code == 2 and "binary data" in binary.stderr and "Traceback" not in binary.stderr
    prose = cli("logs", _write(tmp_path, "prose.log", "Dear diary,\ntoday the server was slow.\n"))
    assert prose.code == 2 and "prose.log:1: not a recognised access-log format" in prose.stderr
    missing = cli("logs", str(tmp_path / "nope.log"))
    assert missing.code == 2 and "cannot read" in missing.stderr


def test_planted_numbers_are_reported_exactly(cli, tmp_path):
    lines, planted = generate(30_000, malformed_every=1500)
    log = tmp_path / "access.log.gz"
    log.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    policy = tmp_path / "rules.yaml"
    policy.write_text(POLICY)
    run = cli(
        "logs", str(log), "--policy", str(policy), "-f", "json", "-o", str(tmp_path / "r.json")
    )
    assert run.code == 1, "verified crawlers were refused: a confirmed conflict fails the gate"
    report = json.loads(run.stdout)
    assert json.loads((tmp_path / "r.json").read_text()) == report
    assert report["malformed"]["count"] == planted.malformed
    got = {(b["bot"], b["verdict"]): (b["requests"], b["bytes"]) for b in report["bots"]}
    assert got == {k: (planted.by_group[k], planted.bytes_by_group[k]) for k in planted.by_group}
    conflicts = {(c["bot"], c["kind"]): c["count"] for c in report["conflicts"]}
    assert conflicts == {("googlebot", "blocked"): planted.verified_google_403,
                         ("googlebot", "rate_limited"): planted.verified_google_429}  # fmt: skip
    gptbot = planted.by_group[("gptbot", SPOOFED)]  # GPTBot's UA from addresses OpenAI never lists
    assert sorted(report["spoofed"], key=lambda s: s["bot"]) == [
        {"bot": "googlebot", "requests": planted.by_group[("googlebot", SPOOFED)],
         "refused": planted.spoofed_google_403, "served": 0},
        {"bot": "gptbot", "requests": gptbot, "refused": 0, "served": gptbot}]  # fmt: skip
    assert [g["pattern"] for g in report["must_index_unvisited"]] == ["/never-visited"]
    rules = {(f["rule"], f["confidence"]) for f in report["findings"]}
    assert rules == {("CH002", "confirmed"), ("RL001", "confirmed")}
    terminal = cli("logs", str(log), "--policy", str(policy))
    assert "protection working" in terminal.stdout and "CH002" in terminal.stdout
    page = cli("logs", str(log), "--policy", str(policy), "-f", "html").stdout
    assert page.startswith("<!doctype html>") and "<svg" in page and "verified googlebot" in page
    assert "| googlebot | spoofed |" in cli("logs", str(log), "-f", "markdown").stdout


def test_site_text_in_logs_is_escaped_in_html_and_terminal(cli, tmp_path):
    evil = "<script>alert(1)</script>\x1b[2J"
    log = _write(
        tmp_path,
        "evil.log",
        f'66.249.66.1 - - [01/Nov/2026:10:00:00 +0000] "GET /{evil} HTTP/1.1" 403 1 "-" "{GOOGLEBOT_UA}"\n',
    )
    page = cli("logs", log, "-f", "html").stdout
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "\x1b" not in cli("logs", log).stdout


def test_reverse_dns_verification_is_forward_confirmed():
    names = {"157.55.39.1": "msnbot-157-55-39-1.search.msn.com", "203.0.113.9": "evil.example",
             "203.0.113.10": "fake.search.msn.com"}  # fmt: skip
    forward = {
        "msnbot-157-55-39-1.search.msn.com": ["157.55.39.1"],
        "fake.search.msn.com": ["198.51.100.1"],
    }
    verifier = Verifier(
        load_registry(), rdns=True, reverse=names.get, forward=lambda h: forward.get(h, [])
    )
    ua = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
    assert verifier.identify(ua, "157.55.39.1").verdict == VERIFIED
    assert verifier.identify(ua, "203.0.113.9").verdict == SPOOFED
    assert verifier.identify(ua, "203.0.113.10").verdict == SPOOFED  # name fits, forward does not
    offline = Verifier(load_registry())
    assert offline.identify(ua, "157.55.39.1").verdict == VERIFIED  # shipped Bing list
    yandex = "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)"
    assert offline.identify(yandex, "198.51.100.1").verdict == UNVERIFIABLE  # DNS only: --rdns
    assert offline.identify(GOOGLEBOT_UA, "66.249.66.1").verdict == VERIFIED
    assert offline.identify(GOOGLEBOT_UA, "203.0.113.9").verdict == SPOOFED
    assert (
        offline.identify("Mozilla/5.0 (compatible; AhrefsBot/7.0)", "198.51.100.1").bot_id
        == "other bot"
    )


def _blocking_site() -> Any:
    routes = [
        {"path": "/robots.txt", "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}}},
        {"path": "/p1$", "when": {"ua_contains": ["Googlebot"]}, "response": {"status": 403, "template": "akamai_block"}},
        {"path": "/$", "response": {"template": "page", "params": {"title": "home", "links": ["/p1"], "paragraphs": 6}}},
        {"path": "/p1$", "response": {"template": "page", "params": {"title": "p1", "paragraphs": 6}}},
    ]  # fmt: skip
    return load_scenario({"name": "waf", "origins": {"main": {"routes": routes}}})


@pytest.mark.parametrize("status, outcome", [(200, "refuted"), (403, "confirmed")])
def test_audit_logs_confirms_or_refutes_needs_verification(cli, tmp_path, status, outcome):
    log = _write(tmp_path, "access.log", "".join(
        f'66.249.66.{i} - - [01/Nov/2026:10:00:{i:02d} +0000] "GET /p1 HTTP/1.1" {status} 900 "-" "{GOOGLEBOT_UA}"\n'
        for i in range(1, 20)))  # fmt: skip
    policy = tmp_path / "rules.yaml"
    policy.write_text("crawl: {max_rps: 200, timeout_s: 3}\nbots: {required: [googlebot]}\n"
                      "paths: {must_index: ['/$', '/p1']}\n")  # fmt: skip
    with ScenarioServer(_blocking_site()) as server:
        plain = cli("audit", server.url, "--policy", str(policy), "-f", "json", "--no-progress")
        joined = cli(
            "audit",
            server.url,
            "--policy",
            str(policy),
            "-f",
            "json",
            "--no-progress",
            "--logs",
            log,
        )
    before = [f for f in json.loads(plain.stdout)["findings"] if f["rule"] == "CH002"]
    assert before and before[0]["confidence"] == "needs_verification"
    result = json.loads(joined.stdout)
    after = [f for f in result["findings"] if f["rule"] == "CH002"]
    assert result["logs"]["requests"] == 19
    if outcome == "confirmed":
        assert (
            after[0]["confidence"] == "confirmed"
            and "confirmed by server logs" in after[0]["verify"]
        )
        assert joined.code == 1
    else:
        assert after[0]["severity"] == "info" and after[0]["message"].startswith(
            "[refuted by server logs]"
        )
        assert "refuted" in after[0]["verify"]


def test_update_ranges_from_an_operator_list(cli, tmp_path):
    listing = {
        "creationTime": "2026-11-20T00:00:00",
        "prefixes": [{"ipv4Prefix": "192.0.2.0/24"}, {"ipv6Prefix": "2001:db8::/32"}],
    }
    site = load_scenario({"name": "ranges", "origins": {"main": {"routes": [
        {"path": "/bot.json", "response": {"body": json.dumps(listing), "content_type": "application/json"}}]}}})  # fmt: skip
    out = tmp_path / "ranges.json"
    with ScenarioServer(site) as server:
        run = cli("bots", "update-ranges", "--url", server.url + "bot.json", "-o", str(out))
    assert run.code == 0, run.stderr
    written = json.loads(out.read_text())
    assert written["lists"][server.url + "bot.json"]["prefixes"] == listing["prefixes"]
    failed = cli("bots", "update-ranges", "--url", "http://127.0.0.1:9/none.json", "-o", str(out))
    assert failed.code == 2 and "no IP range list could be fetched" in failed.stderr


ALB_HEAD = "https 2026-11-03T10:08:00.1Z app/x 66.249.66.1:1 - 0.1 "


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_log_line_parsers_never_raise(line):
    for result in (
        parse_clf(line),
        parse_clf(ALB_HEAD + line),  # arbitrary trailers after a real head
        parse_alb(line),
        parse_alb(ALB_HEAD + line),
        parse_json(line, CLOUDFLARE_FIELDS),
        parse_json(line, CADDY_FIELDS),
        parse_w3c(line, ["date", "time", "c-ip", "sc-status"]),
        parse_w3c(line, ["date-local", "time-local", "c-ip", "sc-status", "time-taken"]),
    ):
        assert result is None or result is NOT_ACCESS or isinstance(result, LogRecord)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_give_records_or_the_projects_error(data):
    path = f"/tmp/seoaudit-hyp-{id(data)}.log"
    with open(path, "wb") as fh:
        fh.write(data)
    try:
        for item in iter_records(path):
            assert isinstance(item, LogRecord | Malformed)
    except LogFormatError:
        pass


def test_policy_required_bots_drive_must_index_coverage():
    lines, _ = generate(2000)
    path = "/tmp/seoaudit-cover.log"
    with open(path, "w") as fh:
        fh.write("\n".join(lines))
    report, _ = run_logs([path], parse_policy_text(POLICY, "p.yaml"), load_registry())
    assert report["must_index_unvisited"] == [
        {"pattern": "/never-visited", "missing_bots": ["googlebot"]}
    ]
