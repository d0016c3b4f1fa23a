"""Path extraction and pattern matching with Google's semantics, plus a rule index.

Matching (RFC 9309 §2.2.2, Google's LongestMatchRobotsMatchStrategy): a pattern matches a
path prefix; ``*`` matches any run of characters; ``$`` anchors only as the last character.
The priority of a match is the pattern's length (after normalisation); allow wins ties.

The index (``RuleIndex``) must stay fast however the rules are spread: a real 853 KB file
puts 30,561 rules under one ``/html/`` prefix, where a regex per first path segment cost
~60 ms a check. So every rule is keyed by its whole literal prefix (the text before its
first ``*``, or before a final ``$``) in one dict, and a check looks up the path's own
prefixes, longest first, at the lengths some rule has. A literal rule that is found there
matches by construction; the rest of a wildcard rule is matched with ``str.find`` (a run of
literals between stars, matched leftmost, is exact for ``*`` semantics), so nothing is
compiled. Lookups stop as soon as no shorter prefix can hold a rule that beats the best
match so far. Building is one dict insert per rule; a check costs at most one dict lookup
per distinct prefix length, whatever the number of rules.
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


# A rule's matching plan: its literal prefix is the index key; what is left to check is
# nothing (a plain prefix rule), "the path ends here" (``/x$``) or the runs of literal text
# between its stars.
_PLAIN, _ENDS_HERE, _WILDCARD = 0, 1, 2


@dataclass(frozen=True, slots=True)
class _Plan:
    sort_key: tuple[int, bool, int]  # (priority, allow, -line): the largest decides
    rule: Rule
    kind: int
    runs: tuple[str, ...] = ()  # _WILDCARD: literal runs after the first star, in order
    last: str | None = None  # _WILDCARD with a final "$": the run that must end the path


def _plan(rule: Rule) -> tuple[str, _Plan]:
    pattern = rule.pattern
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    key = (rule.priority, rule.allow, -rule.line)
    star = body.find("*")
    if star == -1:
        return body, _Plan(key, rule, _ENDS_HERE if anchored else _PLAIN)
    runs = [run for run in body[star + 1 :].split("*")]
    last = runs.pop() if anchored else None
    return body[:star], _Plan(key, rule, _WILDCARD, tuple(r for r in runs if r), last)


def _wildcard_matches(plan: _Plan, path: str, pos: int) -> bool:
    """Does the part after the literal prefix match ``path[pos:]``? Leftmost is exact: taking
    each run at its first occurrence leaves the most room for the runs after it."""
    end = len(path)
    last = plan.last
    if last is not None:  # anchored: the final run must be a suffix that starts after pos
        end -= len(last)
        if end < pos or not path.endswith(last):
            return False
    for run in plan.runs:
        found = path.find(run, pos, end)
        if found == -1:
            return False
        pos = found + len(run)
    return True


class RuleIndex:
    """Answers "which rule decides this path?" for one fixed rule list (one agent's group)."""

    __slots__ = ("_buckets", "_ceilings", "_lengths")

    def __init__(self, rules: list[Rule]) -> None:
        buckets: dict[str, list[_Plan]] = {}
        for rule in rules:
            if rule.priority == 0:  # Google ignores priority-0 (empty) matches
                continue
            prefix, plan = _plan(rule)
            buckets.setdefault(prefix, []).append(plan)
        for plans in buckets.values():
            plans.sort(key=lambda p: p.sort_key, reverse=True)
        self._buckets = buckets
        # Prefix lengths present, longest first, each with the best sort key any rule at that
        # length or shorter can reach: once the best match found beats it, stop looking.
        best_at: dict[int, tuple[int, bool, int]] = {}
        for prefix, plans in buckets.items():
            top = plans[0].sort_key
            if len(prefix) not in best_at or top > best_at[len(prefix)]:
                best_at[len(prefix)] = top
        ascending = sorted(best_at)
        ceilings: list[tuple[int, bool, int]] = []
        running: tuple[int, bool, int] | None = None
        for length in ascending:
            running = best_at[length] if running is None else max(running, best_at[length])
            ceilings.append(running)
        self._lengths = ascending[::-1]
        self._ceilings = ceilings[::-1]

    def decide(self, path: str) -> Rule | None:
        """The rule with the highest priority that matches (allow on ties), or None."""
        get = self._buckets.get
        size = len(path)
        best: _Plan | None = None
        for length, ceiling in zip(self._lengths, self._ceilings, strict=True):
            if best is not None and ceiling <= best.sort_key:
                break
            if length > size:
                continue
            plans = get(path[:length])
            if plans is None:
                continue
            for plan in plans:
                if best is not None and plan.sort_key <= best.sort_key:
                    break
                kind = plan.kind
                if (
                    kind == _PLAIN
                    or (kind == _ENDS_HERE and length == size)
                    or (kind == _WILDCARD and _wildcard_matches(plan, path, length))
                ):
                    best = plan
                    break
        return None if best is None else best.rule
