"""What every human-facing report shares: grouping, "fix first", said-once notes, method.

A reader acts on changes, not on findings: 40 URLs behind one challenge rule are one
change. ``groups`` folds findings into the change they need (rule × bot × fix), ``fix_first``
ranks those changes by impact, and ``SharedNotes`` collects the explanations several
changes repeat (how to confirm a spoofed-agent block, "keep the challenge for unverified
agents") so each report says them once and refers to them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from seoaudit.result import AuditResult, Finding

OWNER_LABEL = {"seo": "SEO", "infra": "Infrastructure", "shared": "Shared"}
SEVERITIES = ("error", "warning", "info")
ROLE_WEIGHT = {"required": 3, "wanted": 2, "blocked": 1, None: 3}  # no bot: every crawler
FIX_FIRST = 5
CONFIDENCE_LABEL = {
    "confirmed": "confirmed",
    "likely": "likely",
    "needs_verification": "needs verification",
}


def confidence_text(finding: Finding) -> str:
    """The confidence as the fix-first list says it: what to do before acting, when needed."""
    label = CONFIDENCE_LABEL.get(finding.confidence, finding.confidence)
    if finding.confidence == "needs_verification":
        label += ": confirm in server logs first"
    return label


METHOD = [
    "seoaudit fetched robots.txt on every host once per agent (a browser, its own honest "
    "agent, an unknown bot and each policy bot's published user-agent), read the sitemaps, "
    "crawled the site breadth-first within the configured bounds, and fetched a sample of "
    "must-index, sitemap and crawled URLs as each bot and as a browser.",
    "Requests stayed under a global rate ceiling, slowed after every error, honoured "
    "Retry-After and stopped an agent at the first sign of distress.",
    "robots.txt was evaluated exactly as Google's open-source parser does (RFC 9309 plus "
    "Google's extensions); directives were read per crawler (meta robots and X-Robots-Tag, "
    "generic and bot-specific).",
    '"Fix first" lists errors before warnings before info; within a severity, changes rank '
    "by the must-index URLs they touch (a whole-host problem touches all of them) × the "
    "bot's role (required 3, wanted 2, blocked 1; a problem for every crawler counts as "
    "required), confirmed findings before those that need verification.",
]
LIMITS = [
    "Our requests come from our IP, not from the crawlers' published ranges. A WAF that "
    "verifies crawlers by IP or reverse DNS may treat the real crawler differently: findings "
    "marked 'needs verification' must be confirmed in server/CDN logs or Search Console.",
    "The audit sees a sample of the site at one moment; intermittent limits or time-of-day "
    "rules may not show.",
    "Rendering (JavaScript execution) is not performed; resources blocked for crawlers are "
    "reported from robots.txt and the pages' references.",
    "Search engines decide indexing; the report states documented behaviour (e.g. how Google "
    "treats a 503 robots.txt), not a guarantee of ranking.",
]


@dataclass
class Group:
    """The findings one change clears: same rule, same bot, same fix."""

    findings: list[Finding]

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if not f.waived]

    @property
    def must_index(self) -> int:
        return sum(f.impact.must_index_urls for f in self.active if f.impact is not None)

    @property
    def score(self) -> int:
        """Must-index URLs × the bot's role weight: ranks changes of one severity."""
        active = self.active
        if not active:
            return 0
        role = active[0].impact.bot_role if active[0].impact else None
        return max(1, self.must_index) * ROLE_WEIGHT[role]


def groups(result: AuditResult) -> list[Group]:
    """Changes in reading order: severity, then owner, then rule."""
    keyed: dict[tuple[str, str | None, str], list[Finding]] = defaultdict(list)
    for f in result.findings:
        keyed[(f.rule, f.subject.bot, f.fix.summary)].append(f)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    found = [Group(v) for v in keyed.values()]
    return sorted(found, key=lambda g: (order[g.first.severity], g.first.owner, g.first.rule))


def grouped(result: AuditResult) -> list[list[Finding]]:
    """The same groups as plain lists (kept for callers that want only the findings)."""
    return [g.findings for g in groups(result)]


def fix_first(all_groups: list[Group], limit: int = FIX_FIRST) -> list[Group]:
    """The few changes that clear most of the damage: worst severity, then widest impact."""
    live = [g for g in all_groups if g.active]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    ranked = sorted(
        live,
        key=lambda g: (order[g.first.severity], -g.score, g.first.confidence != "confirmed",
                       g.first.rule, g.first.subject.bot or ""),
    )  # fmt: skip
    return ranked[:limit]


def impact_text(group: Group) -> str:
    """``perplexitybot · 62 must-index URLs`` — who and how much one change is about."""
    f = group.first
    parts = []
    if f.subject.bot:
        parts.append(f.subject.bot)
    n = group.must_index
    if n:
        whole = any(x.subject.url is None for x in group.active) and len(group.active) == 1
        parts.append(
            f"{n} must-index URL{'s' if n != 1 else ''}" + (" (whole host)" if whole else "")
        )
    elif len(group.active) > 1:
        parts.append(f"{len(group.active)} subjects")
    return " · ".join(parts)


