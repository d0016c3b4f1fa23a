"""Indexing directives as one bot reads them: meta robots and X-Robots-Tag, generic and named.

Google reads ``<meta name="robots">`` and ``<meta name="googlebot">`` (and
``googlebot-news`` for News); other crawlers read ``robots`` and their own name. An
X-Robots-Tag value may carry a user-agent prefix (``googlebot: noindex``) that limits it to
that crawler; ``unavailable_after: 25 Jun 2010 15:00:00 PST`` has a colon that is not a
prefix. The most restrictive directive wins (crawler-facts §6).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

_KNOWN = {
    "all", "noindex", "nofollow", "none", "noarchive", "nosnippet", "notranslate",
    "noimageindex", "unavailable_after", "max-snippet", "max-image-preview",
    "max-video-preview", "indexifembedded", "index", "follow", "nocache",
}  # fmt: skip
_PREFIX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_-]*)\s*:\s*(.*)$", re.S)
_META_NAMES_FOR = {"googlebot": ("robots", "googlebot", "googlebot-news")}


@dataclass
class Directive:
    name: str
    value: str | None
    source: str  # e.g. 'meta name=googlebot', 'X-Robots-Tag (googlebot)'


@dataclass
class Directives:
    bot: str
    found: list[Directive] = field(default_factory=list)

    def _has(self, name: str) -> list[Directive]:
        return [d for d in self.found if d.name == name]

    @property
    def noindex_sources(self) -> list[Directive]:
        hits = self._has("noindex") + self._has("none")
        for d in self._has("unavailable_after"):
            when = parse_date(d.value)
            if when is not None and when <= dt.datetime.now(dt.UTC):
                hits.append(d)
        return hits

    @property
    def noindex(self) -> bool:
        return bool(self.noindex_sources)

    @property
    def nofollow(self) -> bool:
        return bool(self._has("nofollow") or self._has("none"))

    @property
    def indexable(self) -> bool:
        return not self.noindex

    def describe(self) -> str:
        return "; ".join(f"{d.source}: {d.name}" for d in self.noindex_sources)


def parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    text = value.strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            for fmt in ("%d %b %Y %H:%M:%S %Z", "%d %B %Y %H:%M:%S %Z", "%Y-%m-%d"):
                try:
                    parsed = dt.datetime.strptime(text, fmt)
                    break
                except ValueError:
                    continue
            else:
                return None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _split_rules(content: str) -> list[tuple[str, str | None]]:
    """``noindex, max-snippet:20, unavailable_after: 25 Jun 2010`` → (name, value) pairs."""
    out: list[tuple[str, str | None]] = []
    for part in content.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition(":")
        out.append((name.strip().lower(), value.strip() or None))
    return out


def _split_header(value: str) -> tuple[str | None, str]:
    """(user-agent prefix or None, the directives) for one X-Robots-Tag value."""
    match = _PREFIX.match(value)
    if match:
        head = match.group(1).lower()
        if head not in _KNOWN:
            return head, match.group(2)
    return None, value


def directives_for_bot(
    meta: list[tuple[str, str]], x_robots_tags: list[str], bot_token: str
) -> Directives:
    token = bot_token.lower()
    names = _META_NAMES_FOR.get(token, ("robots", token))
    result = Directives(bot=token)
    for name, content in meta:
        low = name.lower().strip()
        if low not in names:
            continue
        for rule, value in _split_rules(content or ""):
            result.found.append(Directive(rule, value, f"meta name={low}"))
    for header in x_robots_tags:
        agent, rest = _split_header(header or "")
        if agent is not None and agent != token:
            continue
        source = f"X-Robots-Tag ({agent})" if agent else "X-Robots-Tag"
        for rule, value in _split_rules(rest):
            result.found.append(Directive(rule, value, source))
    return result
