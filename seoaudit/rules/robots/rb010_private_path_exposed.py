"""RB010: a must_not_index URL is crawlable and nothing stops it being indexed."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import directives_of, latest_fetch, page_of
from seoaudit.analysis.site_robots import must_not_index_urls, policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import BLOCK_INDEXING_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    bots = policy_bots(ctx, "required")[:1] or ["googlebot"]
    for url in must_not_index_urls(ctx):
        for bot in bots:
            subject = url_subject(url, bot)
            answer = robots_for(ctx, url, bot)
            if answer.allowed is None:
                yield inconclusive(subject, "robots.txt not fetched")
                continue
            if not answer.allowed:
                yield passed(subject, f"disallowed (line {answer.line})")
                continue
            exchange = latest_fetch(ctx, url, profile=f"bot:{bot}")
            if exchange is None or exchange.status is None:
                yield inconclusive(subject, "the URL was not fetched")
                continue
            if not 200 <= exchange.status < 300:
                yield passed(subject, f"answers {exchange.status}: not indexable")
                continue
            token = answer.token
            directives = directives_of(ctx, page_of(ctx, exchange), token)
            if directives.noindex:
                yield passed(subject, f"noindex ({directives.describe()})")
                continue
            yield failed(
                subject,
                message=(
                    f"{url} is in paths.must_not_index but {bot} may crawl it, it answers "
                    f"{exchange.status} and carries no noindex"
                ),
                cost=(
                    "Nothing stops it appearing in search results; private or low-value pages "
                    "(cart, account, internal search) dilute the site and can leak information."
                ),
                evidence=[
                    answer.evidence(),
                    {"kind": "exchange", "exchange_id": exchange.id, "status": exchange.status},
                ],
                fix_summary="Add 'X-Robots-Tag: noindex' (or a meta robots noindex); protect "
                "truly private pages with authentication.",
                fix_steps={
                    "seo": ['Add <meta name="robots" content="noindex"> to the template'],
                    "infra": [
                        "Or send X-Robots-Tag: noindex from the server/CDN for this path",
                        "Require authentication for anything private",
                        "Do not rely on Disallow alone: a disallowed URL can still be indexed "
                        "from links, without its content",
                    ],
                },
                protection_cost="None.",
                pattern=url.split("/", 3)[-1] if "://" in url else url,
            )


RULE = Rule(
    code="RB010",
    slug="private-path-exposed",
    title="A must_not_index URL is crawlable and indexable",
    severity="warning",
    owner="seo",
    protection="robots_txt",
    docs=RuleDocs(
        what="For each must_not_index URL: may a required bot crawl it, does it answer 2xx, "
        "and does it say noindex?",
        why="Pages the business wants out of search (cart, account, internal search results) "
        "end up indexed, wasting crawl budget and sometimes exposing information.",
        why_happens="New sections launched without noindex, or a robots.txt rule removed "
        "during a cleanup.",
        example="GET /cart → 200, no X-Robots-Tag, no meta robots; robots.txt allows it",
        fix="Send noindex (header or meta); require authentication for private pages.",
        gives_up="Nothing.",
        references=(BLOCK_INDEXING_DOC, "crawler-facts §6"),
    ),
    check=check,
)