def counts(result: AuditResult) -> dict[str, Counter[str]]:
    """owner → severity counts, waived findings excluded."""
    table: dict[str, Counter[str]] = {o: Counter() for o in OWNER_LABEL}
    for f in result.findings:
        if not f.waived:
            table.setdefault(f.owner, Counter())[f.severity] += 1
    return table


def where(f: Finding, site: str | None = None) -> str:
    """The subject as a reader names it; URLs on the audited origin as their path."""
    from seoaudit.report.evidence import short_url

    base = short_url(f.subject.url, site) if f.subject.url else f.subject.host or "site"
    line = f" (robots.txt line {f.subject.line})" if f.subject.line is not None else ""
    return base + line + (f" as {f.subject.bot}" if f.subject.bot else "")


def messages_differ(group: Group) -> bool:
    return len({f.message for f in group.findings}) > 1


def protection_text(result: AuditResult, f: Finding) -> str:
    """The protection, its owner and why it is usually there (a common cause, not a claim)."""
    info = result.rule_info(f.rule)
    why = info.docs.get("why_happens", "") if info else ""
    label = f.protection.replace("_", " ")
    owner = OWNER_LABEL.get(f.owner, f.owner)
    return f"{label}, owned by {owner}." + (f" Usually: {why}" if why else "")


# -- said once ---------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[a-z0-9)'\"])\.\s+(?=[A-Z])")


def sentences(step: str) -> list[str]:
    """A step split into sentences; multi-line steps (a robots.txt block) stay whole."""
    if "\n" in step:
        return [step]
    parts = [p.strip() for p in _SENTENCE_END.split(step)]
    return [p + "." for p in parts[:-1] if p] + [parts[-1]]


@dataclass
class SharedNotes:
    """Explanations repeated by several changes, numbered so each report says them once."""

    verify: list[str] = field(default_factory=list)  # confirm-how texts shared by groups
    steps: list[tuple[str, str]] = field(default_factory=list)  # (owner, sentence)

    def verify_ref(self, text: str | None) -> int | None:
        return self.verify.index(text) + 1 if text in self.verify else None

    def own_steps(self, group: Group) -> tuple[list[tuple[str, str]], list[int]]:
        """(owner, text) steps particular to this change, and the shared step numbers it uses."""
        own: list[tuple[str, str]] = []
        refs: list[int] = []
        shared = {s: i + 1 for i, s in enumerate(self.steps)}
        for owner, steps in group.first.fix.steps.items():
            for step in steps:
                kept = []
                for sentence in sentences(step):
                    ref = shared.get((owner, sentence))
                    if ref is None:
                        kept.append(sentence)
                    elif ref not in refs:
                        refs.append(ref)
                if kept:
                    own.append((owner, " ".join(kept)))
        return own, sorted(refs)


def shared_notes(all_groups: list[Group]) -> SharedNotes:
    verify = Counter(g.first.verify for g in all_groups if g.first.verify)
    step_count: Counter[tuple[str, str]] = Counter()
    for g in all_groups:
        seen = {
            (owner, s)
            for owner, steps in g.first.fix.steps.items()
            for step in steps
            for s in sentences(step)
        }
        step_count.update(seen)
    notes = SharedNotes()
    notes.verify = [text for text, n in verify.items() if n > 1]
    ordered = []
    for g in all_groups:  # first-seen order, so the list reads like the fixes
        for owner, steps in g.first.fix.steps.items():
            for step in steps:
                for s in sentences(step):
                    if step_count[(owner, s)] > 1 and (owner, s) not in ordered:
                        ordered.append((owner, s))
    notes.steps = ordered
    return notes


def split_step(step: str) -> tuple[str, str | None]:
    """A step that carries a block ("Add to robots.txt:\\nUser-agent: x") as (text, code)."""
    head, sep, rest = step.partition("\n")
    return (head, rest) if sep else (step, None)


class ShownCode:
    """Config blocks already printed in this report, so a repeat can point back instead."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def earlier(self, code: str, number: int) -> int | None:
        """The change that printed this code first, or None (and remember this one)."""
        first = self._first.setdefault(code, number)
        return first if first != number else None


def section_lines(result: AuditResult) -> list[str]:
    """Coverage by section in sentences, from the scoreboard: each bot refused on some
    sections ("googlebot is challenged on 2 of 41 sections: /products/*, /cart/*"), or one
    line saying every bot was served on every sampled section."""
    board = result.scoreboard or {}
    rows = [r for r in board.get("bots") or [] if r.get("sections")]
    if not rows:
        return []
    refused = [
        r["sections"]["summary"]
        for r in rows
        if (r["sections"].get("challenged") or r["sections"].get("blocked"))
        and r["sections"].get("summary")
    ]
    if refused:
        return refused
    sampled = max(r["sections"].get("sampled") or 0 for r in rows)
    total = (board.get("sections") or {}).get("total") or sampled
    return [f"every policy bot is served on all {sampled} sampled sections (of {total})"]
