"""RL004: RateLimit / X-RateLimit headers allow less than the needed rate."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.crawl_budget import crawl_budget
from seoaudit.analysis.ratelimit import parse_rate_limit
from seoaudit.analysis.site_robots import policy_bots
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import host_subject
from seoaudit.rules.ratelimit._shared import LIMITER_FIX, RATELIMIT_DRAFT


def check(ctx: RuleContext) -> Iterator[Check]:
    for bot in policy_bots(ctx, "required"):
        subject = host_subject(ctx.snapshot.start_url, bot)
        found = None
        for e in ctx.snapshot.exchanges_for(profile=f"bot:{bot}"):
            info = parse_rate_limit(e.headers)
            if info.quota_rps is not None:
                found = (e, info)
                break
        if found is None:
            yield not_applicable(subject, "no quota advertised")
            continue
        e, info = found
        budget = crawl_budget(ctx, bot)
        need = max(ctx.policy.rate.min_rps, budget.needed_rps or 0.0)
        if info.quota_rps >= need:
            yield passed(subject, f"quota {info.quota_rps:.2f} req/s")
            continue
        yield failed(
            subject,
            message=f"the advertised quota for {bot} is {info.limit:g} requests per "
            f"{info.window_s:g} s ({info.quota_rps:.3f} req/s); the policy needs {need:g} req/s",
            cost="A crawler that honours the quota cannot fetch what the site needs crawled.",
            evidence=[
                {"kind": "header", "exchange_id": e.id, "headers": info.raw, "source": info.source}
            ],
            fix_summary="Raise the quota for verified crawlers.",
            fix_steps=LIMITER_FIX,
            protection_cost="Verified crawlers get a larger quota.",
            pattern=f"quota:{bot}",
        )


RULE = Rule(
    code="RL004",
    slug="advertised-quota-too-low",
    title="RateLimit / X-RateLimit headers allow less than the needed rate",
    severity="warning",
    owner="infra",
    protection="rate_limit",
    docs=RuleDocs(
        what="Parses RateLimit-Policy/RateLimit (IETF draft), RateLimit-* and X-RateLimit-* "
        "headers on answers to each required bot into a quota per second.",
        why="The advertised quota is what a polite client will respect; below the needed rate "
        "the site will not be recrawled in time.",
        why_happens="API-style quotas applied to HTML pages.",
        example='RateLimit-Policy: "default";q=10;w=60  (0.17 req/s)',
        fix="Raise the quota for verified crawlers or exempt HTML pages.",
        gives_up="Verified crawlers may fetch faster.",
        references=(RATELIMIT_DRAFT, "crawler-facts §9"),
    ),
    check=check,
)
