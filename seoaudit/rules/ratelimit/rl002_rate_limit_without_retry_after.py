"""RL002: 429/503 without Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import LIMIT_STATUSES, PAGE_PURPOSES, host_of
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import host_subject, plural
from seoaudit.rules.ratelimit._shared import GOOGLE_429, LIMITER_FIX, RATE_DOC, RFC9110_RETRY_AFTER


def check(ctx: RuleContext) -> Iterator[Check]:
    """Per host, over every agent: all of them share one IP, so a 429/503 to any of them is
    the same limiter speaking, whichever agent it happened to answer."""
    by_host: dict[str, list] = {}
    for e in ctx.snapshot.exchanges:
        if e.status in LIMIT_STATUSES and e.purpose in (*PAGE_PURPOSES, "rate_probe"):
            by_host.setdefault(host_of(e.url), []).append(e)
    start = host_of(ctx.snapshot.start_url)
    for host in sorted({start, *by_host}):
        subject = host_subject(host)
        limited = by_host.get(host, [])
        missing = [e for e in limited if e.header("retry-after") is None]
        if not limited:
            yield passed(subject, "no 429/503 seen")
            continue
        if not missing:
            yield passed(subject, "every 429/503 carried Retry-After")
            continue
        agents = sorted({e.profile for e in missing})
        yield failed(
            subject,
            message=f"{len(missing)} of {plural(len(limited), 'answer')} 429/503 on {host} carry "
            f"no Retry-After (sent to {', '.join(agents[:6])}{' …' if len(agents) > 6 else ''})",
            cost=f"{GOOGLE_429}. Without Retry-After the crawler guesses when to come back: "
            "too early adds load, too late leaves pages stale.",
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": e.id,
                    "profile": e.profile,
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
            pattern="no-retry-after",
        )


RULE = Rule(
    code="RL002",
    slug="rate-limit-without-retry-after",
    title="429/503 without Retry-After",
    severity="warning",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Checks every 429/503 on a host, whichever agent it answered (they share one IP), "
        "for a Retry-After header.",
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
