"""RB001: robots.txt answers 5xx, 429, or fails for a bot, so Google halts the host."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.site_robots import (
    copy_for_bot,
    must_index_urls,
    origins,
    policy_bots,
    sitemap_urls,
)
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import GOOGLE_ROBOTS_5XX, ROBOTS_SPEC, host_subject, plural
from seoaudit.rules.context import RuleContext


def _limiter_covers_robots(ctx: RuleContext) -> Iterator[Check]:
    """The rate probe tripped a limiter, then robots.txt was refused too (issue: RL vs RB)."""
    for probe in ctx.snapshot.rate_probes:
        if probe.robots_exchange_id is None or not probe.profile.startswith("bot:"):
            continue
        exchange = ctx.snapshot.exchange(probe.robots_exchange_id)
        if exchange.status not in (429, 503) and not (exchange.status or 0) >= 500:
            continue
        bot = probe.profile.split(":", 1)[1]
        origin = exchange.url.rsplit("/robots.txt", 1)[0]
        yield failed(
            host_subject(origin, bot),
            message=(
                f"the rate limiter also covers robots.txt: after {bot} hit the limit at "
                f"{probe.onset_rps:g} req/s, robots.txt answered {exchange.status}"
            ),
            cost=(
                f"Whenever the limiter trips, {GOOGLE_ROBOTS_5XX}: one busy minute halts "
                "crawling of the whole host, not just the pages being fetched."
            ),
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": exchange.id,
                    "url": exchange.url,
                    "status": exchange.status,
                    "retry_after": exchange.header("retry-after"),
                    "onset_rps": probe.onset_rps,
                }
            ],
            fix_summary="Exclude /robots.txt (and sitemaps) from the rate limiter.",
            fix_steps={
                "infra": [
                    "Add an exception for /robots.txt and sitemap files to the limiter rule",
                    "Serve robots.txt from the CDN cache so it never reaches the limited origin",
                ]
            },
            protection_cost="None: robots.txt is one cached request per crawler per day.",
            pattern="/robots.txt#rate-limited",
            confidence="needs_verification",
            verify="Seen with the crawler's user-agent from our IP during the opt-in rate probe",
        )


def check(ctx: RuleContext) -> Iterator[Check]:
    yield from _limiter_covers_robots(ctx)
    for origin in origins(ctx):
        urls = [u for u in must_index_urls(ctx) + sitemap_urls(ctx) if u.startswith(origin)]
        for bot in policy_bots(ctx, "required", "wanted"):
            copy = copy_for_bot(ctx, origin, bot)
            subject = host_subject(origin, bot)
            if copy.meaning == "missing":
                yield inconclusive(subject, copy.why)
                continue
            if copy.meaning != "halted":
                yield passed(subject, copy.why)
                continue
            exchange = copy.exchange
            retry = exchange.header("retry-after") if exchange else None
            yield failed(
                subject,
                message=f"robots.txt on {origin} fails for {bot}: {copy.why}",
                cost=(
                    f"{GOOGLE_ROBOTS_5XX}. While it lasts {bot} fetches nothing on this host: "
                    f"{plural(len(set(urls)), 'must-index or sitemap URL')} stop being crawled."
                ),
                evidence=[
                    {
                        "kind": "exchange",
                        "exchange_id": exchange.id if exchange else None,
                        "url": origin + "/robots.txt",
                        "profile": copy.profile,
                        "status": copy.status,
                        "retry_after": retry,
                        "error": exchange.error.message if exchange and exchange.error else None,
                    }
                ],
                fix_summary="Serve robots.txt with 200 to every agent, outside the bot and rate rules.",
                fix_steps={
                    "infra": [
                        "Exclude /robots.txt (and sitemaps) from WAF bot rules, rate limits and "
                        "maintenance pages: it is one small cacheable file per host",
                        "Cache it at the CDN so origin load never decides its status",
                        "To slow crawlers, answer page requests with 429/503 + Retry-After, "
                        "never robots.txt",
                    ],
                    "seo": ["Check the robots.txt report in Search Console after the change"],
                },
                protection_cost=(
                    "None worth keeping: robots.txt is a single small request per crawler per "
                    "day; protecting it saves no capacity and halts the whole host."
                ),
                pattern="/robots.txt",
            )


RULE = Rule(
    code="RB001",
    slug="robots-txt-unreachable",
    title="robots.txt fails for a crawler (5xx, 429, timeout): Google halts the host",
    severity="error",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Fetches /robots.txt as every required and wanted bot and flags 5xx, 429, "
        "timeouts, resets and other failures.",
        why="Google treats a failing robots.txt as 'do not crawl': it stops crawling the "
        "whole host for about 12 hours, then uses the cached copy for up to 30 days. One "
        "protected file silently switches off crawling for every URL on the host.",
        why_happens="A WAF rule, rate limiter or maintenance page covers every path, "
        "robots.txt included; or the origin is overloaded and the CDN does not cache "
        "robots.txt.",
        example="GET /robots.txt as PerplexityBot → 503 Service Unavailable, Retry-After: 120",
        fix="Serve robots.txt with 200 to every agent: exempt it from bot and rate rules and "
        "cache it at the edge. Slow crawlers with 429/503 on pages instead.",
        gives_up="Nothing material: robots.txt is one small request per crawler per day.",
        references=(ROBOTS_SPEC, "crawler-facts §1.2"),
    ),
    check=check,
)
