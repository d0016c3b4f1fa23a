"""RB011: robots.txt is served as an HTML page (a CMS or SPA answering 200 for every path)."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import origins, policy_bots, robots_copy
from seoaudit.robots_txt.parser import Key
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import ROBOTS_SPEC, host_subject

RULE_KEYS = (Key.USER_AGENT, Key.ALLOW, Key.DISALLOW, Key.SITEMAP)


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        copy = robots_copy(ctx, origin, "seoaudit")
        subject = host_subject(origin)
        if copy.meaning != "rules" or copy.robots is None or copy.exchange is None:
            yield not_applicable(subject, copy.why)
            continue
        if not copy.is_html:
            yield passed(subject, "served as text")
            continue
        rules = [r for r in copy.robots.records if r.key in RULE_KEYS]
        ctype = copy.exchange.header("content-type") or "no Content-Type"
        blocked = policy_bots(ctx, "blocked")
        yield failed(
            subject,
            message=(
                f"robots.txt on {origin} is an HTML page ({copy.status}, {ctype}): "
                + (
                    "it holds no rules, so every crawler may fetch everything"
                    if not rules
                    else f"only {len(rules)} line(s) of it read as rules"
                )
                + "; the real file is probably not deployed"
            ),
            cost=(
                "Crawlers parse the page as robots.txt and find no rules: every Disallow the "
                "team meant to have is gone (admin, search and cart URLs get crawled)"
                + (
                    f", and the bots the policy blocks ({', '.join(blocked)}) are let in"
                    if blocked
                    else ""
                )
                + ". Nothing shows as an error, because the status is 200."
            ),
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": copy.exchange.id,
                    "url": origin + "/robots.txt",
                    "status": copy.status,
                    "content_type": ctype,
                    "excerpt": copy.exchange.body.excerpt[:160],
                }
            ],
            fix_summary="Deploy a real robots.txt (text/plain) and exclude /robots.txt from the "
            "CMS or single-page-app catch-all route.",
            fix_steps={
                "infra": [
                    "Serve /robots.txt as a static text/plain file before the application's "
                    "catch-all route (nginx: location = /robots.txt { try_files $uri =404; })",
                    "Answer unknown paths with 404, not the home page",
                ],
                "seo": ["Write the intended rules and check them with `seoaudit robots lint`"],
            },
            protection_cost="None: robots.txt starts saying what the team meant.",
            pattern="/robots.txt#html",
        )


RULE = Rule(
    code="RB011",
    slug="robots-txt-is-html",
    title="robots.txt is an HTML page: no rules, so everything is allowed",
    severity="warning",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Flags a robots.txt answered with 200 whose Content-Type is HTML or whose body is "
        "an HTML document.",
        why="Crawlers read the page as robots.txt: HTML lines are not rules, so nothing is "
        "disallowed. The rules the team believes are live do not exist, and no monitor "
        "notices because the status is 200.",
        why_happens="A CMS or single-page app answers every path with its page (a catch-all "
        "route), and robots.txt was never deployed or is shadowed by the route.",
        example="GET /robots.txt → 200, Content-Type: text/html, <!doctype html><html>…",
        fix="Serve a real text/plain robots.txt ahead of the catch-all route; answer unknown "
        "paths with 404.",
        gives_up="Nothing.",
        references=(ROBOTS_SPEC, "crawler-facts §1.2, §1.4"),
    ),
    check=check,
)
