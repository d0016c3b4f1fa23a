"""CH003: a bot gets 200 with a block or empty page where a browser gets content."""

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
from seoaudit.rules.common import HTTP_ERRORS_DOC, url_subject
from seoaudit.rules.context import RuleContext

SOFT_404_DOC = "https://developers.google.com/search/docs/crawling-indexing/http-network-errors#soft-404-errors"


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        bot_len = pv.page.text_length if pv.page else 0
        browser_len = control.page.text_length if control.page else 0
        return failed(
            url_subject(view.url, bot),
            message=(
                f'{bot} gets 200 with {bot_len} characters of text ("{(pv.page.title if pv.page else "") or ""}") '
                f"where a browser gets {browser_len}"
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

    yield from bot_url_checks(ctx, lambda pv, view: pv.classification.kind == "soft_block", build)


RULE = Rule(
    code="CH003",
    slug="crawler-soft-blocked",
    title="A bot gets 200 with a block or empty page where a browser gets content",
    severity="error",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Compares the visible text a bot gets with the browser's for the same URL; a "
        "200 with block wording or under 20% of the browser's text is a soft block.",
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
