"""RB003: robots.txt over Google's 500 KiB limit; the rules past the cut are ignored."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_robots import origins, robots_copy
from seoaudit.rules.base import Check, Rule, RuleDocs, failed, not_applicable, passed
from seoaudit.rules.common import ROBOTS_SPEC, host_subject, plural

LIMIT = 500 * 1024


def check(ctx: RuleContext) -> Iterator[Check]:
    for origin in origins(ctx):
        copy = robots_copy(ctx, origin, "seoaudit")
        subject = host_subject(origin)
        if copy.robots is None:
            yield not_applicable(subject, copy.why)
            continue
        robots = copy.robots
        if not robots.truncated:
            yield passed(subject, f"{robots.size:,} bytes")
            continue
        lost = robots.lost_rules
        shown = [f"line {r.line}: {r.raw_key}: {r.value}" for r in lost[:10]]
        yield failed(
            subject,
            message=(
                f"robots.txt is {robots.size:,} bytes, over Google's 500 KiB limit: "
                f"{plural(len(lost), 'rule')} past the cut are ignored"
            ),
            cost=(
                "Google (and other crawlers that cap the size) silently ignore every rule past "
                f"byte {LIMIT:,}; a group cut mid-way loses its tail. Disallows there do not "
                "protect anything, Allows there do not open anything."
            ),
            evidence=[
                {
                    "kind": "robots_size",
                    "bytes": robots.size,
                    "limit": LIMIT,
                    "lost_rules": shown,
                    "lost_count": len(lost),
                    "exchange_id": copy.exchange.id if copy.exchange else None,
                }
            ],
            fix_summary="Shrink robots.txt under 500 KiB with wildcard patterns instead of "
            "one line per URL.",
            fix_steps={
                "infra": [
                    "Replace per-URL Disallow lines with pattern rules (e.g. 'Disallow: /*?sessionid=')",
                    "Move important groups (Googlebot, bingbot) to the top of the file",
                ],
                "seo": ["Use noindex or removal for individual URLs instead of robots.txt lines"],
            },
            protection_cost="None: patterns express the same protection in fewer bytes.",
            pattern="/robots.txt#size",
        )


RULE = Rule(
    code="RB003",
    slug="robots-txt-oversized",
    title="robots.txt is over 500 KiB: rules past the cut are ignored",
    severity="error",
    owner="infra",
    protection="robots_txt",
    docs=RuleDocs(
        what="Measures robots.txt as served and lists the rules that fall past Google's 500 KiB cut.",
        why="Google reads only the first 500 KiB; rules after it do not exist for Googlebot, "
        "so protections and openings there silently fail.",
        why_happens="Generated files that list URLs one by one (faceted search, legacy paths) "
        "grow with the catalogue until they pass the limit.",
        example="Disallow: /filler/020000/   # line 21,400, byte 520,000: ignored by Google",
        fix="Rewrite per-URL lines as wildcard patterns and keep the file well under 500 KiB.",
        gives_up="Nothing: patterns keep the same coverage.",
        references=(ROBOTS_SPEC, "crawler-facts §1.4"),
    ),
    check=check,
)
