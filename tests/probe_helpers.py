"""The rate-probe tests' scenario site and one-call gather (shared by two test files, so
xdist can run them on two workers)."""

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
