"""The rule unit: metadata, docs and one pure check function.

A rule is a ``Rule`` value in its own module under ``rules/<family>/``; the catalog finds
it by import. ``seoaudit rules``, the README table and SARIF descriptions are generated
from these fields, so the docs are written once, here.

A check receives a ``RuleContext`` (snapshot, policy, registry and the shared analysis) and
yields one ``Check`` per subject it looked at: ``passed``, ``failed``, ``not_applicable`` or
``inconclusive``. Missing evidence is never a pass: say ``inconclusive`` and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from seoaudit.result import Confidence, Evidence, Owner, Severity, Subject

if TYPE_CHECKING:
    from seoaudit.analysis.context import RuleContext


@dataclass(frozen=True)
class RuleDocs:
    """Fixed headings (architecture §5): every rule documents all of them."""

    what: str  # What it checks
    why: str  # Why it matters (the visibility cost)
    why_happens: str  # Why it happens (the protection's rationale)
    example: str  # a short concrete example (robots.txt lines, headers...)
    fix: str  # the fix that serves both sides
    gives_up: str  # what the protection gives up with that fix
    references: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "why": self.why,
            "why_happens": self.why_happens,
            "example": self.example,
            "fix": self.fix,
            "gives_up": self.gives_up,
            "references": list(self.references),
        }


@dataclass(frozen=True)
class Check:
    """The outcome of one rule for one subject; failures carry the finding's content."""

    subject: Subject
    outcome: str  # pass | fail | not_applicable | inconclusive
    reason: str = ""
    message: str = ""
    cost: str = ""
    confidence: Confidence = "confirmed"
    evidence: tuple[Evidence, ...] = ()
    fix_summary: str = ""
    fix_steps: dict[str, list[str]] = field(default_factory=dict)
    protection_cost: str = ""
    verify: str | None = None
    pattern: str | None = None  # robots pattern / path pattern the finding is about (fingerprint)
    severity: Severity | None = None  # only when the rule's default does not fit this subject


def passed(subject: Subject, reason: str = "") -> Check:
    return Check(subject=subject, outcome="pass", reason=reason)


def not_applicable(subject: Subject, reason: str) -> Check:
    return Check(subject=subject, outcome="not_applicable", reason=reason)


def inconclusive(subject: Subject, reason: str) -> Check:
    return Check(subject=subject, outcome="inconclusive", reason=reason)


def failed(
    subject: Subject,
    *,
    message: str,
    cost: str,
    evidence: Iterable[Evidence | dict[str, Any]] = (),
    fix_summary: str = "",
    fix_steps: dict[str, list[str]] | None = None,
    protection_cost: str = "",
    confidence: Confidence = "confirmed",
    verify: str | None = None,
    pattern: str | None = None,
    severity: Severity | None = None,
) -> Check:
    ev = tuple(e if isinstance(e, Evidence) else Evidence(**e) for e in evidence)
    return Check(
        subject=subject,
        outcome="fail",
        reason=message,
        message=message,
        cost=cost,
        confidence=confidence,
        evidence=ev,
        fix_summary=fix_summary,
        fix_steps=fix_steps or {},
        protection_cost=protection_cost,
        verify=verify,
        pattern=pattern,
        severity=severity,
    )


@dataclass(frozen=True)
class Rule:
    code: str  # stable, never reused (RB001)
    slug: str  # stable (robots-txt-unreachable)
    title: str
    severity: Severity
    owner: Owner
    protection: str  # the protection involved: robots_txt, waf_block, bot_challenge, rate_limit...
    docs: RuleDocs
    check: Callable[[RuleContext], Iterable[Check]]

    @property
    def family(self) -> str:
        return self.code.rstrip("0123456789")
