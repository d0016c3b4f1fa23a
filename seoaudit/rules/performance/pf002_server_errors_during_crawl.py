"""PF002: the share of 5xx answers to crawler requests is above performance.max_error_rate."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import host_limits, refusals, start_host
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, not_applicable, passed
from seoaudit.rules.common import HTTP_ERRORS_DOC, host_subject

CRAWLER_PROFILES_PREFIX = ("bot:", "seoaudit")


def check(ctx: RuleContext) -> Iterator[Check]:
    limit = ctx.policy.performance.max_error_rate
    subject = host_subject(ctx.snapshot.start_url)
    answered = [
        e
        for e in ctx.snapshot.exchanges
        if e.purpose in ("page", "probe") and e.status is not None
        and e.profile.startswith(CRAWLER_PROFILES_PREFIX)
    ]  # fmt: skip
    if not answered:
        yield inconclusive(subject, "no crawler page requests were answered")
        return
    limits = host_limits(ctx, start_host(ctx))
    if limits.unavailable:
        yield not_applicable(subject, "the host answered 5xx to everything: unavailable (IX004)")
        return
    verdicts = refusals(ctx)

    def counted(e) -> bool:  # type: ignore[no-untyped-def]
        """Server errors, not limits: a 503 our own load drew is RL001's, one served to a
        crawler alone is CH002's."""
        refusal = verdicts.get(e.id)
        if refusal is not None and (refusal.verdict == "load" or refusal.agent_specific):
            return False
        return not (e.status == 503 and e in limits.events)

    errors = [e for e in answered if e.status >= 500 and counted(e)]
    share = len(errors) / len(answered)
    if share <= limit:
        yield passed(subject, f"{share:.1%} 5xx")
        return
    urls = sorted({e.url for e in errors})
    yield failed(
        subject,
        message=(
            f"{len(errors)} of {len(answered)} crawler requests ({share:.1%}) got 5xx; "
            f"policy allows {limit:.1%}"
        ),
        cost=(
            "Google lowers its crawl rate when it sees server errors and drops URLs that keep "
            f"failing; {len(urls)} URL(s) failed: {', '.join(urls[:4])}"
            + (f" (+{len(urls) - 4} more)" if len(urls) > 4 else "")
        ),
        evidence=[
            {
                "kind": "errors",
                "statuses": sorted({e.status for e in errors}),
                "exchange_ids": [e.id for e in errors[:10]],
                "urls": urls[:10],
            }
        ],
        fix_summary="Fix the failing URLs; use 503 + Retry-After only for planned, short outages.",
        fix_steps={
            "infra": [
                "Check origin logs for the failing URLs and fix the errors",
                "During maintenance answer 503 with Retry-After, never 500, and never on robots.txt",
            ],
            "seo": ["Monitor Search Console's server error reports"],
        },
        protection_cost="None.",
        pattern="5xx-share",
    )


RULE = Rule(
    code="PF002",
    slug="server-errors-during-crawl",
    title="5xx share of crawler requests above performance.max_error_rate",
    severity="warning",
    owner="infra",
    protection="origin_capacity",
    docs=RuleDocs(
        what="Counts 5xx answers among page requests made as the honest agent and as each bot, "
        "leaving out the rate limiter's 503s (RL001), 5xx served to one crawler alone (CH002) "
        "and a host that is down altogether (IX004).",
        why="Server errors make Google crawl less and eventually drop failing URLs.",
        why_happens="Overloaded origins, broken templates, or maintenance pages served as 500.",
        example="/products/p21 → 500, /products/p22 → 502 (2 of 150 requests, 1.3%)",
        fix="Fix the errors; use 503 + Retry-After for planned outages.",
        gives_up="Nothing.",
        references=(HTTP_ERRORS_DOC, "crawler-facts §3"),
    ),
    check=check,
)
