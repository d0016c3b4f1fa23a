"""SM003: a declared sitemap is unreachable, challenged, invalid, or over the limits."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import host_limits, host_of
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, not_applicable, passed
from seoaudit.rules.common import SITEMAPS_DOC, url_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    if not ctx.snapshot.sitemaps:
        yield not_applicable(url_subject(ctx.snapshot.start_url), "no sitemap found")
        return
    for sitemap in ctx.snapshot.sitemaps:
        subject = url_subject(sitemap.url)
        problem = None
        if sitemap.kind == "unreachable" and (sitemap.error or "").startswith("not fetched"):
            yield inconclusive(subject, sitemap.error or "not fetched")
            continue
        if sitemap.kind == "unreachable" and host_limits(ctx, host_of(sitemap.url)).unavailable:
            yield not_applicable(subject, "the whole host is unavailable (IX004)")
            continue
        if sitemap.kind == "unreachable":
            problem = f"is unreachable ({sitemap.error})"
        elif sitemap.kind == "invalid":
            problem = f"is not a valid sitemap ({sitemap.error})"
        elif sitemap.over_limits:
            problem = f"is over the limits of 50,000 URLs / 50 MB ({sitemap.error})"
        if problem is None:
            yield passed(subject, f"{sitemap.kind}, {sitemap.url_count} URLs")
            continue
        exchange = ctx.snapshot.exchange(sitemap.exchange_id) if sitemap.exchange_id else None
        yield failed(
            subject,
            message=f"sitemap {problem}",
            cost="Search engines cannot read the URLs it lists: new and changed pages in it "
            "are discovered late or not at all.",
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": sitemap.exchange_id,
                    "status": exchange.status if exchange else None,
                    "found_via": sitemap.found_via,
                    "parent": sitemap.parent,
                }
            ],
            fix_summary="Serve sitemaps with 200 to every agent, valid and within the limits "
            "(split large ones under a sitemap index).",
            fix_steps={
                "infra": ["Exempt sitemap files from WAF/rate rules and maintenance pages"],
                "seo": [
                    "Split sitemaps over 50,000 URLs / 50 MB",
                    "Validate against the sitemap schema",
                ],
            },
            protection_cost="None: sitemaps are static, cacheable files.",
            pattern=sitemap.kind,
        )


RULE = Rule(
    code="SM003",
    slug="sitemap-unusable",
    title="Declared sitemap unreachable, challenged, invalid, or over 50,000 URLs / 50 MB",
    severity="warning",
    owner="shared",
    protection="sitemap",
    docs=RuleDocs(
        what="Fetches every sitemap from robots.txt (and index children) and checks status, "
        "format and the 50,000-URL / 50 MB limits.",
        why="An unusable sitemap hides its URLs from discovery.",
        why_happens="Sitemaps behind the same WAF or maintenance rules as pages; generators "
        "that never split large files.",
        example="/sitemap-archive.xml → 503 Maintenance",
        fix="Serve sitemaps with 200 to all agents, valid and split under the limits.",
        gives_up="Nothing.",
        references=(SITEMAPS_DOC, "crawler-facts §7"),
    ),
    check=check,
)
