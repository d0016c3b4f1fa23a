"""RL001: a required bot is rate limited (429/503) below rate.min_rps."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import rate_verdict
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, not_applicable, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.ratelimit._shared import GOOGLE_429, LIMITER_FIX, RATE_DOC

SCOPE_CONFIDENCE = {"ip": "likely", "agent": "needs_verification", "probe": "likely"}


def check(ctx: RuleContext) -> Iterator[Check]:
    need = ctx.policy.rate.min_rps
    for bot in policy_bots(ctx, "required"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        verdict = rate_verdict(ctx, bot)
        if verdict.outcome in ("none", "pass"):
            yield passed(subject, verdict.text)
            continue
        if verdict.outcome == "not_applicable":
            yield not_applicable(subject, verdict.text)
            continue
        if verdict.outcome == "unclear":
            yield inconclusive(subject, verdict.text)
            continue
        per_ip = verdict.scope == "ip"
        yield failed(
            subject,
            message=f"{bot} cannot crawl at rate.min_rps ({need:g} req/s): {verdict.text}",
            cost=f"{GOOGLE_429}. At this limit {bot} cannot crawl at the rate the policy needs"
            + (", and neither can any other crawler: the limit is per IP." if per_ip else "."),
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": e.id,
                    "profile": e.profile,
                    "url": e.url,
                    "status": e.status,
                    "paced_rps": e.timing.paced_rps,
                    "retry_after": e.header("retry-after"),
                }
                for e in verdict.evidence[:4]
            ]
            + [{"kind": "rate", "scope": verdict.scope, "rate_rps": verdict.rate, "min_rps": need}],
            fix_summary=f"Let verified crawlers fetch at {need:g} req/s or more (their own bucket).",
            fix_steps=LIMITER_FIX,
            protection_cost="Verified crawlers get a higher limit; everyone else keeps the current one.",
            pattern=f"rate:{bot}" if not per_ip else "rate:ip",
            confidence=SCOPE_CONFIDENCE.get(verdict.scope, "needs_verification"),  # type: ignore[arg-type]
            verify=(
                "All the audit's agents share one IP, and the limit answered them alike: real "
                "crawlers meet it per crawler IP. Confirm the rate verified crawlers get in "
                "CDN/server logs (`seoaudit logs`)"
                if per_ip
                else "Our requests came from our IP with the crawler's user-agent; check whether "
                "verified crawler traffic is limited the same way (CDN logs, `seoaudit logs`)"
            ),
        )


RULE = Rule(
    code="RL001",
    slug="crawler-rate-limited",
    title="A required bot is rate limited (429/503) below rate.min_rps",
    severity="error",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Judges the rate at which the site answers 429/503 against rate.min_rps. All the "
        "audit's agents share one IP, so a limit that answers them alike is the IP's and is "
        "judged for every required bot alike; it is the bot's own only when that bot was "
        "limited far more often than the others under the same interleaved load. The rate is "
        "the fetcher's pace when a limit answered (it halves at each one) against the highest "
        "rate sustained without one, or the opt-in probe's steps. When the pace leaves it open "
        "(a short audit, a loaded machine), the answers settle it: if no token bucket refilling "
        "at rate.min_rps less 20% or faster, with any burst, would have refused what this one "
        "refused and served what it served, the limit is below. Within 20% of rate.min_rps "
        "the verdict is inconclusive rather than a guess. A host that answers 503 to everything "
        "is unavailable (IX004, RB001), not rate limited.",
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
