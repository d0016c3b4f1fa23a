"""The AuditResult: the one JSON document every report is rendered from (architecture §4).

Reporters read only this; ``seoaudit report result.json`` re-renders it later, so the
result carries everything a reporter needs, including the metadata and docs of the rules
that ran (SARIF rule descriptions, Markdown appendix) — a report never consults the
installed catalog, which may be a different version.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from seoaudit.errors import UsageError

RESULT_SCHEMA_VERSION = 1

Severity = Literal["error", "warning", "info"]
Owner = Literal["seo", "infra", "shared"]
Confidence = Literal["confirmed", "likely", "needs_verification"]
OutcomeKind = Literal["pass", "fail", "not_applicable", "inconclusive", "error", "waived"]

SEVERITY_RANK: dict[str, int] = {"info": 1, "warning": 2, "error": 3}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Subject(_Model):
    host: str | None = None
    url: str | None = None
    bot: str | None = None
    line: int | None = None  # robots.txt line, when the subject is a rule line

    def key(self) -> str:
        """Human-readable subject id used in outcomes, e.g. ``googlebot https://h/p``."""
        where = self.url or self.host or "site"
        line = f" line {self.line}" if self.line is not None else ""
        return f"{self.bot or '*'} {where}{line}"


class ConfigSnippet(_Model):
    """A change written as the file or console entry it goes into (``seoaudit.fixconfig``).

    ``code`` is copy-paste valid for ``target``; ``where`` says where it goes and
    ``still_stops`` what the protection keeps doing after the change.
    """

    target: str  # robots.txt | nginx | cloudflare | aws-waf | modsecurity
    owner: Owner
    title: str  # one line: what the change does
    where: str  # where it is pasted (file, context, console page)
    language: str  # code-fence language: robotstxt, nginx, json, apache, text
    code: str
    context: str | None = None  # nginx: "http" or "server" (the block it belongs in)
    still_stops: str = ""


class Fix(_Model):
    summary: str
    steps: dict[str, list[str]] = Field(default_factory=dict)  # owner -> ordered steps
    protection_cost: str = ""  # what the protection gives up with this fix
    configs: list[ConfigSnippet] = Field(default_factory=list)  # the change as config


class Impact(_Model):
    """How much of what the policy cares about one finding touches (ranks "fix first")."""

    must_index_urls: int = 0  # must-index URLs this finding affects (a whole host: all of them)
    bot_role: Literal["required", "wanted", "blocked"] | None = None


class Evidence(BaseModel):
    """One piece of evidence; ``kind`` says which (exchange, robots_line, header, ...)."""

    model_config = ConfigDict(extra="allow")
    kind: str


class Finding(_Model):
    rule: str
    name: str
    title: str = ""
    severity: Severity
    owner: Owner
    protection: str
    confidence: Confidence
    subject: Subject
    message: str
    cost: str
    fix: Fix
    evidence: list[Evidence] = Field(default_factory=list)
    verify: str | None = None  # how to confirm, when confidence is not "confirmed"
    fingerprint: str
    waived: bool = False
    waiver: dict[str, Any] | None = None  # the waiver that applied (owner, reason, expires)
    policy_line: int | None = None  # the policy line behind this finding (SARIF locations)
    impact: Impact | None = None


class Outcome(_Model):
    rule: str
    subject: str
    outcome: OutcomeKind
    reason: str = ""


class RuleInfo(_Model):
    """Rule metadata and docs, copied into the result so reporters stay self-contained."""

    code: str
    slug: str
    title: str
    severity: Severity
    owner: Owner
    protection: str
    docs: dict[str, Any]  # what, why, why_happens, example, fix, gives_up, references


class ToolInfo(_Model):
    name: str = "seoaudit"
    version: str


class PolicyRef(_Model):
    path: str | None = None
    sha256: str | None = None


class Stats(_Model):
    pages: int = 0
    requests: int = 0
    bots: list[str] = Field(default_factory=list)
    duration_s: float = 0.0


class Waivers(_Model):
    applied: list[dict[str, Any]] = Field(default_factory=list)
    stale: list[dict[str, Any]] = Field(default_factory=list)


class Unreachable(_Model):
    """The start URL never answered: nothing was audited, so nothing is claimed."""

    url: str
    kind: str  # dns | connect | tls | timeout | ... (snapshot error kinds)
    what: str  # in words: "connection refused", "the host name does not resolve"


class Gate(_Model):
    fail_on: Literal["error", "warning", "info", "never"] = "error"
    failed: bool = False
    counted: int = 0  # findings at or above fail_on, not waived (and new, with a baseline)
    baseline: str | None = None
    fail_on_slo: bool = False  # --fail-on-slo: a breached visibility SLO fails the gate too
    slo_breached: list[str] = Field(default_factory=list)  # the breached SLI ids, when gating


class AuditResult(_Model):
    schema_version: int = RESULT_SCHEMA_VERSION
    tool: ToolInfo
    site: str
    complete: bool = True
    incomplete_reason: str | None = None
    started_at: str
    finished_at: str | None = None
    policy: PolicyRef = Field(default_factory=PolicyRef)
    stats: Stats = Field(default_factory=Stats)
    scoreboard: dict[str, Any] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    outcomes: list[Outcome] = Field(default_factory=list)
    waivers: Waivers = Field(default_factory=Waivers)
    rules: list[RuleInfo] = Field(default_factory=list)
    gate: Gate = Field(default_factory=Gate)
    warnings: list[str] = Field(default_factory=list)
    logs: dict[str, Any] | None = None  # `audit --logs`: the server-log report that was joined
    unreachable: Unreachable | None = None  # set when the start URL never answered
    plan: dict[str, Any] | None = None  # the gather's request plan (snapshot ``plan``)
    slo: dict[str, Any] | None = None  # visibility SLIs, uptime SLO, crawl budget (seoaudit.slo)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "result") -> AuditResult:
        try:
            result = cls.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
            )
            raise UsageError(f"{source} is not a valid seoaudit result: {problems}") from exc
        if result.schema_version != RESULT_SCHEMA_VERSION:
            raise UsageError(
                f"{source} has schema_version {result.schema_version}; "
                f"this seoaudit reads {RESULT_SCHEMA_VERSION}"
            )
        return result

    def rule_info(self, code: str) -> RuleInfo | None:
        return next((r for r in self.rules if r.code == code), None)


def fingerprint(
    rule: str, url_or_host: str | None, bot: str | None, pattern: str | None = None
) -> str:
    """Stable id of a finding: rule + host (no port, no scheme) + path + pattern + bot.

    Ports are dropped on purpose: the same conflict found on a scenario server started on
    another port, or behind another scheme, is the same finding for baselines.
    """
    host, path = "", ""
    if url_or_host:
        parts = urlsplit(url_or_host if "//" in url_or_host else f"//{url_or_host}")
        host = (parts.hostname or "").lower()
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
    key = "\x1f".join([rule, host, path, pattern or "", (bot or "*").lower()])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def gate_counts(findings: list[Finding], fail_on: str, new_only: set[str] | None = None) -> int:
    """How many findings gate: at or above ``fail_on``, not waived, new if a baseline is used."""
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return sum(
        1
        for f in findings
        if not f.waived
        and SEVERITY_RANK[f.severity] >= threshold
        and (new_only is None or f.fingerprint in new_only)
    )
