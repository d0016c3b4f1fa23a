"""RB006: CSS, JavaScript or images that must-index pages load are disallowed for a bot."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import latest_fetch, page_of
from seoaudit.analysis.site_robots import must_index_urls, policy_bots, robots_for
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import ROBOTS_SPEC, plural, url_subject

RENDERING_DOC = (
    "https://developers.google.com/search/docs/crawling-indexing/javascript/javascript-seo-basics"
)


def _assets_used(ctx: RuleContext) -> dict[str, list[str]]:
    """asset URL → must-index pages that load it (from the honest crawl's page facts)."""
    used: dict[str, list[str]] = {}
    hosts = ctx.snapshot.hosts
    for url in must_index_urls(ctx):
        page = page_of(ctx, latest_fetch(ctx, url))
        if page is None:
            continue
        for asset in page.assets:
            netloc = asset.split("/")[2] if "://" in asset else ""
            if any(netloc == h or netloc.split(":")[0] == h for h in hosts):
                used.setdefault(asset, []).append(url)
    return used


def check(ctx: RuleContext) -> Iterator[Check]:
    used = _assets_used(ctx)
    bots = policy_bots(ctx, "required")
    if not used:
        for bot in bots:
            yield inconclusive(url_subject(ctx.snapshot.start_url, bot), "no page assets seen")
        return
    for asset, pages in used.items():
        for bot in bots:
            subject = url_subject(asset, bot)
            answer = robots_for(ctx, asset, bot)
            if answer.allowed is None:
                yield inconclusive(subject, "robots.txt not fetched for the asset's host")
            elif answer.allowed or answer.meaning != "rules":
                yield passed(subject)
            else:
                yield failed(
                    subject,
                    message=(
                        f"{answer.rule} (robots.txt line {answer.line}) blocks {bot} from a "
                        f"resource {plural(len(pages), 'must-index page')} load"
                    ),
                    cost=(
                        f"{bot} renders those pages without this file: content or layout that "
                        "depends on it is missing from what gets indexed, and mobile-friendliness "
                        f"may be misjudged. Pages affected: {', '.join(pages[:3])}"
                        + (f" (+{len(pages) - 3} more)" if len(pages) > 3 else "")
                    ),
                    evidence=[answer.evidence(), {"kind": "pages", "urls": pages[:10]}],
                    fix_summary="Allow CSS/JS/images needed for rendering to the crawlers.",
                    fix_steps={
                        "infra": [
                            f"Add 'Allow: {answer.rule.split(':', 1)[-1].strip() if answer.rule else '/'}' "
                            f"to the group for {bot}, or remove the Disallow",
                            "Protect expensive endpoints (APIs, search) by path instead of "
                            "whole asset folders",
                        ]
                    },
                    protection_cost="Crawlers fetch static assets, cached at the CDN: negligible load.",
                    pattern=answer.rule,
                    severity="warning",
                )


RULE = Rule(
    code="RB006",
    slug="render-resource-disallowed",
    title="CSS/JS/images used by must-index pages are disallowed for a required bot",
    severity="warning",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Checks the stylesheets, scripts and images that must-index pages load against "
        "robots.txt for each required bot.",
        why="Google renders pages like a browser; blocked resources make it index a broken "
        "or empty version of the page.",
        why_happens="Asset folders disallowed long ago to save bandwidth or hide build files.",
        example="User-agent: *\nDisallow: /assets/js/\n→ /assets/js/product.js is needed to render products",
        fix="Allow the rendering resources; disallow only what truly must not be crawled.",
        gives_up="Crawlers fetch cacheable static files: negligible load.",
        references=(RENDERING_DOC, ROBOTS_SPEC),
    ),
    check=check,
)
