"""IX005: noindex on (nearly) every page: a staging setting leaked to production."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import directives_of, page_of
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import BLOCK_INDEXING_DOC, host_subject

SHARE = 0.8
MIN_PAGES = 5


def check(ctx: RuleContext) -> Iterator[Check]:
    subject = host_subject(ctx.snapshot.start_url)
    pages = []
    for exchange in ctx.snapshot.exchanges_for(profile="seoaudit", purpose="page"):
        page = page_of(ctx, exchange)
        if exchange.status == 200 and page is not None and page.title is not None:
            pages.append((exchange, page))
    if len(pages) < MIN_PAGES:
        yield inconclusive(subject, f"only {len(pages)} HTML pages crawled")
        return
    noindex = [(e, p) for e, p in pages if directives_of(ctx, p, "googlebot").noindex]
    share = len(noindex) / len(pages)
    if share < SHARE:
        yield passed(subject, f"{share:.0%} of pages say noindex")
        return
    sample = directives_of(ctx, noindex[0][1], "googlebot").describe()
    yield failed(
        subject,
        message=f"{len(noindex)} of {len(pages)} crawled pages ({share:.0%}) say noindex ({sample})",
        cost="The whole site is leaving search results: every crawled page asks to be removed.",
        evidence=[{"kind": "pages", "urls": [e.url for e, _ in noindex[:10]]}],
        fix_summary="Remove the site-wide noindex (environment flag, CDN header rule).",
        fix_steps={
            "infra": ["Check deploy config for a staging 'noindex everything' flag or header rule"],
            "seo": ["Request reindexing of key pages after the fix"],
        },
        protection_cost="None.",
        pattern="sitewide-noindex",
    )


RULE = Rule(
    code="IX005",
    slug="sitewide-noindex",
    title="noindex on (nearly) every page: a staging setting leaked",
    severity="error",
    owner="shared",
    protection="noindex",
    docs=RuleDocs(
        what=f"Counts crawled HTML pages that say noindex; {SHARE:.0%} or more is site-wide.",
        why="The whole site drops out of search within days of the next crawl.",
        why_happens="A staging environment's 'keep out of search' switch deployed to production.",
        example="X-Robots-Tag: noindex on every response",
        fix="Remove the site-wide directive; keep staging protected by authentication instead.",
        gives_up="Nothing.",
        references=(BLOCK_INDEXING_DOC,),
    ),
    check=check,
)
