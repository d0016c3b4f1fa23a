"""Compare two robots.txt files over a URL list: which verdicts flip, for which bots.

This is the offline pre-deploy gate: with a policy, a flip that disallows a ``must_index``
URL for a required bot is an RB002 error, and a flip that lets a ``blocked`` bot in is an
RB009 error; other flips are reported as info.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seoaudit.robots_txt.matching import matches, path_of
from seoaudit.robots_txt.robots import RobotsTxt, RobotsVerdict


@dataclass(frozen=True)
class Flip:
    url: str
    bot: str
    before: RobotsVerdict
    after: RobotsVerdict
    severity: str  # error | warning | info
    rule: str | None  # RB002 / RB009 when the flip breaks the policy
    reason: str

    def as_dict(self) -> dict[str, Any]:
        def verdict(v: RobotsVerdict) -> dict[str, Any]:
            return {"allowed": v.allowed, "line": v.line, "rule": v.rule, "group": list(v.group)}

        return {
            "url": self.url,
            "bot": self.bot,
            "before": verdict(self.before),
            "after": verdict(self.after),
            "severity": self.severity,
            "rule": self.rule,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DiffBot:
    id: str
    token: str
    role: str | None  # required | wanted | blocked | None
    use_wildcard_group: bool = True


def diff_robots(
    old: bytes,
    new: bytes,
    urls: list[str],
    bots: list[DiffBot],
    *,
    must_index: list[str] = (),  # type: ignore[assignment]
) -> list[Flip]:
    before, after = RobotsTxt.parse(old), RobotsTxt.parse(new)
    flips: list[Flip] = []
    for bot in bots:
        for url in urls:
            a = before.check(bot.token, url, use_wildcard_group=bot.use_wildcard_group)
            b = after.check(bot.token, url, use_wildcard_group=bot.use_wildcard_group)
            if a.allowed == b.allowed:
                continue
            path = path_of(url)
            severity, rule, reason = "info", None, "verdict changed"
            if (
                not b.allowed
                and bot.role == "required"
                and any(matches(p, path) for p in must_index)
            ):
                severity, rule = "error", "RB002"
                reason = f"a must_index URL becomes disallowed for {bot.id} (required)"
            elif b.allowed and bot.role == "blocked":
                severity, rule = "error", "RB009"
                reason = f"{bot.id} is marked blocked by the policy but becomes allowed"
            elif not b.allowed and bot.role in ("required", "wanted"):
                severity = "warning"
                reason = f"becomes disallowed for {bot.id} ({bot.role})"
            flips.append(Flip(url, bot.id, a, b, severity, rule, reason))
    return flips
