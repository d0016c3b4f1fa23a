"""PF001: crawler TTFB p75 above performance.max_ttfb_ms."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.analysis.timing import percentile, ttfbs
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import host_subject

CRAWL_BUDGET_DOC = "https://developers.google.com/crawling/docs/crawl-budget"
TTFB_DOC = "https://web.dev/articles/ttfb"


def check(ctx: RuleContext) -> Iterator[Check]:
    limit = ctx.policy.performance.max_ttfb_ms
    origin = ctx.snapshot.start_url
    browser = ttfbs(ctx, "browser")
    browser_p75 = percentile(browser, 75)
    for bot in policy_bots(ctx, "required", "wanted"):
        subject = host_subject(origin, bot)
        values = ttfbs(ctx, f"bot:{bot}")
        if len(values) < 3:
            yield inconclusive(subject, f"only {len(values)} timed responses for {bot}")
            continue
        p50, p75 = percentile(values, 50), percentile(values, 75)
        if p75 is None or p75 <= limit:
            yield passed(subject, f"TTFB p75 {p75:.0f} ms")
            continue
        slower = browser_p75 is not None and p75 > 2 * max(browser_p75, 1.0)
        yield failed(
            subject,
            message=(
                f"{bot}'s time to first byte: p50 {p50:.0f} ms, p75 {p75:.0f} ms (limit "
                f"{limit:.0f} ms)"
                + (
                    f"; the browser's p75 is {browser_p75:.0f} ms"
                    if browser_p75 is not None
                    else ""
                )
            ),
            cost=(
                "Google adapts its crawl rate to response time: slow answers mean fewer URLs "
                "crawled per day, so new and changed pages are picked up later"
                + (
                    ". Only crawlers are slowed: a tarpit or a bot rule is delaying them"
                    if slower
                    else ""
                )
            ),
            evidence=[
                {
                    "kind": "timing",
                    "bot": bot,
                    "samples": len(values),
                    "p50_ms": round(p50 or 0, 1),
                    "p75_ms": round(p75, 1),
                    "browser_p75_ms": round(browser_p75, 1) if browser_p75 is not None else None,
                }
            ],
            fix_summary="Serve crawlers from cache at normal speed; if the origin needs "
            "relief, answer 429/503 + Retry-After instead of slowing answers.",
            fix_steps={
                "infra": [
                    "Remove tarpit/slow-down rules for verified crawlers",
                    "Cache HTML for anonymous requests at the CDN",
                ],
                "seo": ["Watch average response time in Search Console crawl stats"],
            },
            protection_cost="The slowdown no longer throttles crawlers; Retry-After does it explicitly.",
            pattern=f"ttfb:{bot}",
            confidence="confirmed" if slower else "likely",
        )


RULE = Rule(
    code="PF001",
    slug="slow-response-for-crawlers",
    title="Crawler time to first byte (p75) above performance.max_ttfb_ms",
    severity="warning",
    owner="shared",
    protection="tarpit",
    docs=RuleDocs(
        what="Measures time to first byte of every request made as each bot and compares "
        "p75 with the policy and with the browser control.",
        why="Crawl rate follows server speed: a slow host gets fewer pages crawled a day.",
        why_happens="Tarpits that slow 'bots' to protect origin CPU, uncached HTML, or an "
        "overloaded origin.",
        example="bingbot TTFB p75 870 ms; browser p75 12 ms (a tarpit on bot user-agents)",
        fix="Serve crawlers at normal speed from cache; shed load with 429/503 + Retry-After.",
        gives_up="The hidden throttle; the limiter throttles openly instead.",
        references=(CRAWL_BUDGET_DOC, TTFB_DOC, "crawler-facts §3, §10"),
    ),
    check=check,
)
