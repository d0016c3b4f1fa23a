"""CH003: a bot gets 200 with a block or empty page where a browser gets content."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.rules.base import Check, Rule, RuleDocs, failed
from seoaudit.rules.challenge._shared import (
    bot_url_checks,
    exchange_evidence,
    spoof_fields,
    view_cost,
    waf_fix,
)
from seoaudit.rules.common import HTTP_ERRORS_DOC, url_subject

SOFT_404_DOC = "https://developers.google.com/search/docs/crawling-indexing/http-network-errors#soft-404-errors"


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        bot_len = pv.page.text_length if pv.page else 0
        browser_len = control.page.text_length if control.page else 0
        vendor = pv.classification.vendor
        what = (
            f"a {vendor} block page"
            if vendor and pv.classification.kind == "block"
            else (f"{bot_len} characters of text")
        )
        return failed(
            url_subject(view.url, bot),
            message=(
                f'{bot} gets {pv.status} with {what} ("{(pv.page.title if pv.page else "") or ""}") '
                f"where a browser gets the page ({browser_len} characters)"
            ),
            cost=view_cost(
                bot,
                is_must,
                "the apology page is what gets indexed (or the URL is flagged a soft 404), "
                "and no error shows in monitoring because the status is 200",
            ),
            evidence=[exchange_evidence(pv, "bot"), exchange_evidence(control, "browser")],
            fix_summary=f"Serve {bot} the real page; if it must be refused, use an honest 429/503.",
            fix_steps=waf_fix(bot, pv.classification.vendor),
            protection_cost="Verified crawlers get the page; refusals become visible status codes.",
            pattern="soft-block",
            **spoof_fields(view),  # type: ignore[arg-type]
        )

    def soft_blocked(pv, view) -> bool:  # type: ignore[no-untyped-def]
        """A 2xx carrying a block page (recognised from its markers, whatever the status)
        or far less text than the browser got."""
        ok = pv.status is not None and 200 <= pv.status < 300
        control = view.browser
        control_ok = control is not None and control.classification.kind == "ok"
        return ok and control_ok and pv.classification.kind in ("block", "soft_block")

    yield from bot_url_checks(ctx, soft_blocked, build)


RULE = Rule(
    code="CH003",
    slug="crawler-soft-blocked",
    title="A bot gets 200 with a block or empty page where a browser gets content",
    severity="error",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Compares what a bot gets with 2xx with the browser's answer for the same URL: a "
        "vendor block page (recognised by its markers, whatever the status), block wording, or "
        "under 20% of the browser's text is a soft block.",
        why="A 200 'sorry' page is indexed as the page's content or marked a soft 404; it "
        "never shows as an error in uptime or status-code dashboards.",
        why_happens="Bot rules configured to 'serve a static page' to suspected bots, to "
        "avoid visible errors.",
        example="GET /blog/post-5 as OAI-SearchBot → 200 'We could not show this page' (90 "
        "chars); browser → 200 with 1,500 chars",
        fix="Serve the real page to verified crawlers; refuse others with 429/503.",
        gives_up="Verified crawlers get content; refusals become visible.",
        references=(SOFT_404_DOC, HTTP_ERRORS_DOC, "crawler-facts §8"),
    ),
    check=check,
)
