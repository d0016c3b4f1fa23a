"""SM002: a sitemap lists non-200, redirecting or noindex URLs."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import settled_fetch
from seoaudit.analysis.site_pages import directives_of, latest_fetch, page_of
from seoaudit.analysis.site_robots import sitemap_urls
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import SITEMAPS_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    listed = sitemap_urls(ctx)
    for url in listed:
        subject = url_subject(url)
        fetched = latest_fetch(ctx, url)
        exchange, why = settled_fetch(ctx, url, fetched)
        if exchange is None:
            yield inconclusive(subject, why or "not fetched (crawl limit)")
            continue
        if exchange.error is not None and exchange.error.message.startswith("not fetched"):
            yield inconclusive(subject, exchange.error.message)
            continue
        problem = None
        if exchange.redirects:
            problem = f"redirects ({exchange.redirects[0].status} → {exchange.final_url})"
        elif exchange.status != 200:
            got = exchange.status if exchange.status is not None else None
            problem = f"answers {got if got is not None else 'nothing'}"
        else:
            directives = directives_of(ctx, page_of(ctx, exchange), "googlebot")
            if directives.noindex:
                problem = f"says noindex ({directives.describe()})"
        if problem is None:
            yield passed(subject)
            continue
        yield failed(
            subject,
            message=f"listed in a sitemap but {problem}",
            cost=(
                "Crawl budget goes to URLs that cannot be indexed, and search engines trust the "
                f"sitemap less ({len(listed):,} URLs listed)."
            ),
            evidence=[{"kind": "exchange", "exchange_id": exchange.id, "status": exchange.status}],
            fix_summary="List only final, 200, indexable URLs in sitemaps.",
            fix_steps={"seo": ["Remove or replace the URL in the sitemap generator"]},
            protection_cost="None.",
            pattern=problem.split(" ")[0],
            severity="warning",
        )


RULE = Rule(
    code="SM002",
    slug="sitemap-url-not-indexable",
    title="A sitemap lists non-200, redirecting or noindex URLs",
    severity="warning",
    owner="seo",
    protection="sitemap",
    docs=RuleDocs(
        what="Checks the fetched sitemap URLs for status, redirects and noindex.",
        why="Sitemaps should list canonical, indexable URLs; errors waste crawl budget and "
        "make search engines trust the sitemap less.",
        why_happens="Sitemaps not regenerated after products were removed or moved.",
        example="/products/old-sku → 301 /products/p01; /products/p99 → 404",
        fix="List only final, 200, indexable URLs.",
        gives_up="Nothing.",
        references=(SITEMAPS_DOC, "crawler-facts §7"),
    ),
    check=check,
)
