"""SM004: robots.require_sitemap is set and robots.txt has no Sitemap: line."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import robots_copy
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import SITEMAPS_DOC, host_subject
from seoaudit.web.urls import origin_of


def check(ctx: RuleContext) -> Iterator[Check]:
    origin = origin_of(ctx.snapshot.start_url)
    subject = host_subject(origin)
    if not ctx.policy.robots.require_sitemap:
        yield not_applicable(subject, "robots.require_sitemap is false")
        return
    copy = robots_copy(ctx, origin, "seoaudit")
    if copy.robots is None and copy.meaning == "no_rules" and copy.exchange is not None:
        yield failed(  # a 404 robots.txt cannot declare a sitemap either
            subject,
            message=f"there is no robots.txt ({copy.why}), so no Sitemap: line declares the sitemap",
            cost="Crawlers other than those you submit sitemaps to by hand do not find the "
            "sitemap, so discovery relies on links alone.",
            evidence=[{"kind": "exchange", "exchange_id": copy.exchange.id}],
            fix_summary="Publish a robots.txt with a 'Sitemap:' line (it may allow everything).",
            fix_steps={
                "seo": [
                    f"Publish robots.txt:\nUser-agent: *\nAllow: /\nSitemap: {origin}/sitemap.xml"
                ]
            },
            protection_cost="None.",
            pattern="no-sitemap-line",
        )
        return
    if copy.robots is None:
        yield not_applicable(subject, copy.why)
        return
    if copy.robots.sitemaps:
        yield passed(subject, f"{len(copy.robots.sitemaps)} Sitemap: line(s)")
        return
    yield failed(
        subject,
        message="robots.txt declares no Sitemap:",
        cost="Crawlers other than those you submit sitemaps to by hand (AI answer engines, "
        "smaller search engines) do not find the sitemap, so discovery relies on links alone.",
        evidence=[{"kind": "exchange", "exchange_id": copy.exchange.id if copy.exchange else None}],
        fix_summary="Add 'Sitemap: https://host/sitemap.xml' to robots.txt.",
        fix_steps={"seo": ["Add a Sitemap: line with the absolute URL of the sitemap (index)"]},
        protection_cost="None.",
        pattern="no-sitemap-line",
    )


RULE = Rule(
    code="SM004",
    slug="sitemap-not-declared",
    title="robots.require_sitemap is set and robots.txt has no Sitemap: line",
    severity="info",
    owner="seo",
    protection="sitemap",
    docs=RuleDocs(
        what="Looks for Sitemap: lines in robots.txt when the policy requires one.",
        why="The Sitemap: line is how every crawler finds the sitemap without a console.",
        why_happens="Sitemaps submitted in Search Console only.",
        example="robots.txt with User-agent/Disallow lines and no Sitemap:",
        fix="Add an absolute Sitemap: URL to robots.txt.",
        gives_up="Nothing.",
        references=(SITEMAPS_DOC, "crawler-facts §7"),
    ),
    check=check,
)
