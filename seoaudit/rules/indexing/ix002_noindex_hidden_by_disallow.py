"""IX002: noindex on a URL the bot may not fetch, so the directive is never seen."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import directives_of, page_of
from seoaudit.analysis.site_robots import policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import BLOCK_INDEXING_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    bots = policy_bots(ctx, "required")
    for exchange in ctx.snapshot.exchanges_for(profile="seoaudit", purpose="page"):
        if exchange.status is None or not 200 <= exchange.status < 300:
            continue
        page = page_of(ctx, exchange)
        if page is None:
            continue
        hidden = []
        for bot in bots:
            answer = robots_for(ctx, exchange.url, bot)
            if answer.meaning == "rules" and not answer.allowed:
                directives = directives_of(ctx, page, answer.token)
                if directives.noindex:
                    hidden.append((bot, answer, directives))
        subject = url_subject(exchange.url)
        if not hidden:
            yield passed(subject)
            continue
        bot, answer, directives = hidden[0]
        names = ", ".join(b for b, _, _ in hidden)
        yield failed(
            url_subject(exchange.url, bot),
            message=(
                f"the page says noindex ({directives.describe()}) but {answer.rule} "
                f"(robots.txt line {answer.line}) stops {names} from fetching it"
            ),
            cost=(
                "A crawler that may not fetch the page never sees its noindex: the URL can still "
                "be indexed from links (shown without a snippet). The two protections cancel out."
            ),
            evidence=[answer.evidence(), {"kind": "directive", "exchange_id": exchange.id}],
            fix_summary="Pick one: to keep it out of results, allow crawling so noindex is "
            "seen; to save crawl load, keep Disallow and accept URL-only listings.",
            fix_steps={
                "seo": ["Decide whether the goal is 'not indexed' (noindex) or 'not crawled'"],
                "infra": [
                    f"For 'not indexed': remove '{answer.rule}' until the URLs drop out, "
                    "then re-add it if load matters"
                ],
            },
            protection_cost="Crawlers fetch these pages while the noindex takes effect.",
            pattern=answer.rule,
            severity="warning",
        )


RULE = Rule(
    code="IX002",
    slug="noindex-hidden-by-disallow",
    title="noindex on a URL the bot may not fetch: the directive is never seen",
    severity="warning",
    owner="shared",
    protection="robots_txt",
    docs=RuleDocs(
        what="Finds pages whose noindex a required bot cannot see because robots.txt "
        "disallows the URL.",
        why="Disallow stops crawling, not indexing: linked URLs can be indexed without "
        "content, and the noindex meant to prevent that is never read.",
        why_happens="Two teams protect the same pages twice: SEO adds noindex, infra adds "
        "Disallow to save load.",
        example="/search carries <meta name=robots content=noindex>; robots.txt: Disallow: /search",
        fix="Allow crawling until the noindex is processed, or accept URL-only listings.",
        gives_up="Some crawl load on those URLs while noindex takes effect.",
        references=(BLOCK_INDEXING_DOC, "crawler-facts §6"),
    ),
    check=check,
)
