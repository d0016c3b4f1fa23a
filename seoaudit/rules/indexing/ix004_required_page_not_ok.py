"""IX004: a must-index URL does not answer 200, or redirects more than allowed."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.site_pages import latest_fetch
from seoaudit.analysis.site_robots import must_index_urls
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import HTTP_ERRORS_DOC, url_subject
from seoaudit.rules.context import RuleContext


def check(ctx: RuleContext) -> Iterator[Check]:
    max_hops = ctx.policy.indexing.max_redirect_hops
    for url in must_index_urls(ctx):
        subject = url_subject(url)
        exchange = latest_fetch(ctx, url)  # the honest agent's: what the site serves anyone
        if exchange is None:
            yield inconclusive(subject, "not fetched by the crawl")
            continue
        hops = len(exchange.redirects)
        status = exchange.status
        problems = []
        if status is None:
            problems.append(f"no answer ({exchange.error.kind if exchange.error else 'error'})")
        elif status != 200:
            problems.append(f"answers {status}")
        if hops > max_hops:
            problems.append(f"redirects {hops} times (policy allows {max_hops})")
        if not problems:
            yield passed(subject, "200" + (f" after {hops} redirect(s)" if hops else ""))
            continue
        chain = [f"{h.status} {h.url} → {h.location}" for h in exchange.redirects]
        yield failed(
            subject,
            message=f"must-index URL {' and '.join(problems)}",
            cost=(
                "Non-200 URLs are not indexed (4xx are dropped, 5xx retried then dropped); each "
                "redirect hop delays discovery, and Google follows at most 10 hops."
            ),
            evidence=[
                {
                    "kind": "exchange",
                    "exchange_id": exchange.id,
                    "status": status,
                    "final_url": exchange.final_url,
                    "redirects": chain,
                    "error": exchange.error.message if exchange.error else None,
                }
            ],
            fix_summary="Serve must-index URLs with 200 directly; link to the final URL.",
            fix_steps={
                "infra": ["Collapse redirect chains to one hop", "Fix server errors on the URL"],
                "seo": ["Update internal links and sitemaps to the final URL"],
            },
            protection_cost="None.",
            pattern=f"status:{status}:{hops}",
        )


RULE = Rule(
    code="IX004",
    slug="required-page-not-ok",
    title="A must-index URL is not 200, or redirects more than allowed",
    severity="error",
    owner="shared",
    protection="origin_capacity",
    docs=RuleDocs(
        what="Checks the status and redirect chain of every must-index URL as served to anyone.",
        why="Only 200 pages are indexed; long redirect chains slow discovery and lose signals.",
        why_happens="Migrations stacking redirects, removed pages still listed as important, "
        "server errors under load.",
        example="/products/ → 301 → 301 → 301 → /category/shoes (3 hops; policy allows 2)",
        fix="Serve 200 directly; collapse chains; fix errors.",
        gives_up="Nothing.",
        references=(HTTP_ERRORS_DOC,),
    ),
    check=check,
)
