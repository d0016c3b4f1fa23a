"""RL001: a required bot is rate limited (429/503) below rate.min_rps."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.crawl_budget import limited_exchanges, rate_before
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.context import RuleContext
from seoaudit.rules.ratelimit._shared import GOOGLE_429, LIMITER_FIX, RATE_DOC


def check(ctx: RuleContext) -> Iterator[Check]:
    need = ctx.policy.rate.min_rps
    for bot in policy_bots(ctx, "required"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        limited = limited_exchanges(ctx, f"bot:{bot}")
        onsets = [
            p.onset_rps
            for p in ctx.snapshot.rate_probes
            if p.profile == f"bot:{bot}" and p.onset_rps
        ]
        if not limited and not onsets:
            yield passed(subject, "no 429/503 seen")
            continue
        onset = min(onsets) if onsets else rate_before(ctx, limited[0])
        how = "the rate probe" if onsets else "the audit's own requests"
        if onset >= need:
            yield passed(subject, f"limited from ~{onset:.1f} req/s, above rate.min_rps ({need:g})")
            continue
        first = limited[0] if limited else None
        yield failed(
            subject,
            message=f"{bot} is answered {first.status if first else 429} from ~{onset:.2f} req/s "
            f"(measured by {how}); the policy needs {need:g} req/s",
            cost=f"{GOOGLE_429}. At this limit {bot} cannot crawl at the rate the policy needs.",
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": first.id if first else None,
                    "url": first.url if first else None,
                    "status": first.status if first else None,
                    "rate_at_onset": round(onset, 3),
                }
            ],
            fix_summary=f"Raise {bot}'s limit to at least {need:g} req/s (verified crawlers).",
            fix_steps=LIMITER_FIX,
            protection_cost="Verified crawlers get a higher limit; everyone else keeps the current one.",
            pattern=f"rate:{bot}",
            confidence="needs_verification",
            verify="Our requests came from our IP with the crawler's user-agent; check whether "
            "verified crawler traffic is limited the same way (CDN logs, `seoaudit logs`)",
        )


RULE = Rule(
    code="RL001",
    slug="crawler-rate-limited",
    title="A required bot is rate limited (429/503) below rate.min_rps",
    severity="error",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Estimates the request rate at which a required bot first got 429/503 (from the "
        "audit's own requests, or the opt-in rate probe's onset) and compares it with rate.min_rps.",
        why="A limiter tighter than the crawl the site needs keeps pages stale and, if "
        "sustained, makes Google drop URLs.",
        why_happens="Per-client limits sized for humans applied to crawlers, which fetch many "
        "pages in a row from one IP range.",
        example="Googlebot gets 429 from 0.5 req/s; the policy needs 1 req/s",
        fix="Give verified crawlers their own, higher bucket; answer 429 + Retry-After at the limit.",
        gives_up="Verified crawlers can fetch faster, within the limit you set for them.",
        references=(RATE_DOC, "crawler-facts §3, §9"),
    ),
    check=check,
)
