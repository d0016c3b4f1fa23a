"""RL005: the URLs the site asks to have crawled ÷ the allowed rate exceeds recrawl_days."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.crawl_budget import crawl_budget, duration_text
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.ratelimit._shared import LIMITER_FIX, RATE_DOC


def check(ctx: RuleContext) -> Iterator[Check]:
    days = ctx.policy.rate.recrawl_days
    for bot in policy_bots(ctx, "required"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        budget = crawl_budget(ctx, bot)
        if budget.recrawl_days is None:
            yield not_applicable(subject, "no limit observed or advertised")
            continue
        if budget.recrawl_days <= days:
            yield passed(subject, f"full recrawl in {duration_text(budget.recrawl_days)}")
            continue
        yield failed(
            subject,
            message=f"at {budget.sustainable_rps:.3f} req/s ({budget.sources[0]}), {bot} needs "
            f"{duration_text(budget.recrawl_days)} to recrawl {budget.urls:,} URLs; the policy wants {days:g} days",
            cost="Changes to pages (prices, stock, new content) reach the index later than the "
            "business needs.",
            evidence=[{"kind": "crawl_budget", **budget.as_dict()}],
            fix_summary="Allow a higher sustained rate for verified crawlers, or list fewer URLs.",
            fix_steps=LIMITER_FIX,
            protection_cost="A higher sustained crawler rate, still bounded.",
            pattern=f"recrawl:{bot}",
        )


RULE = Rule(
    code="RL005",
    slug="recrawl-slower-than-freshness",
    title="Known URLs ÷ allowed rate exceeds rate.recrawl_days",
    severity="warning",
    owner="shared",
    protection="rate_limit",
    docs=RuleDocs(
        what="Divides the URLs the site asks to have crawled (sitemaps, must-index) by the "
        "sustainable rate (observed limit, advertised quota, Crawl-delay) and compares the days "
        "with rate.recrawl_days.",
        why="This is the question behind every crawl-vs-uptime argument: can the site's limits "
        "and its freshness goal both hold?",
        why_happens="Limits set without knowing how many URLs need crawling.",
        example="30,000 sitemap URLs at 0.02 req/s = 17 days > 14",
        fix="Raise the verified-crawler rate or reduce the URL count (remove junk URLs).",
        gives_up="A higher sustained crawler rate.",
        references=(RATE_DOC, "crawler-facts §3.5"),
    ),
    check=check,
)
