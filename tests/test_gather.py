"""The gatherers against real HTTP servers on 127.0.0.1: facts recorded, bounds held."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from seoaudit.gather.service import GatherOptions, gather
from seoaudit.registry import load_registry
from seoaudit.scenarios import ScenarioServer, load_scenario
from seoaudit.snapshot import Snapshot
from tests.conftest import seoaudit_child
from tests.gather_helpers import gather_site, page, policy, scenario

ROBOTS_ALLOW_ALL = {
    "path": "/robots.txt",
    "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}},
}


def _exchanges(snap: Snapshot, purpose: str, profile: str | None = None):
    return [
        e
        for e in snap.exchanges
        if e.purpose == purpose and (profile is None or e.profile == profile)
    ]


@pytest.fixture(scope="module")
def demo() -> tuple[Snapshot, list]:
    pol = policy(
        "crawl: {max_rps: 1000, concurrency: 16, sample_per_bot: 80, max_pages: 100}\n"
        "bots: {required: [googlebot, bingbot], wanted: [oai-searchbot, perplexitybot],"
        " blocked: [gptbot, ccbot]}\n"
        "paths: {must_index: [/$, /products/, /category/*, /blog/*],"
        " must_not_index: [/admin/, /cart, /search]}\n"
    )
    with ScenarioServer(load_scenario("demo")) as server:
        snap = gather(pol, load_registry(), GatherOptions(start_url=server.url))
        requests = list(server.requests)
    return snap, requests


def test_demo_snapshot_records_robots_per_profile(demo):
    snap, _ = demo
    statuses = {r.profile: snap.exchange(r.exchange_id).status for r in snap.robots}
    assert statuses["bot:perplexitybot"] == 503  # the WAF answers one bot differently
    assert statuses["seoaudit"] == statuses["browser"] == statuses["bot:googlebot"] == 200
    assert "unknown-bot" in statuses
    honest = next(r for r in snap.robots if r.profile == "seoaudit")
    assert b"Dissalow: /tmp/" in honest.body_bytes()


def test_demo_snapshot_follows_sitemap_index_gzip_child_and_records_broken_child(demo):
    snap, _ = demo
    kinds = {s.url.rsplit("/", 1)[-1]: s for s in snap.sitemaps}
    assert kinds["sitemap_index.xml"].kind == "sitemapindex"
    gz = kinds["sitemap-pages.xml.gz"]
    assert gz.kind == "urlset" and gz.gzip and gz.url_count > 40
    assert gz.found_via == "index" and gz.parent.endswith("sitemap_index.xml")
    assert kinds["sitemap-archive.xml"].kind == "unreachable"


def test_demo_snapshot_probes_each_bot_and_keeps_page_facts(demo):
    snap, _ = demo
    probed = Counter(e.profile for e in _exchanges(snap, "probe"))
    counts = {probed[p] for p in ("browser", "unknown-bot", "bot:googlebot", "bot:gptbot")}
    assert len(counts) == 1 and counts.pop() >= 60  # the same sample for every profile
    # must-index URLs come first in the sample
    first = _exchanges(snap, "probe", "bot:googlebot")[0]
    assert first.url.endswith("/")
    assert any(e.error and e.error.kind == "reset" for e in _exchanges(snap, "probe"))
    noindex = [p for p in snap.pages if any("noindex" in v.lower() for v in p.x_robots_tag)] + [
        p for p in snap.pages if any("noindex" in c.lower() for _, c in p.meta_robots)
    ]
    assert noindex, "the demo plants noindex pages"
    assert _exchanges(snap, "asset"), "assets of must-index pages are fetched"


def test_snapshot_round_trips_exactly(demo):
    snap, _ = demo
    text = snap.to_json()
    assert Snapshot.from_json(text).to_json() == text


def test_every_request_stays_in_scope_and_is_recorded(demo):
    snap, requests = demo
    assert snap.complete
    recorded = sum(1 + len(e.redirects) for e in snap.exchanges if e.status is not None)
    # each server-side request is one recorded exchange or one recorded redirect hop
    assert len(requests) <= recorded + sum(1 for e in snap.exchanges if e.error)


def test_global_rps_ceiling_holds_on_the_server_side():
    links = [f"/p{i}" for i in range(30)]
    site = scenario([ROBOTS_ALLOW_ALL, page("/", links)] + [page(p) for p in links])
    _snap, server = gather_site(
        site, "crawl: {max_rps: 10, concurrency: 8, sample_per_bot: 0, sitemaps: false}\n"
    )
    times = sorted(r.t for r in server.requests)
    assert len(times) >= 25
    # token bucket with burst 1: n requests start >= (n-1)/rps apart. A loaded machine can stamp
    # any one arrival late by scheduling jitter (50 ms allowed here), which shortens one gap but
    # a span of 4 gaps by at most two stamps' jitter; unpaced, 5 requests would start together.
    spans = [times[i + 4] - times[i] for i in range(len(times) - 4)]
    assert min(spans) >= 4 * 0.1 - 2 * 0.05, min(spans)
    for i, start in enumerate(times):  # and never more than the ceiling in any second
        assert sum(1 for t in times[i:] if t - start < 1.0) <= 11


def test_bodies_are_cut_at_the_cap():
    site = scenario([ROBOTS_ALLOW_ALL, {"path": "/$", "response": {"size_kib": 300}}])
    snap, _ = gather_site(
        site, "crawl: {max_rps: 200, max_body_kib: 64, sample_per_bot: 0, sitemaps: false}\n"
    )
    home = _exchanges(snap, "page")[0]
    assert home.body.truncated and home.body.bytes == 64 * 1024
    assert home.error.kind == "too_large"


def test_gzip_bomb_stops_at_the_cap():
    site = scenario(
        [ROBOTS_ALLOW_ALL, {"path": "/$", "response": {"encoding": "gzip", "bomb_mib": 64}}]
    )
    snap, _ = gather_site(
        site, "crawl: {max_rps: 200, max_body_kib: 256, sample_per_bot: 0, sitemaps: false}\n"
    )
    home = _exchanges(snap, "page")[0]
    assert home.body.bytes == 256 * 1024 and home.body.truncated


def test_redirect_caps_robots_five_pages_ten():
    site = scenario(
        [
            {"path": "/robots.txt", "response": {"redirect": {"to": "/real-robots", "chain": 6}}},
            {"path": "/long$", "response": {"redirect": {"to": "/", "chain": 11}}},
            {"path": "/loop$", "response": {"redirect": {"loop": True}}},
            page("/", ["/long", "/loop"]),
        ]
    )
    snap, _ = gather_site(site, "crawl: {max_rps: 200, sample_per_bot: 0, sitemaps: false}\n")
    robots = _exchanges(snap, "robots", "seoaudit")[0]
    assert robots.error.kind == "redirect_limit" and len(robots.redirects) == 6
    by_path = {e.url.rsplit("/", 1)[-1]: e for e in _exchanges(snap, "page")}
    assert by_path["long"].error.kind == "redirect_limit"
    assert len(by_path["long"].redirects) == 11
    assert by_path["loop"].error.kind == "redirect_loop"


def test_offsite_links_and_redirects_are_recorded_not_followed():
    site = load_scenario(
        {
            "name": "two-origins",
            "origins": {
                "main": {
                    "routes": [
                        ROBOTS_ALLOW_ALL,
                        page("/", ["/away", "{origin:other}/secret"]),
                        {"path": "/away$", "response": {"redirect": {"to": "{origin:other}/x"}}},
                    ]
                },
                "other": {"routes": [page("/secret"), page("/x")]},
            },
        }
    )
    with ScenarioServer(site) as server:
        snap = gather(
            policy("crawl: {max_rps: 200, sample_per_bot: 3, sitemaps: false}\n"),
            load_registry(),
            GatherOptions(start_url=server.url),
        )
        other = server.origins["other"]
        hits_other = [r for r in server.requests if r.origin == "other"]
    assert hits_other == [], f"requests left site.hosts: {hits_other}"
    away = next(e for e in snap.exchanges if e.url.endswith("/away"))
    assert away.error.kind == "out_of_scope" and away.final_url.startswith(other)


def test_spider_trap_ends_within_bounds():
    trap = {
        "path": "/cal/",
        "response": {
            "template": "page",
            "params": {"title": "calendar", "links": ["a/", "?sort=price", "?sort=name"]},
        },
    }
    site = scenario([ROBOTS_ALLOW_ALL, page("/", ["/cal/"]), trap])
    started = time.monotonic()
    snap, server = gather_site(
        site, "crawl: {max_rps: 300, max_pages: 60, max_depth: 20, sample_per_bot: 0}\n"
    )
    assert time.monotonic() - started < 30
    assert len(_exchanges(snap, "page")) <= 60
    assert snap.crawl.skipped_counts.get("trap", 0) >= 1
    assert len(server.requests) <= 70


def test_retry_after_is_a_floor_for_that_agent():
    site = scenario(
        [
            ROBOTS_ALLOW_ALL,
            {
                "path": "/$",
                "when": {"after_requests": 1},
                "response": {"template": "page", "params": {"title": "home"}},
            },
            {"path": "/$", "response": {"status": 429, "headers": [["Retry-After", "1"]]}},
        ]
    )
    _snap, server = gather_site(site, "crawl: {max_rps: 200, sample_per_bot: 1, sitemaps: false}\n")
    home = [r for r in server.requests if r.path == "/"]
    assert home[0].status == 429
    same_agent = [r for r in home[1:] if r.user_agent == home[0].user_agent]
    if same_agent:
        assert same_agent[0].t - home[0].t >= 0.95
    others = [r for r in home[1:] if r.user_agent != home[0].user_agent]
    assert others, "other agents keep going"


def test_long_retry_after_stops_that_agent_and_says_why():
    site = scenario(
        [
            ROBOTS_ALLOW_ALL,
            {
                "path": "/$",
                "when": {"ua_contains": ["bingbot"]},
                "response": {"status": 503, "headers": [["Retry-After", "7200"]]},
            },
            page("/", ["/a", "/b"]),
            page("/a"),
            page("/b"),
        ]
    )
    snap, server = gather_site(site, "crawl: {max_rps: 200, sample_per_bot: 3, sitemaps: false}\n")
    bing = [
        r for r in server.requests if "bingbot" in r.user_agent.lower() and r.path != "/robots.txt"
    ]
    assert len(bing) == 1  # the first 503 with a two-hour Retry-After stops bingbot
    assert any("bot:bingbot" in w and "7200" in w for w in snap.warnings)


def test_private_address_refused_from_a_public_start():
    site = scenario([ROBOTS_ALLOW_ALL, page("/")])
    with ScenarioServer(site) as server:
        snap = gather(
            policy("crawl: {sample_per_bot: 0}\n"),
            load_registry(),
            GatherOptions(start_url=server.url, private_ok=False),
        )
        seen = len(server.requests)
    assert seen == 0
    assert {e.error.kind for e in snap.exchanges} == {"private_address"}
    assert not snap.complete and "unreachable" in snap.incomplete_reason


def test_unreachable_site_gives_an_incomplete_snapshot_not_a_crash():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    snap = gather(
        policy("crawl: {timeout_s: 2, sample_per_bot: 2}\n"),
        load_registry(),
        GatherOptions(start_url=f"http://127.0.0.1:{port}/"),
    )
    assert not snap.complete
    assert snap.incomplete_reason.startswith("site unreachable")
    sent = [e for e in snap.exchanges if not e.error.message.startswith("not fetched")]
    assert sent and all(e.error.kind == "connect" for e in sent)
    # a host that never answered is given up after a few connection failures, not hammered
    assert len(sent) <= 8
    assert any("never answered" in w for w in snap.warnings)


def test_gather_cli_writes_snapshot(cli, tmp_path):
    site = scenario([ROBOTS_ALLOW_ALL, page("/", ["/a"]), page("/a")])
    out = tmp_path / "snap.json"
    with ScenarioServer(site) as server:
        result = cli("gather", server.url, "-o", str(out), "--max-rps", "100", "-q")
    assert result.code == 0, result.stderr
    snap = Snapshot.from_json(out.read_text())
    assert snap.complete and {p.url for p in snap.pages} >= {server.url}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_interrupted_gather_writes_partial_snapshot_marked_incomplete(tmp_path):
    links = [f"/slow{i}" for i in range(40)]
    site_file = tmp_path / "slow.yaml"
    import yaml

    routes = [ROBOTS_ALLOW_ALL, page("/", links)] + [
        {**page(p), "response": {**page(p)["response"], "delay_ms": 400}} for p in links
    ]
    site_file.write_text(yaml.safe_dump({"name": "slow", "origins": {"main": {"routes": routes}}}))
    out = tmp_path / "partial.json"
    with ScenarioServer(load_scenario(str(site_file))) as server:
        proc = subprocess.Popen(
            seoaudit_child("gather", server.url, "-o", str(out), "-q"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(server.requests) < 5:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err.decode()
    assert b"Traceback" not in err
    snap = Snapshot.from_json(out.read_text())
    assert not snap.complete and "interrupted" in snap.incomplete_reason
    assert snap.exchanges
