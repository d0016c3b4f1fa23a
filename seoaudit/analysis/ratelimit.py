"""Rate-limit signals in one model: Retry-After, the IETF RateLimit fields, and the legacy ones.

Sources (crawler-facts §9): RFC 9110 §10.2.3 (Retry-After: seconds or HTTP-date);
draft-ietf-httpapi-ratelimit-headers-11 (``RateLimit-Policy: "burst";q=100;w=60`` and
``RateLimit: "default";r=50;t=30``); the older three-field draft (``RateLimit-Limit`` /
``-Remaining`` / ``-Reset``); and the de-facto ``X-RateLimit-*`` whose Reset is an epoch on
some services and seconds on others. Malformed fields are ignored, never raised.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

EPOCH_THRESHOLD = 1_000_000_000  # a Reset above this is a Unix time, below it is seconds
_ITEM = re.compile(
    r'^\s*(?:"(?P<name>[^"\\]*)"|(?P<bare>[A-Za-z0-9_.*-]+))?(?P<params>(?:\s*;[^;]*)*)\s*$'
)


@dataclass
class RateLimitInfo:
    limit: float | None = None  # requests allowed per window
    remaining: float | None = None
    window_s: float | None = None
    reset_s: float | None = None  # seconds until the window resets
    source: str | None = None  # which header family it came from
    raw: list[str] = field(default_factory=list)

    @property
    def quota_rps(self) -> float | None:
        if self.limit is None or not self.window_s:
            return None
        return self.limit / self.window_s

    @property
    def found(self) -> bool:
        return self.source is not None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip().strip('"')
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def _sf_list(value: str) -> list[tuple[str, dict[str, str]]]:
    """The Structured Fields List subset these headers use: items with ;key=value params."""
    items: list[tuple[str, dict[str, str]]] = []
    for part in value.split(","):
        match = _ITEM.match(part)
        if not match:
            continue
        name = match.group("name") or match.group("bare") or ""
        params: dict[str, str] = {}
        for param in (match.group("params") or "").split(";")[1:]:
            key, _, val = param.partition("=")
            if key.strip():
                params[key.strip().lower()] = val.strip()
        items.append((name, params))
    return items


def parse_rate_limit(headers: list[tuple[str, str]], now: float | None = None) -> RateLimitInfo:
    values: dict[str, str] = {}
    for name, value in headers:
        values.setdefault(name.lower(), value)
    info = RateLimitInfo()
    current = time.time() if now is None else now
    policy = values.get("ratelimit-policy")
    state = values.get("ratelimit")
    if policy is not None or state is not None:
        info.raw = [f"RateLimit-Policy: {policy}"] if policy else []
        info.raw += [f"RateLimit: {state}"] if state else []
        policies = _sf_list(policy or "")
        # the tightest quota per second is the one that binds
        best: tuple[float, float] | None = None
        for _, params in policies:
            quota, window = _number(params.get("q")), _number(params.get("w"))
            if quota is not None and window:
                if best is None or quota / window < best[0] / best[1]:
                    best = (quota, window)
            elif quota is not None and best is None and "limit" not in values:
                best = (quota, _number(values.get("ratelimit-reset")) or 0.0)
        if best is not None:
            info.limit, info.window_s = best[0], best[1] or None
        for _, params in _sf_list(state or ""):
            remaining = _number(params.get("r"))
            if remaining is not None:
                info.remaining = remaining
                info.reset_s = _number(params.get("t"))
                break
        if info.limit is not None or info.remaining is not None:
            info.source = "RateLimit (IETF draft)"
            return info
    for prefix, label in (
        ("ratelimit-", "RateLimit-* (older draft)"),
        ("x-ratelimit-", "X-RateLimit-*"),
    ):
        limit = _number(values.get(prefix + "limit"))
        remaining = _number(values.get(prefix + "remaining"))
        reset = _number(values.get(prefix + "reset"))
        if limit is None and remaining is None:
            continue
        info.limit, info.remaining, info.source = limit, remaining, label
        info.raw = [f"{k}: {v}" for k, v in headers if k.lower().startswith(prefix)]
        if reset is not None:
            info.reset_s = max(0.0, reset - current) if reset > EPOCH_THRESHOLD else reset
        window = _number(values.get(prefix + "window")) or _number(
            (values.get(prefix + "policy") or "").partition("w=")[2].split(";")[0] or None
        )
        info.window_s = window
        return info
    return info
