"""Crawl-budget arithmetic per bot: the rate the site allows vs the rate the policy needs.

Sustainable rate = the tightest of: the rate at which a limiter first answered 429/503
(observed passively, or the active probe's onset step), the advertised quota
(RateLimit / X-RateLimit headers), and Crawl-delay for bots that honour it. Needed rate =
the URLs the site asks to have crawled (sitemaps + must-index) ÷ ``rate.recrawl_days``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.ratelimit import parse_rate_limit
from seoaudit.analysis.site_robots import (
    bot_token,
    copy_for_bot,
    honours_crawl_delay,
    must_index_urls,
    resolve_bot,
    sitemap_urls,
)
from seoaudit.snapshot import Exchange
from seoaudit.web.urls import origin_of

LIMIT_STATUSES = (429, 503)


@dataclass
class CrawlBudget:
    bot: str
    urls: int
    needed_rps: float | None
    sustainable_rps: float | None = None
    recrawl_days: float | None = None
    sources: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "sustainable_rps": _round(self.sustainable_rps),
            "needed_rps": _round(self.needed_rps),
            "recrawl_days": _round(self.recrawl_days),
            "urls": self.urls,
            "sources": self.sources,
        }


def duration_text(days: float) -> str:
    """A recrawl time in a unit a person reads: "under an hour", "5 hours", "3.5 days"."""
    hours = days * 24
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours:.0f} hours"
    return f"{days:.1f} days"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def limited_exchanges(ctx: RuleContext, profile: str) -> list[Exchange]:
    return [
        e
        for e in ctx.snapshot.exchanges
        if e.profile == profile and e.status in LIMIT_STATUSES and e.purpose != "rate_probe"
    ]


def rate_before(ctx: RuleContext, exchange: Exchange, window_s: float = 2.0) -> float:
    """Requests per second this profile sent in the window before ``exchange`` started."""
    t = exchange.timing.started_s
    sent = [
        e
        for e in ctx.snapshot.exchanges
        if e.profile == exchange.profile and t - window_s <= e.timing.started_s <= t
    ]
    return len(sent) / window_s


def crawl_budget(ctx: RuleContext, bot_id: str) -> CrawlBudget:
    def build() -> CrawlBudget:
        urls = len(set(sitemap_urls(ctx)) | set(must_index_urls(ctx)))
        days = ctx.policy.rate.recrawl_days
        budget = CrawlBudget(bot_id, urls, urls / (days * 86400) if urls else None)
        candidates: list[tuple[float, str]] = []
        profile = f"bot:{bot_id}"
        limited = limited_exchanges(ctx, profile)
        if limited:
            onset = rate_before(ctx, limited[0])
            candidates.append(
                (max(onset, 0.01), f"first {limited[0].status} at ~{onset:.1f} req/s")
            )
        for probe in ctx.snapshot.rate_probes:
            if probe.profile == profile and probe.onset_rps:
                candidates.append(
                    (probe.onset_rps / 2, f"probe onset at {probe.onset_rps:g} req/s")
                )
        for e in ctx.snapshot.exchanges:
            if e.profile == profile:
                info = parse_rate_limit(e.headers)
                if info.quota_rps is not None:
                    candidates.append((info.quota_rps, f"advertised quota ({info.source})"))
                    break
        copy = copy_for_bot(ctx, origin_of(ctx.snapshot.start_url), bot_id)
        if copy.robots is not None and honours_crawl_delay(resolve_bot(ctx, bot_id)) is not False:
            token, wildcard = bot_token(ctx, bot_id)
            delay = copy.robots.crawl_delay(token, use_wildcard_group=wildcard)
            if delay:
                candidates.append((1 / delay, f"Crawl-delay {delay:g} s"))
        if candidates:
            rate = min(candidates)[0]
            budget.sustainable_rps = rate
            budget.sources = [w for _, w in sorted(candidates)]
            if urls:
                budget.recrawl_days = urls / rate / 86400
        return budget

    return ctx.cached(f"crawl_budget:{bot_id}", build)
