"""RB002: a must-index URL is disallowed for a required bot."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import matching_pattern, must_index_urls, policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, not_applicable, passed
from seoaudit.rules.common import ROBOTS_SPEC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    patterns = list(ctx.policy.paths.must_index)
    for bot in policy_bots(ctx, "required"):
        for url in must_index_urls(ctx):
            subject = url_subject(url, bot)
            answer = robots_for(ctx, url, bot)
            if answer.meaning == "missing":
                yield inconclusive(subject, "robots.txt was not fetched for this host")
            elif answer.meaning == "halted":
                yield not_applicable(subject, "robots.txt fails for this bot (see RB001)")
            elif answer.allowed:
                yield passed(subject, f"allowed (line {answer.line})" if answer.line else "allowed")
            else:
                need = matching_pattern(patterns, url) or "?"
                yield failed(
                    subject,
                    message=(
                        f"{answer.rule} (robots.txt line {answer.line}) disallows this "
                        f"must-index URL for {bot}"
                    ),
                    cost=(
                        f"{bot} will not crawl it: the page can only be indexed without its "
                        "content (URL-only, no snippet), and changes to it are never seen. "
                        f"The policy needs it indexed (paths.must_index '{need}')."
                    ),
                    evidence=[answer.evidence()],
                    fix_summary=(
                        f"Remove or narrow '{answer.rule}' for {bot}, or add a more specific "
                        "Allow for the must-index path."
                    ),
                    fix_steps={
                        "infra": [
                            f"Edit robots.txt line {answer.line} ('{answer.rule}') in the "
                            f"group for {', '.join(answer.group or ['*'])}",
                            "If the rule protects capacity, protect it with a rate limit that "
                            "answers 429/503 + Retry-After instead: crawlers slow down, "
                            "pages stay indexable",
                            "Gate the robots.txt change in CI: seoaudit robots diff OLD NEW "
                            "--urls sitemap.xml --policy rules.yaml",
                        ],
                        "seo": [
                            "Request recrawl of the affected URLs once robots.txt is fixed",
                        ],
                    },
                    protection_cost=(
                        f"{bot} may crawl these URLs again; a rate limit with Retry-After "
                        "keeps the load bounded."
                    ),
                    pattern=answer.rule,
                )


RULE = Rule(
    code="RB002",
    slug="required-path-disallowed",
    title="A must-index URL is disallowed for a required bot",
    severity="error",
    owner="shared",
    protection="robots_txt",
    docs=RuleDocs(
        what="Checks every must-index URL the audit knows (policy paths, crawl, sitemaps) "
        "against the robots.txt group each required bot obeys, and names the deciding line.",
        why="A disallowed URL is not crawled: it can still appear as a bare URL without "
        "content, but rankings and snippets depend on content the crawler never sees.",
        why_happens="Broad Disallow rules added to shed load ('nine nines' uptime), a "
        "bot-specific group that drops rules from '*' without copying the needed Allows, or "
        "a staging robots.txt shipped to production.",
        example="User-agent: Googlebot\nDisallow: /blog/post-8   # line 12\n"
        "→ /blog/post-8 must be indexed but Googlebot may not fetch it",
        fix="Remove or narrow the rule for that bot (or add a longer Allow). If the rule was "
        "there for capacity, use a rate limit answering 429/503 with Retry-After instead.",
        gives_up="The bot can crawl the URLs again; load stays bounded by the rate limit.",
        references=(ROBOTS_SPEC, "crawler-facts §1.4–1.5"),
    ),
    check=check,
)
