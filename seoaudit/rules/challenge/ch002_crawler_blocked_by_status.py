"""CH002: a bot gets 401/403/406/451/5xx where a browser gets 2xx."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.rules.base import Check, Rule, RuleDocs, failed
from seoaudit.rules.challenge._shared import (
    bot_url_checks,
    exchange_evidence,
    spoof_fields,
    view_cost,
    waf_fix,
)
from seoaudit.rules.common import HTTP_ERRORS_DOC, VERIFY_DOC, url_subject
from seoaudit.rules.context import RuleContext

BLOCK_STATUSES = {401, 403, 406, 451}


def _blocked(pv, view) -> bool:  # type: ignore[no-untyped-def]
    status = pv.status or 0
    control_ok = view.browser is not None and 200 <= (view.browser.status or 0) < 300
    bad = status in BLOCK_STATUSES or (status >= 500 and status != 503)
    return control_ok and bad and pv.classification.kind in ("block", "error")


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        vendor = pv.classification.vendor
        status = pv.status
        meaning = (
            "Google treats 4xx (other than 429) as 'this page does not exist': it stops "
            "crawling it and drops it from the index"
            if status and status < 500
            else "repeated 5xx makes Google slow down crawling of the host and eventually drop "
            "the URL"
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
    title="A bot gets 401/403/406/451/5xx where a browser gets 2xx",
    severity="error",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Compares the status each bot gets for a URL with the browser control's.",
        why="To Google a 403 means 'gone', not 'slow down': the page is dropped. 5xx answers "
        "make Google crawl the host less.",
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
