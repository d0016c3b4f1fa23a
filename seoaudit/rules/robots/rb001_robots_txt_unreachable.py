"""RB001: robots.txt answers 5xx, 429, or fails for a bot, so Google halts the host."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import host_limits, host_of, served
from seoaudit.analysis.site_robots import (
    copy_for_bot,
    must_index_urls,
    origins,
    policy_bots,
    sitemap_urls,
)
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import GOOGLE_ROBOTS_5XX, ROBOTS_SPEC, host_subject, plural
from seoaudit.snapshot import Exchange


def _limited_copies(ctx: RuleContext, origin: str) -> list[tuple[str, Exchange]]:
    """(how it was seen, the refused answer) for robots.txt refused right after the opt-in
    rate probe drew a limit: the limiter covers robots.txt.

    A robots.txt refusal under the audit's own burst of robots.txt fetches that a calm
    re-check did not reproduce is not reported: whether the burst trips a limiter is timing,
    and the same site must give the same findings (the copy's reason says it)."""
    seen: list[tuple[str, Exchange]] = []
    for probe in ctx.snapshot.rate_probes:
        if probe.robots_exchange_id is None:
            continue
        exchange = ctx.snapshot.exchange(probe.robots_exchange_id)
        if exchange.url.rsplit("/robots.txt", 1)[0] != origin:
            continue
        if exchange.status in (429, 503) or (exchange.status or 0) >= 500:
            seen.append(
                (f"right after the rate probe drew a limit at {probe.onset_rps:g} req/s", exchange)
            )
    return seen


def _limiter_covers_robots(ctx: RuleContext, origin: str) -> Iterator[Check]:
    """robots.txt answers the limiter's 429/503 under load: one finding per host, because
    which agent's fetch the limiter happened to refuse is timing, not a verdict."""
    seen = _limited_copies(ctx, origin)
    if not seen:
        return
    how, exchange = seen[0]
    answer = exchange.status if exchange.status is not None else exchange.error.kind  # type: ignore[union-attr]
    yield failed(
        host_subject(origin),
        message=(
            f"the rate limiter also covers robots.txt on {origin}: it answered {answer} {how}"
        ),
        cost=(
            f"Whenever the limiter trips while a crawler re-reads robots.txt, {GOOGLE_ROBOTS_5XX}: "
            "one busy minute halts crawling of the whole host, not just the pages being fetched."
        ),
        evidence=[
            {
                "kind": "exchange",
                "exchange_id": e.id,
                "profile": e.profile,
                "url": e.url,
                "status": e.status,
                "retry_after": e.header("retry-after"),
                "seen": why,
            }
            for why, e in seen[:4]
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
        confidence="likely",
        severity="warning",
        verify="Every agent of the audit shares one IP; a crawler meets the same limiter per "
        "crawler IP while it crawls",
    )


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        yield from _limiter_covers_robots(ctx, origin)
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
            limits = host_limits(ctx, host_of(origin))
            context = ""
            if limits.unavailable:
                context = " — with every page: the site is down for maintenance"
            elif any(
                e.profile == copy.profile and e.purpose in ("page", "probe") and served(e)
                for e in ctx.snapshot.exchanges
            ):
                context = " — while its page requests are served: only robots.txt fails"
            yield failed(
                subject,
                message=f"robots.txt on {origin} fails for {bot}: {copy.why}{context}",
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
