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
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# The common case of path_of in one C-level match: for a URL that starts with http:// or
# https://, Google's search for "://" and the first of "/?;" can only land right after the
# scheme, so the path is the first [/?;] after the authority, up to a '#'. A '#' before it
# (in the authority) means no path: group 1 is then None, as it is when there is no path.
_HTTP_URL = re.compile(r"https?://[^/?;#]*([/?;][^#]*)?", re.DOTALL)


def path_of(url: str) -> str:
    """Google's GetPathParamsQuery: path, params and query of a URL, never the fragment."""
    fast = _HTTP_URL.match(url)
    if fast is not None:
        path = fast.group(1)
        if path is None:
            return "/"
        return path if path[0] == "/" else "/" + path
    return path_params_query(url)


def path_params_query(url: str) -> str:
    """Google's GetPathParamsQuery step by step, for every URL form (``path_of`` takes a
    shortcut for http(s) URLs; the tests hold the two to the same answers)."""
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
_PLAIN, _ENDS_HERE, _ONE_RUN, _WILDCARD = 0, 1, 2, 3  # _ONE_RUN: "/a*b", the common wildcard
_LINE_BITS = 32  # a sort key is priority, then allow, then the earliest line, in one int


def _sort_key(rule: Rule) -> int:
    line = min(max(rule.line, 0), (1 << _LINE_BITS) - 1)
    return (
        (rule.priority << (_LINE_BITS + 1))
        | (rule.allow << _LINE_BITS)
        | ((1 << _LINE_BITS) - 1 - line)
    )


@dataclass(frozen=True, slots=True)
class _Plan(Generic[T]):
    key: int  # the largest key among matching rules decides (see _sort_key)
    value: T  # what decide() returns for this rule
    kind: int
    runs: tuple[str, ...] = ()  # _WILDCARD: literal runs after the first star, in order
    last: str | None = None  # _WILDCARD with a final "$": the run that must end the path


def _plan(rule: Rule, value: T) -> tuple[str, _Plan[T]]:
    pattern = rule.pattern
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    key = _sort_key(rule)
    star = body.find("*")
    if star == -1:
        return body, _Plan(key, value, _ENDS_HERE if anchored else _PLAIN)
    runs = body[star + 1 :].split("*")
    last = runs.pop() if anchored else None
    kept = tuple(r for r in runs if r)
    kind = _ONE_RUN if last is None and len(kept) == 1 else _WILDCARD
    return body[:star], _Plan(key, value, kind, kept, last)


def _wildcard_matches(plan: _Plan[T], path: str, pos: int) -> bool:
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


class RuleIndex(Generic[T]):
    """Answers "which rule decides this path?" for one fixed rule list (one agent's group).

    ``result`` maps each rule to what ``decide`` returns for it (by default the rule), so a
    caller can build its answer once per rule instead of once per check.
    """

    __slots__ = ("_buckets", "_ceilings", "_lengths")

    def __init__(self, rules: list[Rule], result: Callable[[Rule], T] | None = None) -> None:
        buckets: dict[str, list[_Plan[T]]] = {}
        for rule in rules:
            if rule.priority == 0:  # Google ignores priority-0 (empty) matches
                continue
            prefix, plan = _plan(rule, rule if result is None else result(rule))  # type: ignore[arg-type]
            buckets.setdefault(prefix, []).append(plan)
        best_at: dict[int, int] = {}
        for prefix, plans in buckets.items():
            plans.sort(key=lambda p: p.key, reverse=True)
            best_at[len(prefix)] = max(best_at.get(len(prefix), -1), plans[0].key)
        self._buckets = buckets
        # Prefix lengths present (ascending), each with the best key that any rule at that
        # length or shorter can reach: once the best match found beats it, stop looking.
        self._lengths = sorted(best_at)
        ceilings, running = [], -1
        for length in self._lengths:
            running = max(running, best_at[length])
            ceilings.append(running)
        self._ceilings = ceilings

    def decide(self, path: str) -> T | None:
        """What ``result`` gave for the rule with the highest priority that matches (allow on
        ties, then the earliest line), or None when no rule matches."""
        get = self._buckets.get
        lengths = self._lengths
        ceilings = self._ceilings
        size = len(path)
        best: _Plan[T] | None = None
        best_key = -1
        for i in range(bisect_right(lengths, size) - 1, -1, -1):
            if ceilings[i] <= best_key:
                break
            length = lengths[i]
            plans = get(path[:length])
            if plans is None:
                continue
            for plan in plans:
                if plan.key <= best_key:
                    break
                kind = plan.kind
                if (
                    kind == _PLAIN
                    or (kind == _ONE_RUN and path.find(plan.runs[0], length) != -1)
                    or (kind == _ENDS_HERE and length == size)
                    or (kind == _WILDCARD and _wildcard_matches(plan, path, length))
                ):
                    best, best_key = plan, plan.key
                    break
        return None if best is None else best.value
