"""Politeness proven from the server's side of the socket, at the policy's maximum concurrency.

The scenario server stamps every request when its request line arrives and when its answer
is finished; these tests judge the auditor only from those stamps, never from its own
bookkeeping.
"""

from __future__ import annotations

import itertools

from seoaudit.scenarios import load_scenario
from tests.gather_helpers import gather_site, page

MAX_CONCURRENCY = 64  # the policy schema's upper bound for crawl.concurrency
ROBOTS = {
    "path": "/robots.txt",
    "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}},
}


def _slow_site(n: int, delay_ms: int) -> object:
    links = [f"/p{i}" for i in range(n)]
    routes = [ROBOTS, page("/", links)] + [
        {**page(p), "response": {**page(p)["response"], "delay_ms": delay_ms}} for p in links
    ]
    return load_scenario({"name": "slow", "origins": {"main": {"routes": routes}}})


def _max_in_flight(requests: list) -> int:
    events = sorted(
        [(r.t, 1) for r in requests] + [(r.t_end or r.t, -1) for r in requests],
        key=lambda e: (e[0], e[1]),
    )
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


# How late a request can reach the server after the client's limiter released it, on a
# loaded 2-core machine (event loop and server thread both waiting for a core). The client
# bucket (rate r, burst 1) guarantees sends j - i >= (j - i - 1) / r apart; arrivals can only
# be closer by this much, so every bound below allows it once.
JITTER_S = 0.5


def test_global_rps_ceiling_holds_at_maximum_concurrency():
    rate = 8
    _snap, server = gather_site(
        _slow_site(60, 50),
        f"crawl: {{max_rps: {rate}, concurrency: {MAX_CONCURRENCY}, sample_per_bot: 2, sitemaps: false}}\n",
    )
    starts = sorted(r.t for r in server.requests)
    assert len(starts) >= 60
    for i, first in enumerate(starts):
        in_window = sum(1 for t in starts[i:] if t - first < 1.0)
        assert in_window <= 1 + rate * (1.0 + JITTER_S), (
            f"{in_window} requests began within one second"
        )
    # over the whole run jitter counts once: twice the ceiling would take half this long
    span = starts[-1] - starts[0]
    assert span >= (len(starts) - 1 - 1) / rate - JITTER_S, (
        f"{len(starts)} requests in {span:.2f} s"
    )
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0  # stamps are ordered


def test_per_host_concurrency_cap_holds_and_is_reached():
    _snap, server = gather_site(
        _slow_site(30, 300),
        "crawl: {max_rps: 1000, concurrency: 3, sample_per_bot: 0, sitemaps: false}\n",
    )
    assert _max_in_flight(server.requests) == 3


def test_after_a_429_each_agent_waits_at_least_retry_after():
    limited = {
        "path": "/",
        "rate": {"rps": 2, "burst": 2, "key": "ua"},
        "limited": {"status": 429, "headers": [["Retry-After", "2"]]},
        "response": {"template": "page", "params": {"title": "p", "links": [f"/p{i}" for i in range(20)]}},
    }  # fmt: skip
    site = load_scenario({"name": "limited", "origins": {"main": {"routes": [ROBOTS, limited]}}})
    _snap, server = gather_site(
        site,
        f"crawl: {{max_rps: 200, concurrency: {MAX_CONCURRENCY}, sample_per_bot: 6, sitemaps: false}}\n"
        "rate: {max_retry_after_s: 30}\n",
    )
    refused = [r for r in server.requests if r.status == 429]
    assert refused, "the limiter was hit, so the rule is really exercised"
    # The client learns of a 429 when its answer is finished (t_end); requests it had already
    # sent (up to 64 in flight) may still arrive for JITTER_S after that. From then until
    # Retry-After has passed, nothing from that agent may arrive.
    came_back = []
    for r in refused:
        end = r.t_end or r.t
        same = [x.t for x in server.requests if x.user_agent == r.user_agent]
        early = [t for t in same if end + JITTER_S < t < end + 2.0 - 0.05]
        assert not early, f"{r.user_agent}: {len(early)} request(s) within Retry-After: 2"
        came_back += [t - end for t in same if t >= end + 2.0 - 0.05]
    assert came_back, "the agent came back after the 429, so the wait is really measured"


def test_one_500_on_one_url_changes_nobodys_pace():
    """Politeness is host-wide for 429/503 only: a broken page is not a busy server. The pace
    in force when each later request left (recorded per exchange) stays the policy's."""
    links = [f"/p{i}" for i in range(12)]
    routes = [
        ROBOTS,
        page("/", links),
        {"path": "/p0$", "response": {"status": 500, "body": "oops"}},
    ]
    routes += [page(p) for p in links[1:]]
    site = load_scenario({"name": "one-500", "origins": {"main": {"routes": routes}}})
    snap, _ = gather_site(
        site,
        "crawl: {max_rps: 50, concurrency: 2, timeout_s: 5, max_time_s: 60, sample_per_bot: 12}\n"
        "bots: {required: [googlebot, bingbot], wanted: [], blocked: []}\n",
    )
    broken = [e for e in snap.exchanges if e.status == 500]
    assert broken, "the 500 was served"
    after = [e for e in snap.exchanges if e.id > broken[0].id and e.timing.paced_rps]
    assert len(after) > 20
    assert {e.timing.paced_rps for e in after} == {50.0}
    assert not [w for w in snap.warnings if "stopped fetching" in w]
