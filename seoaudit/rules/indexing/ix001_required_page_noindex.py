"""IX001: a must-index page says noindex to a required bot."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import directives_of, latest_fetch, page_of
from seoaudit.analysis.site_robots import bot_token, must_index_urls, policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, not_applicable, passed
from seoaudit.rules.common import BLOCK_INDEXING_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    for bot in policy_bots(ctx, "required"):
        token, _ = bot_token(ctx, bot)
        for url in must_index_urls(ctx):
            subject = url_subject(url, bot)
            exchange = latest_fetch(ctx, url, profile=f"bot:{bot}")
            if exchange is None or exchange.status is None:
                yield inconclusive(subject, "not fetched")
                continue
            if not 200 <= exchange.status < 300:
                yield not_applicable(subject, f"answers {exchange.status} (see IX004/CH002)")
                continue
            directives = directives_of(ctx, page_of(ctx, exchange), token)
            if not directives.noindex:
                yield passed(subject)
                continue
            sources = directives.noindex_sources
            header = any(d.source.startswith("X-Robots-Tag") for d in sources)
            specific = any(token in d.source for d in sources)
            yield failed(
                subject,
                message=f"must-index page says noindex to {bot}: {directives.describe()}",
                cost=(
                    f"{bot} drops the page from its index at the next crawl; it stays out while "
                    "the directive is served. The policy needs it indexed."
                    + (
                        " The directive names this crawler only, so it is easy to miss in a browser."
                        if specific
                        else ""
                    )
                ),
                evidence=[
                    {
                        "kind": "directive",
                        "exchange_id": exchange.id,
                        "sources": [f"{d.source}: {d.name}" for d in sources],
                        "x_robots_tag": exchange.header_values("x-robots-tag"),
                    }
                ],
                fix_summary="Remove the noindex for this URL"
                + (" (an X-Robots-Tag header: check CDN/server rules)" if header else ""),
                fix_steps={
                    "seo": ["Remove the noindex from the page template or CMS setting"],
                    "infra": (
                        ["Find the server/CDN rule adding X-Robots-Tag on this path and scope it"]
                        if header
                        else []
                    ),
                },
                protection_cost="None: noindex does not reduce load (the page is still crawled).",
                pattern=sources[0].source,
            )


RULE = Rule(
    code="IX001",
    slug="required-page-noindex",
    title="A must-index page says noindex (meta or X-Robots-Tag, generic or bot-specific)",
    severity="error",
    owner="seo",
    protection="noindex",
    docs=RuleDocs(
        what="Reads meta robots (robots, googlebot, bingbot…) and X-Robots-Tag (with and "
        "without a user-agent prefix) as each required bot would, on must-index pages.",
        why="noindex removes the page from results at the next crawl, however good it is.",
        why_happens="A CDN or server rule adding X-Robots-Tag to a path, a staging setting, or "
        "a bot-specific header ('googlebot: noindex') left over from a migration.",
        example="X-Robots-Tag: googlebot: noindex   on /category/hats",
        fix="Remove the directive for must-index URLs; scope header rules to the paths meant.",
        gives_up="Nothing: noindex never reduced crawl load.",
        references=(BLOCK_INDEXING_DOC, "crawler-facts §6"),
    ),
    check=check,
)
