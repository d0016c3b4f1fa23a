"""A compiled robots.txt: parse once, then answer many (agent, URL) questions fast.

Group selection follows Google's RobotsMatcher state machine exactly: every group that
names the agent contributes its rules (groups are merged); the ``*`` groups are used only
when no group names the agent; a group that names the agent but has no rules allows
everything (it does not fall back to ``*``). A user-agent line starts a new group only
after a rule line; ``sitemap`` and unknown lines do not end a group. The agent's group
depends only on the file, never on the path, so it is computed once per agent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from seoaudit.robots_txt.matching import Rule, RuleIndex, path_of
from seoaudit.robots_txt.parser import Key, Record, parse_records

GOOGLE_SIZE_LIMIT = 500 * 1024  # bytes Google reads; content past it is ignored

_AGENT_CHARS = re.compile(r"[A-Za-z_-]*")
_CRAWL_DELAY_KEYS = ("crawl-delay", "crawl_delay", "crawldelay")


def product_token(user_agent_value: str) -> str:
    """Google's ExtractUserAgent: the leading run of [A-Za-z_-] (``Googlebot/2.1`` → ``Googlebot``).

    Values such as ``googlebot*`` therefore mean ``googlebot``.
    """
    return _AGENT_CHARS.match(user_agent_value).group(0)  # type: ignore[union-attr]


def _is_global(value: str) -> bool:
    return value.startswith("*") and (len(value) == 1 or value[1].isspace())


@dataclass(frozen=True, slots=True)
class RobotsVerdict:
    allowed: bool
    line: int | None = None
    rule: str | None = None  # e.g. "Disallow: /private/"
    group: tuple[str, ...] = ()  # user-agent values of the deciding group

    def explain(self) -> str:
        if self.line is None:
            return "allowed: no rule applies" if self.allowed else "disallowed"
        verdict = "allowed" if self.allowed else "disallowed"
        agents = ", ".join(self.group) or "?"
        return f"{verdict} by line {self.line} `{self.rule}` (group: {agents})"


@dataclass(frozen=True)
class Group:
    """A run of user-agent lines and the rule lines after them, as written in the file."""

    agents: tuple[tuple[int, str], ...]  # (line, value)
    rules: tuple[Rule, ...]

    @property
    def agent_values(self) -> tuple[str, ...]:
        return tuple(v for _, v in self.agents)


@dataclass
class _AgentRules:
    specific_seen: bool
    index: RuleIndex[RobotsVerdict]  # answers with each rule's verdict, built once
    groups: tuple[str, ...]
    no_rule: RobotsVerdict  # the verdict when no rule matches


def _verdict_of(rule: Rule) -> RobotsVerdict:
    return RobotsVerdict(allowed=rule.allow, line=rule.line, rule=rule.text(), group=rule.group)


def _agent_rules(specific: bool, rules: list[Rule], groups: list[str]) -> _AgentRules:
    names = tuple(groups)
    return _AgentRules(
        specific, RuleIndex(rules, _verdict_of), names, RobotsVerdict(allowed=True, group=names)
    )


@dataclass
class RobotsTxt:
    records: list[Record]
    size: int = 0  # bytes given
    truncated: bool = False  # more than the size limit was given
    lost_rules: list[Record] = field(default_factory=list)  # rules past the cut
    _cache: dict[tuple[str, bool], _AgentRules] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, data: bytes, *, size_limit: int | None = GOOGLE_SIZE_LIMIT) -> RobotsTxt:
        """Compile a robots.txt body. Content past ``size_limit`` bytes is ignored, as Google
        does, and the rules it held are listed in ``lost_rules``."""
        if size_limit is None or len(data) <= size_limit:
            return cls(records=parse_records(data), size=len(data))
        kept = parse_records(data[:size_limit])
        last_kept_line = kept[-1].line if kept else 0
        lost = [
            r
            for r in parse_records(data)
            if r.key in (Key.ALLOW, Key.DISALLOW, Key.USER_AGENT)
            and (r.end > size_limit or r.line > last_kept_line)
        ]
        return cls(records=kept, size=len(data), truncated=True, lost_rules=lost)

    # -- structure -----------------------------------------------------------------

    @property
    def groups(self) -> list[Group]:
        """Groups as written (for lint and reports), in file order."""
        groups: list[Group] = []
        agents: list[tuple[int, str]] = []
        rules: list[Rule] = []
        after_rule = False
        for rec in self.records:
            if rec.key is Key.USER_AGENT:
                if after_rule:
                    groups.append(Group(tuple(agents), tuple(rules)))
                    agents, rules, after_rule = [], [], False
                agents.append((rec.line, rec.value))
            elif rec.key in (Key.ALLOW, Key.DISALLOW) and agents:
                after_rule = True
                rules.extend(_rules_for(rec, tuple(v for _, v in agents)))
        if agents:
            groups.append(Group(tuple(agents), tuple(rules)))
        return groups

    @property
    def sitemaps(self) -> list[tuple[str, int]]:
        return [(r.value, r.line) for r in self.records if r.key is Key.SITEMAP and r.value]

    def crawl_delay(self, token: str, *, use_wildcard_group: bool = True) -> float | None:
        """Crawl-delay of the agent's group (Bing and Yandex honour it; Google ignores it)."""
        specific, wildcard = None, None
        state = _GroupState()
        for rec in self.records:
            if rec.key is Key.USER_AGENT:
                state.user_agent(rec.value, token, use_wildcard_group)
            elif rec.key in (Key.ALLOW, Key.DISALLOW):
                state.rule()
            elif rec.key is Key.UNKNOWN and rec.raw_key.lower() in _CRAWL_DELAY_KEYS:
                try:
                    delay = float(rec.value)
                except ValueError:
                    continue
                if state.specific and specific is None:
                    specific = delay
                elif state.wildcard and not state.specific and wildcard is None:
                    wildcard = delay
        return specific if state.ever_specific else wildcard

    # -- verdicts ------------------------------------------------------------------

    def check(self, token: str, url: str, *, use_wildcard_group: bool = True) -> RobotsVerdict:
        """May ``token`` fetch ``url``? With the deciding line, rule and group."""
        agent = self._agent_rules(token, use_wildcard_group)
        verdict = agent.index.decide(path_of(url))
        return agent.no_rule if verdict is None else verdict

    def _agent_rules(self, token: str, use_wildcard_group: bool) -> _AgentRules:
        key = (token.lower(), use_wildcard_group)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._compile_agent(token, use_wildcard_group)
        return cached

    def _compile_agent(self, token: str, use_wildcard_group: bool) -> _AgentRules:
        specific: list[Rule] = []
        wildcard: list[Rule] = []
        specific_groups: list[str] = []
        wildcard_groups: list[str] = []
        state = _GroupState()
        group_agents: list[str] = []  # as written, for explanations only
        previous_was_rule = False
        for rec in self.records:
            if rec.key is Key.USER_AGENT:
                if previous_was_rule:
                    group_agents = []
                previous_was_rule = False
                state.user_agent(rec.value, token, use_wildcard_group)
                group_agents.append(rec.value)
            elif rec.key in (Key.ALLOW, Key.DISALLOW):
                previous_was_rule = True
                if not (state.specific or state.wildcard):
                    continue  # a group for other agents: Google does not even end the group
                state.rule()
                target = specific if state.specific else wildcard
                target.extend(_rules_for(rec, tuple(group_agents)))
                names = specific_groups if state.specific else wildcard_groups
                names.extend(a for a in group_agents if a not in names)
        if state.ever_specific:
            return _agent_rules(True, specific, specific_groups)
        return _agent_rules(False, wildcard, wildcard_groups)


