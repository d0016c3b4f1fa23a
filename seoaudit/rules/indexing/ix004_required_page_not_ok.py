"""IX004: a must-index URL does not answer 200, or redirects more than allowed."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import host_limits, host_of, settled_fetch
from seoaudit.analysis.site_pages import latest_fetch
from seoaudit.analysis.site_robots import must_index_urls
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import HTTP_ERRORS_DOC, url_subject
from seoaudit.snapshot import Exchange

MAINTENANCE_DOC = (
    "https://developers.google.com/search/docs/crawling-indexing/pause-online-business"
)


def _unavailable(ctx: RuleContext, url: str, exchange: Exchange | None) -> Check | None:
    limits = host_limits(ctx, host_of(url))
    if not limits.unavailable:
        return None
    status = limits.unavailable_status
    answers = [
        e
        for e in ctx.snapshot.exchanges
        if host_of(e.url) == limits.host and e.status == status and e.purpose != "rate_probe"
    ]
    exchange = (
        exchange
        if exchange is not None and exchange.status == status
        else (answers[0] if answers else exchange)
    )
    retry = exchange.header("retry-after") if exchange is not None else None
    return failed(
        url_subject(url),
        message=(
            f"the whole host answers {status} to every page request: the site is down "
            f"{'for maintenance ' if status == 503 else ''}(Retry-After: {retry or 'none'})"
        ),
        cost=(
            "While every page answers 5xx nothing is indexed or refreshed; Google retries "
            "503/5xx URLs for about 2 days, then drops them, and a long outage slows crawling "
            "of the host for good (crawler-facts §3.1, §3.3)."
        ),
        evidence=[
            {
                "kind": "exchange",
                "exchange_id": exchange.id if exchange else None,
                "url": url,
                "status": exchange.status if exchange else status,
                "retry_after": retry,
                "note": f"{limits.requests} page requests from every agent, none served",
            }
        ],
        fix_summary="Keep maintenance short: 503 with Retry-After for hours, never days; for "
        "longer, serve an indexable 200 page.",
        fix_steps={
            "infra": [
                "Answer planned maintenance with 503 and 'Retry-After: <seconds>' for at most a "
                "day or two; never on robots.txt",
                "Prefer keeping the site up with reduced function (checkout off) to taking it down",
            ],
            "seo": ["Watch Search Console's crawl stats and server-error report after the window"],
        },
        protection_cost="None: the outage is planned or it is a failure to fix.",
        pattern=f"unavailable:{status}",
    )


def check(ctx: RuleContext) -> Iterator[Check]:
    max_hops = ctx.policy.indexing.max_redirect_hops
    for url in must_index_urls(ctx):
        subject = url_subject(url)
        exchange = latest_fetch(ctx, url)  # the honest agent's: what the site serves anyone
        down = _unavailable(ctx, url, exchange)
        if down is not None:
            yield down
            continue
        if exchange is None:
            yield inconclusive(subject, "not fetched by the crawl")
            continue
        if exchange.error is not None and exchange.error.message.startswith("not fetched"):
            yield inconclusive(subject, exchange.error.message)
            continue
        exchange, why = settled_fetch(ctx, url, exchange)
        if exchange is None:
            yield inconclusive(subject, why)
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
        what="Checks the status and redirect chain of every must-index URL as served to anyone "
        "(the honest crawler's fetch). A 429/503 the audit's own load drew is judged on a calm "
        "re-check instead (RL001 covers the limit); a host that answers 5xx to every page is "
        "named as down or in maintenance, for every must-index URL.",
        why="Only 200 pages are indexed; long redirect chains slow discovery and lose signals.",
        why_happens="Migrations stacking redirects, removed pages still listed as important, "
        "server errors under load.",
        example="/products/ → 301 → 301 → 301 → /category/shoes (3 hops; policy allows 2)",
        fix="Serve 200 directly; collapse chains; fix errors.",
        gives_up="Nothing.",
        references=(HTTP_ERRORS_DOC, MAINTENANCE_DOC),
    ),
    check=check,
)
