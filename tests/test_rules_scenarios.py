"""One scenario per rule on a real server: the rule fires where planted, stays silent on the twin.

Each case starts from a small clean shop (robots.txt, sitemap, /, /p1, /p2) and prepends the
routes that plant one conflict (first match wins). ``fires`` lists (path, bot) subjects that
must be found, ``silent`` the twins that must not; None matches a host-level subject.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from seoaudit.gather.service import GatherOptions, gather
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.rules.engine import evaluate
from seoaudit.scenarios import ScenarioServer, load_scenario


def robots(*lines: str) -> dict[str, Any]:
    return {
        "path": "/robots.txt",
        "response": {"template": "robots", "params": {"lines": list(lines)}},
    }


def page(path: str, **params: Any) -> dict[str, Any]:
    params.setdefault("title", f"Page {path}")
    return {"path": path + "$", "response": {"template": "page", "params": params}}


def for_ua(ua: str, route: dict[str, Any]) -> dict[str, Any]:
    return {**route, "when": {"ua_contains": [ua]}}


BASE_ROBOTS = robots("User-agent: *", "Disallow: /admin/", "Sitemap: {origin}/sitemap.xml")
BASE = [
    {
        "path": "/sitemap.xml",
        "response": {"template": "sitemap", "params": {"paths": ["/", "/p1", "/p2"]}},
    },
    page("/", links=["/p1", "/p2"], paragraphs=6),
    page("/p1", paragraphs=6),
    page("/p2", paragraphs=6),
]
POLICY = (
    "crawl: {max_rps: 500, concurrency: 8, sample_per_bot: 10, max_pages: 30, timeout_s: 3}\n"
    "bots: {required: [googlebot, bingbot], wanted: [], blocked: []}\n"
    "paths: {must_index: ['/$', '/p*'], must_not_index: []}\n"
    "rate: {min_rps: 4}\n"  # calm re-checks 0.3 s apart: quick, and still slower than needed
)

CASES: list[dict[str, Any]] = [
    dict(rule="RB001", routes=[for_ua("Googlebot", {"path": "/robots.txt", "response": {"status": 503, "headers": [["Retry-After", "1"]]}})],
         fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="RB002", routes=[robots("User-agent: Googlebot", "Disallow: /p1", "Sitemap: {origin}/sitemap.xml")],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot"), ("/p1", "bingbot")]),
    dict(rule="RB003", routes=[{"path": "/robots.txt", "response": {"template": "robots", "params": {
        "lines": ["Sitemap: {origin}/sitemap.xml"], "filler_kib": 510, "tail": ["Disallow: /lost-rule/"]}}}],
         fires=[(None, None)], silent=[]),
    dict(rule="RB003", name="RB003-clean", routes=[], fires=[], silent=[(None, None)]),
    dict(rule="RB004", routes=[{"path": "/robots.txt", "response": {"redirect": {"to": "/real-robots.txt", "chain": 6}}}],
         fires=[(None, None)], silent=[]),
    dict(rule="RB004", name="RB004-clean", routes=[], fires=[], silent=[(None, None)]),
    dict(rule="RB005", routes=[robots("User-agent: bingbot", "Crawl-delay: 60", "User-agent: googlebot", "Crawl-delay: 60",
                                      "User-agent: *", "Disallow: /admin/", "Sitemap: {origin}/sitemap.xml")],
         fires=[(None, "bingbot")], silent=[(None, "googlebot")]),
    dict(rule="RB006", routes=[robots("User-agent: *", "Disallow: /js/", "Sitemap: {origin}/sitemap.xml"),
                               page("/", links=["/p1"], assets=["/js/app.js", "/css/site.css"]),
                               {"path": "/js/", "response": {"body": "x", "content_type": "application/javascript"}},
                               {"path": "/css/", "response": {"body": "x", "content_type": "text/css"}}],
         fires=[("/js/app.js", "googlebot")], silent=[("/css/site.css", "googlebot")]),
    dict(rule="RB007", routes=[for_ua("bingbot", {"path": "/robots.txt", "response": {"status": 403, "body": "Forbidden"}})],
         fires=[(None, "bingbot")], silent=[(None, "googlebot")]),
    dict(rule="RB008", routes=[robots("User-agent: *", "Dissalow: /tmp/", "Sitemap: {origin}/sitemap.xml")],
         fires=[(None, None)], silent=[]),
    dict(rule="RB008", name="RB008-clean", routes=[], fires=[], silent=[(None, None)]),
    dict(rule="RB009", policy="bots: {required: [googlebot], wanted: [], blocked: [gptbot, ccbot]}\n",
         routes=[robots("User-agent: CCBot", "Disallow: /", "", "User-agent: *", "Disallow: /admin/", "Sitemap: {origin}/sitemap.xml")],
         fires=[(None, "gptbot")], silent=[(None, "ccbot")]),
    dict(rule="RB010", policy="paths: {must_index: ['/$'], must_not_index: ['/cart', '/account']}\n",
         routes=[page("/cart"), page("/account", meta_robots=[["robots", "noindex"]])],
         fires=[("/cart", "googlebot")], silent=[("/account", "googlebot")]),
    dict(rule="CH001", routes=[for_ua("Googlebot", {"path": "/p1$", "response": {"status": 403, "template": "cloudflare_challenge"}})],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot"), ("/p1", "bingbot")]),
    dict(rule="CH002", routes=[for_ua("bingbot", {"path": "/p1$", "response": {"status": 403, "template": "akamai_block"}})],
         fires=[("/p1", "bingbot")], silent=[("/p2", "bingbot"), ("/p1", "googlebot")]),
    dict(rule="CH003", routes=[for_ua("Googlebot", {"path": "/p1$", "response": {"template": "soft_block"}})],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot")]),
    dict(rule="CH004", routes=[for_ua("Googlebot", {"path": "/p1$", "response": {"drop": "before_headers"}})],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot")]),
    dict(rule="RL001", policy="rate: {min_rps: 5}\n",
         routes=[{**for_ua("Googlebot", {"path": "/p", "response": {"template": "page", "params": {"title": "p"}}}),
                  "rate": {"rps": 0.2, "burst": 1}, "limited": {"status": 429, "headers": [["Retry-After", "1"]]}}],
         fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="RL002", routes=[for_ua("Googlebot", {"path": "/p1$", "response": {"status": 429}}),
                               for_ua("bingbot", {"path": "/p1$", "response": {"status": 429, "headers": [["Retry-After", "1"]]}})],
         fires=[(None, None)], silent=[]),
    dict(rule="RL002", name="RL002-clean", routes=[for_ua("bingbot", {"path": "/p1$", "response": {"status": 429, "headers": [["Retry-After", "1"]]}})],
         fires=[], silent=[(None, None)]),
    dict(rule="RL003", routes=[for_ua("Googlebot", {"path": "/p1$", "response": {"status": 503, "headers": [["Retry-After", "7200"]]}})],
         fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="RL004", routes=[for_ua("Googlebot", {"path": "/p", "response": {"template": "page", "params": {"title": "q"},
                                                                                "headers": [["RateLimit-Policy", '"default";q=10;w=60']]}})],
         fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="RL005", policy="rate: {recrawl_days: 0.00001}\n",
         routes=[for_ua("Googlebot", {"path": "/p", "response": {"template": "page", "params": {"title": "q"},
                                                                 "headers": [["X-RateLimit-Limit", "10"], ["X-RateLimit-Window", "60"]]}})],
         fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="IX001", routes=[page("/p1", meta_robots=[["googlebot", "noindex"]], paragraphs=6)],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot"), ("/p1", "bingbot")]),
    dict(rule="IX002", policy="paths: {must_index: ['/$'], must_not_index: []}\n",
         routes=[robots("User-agent: *", "Disallow: /search", "Sitemap: {origin}/sitemap.xml"),
                 page("/", links=["/search", "/p2"]), page("/search", meta_robots=[["robots", "noindex"]])],
         fires=[("/search", None)], silent=[("/p2", None)]),
    dict(rule="IX003", routes=[page("/p1", canonical="/gone", paragraphs=6), page("/p2", canonical="/p2", paragraphs=6)],
         fires=[("/p1", None)], silent=[("/p2", None)]),
    dict(rule="IX004", routes=[{"path": "/p1$", "response": {"status": 500, "body": "oops"}}],
         fires=[("/p1", None)], silent=[("/p2", None)]),
    dict(rule="IX005", routes=[{"path": "/", "response": {"template": "page", "params": {"title": "t", "links": [
        "/p1", "/p2", "/p3", "/p4", "/p5"]}, "headers": [["X-Robots-Tag", "noindex"]]}}],
         fires=[(None, None)], silent=[]),
    dict(rule="IX005", name="IX005-clean", routes=[], fires=[], silent=[(None, None)]),
    dict(rule="SM001", routes=[robots("User-agent: *", "Disallow: /p1", "Sitemap: {origin}/sitemap.xml")],
         fires=[("/p1", "googlebot")], silent=[("/p2", "googlebot")]),
    dict(rule="SM002", routes=[{"path": "/sitemap.xml", "response": {"template": "sitemap", "params": {"paths": ["/", "/gone", "/p2"]}}}],
         fires=[("/gone", None)], silent=[("/p2", None)]),
    dict(rule="SM003", routes=[robots("User-agent: *", "Disallow: /admin/", "Sitemap: {origin}/sitemap.xml", "Sitemap: {origin}/broken.xml"),
                               {"path": "/broken.xml", "response": {"status": 503, "body": "down"}}],
         fires=[("/broken.xml", None)], silent=[("/sitemap.xml", None)]),
    dict(rule="SM004", routes=[robots("User-agent: *", "Disallow: /admin/")], fires=[(None, None)], silent=[]),
    dict(rule="SM004", name="SM004-clean", routes=[], fires=[], silent=[(None, None)]),
    dict(rule="PF001", routes=[], origin={"slow": [{"when": {"ua_contains": ["Googlebot"]}, "delay_ms": 900}]},
         policy="performance: {max_ttfb_ms: 500}\n", fires=[(None, "googlebot")], silent=[(None, "bingbot")]),
    dict(rule="PF002", routes=[{"path": "/p1$", "response": {"status": 500, "body": "oops"}}], fires=[(None, None)], silent=[]),
    dict(rule="PF002", name="PF002-clean", routes=[], fires=[], silent=[(None, None)]),
]  # fmt: skip


def _matches(finding: Any, path: str | None, bot: str | None) -> bool:
    got_path = urlsplit(finding.subject.url).path if finding.subject.url else None
    return got_path == path and (bot is None or finding.subject.bot == bot)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.get("name", c["rule"]))
def test_rule_fires_where_planted_and_not_on_the_twin(case):
    routes = list(case["routes"])
    if not any(r["path"] == "/robots.txt" and "when" not in r for r in routes):
        routes.append(BASE_ROBOTS)
    site = load_scenario(
        {"name": case.get("name", case["rule"]),
         "origins": {"main": {"routes": routes + BASE, **case.get("origin", {})}}}
    )  # fmt: skip
    merged = {**yaml.safe_load(POLICY), **yaml.safe_load(case.get("policy", "") or "{}")}
    policy = parse_policy_text(yaml.safe_dump(merged), "case.yaml")
    with ScenarioServer(site) as server:
        snapshot = gather(policy, load_registry(), GatherOptions(start_url=server.url))
    result = evaluate(snapshot, policy, load_registry())
    found = [f for f in result.findings if f.rule == case["rule"]]
    described = [(f.subject.url, f.subject.bot, f.message[:80]) for f in found]
    for path, bot in case["fires"]:
        assert any(_matches(f, path, bot) for f in found), f"not fired on {path} {bot}: {described}"
    for path, bot in case["silent"]:
        assert not any(_matches(f, path, bot) for f in found), (
            f"fired on twin {path} {bot}: {described}"
        )
    assert not [o for o in result.outcomes if o.outcome == "error"]
    for f in found:
        assert f.cost and f.fix.summary and f.evidence
