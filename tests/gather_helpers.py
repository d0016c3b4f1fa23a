"""Small builders for gather tests: a policy for a scenario and a one-call gather."""

from __future__ import annotations

from typing import Any

from seoaudit.gather.service import GatherOptions, gather
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.scenarios import ScenarioServer, load_scenario
from seoaudit.snapshot import Snapshot

FAST_CRAWL = "crawl: {max_rps: 200, concurrency: 4, timeout_s: 5, max_time_s: 60}\n"


def policy(text: str = "") -> Any:
    """A policy from YAML text; unless the text sets `crawl:`, a fast local crawl."""
    body = text if "crawl:" in text else FAST_CRAWL + text
    return parse_policy_text(body, "test-policy.yaml")


def scenario(routes: list[dict[str, Any]], *, name: str = "test", **origin: Any) -> Any:
    return load_scenario({"name": name, "origins": {"main": {"routes": routes, **origin}}})


def gather_site(
    site: Any, policy_text: str = "", **options: Any
) -> tuple[Snapshot, ScenarioServer]:
    """Serve `site`, gather it, stop the server; returns the snapshot and the (stopped) server."""
    with ScenarioServer(site) as server:
        snap = gather(
            policy(policy_text), load_registry(), GatherOptions(start_url=server.url, **options)
        )
    return snap, server


def page(path: str, links: list[str] | None = None, **params: Any) -> dict[str, Any]:
    return {
        "path": path + "$",
        "response": {
            "template": "page",
            "params": {"title": f"Page {path}", "links": links or [], **params},
        },
    }
