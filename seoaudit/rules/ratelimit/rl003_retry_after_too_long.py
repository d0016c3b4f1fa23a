"""RL003: Retry-After above rate.max_retry_after_s."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.ratelimit._shared import RATE_DOC, RFC9110_RETRY_AFTER
from seoaudit.web.headers import parse_retry_after


def check(ctx: RuleContext) -> Iterator[Check]:
    limit = ctx.policy.rate.max_retry_after_s
    for bot in policy_bots(ctx, "required", "wanted"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        long_waits = []
        for e in ctx.snapshot.exchanges_for(profile=f"bot:{bot}"):
            seconds = parse_retry_after(e.header("retry-after"))
            if seconds is not None and seconds > limit:
                long_waits.append((e, seconds))
        if not long_waits:
            yield passed(subject)
            continue
        e, seconds = max(long_waits, key=lambda item: item[1])
        yield failed(
            subject,
            message=f"{bot} is told to wait {seconds:,.0f} s (Retry-After) on {e.url}; the "
            f"policy allows {limit:,.0f} s",
            cost="Google retries 429/503 URLs for about 2 days, then drops them; a wait this "
            "long keeps the crawler away while pages change, and past 2 days costs indexing.",
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": e.id,
                    "status": e.status,
                    "retry_after": e.header("retry-after"),
                }
            ],
            fix_summary="Use short Retry-After values (minutes), sized to the real recovery time.",
            fix_steps={
                "infra": ["Lower Retry-After to the actual window of the limiter or outage"]
            },
            protection_cost="Crawlers return sooner; the limiter still caps them.",
            pattern=f"retry-after:{bot}",
        )


RULE = Rule(
    code="RL003",
    slug="retry-after-too-long",
    title="Retry-After above rate.max_retry_after_s",
    severity="warning",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Reads Retry-After (seconds or HTTP-date) on answers to each bot.",
        why="A wait longer than the outage keeps crawlers away needlessly; past about 2 days "
        "Google starts dropping URLs.",
        why_happens="Maintenance pages with a fixed far-future Retry-After, limiters using "
        "the whole day's window.",
        example="503, Retry-After: 86400",
        fix="Retry-After sized to the real recovery time (minutes).",
        gives_up="Nothing material.",
        references=(RFC9110_RETRY_AFTER, RATE_DOC),
    ),
    check=check,
)
