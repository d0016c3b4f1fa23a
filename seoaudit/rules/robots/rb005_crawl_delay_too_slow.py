"""RB005: a Crawl-delay above policy, or too slow to recrawl the site within recrawl_days."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.crawl_budget import duration_text
from seoaudit.analysis.site_robots import (
    bot_token,
    copy_for_bot,
    honours_crawl_delay,
    must_index_urls,
    origins,
    policy_bots,
    resolve_bot,
    sitemap_urls,
)
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import host_subject, plural

BING_CRAWL_DELAY = (
    "https://blogs.bing.com/webmaster/2012/05/03/to-crawl-or-not-to-crawl-that-is-bingbots-question"
)


def check(ctx: RuleContext) -> Iterator[Check]:
    limit = ctx.policy.robots.max_crawl_delay_s
    days = ctx.policy.rate.recrawl_days
    for origin in origins(ctx):
        urls = {u for u in sitemap_urls(ctx) + must_index_urls(ctx) if u.startswith(origin)}
        for bot_id in policy_bots(ctx, "required", "wanted"):
            subject = host_subject(origin, bot_id)
            copy = copy_for_bot(ctx, origin, bot_id)
            if copy.robots is None:
                yield not_applicable(subject, copy.why)
                continue
            token, wildcard = bot_token(ctx, bot_id)
            delay = copy.robots.crawl_delay(token, use_wildcard_group=wildcard)
            if delay is None:
                yield passed(subject, "no Crawl-delay")
                continue
            honours = honours_crawl_delay(resolve_bot(ctx, bot_id))
            if honours is False:
                yield not_applicable(subject, f"{bot_id} ignores Crawl-delay ({delay:g} s)")
                continue
            needed_days = len(urls) * delay / 86400
            too_slow = needed_days > days
            if delay <= limit and not too_slow:
                yield passed(subject, f"Crawl-delay {delay:g} s within policy")
                continue
            max_rps = 1 / delay if delay else None
            reasons = []
            if delay > limit:
                reasons.append(f"over the policy's robots.max_crawl_delay_s ({limit:g} s)")
            if too_slow:
                reasons.append(
                    f"a full recrawl of {plural(len(urls), 'known URL')} takes "
                    f"{duration_text(needed_days)}, over rate.recrawl_days ({days:g})"
                )
            yield failed(
                subject,
                message=f"Crawl-delay: {delay:g} for {bot_id} is " + " and ".join(reasons),
                cost=(
                    f"{bot_id} fetches at most one URL every {delay:g} s "
                    f"({max_rps:.3f} req/s, {86400 / delay:,.0f} URLs a day)"
                    + (
                        f": refreshing the {len(urls):,} URLs the site asks to have crawled "
                        f"takes {duration_text(needed_days)}"
                        if urls
                        else ""
                    )
                    + ". New and changed pages reach its index late."
                ),
                evidence=[
                    {
                        "kind": "robots_line",
                        "directive": f"Crawl-delay: {delay:g}",
                        "origin": origin,
                        "profile": copy.profile,
                        "urls": len(urls),
                        "exchange_id": copy.exchange.id if copy.exchange else None,
                    }
                ],
                fix_summary=f"Lower or remove Crawl-delay for {bot_id}; manage load with "
                "429/503 + Retry-After or the operator's crawl-rate controls.",
                fix_steps={
                    "infra": [
                        f"Lower Crawl-delay for {bot_id} to at most {limit:g} s, or remove it",
                        "If the origin needs protection, answer 429/503 with Retry-After at "
                        "the actual limit: crawlers back off only when needed",
                        "Bing: use Bing Webmaster Tools crawl control for time-of-day shaping",
                    ],
                    "seo": ["Track crawl stats in Bing Webmaster Tools after the change"],
                },
                protection_cost=(
                    f"{bot_id} may crawl faster; peak load is still capped by the rate limit."
                ),
                pattern=f"crawl-delay:{delay:g}",
                confidence="confirmed" if honours else "likely",
            )


RULE = Rule(
    code="RB005",
    slug="crawl-delay-too-slow",
    title="Crawl-delay above policy, or too slow to recrawl within recrawl_days",
    severity="warning",
    owner="shared",
    protection="robots_txt",
    docs=RuleDocs(
        what="Reads Crawl-delay for each required and wanted bot that honours it (Bing does; "
        "Google ignores it) and compares it with robots.max_crawl_delay_s and with the days a "
        "full recrawl of the known URLs takes at that pace.",
        why="Crawl-delay: 30 allows 2,880 URLs a day. A site asking for 30,000 URLs to be "
        "crawled waits ten days for a refresh: prices, stock and new pages go stale in results.",
        why_happens="A delay set years ago to protect a small origin, never revisited as the "
        "site grew or the origin moved behind a CDN.",
        example="User-agent: bingbot\nCrawl-delay: 30",
        fix="Lower or remove Crawl-delay; protect the origin with 429/503 + Retry-After at "
        "the real limit, or the operator's crawl-rate settings.",
        gives_up="A fixed pace for that bot; load is still capped by the rate limiter.",
        references=(BING_CRAWL_DELAY, "crawler-facts §1.4, §2"),
    ),
    check=check,
)
