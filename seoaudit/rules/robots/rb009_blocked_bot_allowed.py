"""RB009: a bot the policy marks `blocked` may crawl."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import must_index_urls, origins, policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import ROBOTS_SPEC, host_subject, plural

AI_CRAWLERS_FACTS = "crawler-facts §5"


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        urls = [u for u in must_index_urls(ctx) if u.startswith(origin)] or [origin + "/"]
        for bot in policy_bots(ctx, "blocked"):
            subject = host_subject(origin, bot)
            answers = [robots_for(ctx, u, bot) for u in urls]
            if all(a.allowed is None for a in answers):
                yield inconclusive(subject, "robots.txt not fetched")
                continue
            open_urls = [a for a in answers if a.allowed]
            if not open_urls:
                yield passed(subject, f"disallowed on all {len(urls)} checked URLs")
                continue
            first = open_urls[0]
            how = (
                f"no rule matches (group {', '.join(first.group or ['*'])})"
                if first.meaning == "rules"
                else first.copy.why
                if first.copy
                else "no robots.txt"
            )
            token = first.token
            yield failed(
                subject,
                message=(
                    f"{bot} is blocked by policy but robots.txt lets it crawl "
                    f"{plural(len(open_urls), 'of the checked URL')} ({how})"
                ),
                cost=(
                    f"{bot}'s operator may collect the site's content (e.g. for model training) "
                    "against the policy; bandwidth is spent on a crawler that brings no visitors."
                ),
                evidence=[
                    first.evidence(),
                    {"kind": "urls", "urls": [a.url for a in open_urls[:5]]},
                ],
                fix_summary=f"Add a 'User-agent: {token}' group with 'Disallow: /'.",
                fix_steps={
                    "seo": [f"Add to robots.txt:\nUser-agent: {token}\nDisallow: /"],
                    "infra": [
                        "For crawlers that ignore robots.txt, block by verified IP ranges at "
                        "the WAF as well"
                    ],
                },
                protection_cost="None for search visibility: training crawlers do not send traffic.",
                pattern=f"blocked:{bot}",
            )


RULE = Rule(
    code="RB009",
    slug="blocked-bot-allowed",
    title="A bot the policy marks blocked may crawl",
    severity="warning",
    owner="seo",
    protection="robots_txt",
    docs=RuleDocs(
        what="Checks the policy's blocked bots (e.g. AI training crawlers) against robots.txt "
        "on must-index URLs.",
        why="The business decided these crawlers may not take the content; robots.txt is the "
        "signal they honour (GPTBot, CCBot, ClaudeBot and others document it).",
        why_happens="The policy changed but robots.txt was not updated, or a new crawler "
        "appeared that falls under the permissive '*' group.",
        example="User-agent: *\nDisallow: /admin/\n→ GPTBot may crawl everything else",
        fix="Add a group for the bot with Disallow: /.",
        gives_up="Nothing for search: blocking training crawlers does not affect search indexing.",
        references=(ROBOTS_SPEC, AI_CRAWLERS_FACTS),
    ),
    check=check,
)
