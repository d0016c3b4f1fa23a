"""IX003: a canonical points to a URL that is disallowed, noindex, non-200 or redirecting."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import settled_fetch
from seoaudit.analysis.site_pages import directives_of, latest_fetch, page_of
from seoaudit.analysis.site_robots import policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import url_subject

CANONICAL_DOC = (
    "https://developers.google.com/search/docs/crawling-indexing/consolidate-duplicate-urls"
)


def _problem(ctx: RuleContext, target: str, bot: str | None) -> str | None:
    exchange, _why = settled_fetch(ctx, target, latest_fetch(ctx, target))
    if bot is not None:
        answer = robots_for(ctx, target, bot)
        if answer.meaning == "rules" and not answer.allowed:
            return f"is disallowed for {bot} by {answer.rule} (line {answer.line})"
    if exchange is None:
        return None
    if exchange.redirects:
        return f"redirects ({exchange.redirects[0].status} → {exchange.final_url})"
    if exchange.status != 200:
        if exchange.status is not None:
            return f"answers {exchange.status}"
        return f"fails ({exchange.error.kind if exchange.error else 'no answer'})"
    page = page_of(ctx, exchange)
    directives = directives_of(ctx, page, bot or "googlebot")
    if directives.noindex:
        return f"says noindex ({directives.describe()})"
    return None


def check(ctx: RuleContext) -> Iterator[Check]:
    bot = next(iter(policy_bots(ctx, "required")), None)
    for exchange in ctx.snapshot.exchanges_for(profile="seoaudit", purpose="page"):
        page = page_of(ctx, exchange)
        if page is None or exchange.status != 200:
            continue
        targets = list(dict.fromkeys(page.canonical + page.canonical_header))
        own = exchange.final_url or exchange.url
        targets = [t for t in targets if t not in (own, exchange.url)]
        subject = url_subject(exchange.url)
        if not targets:
            yield passed(subject, "self-canonical or none")
            continue
        target = targets[0]
        if latest_fetch(ctx, target) is None and bot is None:
            yield inconclusive(subject, f"canonical target {target} was not fetched")
            continue
        problem = _problem(ctx, target, bot)
        if problem is None:
            yield passed(subject, f"canonical {target} is indexable")
            continue
        target_exchange = latest_fetch(ctx, target)
        yield failed(
            subject,
            message=f"canonical points to {target}, which {problem}",
            cost=(
                "Google may ignore a canonical to an unindexable URL and pick one itself, or "
                "consolidate signals onto a URL that cannot rank: the page's ranking signals "
                "are wasted."
            ),
            evidence=[
                {"kind": "canonical", "page_exchange_id": exchange.id, "target": target},
                {
                    "kind": "exchange",
                    "exchange_id": target_exchange.id if target_exchange else None,
                    "status": target_exchange.status if target_exchange else None,
                },
            ],
            fix_summary="Point the canonical at the live, indexable URL (usually the page itself).",
            fix_steps={"seo": ["Fix the canonical in the template/CMS for this page type"]},
            protection_cost="None.",
            pattern=target.split("/", 3)[-1],
        )


RULE = Rule(
    code="IX003",
    slug="canonical-target-unindexable",
    title="Canonical points to a disallowed, noindex, non-200 or redirecting URL",
    severity="warning",
    owner="seo",
    protection="canonical",
    docs=RuleDocs(
        what="Follows each page's rel=canonical (link tag and Link header) to its target and "
        "checks the target's status, redirects, noindex and robots verdict.",
        why="A canonical hands the page's signals to its target; if the target cannot be "
        "indexed, Google ignores the hint or consolidates onto a dead URL.",
        why_happens="Products renamed or removed without updating canonicals; canonicals to "
        "http or non-www variants that now redirect.",
        example='<link rel="canonical" href="/products/p07-old">  → 404',
        fix="Canonicals point to the live 200, indexable URL.",
        gives_up="Nothing.",
        references=(CANONICAL_DOC, "crawler-facts §6"),
    ),
    check=check,
)
