"""RB004: robots.txt redirects more than five hops, loops, or leaves the origin."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import origins, robots_copy
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, inconclusive, passed
from seoaudit.rules.common import ROBOTS_SPEC, host_subject


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        copy = robots_copy(ctx, origin, "seoaudit")
        subject = host_subject(origin)
        exchange = copy.exchange
        if exchange is None:
            yield inconclusive(subject, "robots.txt was not fetched")
            continue
        hops = len(exchange.redirects)
        final = exchange.final_url or exchange.url
        kind = exchange.error.kind if exchange.error else None
        off_origin = urlsplit(final).netloc != urlsplit(origin).netloc
        if kind not in ("redirect_limit", "redirect_loop") and not off_origin:
            yield passed(subject, f"{hops} redirect(s)" if hops else "no redirect")
            continue
        problem = {
            "redirect_limit": f"more than 5 redirects ({hops} seen)",
            "redirect_loop": "a redirect loop",
        }.get(kind or "", f"a redirect to another origin ({final})")
        yield failed(
            subject,
            message=f"robots.txt on {origin} answers with {problem}",
            cost=(
                "Google follows at most 5 hops and then treats robots.txt as a 404, i.e. no "
                "restrictions: every Disallow stops protecting anything. A robots.txt on "
                "another origin is applied only if that origin serves it, a fragile setup."
            ),
            evidence=[
                {
                    "kind": "redirects",
                    "exchange_id": exchange.id,
                    "hops": [f"{h.status} {h.url} → {h.location}" for h in exchange.redirects],
                }
            ],
            fix_summary="Serve robots.txt directly with 200 on every origin (no redirect chain).",
            fix_steps={
                "infra": [
                    "Answer /robots.txt with 200 on each protocol+host+port, at most one redirect",
                    "Exempt /robots.txt from HTTPS/www/locale redirect rules",
                ]
            },
            protection_cost="None.",
            pattern="/robots.txt#redirect",
        )


RULE = Rule(
    code="RB004",
    slug="robots-txt-redirects",
    title="robots.txt redirects more than 5 hops, loops, or leaves the origin",
    severity="error",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Follows robots.txt redirects hop by hop (up to Google's five) and records where they end.",
        why="After five hops Google treats robots.txt as not found: no rules at all, so the "
        "site's Disallows stop protecting anything.",
        why_happens="Stacked redirect rules (http→https, apex→www, locale, trailing slash) "
        "each added by a different team.",
        example="/robots.txt → /__hop/5 → … → /real-robots (6 hops): ignored by Google",
        fix="Serve robots.txt directly on every origin; exempt it from redirect rules.",
        gives_up="Nothing.",
        references=(ROBOTS_SPEC, "crawler-facts §1.2"),
    ),
    check=check,
)
