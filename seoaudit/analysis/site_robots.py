"""The robots view every rule shares: which robots.txt a bot gets, what it means, and verdicts.

What a robots.txt answer means follows Google's documented handling (crawler-facts §1.2):
2xx → the rules as served; 4xx except 429 → no restrictions; 5xx, 429, timeouts, resets →
the host is halted (no crawling for ~12 h, then the cached copy for up to 30 days); more
than five redirect hops → treated as a 404 (no restrictions). Each copy is compiled once
per (origin, profile) and memoised on the rule context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from seoaudit.analysis.context import RuleContext
from seoaudit.robots_txt import RobotsTxt
from seoaudit.robots_txt.matching import path_of, pattern_regex
from seoaudit.snapshot import Exchange, RobotsFacts
from seoaudit.web.urls import origin_of

Meaning = Literal["rules", "no_rules", "halted", "missing"]
_HALTING_ERRORS = {"timeout", "connect", "dns", "tls", "reset", "protocol", "too_large"}


@dataclass
class RobotsCopy:
    """One robots.txt fetch (origin × profile) and what Google would make of it."""

    origin: str
    profile: str
    facts: RobotsFacts | None
    exchange: Exchange | None
    meaning: Meaning
    why: str
    robots: RobotsTxt | None  # parsed when the meaning is "rules"
    # the first answer, when it was a refusal that a calm re-check did not reproduce: the
    # file sits behind a limiter that our own burst of robots.txt fetches tripped
    limited_by: Exchange | None = None

    @property
    def status(self) -> int | None:
        return self.exchange.status if self.exchange else None

    def acts_on(self) -> tuple[object, ...]:
        """What a crawler acts on, not the bytes: the meaning, and for a served file its
        parsed rules (user-agent, allow, disallow, sitemap and crawl-delay lines, in order).
        Two copies that differ only in padding, comments or line endings act the same."""
        if self.meaning != "rules" or self.robots is None:
            return (self.meaning,)
        lines = tuple(
            (rec.key.value if rec.key.value != "unknown" else rec.raw_key.lower(), rec.value)
            for rec in self.robots.records
            if rec.key.value != "unknown" or rec.raw_key.lower().replace("_", "-") == "crawl-delay"
        )
        return (self.meaning, lines)

    @property
    def is_html(self) -> bool:
        if self.exchange is None:
            return False
        ctype = (self.exchange.header("content-type") or "").lower()
        return "html" in ctype or self.exchange.body.excerpt.lstrip()[:15].lower().startswith(
            ("<!doctype", "<html")
        )


@dataclass
class RobotsAnswer:
    """May this bot fetch this URL, and on what evidence."""

    url: str
    bot: str
    token: str
    allowed: bool | None  # None: no robots.txt fetch to judge from
    meaning: Meaning
    line: int | None = None
    rule: str | None = None
    group: list[str] | None = None
    copy: RobotsCopy | None = None

    @property
    def exchange_id(self) -> int | None:
        return self.copy.exchange.id if self.copy and self.copy.exchange else None

    def evidence(self) -> dict[str, Any]:
        return {
            "kind": "robots_line",
            "origin": self.copy.origin if self.copy else None,
            "profile": self.copy.profile if self.copy else None,
            "line": self.line,
            "rule": self.rule,
            "group": self.group,
            "status": self.copy.status if self.copy else None,
            "exchange_id": self.exchange_id,
        }


def meaning_of(exchange: Exchange | None) -> tuple[Meaning, str]:
    if exchange is None:
        return "missing", "robots.txt was not fetched"
    if exchange.error is not None and exchange.error.kind in ("redirect_limit", "redirect_loop"):
        return "no_rules", (
            f"robots.txt {exchange.error.message}: Google treats more than 5 hops as a 404 "
            "(no restrictions)"
        )
    if exchange.error is not None and exchange.error.kind == "out_of_scope":
        return "no_rules", f"robots.txt {exchange.error.message}"
    status = exchange.status
    if status is None:
        kind = exchange.error.kind if exchange.error else "error"
        if kind in _HALTING_ERRORS:
            return "halted", f"robots.txt fetch failed ({kind}): Google treats it as a server error"
        return "missing", f"robots.txt not fetched ({kind})"
    if 200 <= status < 300:
        return "rules", f"robots.txt answered {status}"
    if status == 429 or status >= 500:
        return "halted", (
            f"robots.txt answered {status}: Google stops crawling the host while this lasts"
        )
    if 400 <= status < 500:
        return "no_rules", f"robots.txt answered {status}: Google treats it as no robots.txt"
    return "no_rules", f"robots.txt answered {status}"


def robots_copy(ctx: RuleContext, origin: str, profile: str) -> RobotsCopy:
    """The copy a crawler acts on: the first fetch, or, when that was a refusal (5xx, 429,
    a broken connection) and a calm re-check was answered, the re-check's."""

    def build() -> RobotsCopy:
        facts_list = [r for r in ctx.snapshot.robots if r.origin == origin and r.profile == profile]
        first = next((r for r in facts_list if not r.recheck), None)
        facts, limited_by = first, None
        exchange = ctx.snapshot.exchange(first.exchange_id) if first else None
        meaning, why = meaning_of(exchange)
        if meaning == "halted":
            for again in (r for r in facts_list if r.recheck):
                answer = ctx.snapshot.exchange(again.exchange_id)
                if meaning_of(answer)[0] != "halted":
                    limited_by, facts, exchange = exchange, again, answer
                    meaning, why = meaning_of(answer)
                    why += (
                        f" when fetched again at a calm pace (the first fetch, in the audit's "
                        f"own burst of robots.txt requests, got {limited_by.status or 'no answer'})"
                    )
                    break
        parsed = None
        if meaning == "rules" and facts is not None:
            parsed = RobotsTxt.parse(facts.body_bytes() or b"")
        return RobotsCopy(origin, profile, facts, exchange, meaning, why, parsed, limited_by)

    return ctx.cached(f"robots_copy:{origin}:{profile}", build)


