"""What the challenge rules share: walking bot × URL views with the browser control."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.refusals import refusal_of
from seoaudit.analysis.site_pages import ProfileView, UrlView, spoof_note, url_views
from seoaudit.analysis.site_robots import must_index_urls, policy_bots
from seoaudit.rules.base import Check, failed, inconclusive, passed
from seoaudit.rules.common import EXEMPT_VERIFIED, url_subject

Matcher = Callable[[ProfileView, UrlView], bool]


def exchange_evidence(pv: ProfileView, role: str) -> dict[str, object]:
    """The exchange as evidence: request, answer, the headers that identify a protection."""
    e = pv.exchange
    interesting = {
        "server", "cf-ray", "cf-mitigated", "x-amzn-waf-action", "retry-after", "x-datadome",
        "x-iinfo", "x-sucuri-id", "x-sucuri-block", "content-type", "x-robots-tag",
    }  # fmt: skip
    return {
        "kind": "exchange",
        "role": role,
        "exchange_id": e.id,
        "profile": e.profile,
        "url": e.url,
        "status": e.status,
        "error": e.error.kind if e.error else None,
        "ttfb_ms": e.timing.ttfb_ms,
        "bytes": e.body.bytes,
        "headers": [f"{k}: {v}" for k, v in e.headers if k.lower() in interesting][:8],
        "signals": pv.classification.signals[:4],
        "asks": pv.classification.asks,
        "excerpt": e.body.excerpt[:160],
    }


def bot_url_checks(
    ctx: RuleContext,
    matches: Matcher,
    build: Callable[[str, UrlView, ProfileView, ProfileView, int], Check],
) -> Iterator[Check]:
    """One check per (wanted or required bot, probed URL); ``build`` makes the failure."""
    must = set(must_index_urls(ctx))
    views = url_views(ctx)
    for bot in policy_bots(ctx, "required", "wanted"):
        for url, view in views.items():
            subject = url_subject(url, bot)
            pv = view.bot(bot)
            control = view.browser
            if pv is None:
                continue
            if control is None:
                yield inconclusive(subject, "no browser control fetch for this URL")
                continue
            if pv.exchange.error is not None and pv.exchange.error.message.startswith(
                "not fetched"
            ):
                yield inconclusive(subject, pv.exchange.error.message)
                continue
            refusal = refusal_of(ctx, pv.exchange)
            if refusal is not None and refusal.verdict == "load":
                yield passed(subject, f"refused under the audit's own load; {refusal.how} (RL001)")
                continue
            if matches(pv, view) and refusal is not None and refusal.verdict == "unresolved":
                yield inconclusive(subject, f"{bot} was refused ({refusal.key}) while the "
                                   "site was limiting the audit's IP, and no calm re-check "
                                   "was possible")  # fmt: skip
                continue
            if matches(pv, view):
                yield build(bot, view, pv, control, int(url in must))
            else:
                yield passed(subject)


def spoof_fields(view: UrlView) -> dict[str, str]:
    confidence, note = spoof_note(view)
    return {"confidence": confidence, "verify": note}


def waf_fix(bot: str, vendor: str | None) -> dict[str, list[str]]:
    where = f"{vendor} " if vendor else "the WAF / bot-management "
    return {
        "infra": [
            f"In {where}rules, allow verified {bot}. {EXEMPT_VERIFIED}",
            "Keep the challenge for unverified agents claiming to be crawlers",
            "To limit load, answer 429/503 with Retry-After instead of a block or challenge",
        ],
        "seo": [
            f"Watch {bot}'s crawl stats and coverage reports after the change",
        ],
    }


def dropped(ctx: RuleContext, bot: str) -> str:
    """What the bot's operator does with a page it cannot read, in its own terms."""
    from seoaudit.analysis.site_robots import resolve_bot

    entry = resolve_bot(ctx, bot)
    operator = getattr(entry, "operator", None) or bot
    purpose = getattr(entry, "purpose", None)
    if purpose == "search":
        return f"{operator} drops the URL from its index"
    if purpose == "ai-search":
        return f"{operator} cannot cite or link the page in its answers"
    if purpose == "ai-training":
        return f"{operator} leaves the page out of what it collects"
    return f"{operator} cannot use the page"


def view_cost(bot: str, is_must: int, what: str) -> str:
    scope = "a must-index URL" if is_must else "a URL the site wants crawled"
    return f"{bot} cannot read {scope}: {what}"


__all__ = ["bot_url_checks", "exchange_evidence", "failed", "spoof_fields", "view_cost", "waf_fix"]
