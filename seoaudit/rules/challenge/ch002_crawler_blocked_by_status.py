"""CH002: a bot gets a 4xx or 5xx refusal where a browser gets 2xx."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.rules.base import Check, Rule, RuleDocs, failed
from seoaudit.rules.challenge._shared import (
    bot_url_checks,
    dropped,
    exchange_evidence,
    spoof_fields,
    view_cost,
    waf_fix,
)
from seoaudit.rules.common import HTTP_ERRORS_DOC, VERIFY_DOC, url_subject

NOT_REFUSALS = {404, 410}  # "not here" is the same answer to everyone, not a block


def _blocked(pv, view) -> bool:  # type: ignore[no-untyped-def]
    """Any bot-only 4xx/5xx that is not a challenge (CH001's) and that holds (refusals our
    own load could explain were re-checked calmly first: see analysis/refusals.py)."""
    status = pv.status or 0
    control_ok = view.browser is not None and 200 <= (view.browser.status or 0) < 300
    bad = status >= 400 and status not in NOT_REFUSALS
    return control_ok and bad and pv.classification.kind != "challenge"


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        vendor = pv.classification.vendor
        status = pv.status
        if status == 429:
            meaning = (
                "a 429 that never ends is a block: the crawler slows down for the whole host, "
                f"retries the URL for about 2 days, then {dropped(ctx, bot)}"
            )
        elif status and status < 500:
            meaning = (
                "a 4xx other than 429 means 'this page does not exist': the crawler stops "
                f"fetching it and {dropped(ctx, bot)}"
            )
        else:
            meaning = (
                "a 5xx served only to crawlers looks like a failing server: the crawler slows "
                f"down for the whole host, and if it keeps failing {dropped(ctx, bot)}"
            )
        return failed(
            url_subject(view.url, bot),
            message=(
                f"{bot} gets {status}{' from ' + vendor if vendor else ''} where a browser gets "
                f"{control.status}"
            ),
            cost=view_cost(bot, is_must, meaning),
            evidence=[exchange_evidence(pv, "bot"), exchange_evidence(control, "browser")],
            fix_summary=f"Let verified {bot} through; slow crawlers with 429 + Retry-After, "
            "never 403.",
            fix_steps=waf_fix(bot, vendor),
            protection_cost="Verified crawlers pass; the block still stops spoofed crawler strings.",
            pattern=f"status:{status}",
            **spoof_fields(view),  # type: ignore[arg-type]
        )

    yield from bot_url_checks(ctx, _blocked, build)


RULE = Rule(
    code="CH002",
    slug="crawler-blocked-by-status",
    title="A bot gets a 4xx or 5xx refusal where a browser gets 2xx",
    severity="error",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Compares the status each bot gets for a URL with the browser control's: any "
        "4xx (but 404/410) or 5xx served to the bot alone, 503 and 429 included. A 429/503/5xx "
        "that the audit's own load could explain (all agents share one IP) is re-checked at a "
        "calm pace, agent and browser in turn, and counts only when it holds.",
        why="To Google a 403 means 'gone', not 'slow down': the page is dropped. 5xx answers "
        "served only to crawlers make Google crawl the whole host less and drop the URL.",
        why_happens="WAF rules or CDN bot scores that block anything bot-like, often added "
        "after a scraping incident; verified crawlers were not exempted.",
        example="GET /category/shoes as bingbot → 403 'Access Denied … Reference #18.…' "
        "(Akamai); as a browser → 200",
        fix="Exempt verified crawlers by IP/reverse DNS; answer excess load with 429/503 + "
        "Retry-After.",
        gives_up="Verified crawlers are let through; spoofed ones are still blocked.",
        references=(HTTP_ERRORS_DOC, VERIFY_DOC, "crawler-facts §3, §4"),
    ),
    check=check,
)
