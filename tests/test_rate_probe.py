"""The opt-in rate probe against real token-bucket limiters: finds the onset, keeps its caps."""

from __future__ import annotations

import yaml

from seoaudit.gather.service import GatherOptions, gather
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.rules.engine import evaluate
from seoaudit.scenarios import ScenarioServer, load_scenario

STEP_S = 1.0  # one ramp step; 2 req/s then sends 2 requests 0.5 s apart
BASE_DELAY_MS = 60


def site(
    limit_rps: float, *, robots_limited: bool = False, retry_after: str | None = "1", burst: int = 1
) -> object:
    limited = {"status": 429, "body": "slow down"}
    if retry_after:
        limited["headers"] = [["Retry-After", retry_after]]
    routes = []
    robots = {
        "path": "/robots.txt",
        "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}},
    }
    if robots_limited:
        routes.append({**robots, "when": {"ua_contains": ["Googlebot"], "after_requests": 1},
                       "response": {"status": 429, "headers": [["Retry-After", "1"]]}})  # fmt: skip
    # Pages answer after BASE_DELAY_MS, so the probe's "time to first byte tripled" signal
    # compares against a baseline above scheduling jitter: on loopback a 1 ms baseline
    # "triples" whenever a loaded machine delays one answer by 3 ms.
    home = {"template": "page", "params": {"title": "home"}, "delay_ms": BASE_DELAY_MS}
    routes += [
        robots,
        {"path": "/$", "when": {"ua_contains": ["Googlebot"]}, "rate": {"rps": limit_rps, "burst": burst, "key": "ua"},
         "limited": limited, "response": home},
        {"path": "/$", "response": home},
    ]  # fmt: skip
    return load_scenario({"name": "limiter", "origins": {"main": {"routes": routes}}})


def run(scenario, probe: bool = True, **rate):  # type: ignore[no-untyped-def]
    policy_data = {
        "crawl": {"max_rps": 50, "sample_per_bot": 1, "sitemaps": False, "max_pages": 2},
        "bots": {"required": ["googlebot"], "wanted": []},
        "paths": {"must_index": ["/$"]},
        "rate": {
            "probe": probe,
            "probe_max_requests": 30,
            "probe_max_rps": 8,
            "min_rps": 1,
            **rate,
        },
    }
    policy = parse_policy_text(yaml.safe_dump(policy_data), "rate.yaml")
    with ScenarioServer(scenario) as server:
        snapshot = gather(
            policy, load_registry(), GatherOptions(start_url=server.url, probe_step_s=STEP_S)
        )
        requests = list(server.requests)
    return snapshot, evaluate(snapshot, policy, load_registry()), requests


def probe_of(snapshot, profile: str):  # type: ignore[no-untyped-def]
    return next(p for p in snapshot.rate_probes if p.profile == profile)


def test_probe_finds_the_onset_within_one_step_and_stays_under_its_caps():
    snapshot, result, requests = run(site(limit_rps=2.5), min_rps=3)  # ramp to 8 req/s
    probe = probe_of(snapshot, "bot:googlebot")
    assert probe.onset_rps in (2.0, 4.0), probe  # the limiter allows 2.5 req/s
    assert "429" in probe.stopped_because
    google = [r for r in requests if "Googlebot" in r.user_agent and r.path == "/"]
    assert len(google) <= 30 + 2  # rate.probe_max_requests, plus the crawl sample
    times = sorted(r.t for r in google)
    window = [t for t in times if t - times[0] <= 10]
    assert all(
        sum(1 for u in window if 0 <= u - t < 1.0) <= 9 for t in window
    )  # never above 8 req/s (+1 edge)
    browser = probe_of(snapshot, "browser")
    assert browser.onset_rps is None and browser.stopped_because.startswith("no limit")
    budget = result.scoreboard["bots"][0]["crawl_rate"]
    assert budget["sustainable_rps"] is not None


def test_retry_after_is_honoured_before_the_robots_check():
    snapshot, _, requests = run(site(limit_rps=1.5, retry_after="1"))
    probe = probe_of(snapshot, "bot:googlebot")
    limited_at = next(r.t for r in requests if r.status == 429)
    robots_after = [
        r
        for r in requests
        if r.path == "/robots.txt" and "Googlebot" in r.user_agent and r.t > limited_at
    ]
    assert robots_after and robots_after[0].t - limited_at >= 0.95
    assert probe.robots_exchange_id is not None


def test_a_limiter_that_also_covers_robots_txt_is_caught():
    _snapshot, result, _ = run(site(limit_rps=1.5, robots_limited=True))
    covered = [
        f for f in result.findings if f.rule == "RB001" and "also covers robots.txt" in f.message
    ]
    # one finding for the host: every agent shares the auditor's IP, so the limiter is the IP's
    assert covered and covered[0].subject.bot is None and covered[0].subject.host


def test_a_generous_limiter_yields_no_rate_finding():
    # The probe sends at most probe_max_rps (8/s); on a loaded machine arrivals bunch by up
    # to ~0.5 s of scheduling delay, so a limiter that never refuses this client needs a
    # burst of 1 + 8 × 0.5 (server-side arithmetic, not a guess about the machine).
    snapshot, result, _ = run(site(limit_rps=50, burst=1 + 4))
    assert probe_of(snapshot, "bot:googlebot").onset_rps is None
    assert not [f for f in result.findings if f.rule.startswith("RL")]


def test_a_tight_limiter_is_an_rl001_finding_with_numbers():
    _, result, _ = run(site(limit_rps=0.3), min_rps=2)
    rl001 = [f for f in result.findings if f.rule == "RL001"]
    assert rl001 and "req/s" in rl001[0].message


def test_without_the_opt_in_no_probe_request_is_made():
    snapshot, _, requests = run(site(limit_rps=2.5), probe=False)
    assert snapshot.rate_probes == []
    assert not [e for e in snapshot.exchanges if e.purpose == "rate_probe"]
    assert len([r for r in requests if r.path == "/"]) <= 6  # the crawl and one probe per agent
