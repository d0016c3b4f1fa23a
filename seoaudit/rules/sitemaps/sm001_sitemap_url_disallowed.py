"""SM001: a sitemap lists URLs robots.txt disallows for a required bot."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import policy_bots, robots_for, sitemap_urls
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, passed
from seoaudit.rules.common import SITEMAPS_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    for bot in policy_bots(ctx, "required"):
        for url in sitemap_urls(ctx):
            answer = robots_for(ctx, url, bot)
            subject = url_subject(url, bot)
            if answer.meaning != "rules" or answer.allowed:
                yield passed(subject)
                continue
            yield failed(
                subject,
                message=f"listed in a sitemap but {answer.rule} (line {answer.line}) disallows it for {bot}",
                cost="Mixed signals: the sitemap asks for the URL to be crawled, robots.txt "
                "forbids it. Search consoles report it as an error and the URL is not crawled.",
                evidence=[answer.evidence()],
                fix_summary="Either drop the URL from the sitemap or allow it in robots.txt.",
                fix_steps={
                    "seo": ["Generate sitemaps from indexable URLs only"],
                    "infra": [f"Or narrow '{answer.rule}' if the URL must be crawled"],
                },
                protection_cost="None.",
                pattern=answer.rule,
                severity="warning",
            )


RULE = Rule(
    code="SM001",
    slug="sitemap-url-disallowed",
    title="A sitemap lists URLs robots.txt disallows",
    severity="warning",
    owner="seo",
    protection="robots_txt",
    docs=RuleDocs(
        what="Checks every sitemap URL against robots.txt for each required bot.",
        why="The sitemap asks for crawling, robots.txt forbids it: the URL is not crawled and "
        "reported as 'blocked by robots.txt' in Search Console.",
        why_happens="Sitemaps generated from the CMS without knowing robots.txt rules.",
        example="sitemap lists /blog/post-8; robots.txt (Googlebot): Disallow: /blog/post-8",
        fix="Generate sitemaps from crawlable, indexable URLs only.",
        gives_up="Nothing.",
        references=(SITEMAPS_DOC, "crawler-facts §7"),
    ),
    check=check,
)
