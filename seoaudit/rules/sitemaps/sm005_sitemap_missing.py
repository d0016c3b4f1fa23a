"""SM005: no sitemap at all: none declared in robots.txt, none at the default location."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import SITEMAPS_DOC, host_subject
from seoaudit.web.urls import origin_of

USABLE = ("urlset", "sitemapindex", "text", "feed")


def check(ctx: RuleContext) -> Iterator[Check]:
    subject = host_subject(origin_of(ctx.snapshot.start_url))
    if not ctx.policy.crawl.sitemaps:
        yield not_applicable(subject, "crawl.sitemaps is false: sitemaps were not read")
        return
    maps = ctx.snapshot.sitemaps
    if any(s.kind in USABLE for s in maps):
        yield passed(subject, "a sitemap was found")
        return
    if any(s.found_via == "robots" for s in maps):
        yield not_applicable(subject, "a declared sitemap failed: SM003 reports it")
        return
    tried = [e for e in ctx.snapshot.exchanges if e.purpose == "sitemap"]
    answers = ", ".join(
        f"{e.url} answered {e.status}" if e.status is not None else f"{e.url} failed"
        for e in tried[:3]
    )
    yield failed(
        subject,
        message="no sitemap was found: robots.txt declares none"
        + (f" and {answers}" if answers else ""),
        cost="Crawlers discover pages through links alone: new, deep or poorly linked pages "
        "are found late or not at all, and search consoles cannot report coverage per sitemap.",
        evidence=[{"kind": "exchange", "exchange_id": e.id} for e in tried[:3]],
        fix_summary="Publish a sitemap of the indexable URLs and declare it in robots.txt.",
        fix_steps={
            "seo": [
                "Generate /sitemap.xml (or a sitemap index) from the final, 200, indexable URLs",
                "Add 'Sitemap: <absolute URL of the sitemap>' to robots.txt",
            ],
            "infra": ["Serve the sitemap with 200 to every agent, outside bot and rate rules"],
        },
        protection_cost="None: a sitemap is a static, cacheable file.",
        pattern="no-sitemap",
    )


RULE = Rule(
    code="SM005",
    slug="sitemap-missing",
    title="No sitemap: none declared in robots.txt and none at the default location",
    severity="info",
    owner="seo",
    protection="sitemap",
    docs=RuleDocs(
        what="Looks for any readable sitemap: declared by a Sitemap: line or at /sitemap.xml.",
        why="Without a sitemap crawlers find pages only through links, and search consoles "
        "cannot report indexing per sitemap.",
        why_happens="Sites launched without one, or a sitemap plugin that was switched off.",
        example="robots.txt without a Sitemap: line; GET /sitemap.xml → 404",
        fix="Publish a sitemap of the indexable URLs and declare it in robots.txt.",
        gives_up="Nothing.",
        references=(SITEMAPS_DOC, "crawler-facts §7"),
    ),
    check=check,
)
