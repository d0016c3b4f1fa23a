"""The bot registry: who crawls, for what, whether they obey robots.txt, how to verify them.

The data is ``bots.yaml`` (shipped as package data, copied from the project's sourced
reference); this module only loads it. Ids are robots.txt product tokens, lower-cased.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PURPOSES = ("search", "ai-search", "ai-training", "user-triggered", "ads", "other")


@dataclass(frozen=True)
class Verification:
    rdns_suffixes: tuple[str, ...] = ()
    ip_ranges_url: str | None = None

    @property
    def available(self) -> bool:
        return bool(self.rdns_suffixes or self.ip_ranges_url)


@dataclass(frozen=True)
class Bot:
    id: str  # lower-case robots.txt token
    token: str  # as the operator writes it
    operator: str
    purpose: str
    honors_robots: bool | None  # None: unknown
    user_agent: str  # the User-Agent string to send when probing as this bot
    ignores_wildcard_group: bool = False  # obeys only a group naming it (AdsBot...)
    control_token_only: bool = False  # no crawler sends it (Google-Extended)
    verify: Verification = Verification()
    confidence: str = "unconfirmed"
    source: str | None = None
    notes: str = ""
    custom: bool = False


class BotRegistry:
    def __init__(self, bots: list[Bot]) -> None:
        self._bots = {b.id: b for b in bots}

    def get(self, id_or_token: str) -> Bot | None:
        return self._bots.get(id_or_token.strip().lower())

    def all(self) -> list[Bot]:
        return list(self._bots.values())

    def ids(self) -> list[str]:
        return list(self._bots)

    def resolve(self, bot_id: str, custom: dict[str, Any] | None = None) -> Bot | None:
        """A registry bot, or one defined in the policy's ``bots.custom``."""
        key = bot_id.strip().lower()
        for name, spec in (custom or {}).items():
            if name.lower() == key:
                return custom_bot(name, spec)
        return self.get(key)


def custom_bot(name: str, spec: Any) -> Bot:
    get = spec.get if isinstance(spec, dict) else lambda k, d=None: getattr(spec, k, d)
    token = get("token") or name
    return Bot(
        id=name.lower(),
        token=token,
        operator=get("operator") or "custom",
        purpose=get("purpose") or "other",
        honors_robots=True,
        user_agent=get("user_agent") or f"Mozilla/5.0 (compatible; {token})",
        custom=True,
    )


def _bot_from(entry: dict[str, Any]) -> Bot:
    verify = entry.get("verify") or {}
    honors = entry.get("honors_robots")
    return Bot(
        id=str(entry["token"]).lower(),
        token=str(entry["token"]),
        operator=str(entry.get("operator", "")),
        purpose=str(entry.get("purpose", "other")),
        honors_robots=honors if isinstance(honors, bool) else None,
        user_agent=str(entry.get("ua_example") or entry["token"]),
        ignores_wildcard_group=bool(entry.get("ignores_wildcard_group", False)),
        control_token_only=bool(entry.get("control_token_only", False)),
        verify=Verification(
            rdns_suffixes=tuple(verify.get("rdns_suffixes") or ()),
            ip_ranges_url=verify.get("ip_ranges_url"),
        ),
        confidence=str(entry.get("confidence", "unconfirmed")),
        source=entry.get("source"),
        notes=" ".join(str(entry.get("notes") or "").split()),
    )


@cache
def load_registry() -> BotRegistry:
    # A short-lived command (`robots test` in a pre-commit hook) pays for this load: reading
    # beside the module and libyaml's loader take ~3 ms where importlib.resources and the
    # pure-Python loader took ~40 ms. Same data either way (SafeLoader semantics).
    text = (Path(__file__).parent / "bots.yaml").read_text("utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return BotRegistry([_bot_from(e) for e in yaml.load(text, Loader=loader)["bots"]])
