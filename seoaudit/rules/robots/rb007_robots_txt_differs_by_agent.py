"""RB007: what robots.txt means differs by user-agent: a WAF rewrites the rules."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import origins, policy_bots, robots_copy
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import EXEMPT_VERIFIED, ROBOTS_SPEC, host_subject

MEANING_TEXT = {
    "rules": "the rules as served",
    "no_rules": "no robots.txt at all (no restrictions)",
    "halted": "a server error: crawling of the host halts",
    "missing": "nothing",
}


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        control = robots_copy(ctx, origin, "browser")
        honest = robots_copy(ctx, origin, "seoaudit")
        unknown = robots_copy(ctx, origin, "unknown-bot")
        base = control if control.exchange is not None else honest
        for bot in policy_bots(ctx, "required", "wanted", "blocked"):
            own = robots_copy(ctx, origin, f"bot:{bot}")
            subject = host_subject(origin, bot)
            if own.exchange is None or base.exchange is None:
                yield inconclusive(subject, "robots.txt was not fetched as both agents")
                continue
            if own.acts_on() == base.acts_on():
                same = own.exchange.body.sha256 == base.exchange.body.sha256
                yield passed(
                    subject,
                    "same robots.txt as the browser"
                    if same
                    else "the bytes differ (padding, comments, error-page text) but a crawler "
                    "reads the same thing",
                )
                continue
            unknown_differs = unknown.exchange is not None and unknown.acts_on() != base.acts_on()
            same_status = own.status == base.status
            what = (
                f"status {own.status} (browser: {base.status})"
                if not same_status
                else "different rules"
            )
            meaning_changed = own.meaning != base.meaning
            yield failed(
                subject,
                message=f"robots.txt answers {bot} with {what}",
                cost=(
                    f"{bot} reads {MEANING_TEXT[own.meaning]}, while people and the site's "
                    f"owners see {MEANING_TEXT[base.meaning]}. "
                    + (
                        "Rules tested in a browser are not the rules crawlers get."
                        if not meaning_changed
                        else "The protection changes what robots.txt means for this crawler."
                    )
                ),
                evidence=[
                    {
                        "kind": "robots_compare",
                        "bot_exchange_id": own.exchange.id,
                        "browser_exchange_id": base.exchange.id,
                        "bot_status": own.status,
                        "browser_status": base.status,
                        "bot_sha256": own.exchange.body.sha256,
                        "browser_sha256": base.exchange.body.sha256,
                        "bot_excerpt": own.exchange.body.excerpt[:200],
                    }
                ],
                confidence="likely" if unknown_differs else "needs_verification",
                verify=(
                    "Our request used the crawler's user-agent from our own IP; a WAF that "
                    "verifies crawlers may answer the real crawler differently. Check the "
                    "robots.txt report in Search Console / Bing Webmaster Tools, or CDN logs "
                    "for verified crawler requests to /robots.txt"
                ),
                fix_summary="Serve the same robots.txt to every agent; express bot policy "
                "inside the file, not in the WAF.",
                fix_steps={
                    "infra": [
                        "Exempt /robots.txt from bot-management and WAF rules",
                        EXEMPT_VERIFIED,
                    ],
                    "seo": ["Write per-bot rules as User-agent groups in robots.txt"],
                },
                protection_cost="None: the file is public and tiny.",
                pattern=f"/robots.txt#{own.status}",
                severity="error" if meaning_changed and bot in ctx.policy.bots.required else None,
            )


RULE = Rule(
    code="RB007",
    slug="robots-txt-differs-by-agent",
    title="What robots.txt means differs by user-agent (status class or rules)",
    severity="warning",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Fetches robots.txt as a browser, the honest seoaudit agent, an unknown bot and "
        "each policy bot, and compares what a crawler acts on: the status class (rules, no "
        "rules, halted) and, for a served file, its parsed rules. Bytes alone do not count: "
        "nginx pads error pages for some user-agents, and comments change nothing.",
        why="A 403 or challenge on robots.txt means 'no robots.txt' to Google (no rules at all), "
        "a 5xx means 'stop crawling the host'. Either way crawlers do not get the rules the "
        "team wrote and tested.",
        why_happens="Bot-management rules applied to every path, including /robots.txt.",
        example="GET /robots.txt as PerplexityBot → 503; as a browser → 200",
        fix="Exempt /robots.txt from bot rules; put per-bot policy in the file itself.",
        gives_up="Nothing: robots.txt is public.",
        references=(ROBOTS_SPEC, "crawler-facts §1.2, §8"),
    ),
    check=check,
)
