"""CH004: connections reset or time out only for a bot."""

from __future__ import annotations

from collections.abc import Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.error_words import describe_error
from seoaudit.rules.base import Check, Rule, RuleDocs, failed
from seoaudit.rules.challenge._shared import (
    bot_url_checks,
    exchange_evidence,
    spoof_fields,
    view_cost,
    waf_fix,
)
from seoaudit.rules.common import HTTP_ERRORS_DOC, url_subject

DROPS = {"reset", "timeout", "connect", "protocol"}


def _dropped(pv, view) -> bool:  # type: ignore[no-untyped-def]
    error = pv.exchange.error
    control = view.browser
    control_fine = control is not None and control.exchange.error is None
    return error is not None and error.kind in DROPS and control_fine


def check(ctx: RuleContext) -> Iterator[Check]:
    def build(bot, view, pv, control, is_must) -> Check:  # type: ignore[no-untyped-def]
        error = pv.exchange.error
        what = describe_error(
            error.kind,
            error.message,
            bytes_read=pv.exchange.body.bytes,
            elapsed_ms=pv.exchange.timing.total_ms,
        )
        return failed(
            url_subject(view.url, bot),
            message=f"{bot}'s request fails: {what}, where a browser gets {control.status}",
            cost=view_cost(
                bot,
                is_must,
                "Google treats resets and timeouts like server errors: it crawls the host more "
                "slowly and drops URLs that keep failing",
            ),
            evidence=[exchange_evidence(pv, "bot"), exchange_evidence(control, "browser")],
            fix_summary="Find the layer dropping crawler connections (tarpit, L4 bot rule, "
            "load balancer) and exempt verified crawlers.",
            fix_steps=waf_fix(bot, pv.classification.vendor),
            protection_cost="Verified crawlers are served; the silent drop stays for others.",
            pattern=f"drop:{error.kind}",
            **spoof_fields(view),  # type: ignore[arg-type]
        )

    yield from bot_url_checks(ctx, _dropped, build)


RULE = Rule(
    code="CH004",
    slug="crawler-connection-dropped",
    title="Connections reset or time out only for a bot",
    severity="error",
    owner="infra",
    protection="waf_block",
    docs=RuleDocs(
        what="Flags resets, timeouts and broken responses a bot gets where the browser "
        "control's request to the same URL succeeds.",
        why="A dropped connection is a server error to Google: crawl rate falls for the whole "
        "host and repeatedly failing URLs are removed.",
        why_happens="Tarpits and L4/L7 bot rules that silently drop 'bad bots' to waste their "
        "time, matching on user-agent.",
        example="GET /products/p13 as Googlebot → connection reset mid-body; browser → 200",
        fix="Exempt verified crawlers from the drop rule; answer others with an honest status.",
        gives_up="Verified crawlers are served; unverified ones still get the drop.",
        references=(HTTP_ERRORS_DOC, "crawler-facts §1.2, §3"),
    ),
    check=check,
)
