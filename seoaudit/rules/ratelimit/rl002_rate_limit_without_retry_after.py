"""RL002: 429/503 without Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.crawl_budget import limited_exchanges
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.context import RuleContext
from seoaudit.rules.ratelimit._shared import GOOGLE_429, LIMITER_FIX, RATE_DOC, RFC9110_RETRY_AFTER


def check(ctx: RuleContext) -> Iterator[Check]:
    for bot in policy_bots(ctx, "required", "wanted"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        limited = limited_exchanges(ctx, f"bot:{bot}")
        missing = [e for e in limited if e.header("retry-after") is None]
        if not limited:
            yield passed(subject, "no 429/503 seen")
            continue
        if not missing:
            yield passed(subject, "every 429/503 carried Retry-After")
            continue
        yield failed(
            subject,
            message=f"{len(missing)} of {len(limited)} answers 429/503 to {bot} carry no Retry-After",
            cost=f"{GOOGLE_429}. Without Retry-After the crawler guesses when to come back: "
            "too early adds load, too late leaves pages stale.",
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": e.id,
                    "url": e.url,
                    "status": e.status,
                    "headers": [f"{k}: {v}" for k, v in e.headers][:6],
                }
                for e in missing[:3]
            ],
            fix_summary="Send Retry-After (seconds) with every 429 and 503.",
            fix_steps={
                "infra": [
                    "Configure the limiter / maintenance page to add 'Retry-After: <seconds>'",
                    *LIMITER_FIX["infra"][:1],
                ]
            },
            protection_cost="None: the limit stays; crawlers learn when to return.",
            pattern=f"no-retry-after:{bot}",
        )


RULE = Rule(
    code="RL002",
    slug="rate-limit-without-retry-after",
    title="429/503 without Retry-After",
    severity="warning",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Checks every 429/503 a required or wanted bot got for a Retry-After header.",
        why="Retry-After tells crawlers when to come back; Google honours it as a hint. "
        "Without it, backoff is guesswork on both sides.",
        why_happens="Default limiter responses rarely include it.",
        example="HTTP/1.1 429 Too Many Requests (no Retry-After)",
        fix="Add Retry-After to every 429 and 503.",
        gives_up="Nothing.",
        references=(RFC9110_RETRY_AFTER, RATE_DOC, "crawler-facts §3.2, §9"),
    ),
    check=check,
)
