"""Path extraction and pattern matching with Google's semantics, plus a rule index.

Matching (RFC 9309 §2.2.2, Google's LongestMatchRobotsMatchStrategy): a pattern matches a
path prefix; ``*`` matches any run of characters; ``$`` anchors only as the last character.
The priority of a match is the pattern's length (after normalisation); allow wins ties.

The index: instead of scanning every rule for every URL (what makes protego slow on big
files), rules are bucketed by the path's first segment (``/products/``). A bucket compiles
into one regular expression whose alternatives are ordered by priority (longest first, allow
before disallow), so the first alternative that matches *is* the decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def path_of(url: str) -> str:
    """Google's GetPathParamsQuery: path, params and query of a URL, never the fragment."""
    search_start = 2 if url.startswith("//") else 0
    early_path = _find_first_of(url, "/?;", search_start)
    protocol_end = url.find("://", search_start)
    if protocol_end == -1 or (early_path != -1 and early_path < protocol_end):
        protocol_end = search_start
    else:
        protocol_end += 3
    path_start = _find_first_of(url, "/?;", protocol_end)
    if path_start == -1:
        return "/"
    hash_pos = url.find("#", search_start)
    if hash_pos != -1 and hash_pos < path_start:
        return "/"
    path_end = len(url) if hash_pos == -1 else hash_pos
    path = url[path_start:path_end]
    return path if path.startswith("/") else "/" + path


def _find_first_of(text: str, chars: str, start: int) -> int:
    best = -1
    for ch in chars:
        pos = text.find(ch, start)
        if pos != -1 and (best == -1 or pos < best):
            best = pos
    return best


def pattern_regex(pattern: str) -> str:
    """Regex source for one pattern (anchored by the caller with re.match)."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    source = ".*".join(re.escape(part) for part in body.split("*"))
    return source + (r"\Z" if anchored else "")


def literal_prefix(pattern: str) -> str:
    """The part of a pattern before its first wildcard or end anchor."""
    cut = len(pattern)
    star = pattern.find("*")
    if star != -1:
        cut = star
    if pattern.endswith("$") and len(pattern) - 1 < cut:
        cut = len(pattern) - 1
    return pattern[:cut]


def matches(pattern: str, path: str) -> bool:
    """Reference (unindexed) match of one pattern, used by tests and lint."""
    return re.match(pattern_regex(pattern), path, re.DOTALL) is not None


@dataclass(frozen=True, slots=True)
class Rule:
    allow: bool
    pattern: str  # normalised; for the index.html shortcut, the derived `/dir/$`
    line: int
    written: str  # the value as written in the file (normalised), for explanations
    group: tuple[str, ...]  # the user-agent values of the group the rule is in

    @property
    def priority(self) -> int:
        return len(self.pattern)

    def text(self) -> str:
        return f"{'Allow' if self.allow else 'Disallow'}: {self.written}"


def _segment_key(path: str) -> str | None:
    """The path up to and including its second '/', or None when it has none."""
    second = path.find("/", 1)
    return None if second == -1 else path[: second + 1]


_BUCKET_CACHE_LIMIT = 8192


class RuleIndex:
    """Answers "which rule decides this path?" for one fixed rule list (one agent's group)."""

    def __init__(self, rules: list[Rule]) -> None:
        ordered = sorted(
            (r for r in rules if r.priority > 0),  # Google ignores priority-0 (empty) matches
            key=lambda r: (-r.priority, not r.allow, r.line),
        )
        self._bucketed: dict[str, list[Rule]] = {}
        self._short: list[Rule] = []
        for rule in ordered:
            key = _segment_key(literal_prefix(rule.pattern))
            if key is None:
                self._short.append(rule)
            else:
                self._bucketed.setdefault(key, []).append(rule)
        self._short_matcher = _compile(self._short)
        self._buckets: dict[str, tuple[re.Pattern[str] | None, list[Rule]]] = {}

    def decide(self, path: str) -> Rule | None:
        """The rule with the highest priority that matches (allow on ties), or None."""
        key = _segment_key(path)
        if key is None:
            matcher, rules = self._short_matcher
        else:
            entry = self._buckets.get(key)
            if entry is None:
                entry = self._bucket_for(key)
            matcher, rules = entry
        if matcher is None:
            return None
        m = matcher.match(path)
        return None if m is None else rules[m.lastindex - 1]  # type: ignore[operator]

    def _bucket_for(self, key: str) -> tuple[re.Pattern[str] | None, list[Rule]]:
        candidates = self._bucketed.get(key, []) + [
            r for r in self._short if key.startswith(literal_prefix(r.pattern))
        ]
        candidates.sort(key=lambda r: (-r.priority, not r.allow, r.line))
        entry = _compile(candidates)
        if len(self._buckets) < _BUCKET_CACHE_LIMIT:
            self._buckets[key] = entry
        return entry


def _compile(rules: list[Rule]) -> tuple[re.Pattern[str] | None, list[Rule]]:
    if not rules:
        return None, rules
    source = "|".join(f"({pattern_regex(r.pattern)})" for r in rules)
    return re.compile(source, re.DOTALL), rules
