"""CH001: a challenge or CAPTCHA page is served to a required or wanted bot."""

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


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        vendor = pv.classification.vendor
        asks = pv.classification.asks
        same = control.classification.kind == "challenge"
        return failed(
            url_subject(view.url, bot),
            message=(
                f"{bot} gets a {vendor + ' ' if vendor else ''}challenge page "
                f"(status {pv.status}{'; it asks for ' + asks if asks else ''}) where a browser "
                + (
                    "gets the same challenge, which a person can pass"
                    if same
                    else f"gets {control.status}"
                )
            ),
            cost=view_cost(
                bot,
                is_must,
                "a crawler cannot pass a challenge, so it reads the challenge page instead of "
                f"the content (an error or an empty, noindex page); repeated, {dropped(ctx, bot)}",
            ),
            evidence=[exchange_evidence(pv, "bot"), exchange_evidence(control, "browser")],
            fix_summary=f"Exempt verified {bot} from the challenge (IP/reverse DNS), not by UA.",
            fix_steps=waf_fix(bot, vendor),
            protection_cost=(
                "Verified crawlers skip the challenge; spoofed crawler strings are still challenged."
            ),
            pattern=f"challenge:{vendor or 'unknown'}",
            **spoof_fields(view),  # type: ignore[arg-type]
        )

    yield from bot_url_checks(ctx, lambda pv, view: pv.classification.kind == "challenge", build)


RULE = Rule(
    code="CH001",
    slug="challenge-served-to-crawler",
    title="A challenge/CAPTCHA page is served to a required or wanted bot",
    severity="error",
    owner="infra",
    protection="bot_challenge",
    docs=RuleDocs(
        what="Classifies each page fetched as each bot by challenge markers (cf-mitigated, "
        "x-amzn-waf-action, vendor interstitial markers) and compares with the browser.",
        why="Crawlers do not run challenge JavaScript or solve CAPTCHAs: they see an "
        "interstitial (403/503/202, or 200 with no content) instead of the page, and the page "
        "falls out of the index.",
        why_happens="Bot management set to challenge anything bot-like, to stop scrapers and "
        "credential stuffing; verified crawlers were not exempted.",
        example="GET /products/p01 as PerplexityBot → 403, cf-mitigated: challenge, "
        "<title>Just a moment...</title>",
        fix="Exempt verified crawlers (IP ranges / reverse DNS, or the vendor's verified-bot "
        "category); keep challenging unverified agents.",
        gives_up="Verified crawlers skip the challenge; spoofers are still challenged.",
        references=(VERIFY_DOC, HTTP_ERRORS_DOC, "crawler-facts §4, §8"),
    ),
    check=check,
)