def bot_token(ctx: RuleContext, bot_id: str) -> tuple[str, bool]:
    """(robots.txt token, uses the * group) for a policy bot."""
    bot = resolve_bot(ctx, bot_id)
    if bot is None:
        return bot_id, True
    return (bot.token or bot.id).lower(), not bot.ignores_wildcard_group


def resolve_bot(ctx: RuleContext, bot_id: str) -> Any:
    return ctx.cached(f"bot:{bot_id}", lambda: ctx.registry.resolve(bot_id, ctx.policy.bots.custom))


def honours_crawl_delay(bot: object | None) -> bool | None:
    """Google and Yandex ignore Crawl-delay (crawler-facts §1.4, §2); the registry notes say
    which others honour it; unknown → None (assume it may)."""
    if bot is None:
        return None
    operator = str(getattr(bot, "operator", "")).lower()
    notes = str(getattr(bot, "notes", "")).lower()
    if operator.startswith("google") or "ignores crawl-delay" in notes:
        return False
    if "honours crawl-delay" in notes or "honors crawl-delay" in notes:
        return True
    return None


def copy_for_bot(ctx: RuleContext, origin: str, bot_id: str) -> RobotsCopy:
    """The bot's own robots.txt fetch when it was made, else the honest agent's."""
    own = robots_copy(ctx, origin, f"bot:{bot_id}")
    unsent = (
        own.exchange is not None
        and own.exchange.error is not None
        and own.exchange.error.message.startswith("not fetched")
    )
    if own.facts is not None and not unsent:
        return own
    return robots_copy(ctx, origin, "seoaudit")