class _GroupState:
    """Google's seen_global / seen_specific / seen_separator flags."""

    def __init__(self) -> None:
        self.wildcard = False
        self.specific = False
        self.after_rule = False
        self.ever_specific = False

    def user_agent(self, value: str, token: str, use_wildcard_group: bool) -> None:
        if self.after_rule:
            self.wildcard = self.specific = self.after_rule = False
        if _is_global(value):
            self.wildcard = self.wildcard or use_wildcard_group
        elif product_token(value).lower() == token.lower():
            self.specific = self.ever_specific = True

    def rule(self) -> None:
        self.after_rule = True


def _rules_for(rec: Record, group: tuple[str, ...]) -> list[Rule]:
    allow = rec.key is Key.ALLOW
    rules = [Rule(allow=allow, pattern=rec.value, line=rec.line, written=rec.value, group=group)]
    if allow:
        slash = rec.value.rfind("/")
        if slash != -1 and rec.value[slash:].startswith("/index.htm"):
            # Google: "Allow: /dir/index.html" also allows "/dir/" exactly.
            rules.append(
                Rule(
                    allow=True,
                    pattern=rec.value[: slash + 1] + "$",
                    line=rec.line,
                    written=rec.value,
                    group=group,
                )
            )
    return rules


def is_allowed(data: bytes, token: str, url: str) -> bool:
    """One-shot verdict with no size limit: the conformance-vector entry point."""
    return RobotsTxt.parse(data, size_limit=None).check(token, url).allowed
