"""The per-URL view: what each profile got for the same URL, beside the browser control.

A difference between a crawler profile and the browser is the evidence of a conflict; the
``unknown-bot`` profile tells "every bot-like agent is treated this way" apart from "only
this crawler's string is" (a WAF that verifies crawlers by IP is right to block a spoof).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.directives import Directives, directives_for_bot
from seoaudit.snapshot import Exchange, PageFacts
from seoaudit.web.classify import Classification, classify_exchange


@dataclass
class ProfileView:
    profile: str
    exchange: Exchange
    page: PageFacts | None
    classification: Classification

    @property
    def status(self) -> int | None:
        return self.exchange.status


@dataclass
class UrlView:
    url: str
    by_profile: dict[str, ProfileView] = field(default_factory=dict)

    @property
    def browser(self) -> ProfileView | None:
        return self.by_profile.get("browser")

    def bot(self, bot_id: str) -> ProfileView | None:
        return self.by_profile.get(f"bot:{bot_id}")

    @property
    def unknown_bot(self) -> ProfileView | None:
        return self.by_profile.get("unknown-bot")

    @property
    def honest(self) -> ProfileView | None:
        return self.by_profile.get("seoaudit")

    def browser_ok(self) -> bool:
        b = self.browser
        return b is not None and b.classification.kind == "ok"


def _served(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status < 400 and exchange.error is None


def pages_by_exchange(ctx: RuleContext) -> dict[int, PageFacts]:
    return ctx.cached("pages_by_exchange", lambda: {p.exchange_id: p for p in ctx.snapshot.pages})


def url_views(ctx: RuleContext) -> dict[str, UrlView]:
    """URL → views, for every URL fetched as a probe (plus the honest crawl's own fetch)."""

    def build() -> dict[str, UrlView]:
        pages = pages_by_exchange(ctx)
        views: dict[str, UrlView] = {}
        probed = {e.url for e in ctx.snapshot.exchanges if e.purpose == "probe"}
        for e in ctx.snapshot.exchanges:
            if e.purpose == "probe" or (e.purpose == "page" and e.url in probed):
                view = views.setdefault(e.url, UrlView(e.url))
                view.by_profile.setdefault(e.profile, _raw(e, pages.get(e.id)))
        # The control is what people get: when the browser's probe was caught by a limit
        # and a calm re-check served it, the served answer is the control.
        for e in ctx.snapshot.exchanges:
            if e.purpose == "recheck" and e.profile == "browser" and _served(e):
                view = views.get(e.url)
                current = view.browser if view is not None else None
                if current is not None and not _served(current.exchange):
                    view.by_profile["browser"] = _raw(e, pages.get(e.id))
        for view in views.values():
            control = view.browser
            control_len = control.page.text_length if control and control.page else None
            for pv in view.by_profile.values():
                pv.classification = classify_exchange(
                    pv.exchange,
                    text_length=pv.page.text_length if pv.page else None,
                    control=control.exchange if control and pv is not control else None,
                    control_text_length=control_len if pv is not control else None,
                )
        return views

    return ctx.cached("url_views", build)


def _raw(exchange: Exchange, page: PageFacts | None) -> ProfileView:
    return ProfileView(exchange.profile, exchange, page, Classification("ok"))


def directives_of(ctx: RuleContext, page: PageFacts | None, bot_token: str) -> Directives:
    if page is None:
        return Directives(bot=bot_token)
    return directives_for_bot(page.meta_robots, page.x_robots_tag, bot_token)


def latest_fetch(ctx: RuleContext, url: str, *, profile: str | None = None) -> Exchange | None:
    """The most telling fetch of a URL: the bot's probe, else the honest crawl's."""
    index = ctx.cached("exchanges_by_url", lambda: _index_by_url(ctx))
    candidates = index.get(url, [])
    if profile is not None:
        own = [e for e in candidates if e.profile == profile]
        if own:
            return own[-1]
    honest = [e for e in candidates if e.profile == "seoaudit"]
    return honest[-1] if honest else None


def _index_by_url(ctx: RuleContext) -> dict[str, list[Exchange]]:
    out: dict[str, list[Exchange]] = {}
    for e in ctx.snapshot.exchanges:
        if e.purpose in ("page", "probe", "canonical", "recheck"):
            out.setdefault(e.url, []).append(e)
    return out


def page_of(ctx: RuleContext, exchange: Exchange | None) -> PageFacts | None:
    if exchange is None:
        return None
    return pages_by_exchange(ctx).get(exchange.id)


def spoof_note(view: UrlView, kind_attr: str = "kind") -> tuple[str, str]:
    """(confidence, note) for a block seen through a spoofed crawler user-agent."""
    unknown = view.unknown_bot
    if unknown is not None and unknown.classification.is_blocking:
        return "likely", (
            "an unknown bot-like agent gets the same treatment, so the rule targets bot-like "
            "agents in general: real crawlers are most likely affected too"
        )
    return "needs_verification", (
        "only this crawler's user-agent string is treated this way, and our requests come from "
        "our IP, not the operator's: a WAF that verifies crawlers by IP/reverse DNS may be "
        "rightly blocking a spoof. Confirm in server/CDN logs (verified crawler requests and "
        "their statuses), Search Console crawl stats, or `seoaudit logs`"
    )