def robots_for(ctx: RuleContext, url: str, bot_id: str) -> RobotsAnswer:
    origin = origin_of(url)
    copy = copy_for_bot(ctx, origin, bot_id)
    token, wildcard = bot_token(ctx, bot_id)
    if copy.meaning == "missing":
        return RobotsAnswer(url, bot_id, token, None, "missing", copy=copy)
    if copy.meaning == "halted":
        return RobotsAnswer(url, bot_id, token, False, "halted", copy=copy)
    if copy.meaning == "no_rules" or copy.robots is None:
        return RobotsAnswer(url, bot_id, token, True, "no_rules", copy=copy)
    verdict = copy.robots.check(token, url, use_wildcard_group=wildcard)
    return RobotsAnswer(
        url,
        bot_id,
        token,
        verdict.allowed,
        "rules",
        line=verdict.line,
        rule=verdict.rule,
        group=list(verdict.group) if verdict.group else None,
        copy=copy,
    )


# -- URL sets ---------------------------------------------------------------------------


def _compile(patterns: list[str]) -> list[re.Pattern[str]]:
    return [re.compile(pattern_regex(p), re.DOTALL) for p in patterns]


def matching_pattern(patterns: list[str], url: str) -> str | None:
    path = path_of(url)
    for pattern, regex in zip(patterns, _compile_cached(tuple(patterns)), strict=True):
        if regex.match(path):
            return pattern
    return None


_PATTERN_CACHE: dict[tuple[str, ...], list[re.Pattern[str]]] = {}


def _compile_cached(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    compiled = _PATTERN_CACHE.get(patterns)
    if compiled is None:
        compiled = _PATTERN_CACHE[patterns] = _compile(list(patterns))
    return compiled


def known_urls(ctx: RuleContext) -> list[str]:
    """Every in-scope URL the snapshot knows: crawled, probed, listed in sitemaps."""

    def build() -> list[str]:
        urls: dict[str, None] = {}
        for d in ctx.snapshot.crawl.discovered:
            urls[d.url] = None
        for e in ctx.snapshot.exchanges:
            if e.purpose in ("page", "probe", "canonical"):
                urls[e.url] = None
        for u in sitemap_urls(ctx):
            urls[u] = None
        return list(urls)

    return ctx.cached("known_urls", build)


def _literal_urls(ctx: RuleContext, patterns: list[str]) -> list[str]:
    start_origin = origin_of(ctx.snapshot.start_url)
    return [start_origin + p.rstrip("$") for p in patterns if p.startswith("/") and "*" not in p]


def must_index_urls(ctx: RuleContext) -> list[str]:
    """URLs the policy needs indexed (a must_not_index match wins over a broad must_index)."""
    patterns = list(ctx.policy.paths.must_index)
    excluded = list(ctx.policy.paths.must_not_index)

    def build() -> list[str]:
        found = dict.fromkeys(_literal_urls(ctx, patterns))
        for url in known_urls(ctx):
            if matching_pattern(patterns, url) is not None:
                found[url] = None
        return [u for u in found if not excluded or matching_pattern(excluded, u) is None]

    return ctx.cached("must_index_urls", build)


def must_not_index_urls(ctx: RuleContext) -> list[str]:
    patterns = list(ctx.policy.paths.must_not_index)

    def build() -> list[str]:
        found = dict.fromkeys(_literal_urls(ctx, patterns))
        for url in known_urls(ctx):
            if matching_pattern(patterns, url) is not None:
                found[url] = None
        return list(found)

    return ctx.cached("must_not_index_urls", build)


def sitemap_urls(ctx: RuleContext) -> list[str]:
    def build() -> list[str]:
        urls: dict[str, None] = {}
        for sitemap in ctx.snapshot.sitemaps:
            for url in sitemap.urls:
                urls[url] = None
        return list(urls)

    return ctx.cached("sitemap_urls", build)


def origins(ctx: RuleContext) -> list[str]:
    """Origins with a robots.txt fetch, and always the start origin (unfetched → inconclusive)."""
    return sorted({r.origin for r in ctx.snapshot.robots} | {origin_of(ctx.snapshot.start_url)})


def policy_bots(ctx: RuleContext, *roles: str) -> list[str]:
    bots = ctx.policy.bots
    out: list[str] = []
    for role in roles or ("required", "wanted"):
        out += list(getattr(bots, role))
    return out
