"""Run every rule over a snapshot and assemble the AuditResult.

The engine owns what every rule shares: policy overrides (severity, ``disable``), waivers,
fingerprints, and the guarantee that each rule × subject has an outcome — a rule that
raises yields ``error`` for its subjects and the run goes on.

It also keeps the outcome honest: a start URL that never answered is one "site
unreachable" result with no findings and no scoreboard (nothing was audited, so nothing
is claimed), and a failure that rests on a request the run was interrupted before it was
answered is ``inconclusive``, never a failure. Every finding's evidence is completed from
the snapshot for readers (``evidence_facts``), gets its fix written as config
(``seoaudit.fixconfig``) and its impact (must-index URLs, bot role) for "fix first".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from seoaudit import __version__
from seoaudit.analysis.context import RuleContext
from seoaudit.error_words import describe_error
from seoaudit.fixconfig import configs_for
from seoaudit.result import (
    AuditResult,
    Evidence,
    Finding,
    Fix,
    Impact,
    Outcome,
    PolicyRef,
    RuleInfo,
    Stats,
    Subject,
    ToolInfo,
    Unreachable,
    Waivers,
    fingerprint,
)
from seoaudit.rules.base import Check, Rule
from seoaudit.rules.catalog import all_rules
from seoaudit.rules.evidence_facts import EvidenceFacts
from seoaudit.rules.waivers import waiver_matches
from seoaudit.snapshot import Snapshot


def _rule_setting(policy: Any, rule: Rule) -> Any:
    """The policy's `rules:` entry for this rule: by code, then slug, then family prefix."""
    settings = getattr(policy, "rules", None) or {}
    for key in (rule.code, rule.slug, rule.family):
        for candidate in (key, key.lower(), key.upper()):
            if candidate in settings:
                return settings[candidate]
    return None


def _is_disabled(setting: Any) -> bool:
    if setting is None:
        return False
    if isinstance(setting, str):
        return setting.lower() in {"disable", "disabled", "off"}
    if isinstance(setting, dict):
        return bool(setting.get("disable"))
    return bool(getattr(setting, "disable", False))


def _severity_override(setting: Any) -> str | None:
    if setting is None or isinstance(setting, str):
        return None
    if isinstance(setting, dict):
        return setting.get("severity")
    return getattr(setting, "severity", None)


def _subject_path(subject: Subject) -> str:
    if not subject.url:
        return "/"
    parts = urlsplit(subject.url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _waiver_fields(waiver: Any) -> dict[str, Any]:
    if isinstance(waiver, dict):
        data = dict(waiver)
    else:
        data = waiver.model_dump(mode="json") if hasattr(waiver, "model_dump") else vars(waiver)
    return {k: (str(v) if isinstance(v, dt.date) else v) for k, v in data.items()}


def _matching_waiver(policy: Any, rule: Rule, subject: Subject) -> Any | None:
    waivers = getattr(policy, "waivers", None) or []
    if not waivers:
        return None
    path = _subject_path(subject)
    return next((w for w in waivers if waiver_matches(w, rule.code, path, subject.bot)), None)


def _finding(
    rule: Rule,
    check: Check,
    severity: str,
    waiver: Any | None,
    policy: Any = None,
    evidence: list[Evidence] | None = None,
) -> Finding:
    subject = check.subject
    evidence = list(check.evidence) if evidence is None else evidence
    return Finding(
        rule=rule.code,
        name=rule.slug,
        title=rule.title,
        severity=check.severity or severity,  # type: ignore[arg-type]
        owner=rule.owner,
        protection=rule.protection,
        confidence=check.confidence,
        subject=subject,
        message=check.message,
        cost=check.cost,
        fix=Fix(
            summary=check.fix_summary or rule.docs.fix,
            steps=check.fix_steps,
            protection_cost=check.protection_cost or rule.docs.gives_up,
            configs=configs_for(rule.code, rule.protection, subject, evidence, rule.owner),
        ),
        evidence=evidence,
        verify=check.verify,
        fingerprint=fingerprint(rule.code, subject.url or subject.host, subject.bot, check.pattern),
        waived=waiver is not None,
        waiver=_waiver_fields(waiver) if waiver is not None else None,
        policy_line=policy_line_for(policy, rule, subject),
    )


def finding_from_check(rule: Rule, check: Check, policy: Any = None) -> Finding:
    """A finding from evidence found outside a snapshot (server logs), same shape as the audit's."""
    return _finding(rule, check, check.severity or rule.severity, None, policy)


_SETTING_KEYS = {
    "RB005": "robots.max_crawl_delay_s",
    "SM004": "robots.require_sitemap",
    "PF001": "performance.max_ttfb_ms",
    "PF002": "performance.max_error_rate",
    "RL001": "rate.min_rps",
    "RL003": "rate.max_retry_after_s",
    "RL004": "rate.min_rps",
    "RL005": "rate.recrawl_days",
    "IX004": "indexing.max_redirect_hops",
}


def policy_line_for(policy: Any, rule: Rule, subject: Subject) -> int | None:
    """The policy line a finding comes from: a rule override, the path pattern or bot it is
    about, or the setting it compares with. Lets SARIF point at the policy file."""
    line_of = getattr(policy, "line_of", None)
    if line_of is None:
        return None
    for key in (rule.code, rule.slug, rule.family):
        line = line_of(f"rules.{key}")
        if line:
            return line
    if subject.url:
        from seoaudit.robots_txt.matching import matches, path_of

        path = path_of(subject.url)
        for section in (
            ("must_not_index", "must_index") if rule.code == "RB010" else ("must_index",)
        ):
            for i, pattern in enumerate(getattr(policy.paths, section, [])):
                if matches(pattern, path):
                    return line_of(f"paths.{section}[{i}]")
    if subject.bot:
        for role in ("required", "wanted", "blocked"):
            bots = list(getattr(policy.bots, role, []))
            if subject.bot in bots:
                return line_of(f"bots.{role}[{bots.index(subject.bot)}]")
    key = _SETTING_KEYS.get(rule.code)
    return line_of(key) if key else None


def run_rules(
    ctx: RuleContext, rules: Iterable[Rule]
) -> tuple[list[Finding], list[Outcome], list[Any], list[Rule]]:
    """Findings, outcomes, the waivers that matched something, and the rules that ran."""
    findings: list[Finding] = []
    outcomes: list[Outcome] = []
    used_waivers: list[Any] = []
    ran: list[Rule] = []
    facts = EvidenceFacts(ctx.snapshot)
    site = Subject(host=urlsplit(ctx.snapshot.start_url).netloc or None)
    for rule in rules:
        setting = _rule_setting(ctx.policy, rule)
        if _is_disabled(setting):
            continue
        ran.append(rule)
        severity = _severity_override(setting) or rule.severity
        try:
            checks = list(rule.check(ctx))
        except Exception as exc:  # one broken rule must not sink the audit
            outcomes.append(
                Outcome(
                    rule=rule.code,
                    subject=site.key(),
                    outcome="error",
                    reason=f"rule raised {type(exc).__name__}: {exc}",
                )
            )
            continue
        if not checks:
            outcomes.append(
                Outcome(
                    rule=rule.code,
                    subject=site.key(),
                    outcome="not_applicable",
                    reason="no subject to check",
                )
            )
        for check in checks:
            outcome = check.outcome
            reason = check.reason
            if check.outcome == "fail" and facts.interrupted(check.evidence):
                outcome = "inconclusive"
                reason = "not finished: the audit was interrupted before this was answered"
            elif check.outcome == "fail":
                waiver = _matching_waiver(ctx.policy, rule, check.subject)
                if waiver is not None:
                    outcome = "waived"
                    if not any(w is waiver for w in used_waivers):
                        used_waivers.append(waiver)
                finding = _finding(
                    rule, check, severity, waiver, ctx.policy, facts.enrich(check.evidence)
                )
                finding.impact = _impact(ctx, finding)
                findings.append(finding)
            outcomes.append(
                Outcome(
                    rule=rule.code,
                    subject=check.subject.key(),
                    outcome=outcome,  # type: ignore[arg-type]
                    reason=reason or ("" if outcome != "waived" else "waived by policy"),
                )
            )
    return findings, outcomes, used_waivers, ran


def _impact(ctx: RuleContext, finding: Finding) -> Impact | None:
    """Must-index URLs the finding touches and the bot's role: what "fix first" ranks by.

    A URL subject counts itself and the must-index URLs its evidence lists (the pages an
    asset serves); a host subject without such a list touches every must-index URL there.
    """
    try:
        from seoaudit.analysis.site_robots import must_index_urls

        must = ctx.cached("engine:must_index", lambda: set(must_index_urls(ctx)))
    except Exception:  # analysis is being rewritten: ranking falls back to severity alone
        return None
    listed: set[str] = set()
    for item in finding.evidence:
        for key in ("urls", "pages"):
            values = item.model_dump().get(key)
            if isinstance(values, list):
                listed |= {v for v in values if isinstance(v, str) and v in must}
    subject = finding.subject
    if subject.url:
        count = len(listed | ({subject.url} & must))
    elif listed:
        count = len(listed)
    else:
        host = (subject.host or "").lower()
        count = sum(1 for u in must if urlsplit(u).netloc.lower() == host) if host else len(must)
    role = None
    bots = getattr(ctx.policy, "bots", None)
    if subject.bot and bots is not None:
        roles = ("required", "wanted", "blocked")
        role = next((r for r in roles if subject.bot in getattr(bots, r, [])), None)
    return Impact(must_index_urls=count, bot_role=role)  # type: ignore[arg-type]


_UNREACHABLE_ORDER = ("dns", "tls", "connect", "private_address", "timeout", "reset", "protocol")


def start_unreachable(snapshot: Snapshot) -> Unreachable | None:
    """The start URL's host never answered anything (DNS, refused, TLS, silence)."""
    host = urlsplit(snapshot.start_url).netloc.lower()
    mine = [e for e in snapshot.exchanges if urlsplit(e.url).netloc.lower() == host]
    if not mine or any(e.status is not None for e in mine):
        return None
    errors = [e for e in mine if e.error is not None and e.error.kind in _UNREACHABLE_ORDER]
    if not errors:
        return None  # interrupted before anything was asked: not a verdict on the site
    first = min(errors, key=lambda e: (_UNREACHABLE_ORDER.index(e.error.kind), e.id))  # type: ignore[union-attr]
    error = first.error
    assert error is not None
    what = describe_error(
        error.kind, error.message, bytes_read=first.body.bytes, elapsed_ms=first.timing.total_ms
    )
    return Unreachable(url=snapshot.start_url, kind=error.kind, what=what)


def _unreachable_result(
    snapshot: Snapshot, policy: Any, rules: list[Rule], policy_path: str | None, down: Unreachable
) -> AuditResult:
    """One clear outcome: every rule is inconclusive for the site, nothing else is claimed."""
    site = Subject(host=urlsplit(snapshot.start_url).netloc or None).key()
    reason = f"site unreachable: {down.what}"
    return AuditResult(
        tool=ToolInfo(version=__version__),
        site=snapshot.start_url,
        complete=False,
        incomplete_reason=f"{reason} ({snapshot.start_url})",
        started_at=snapshot.started_at,
        finished_at=snapshot.finished_at,
        policy=PolicyRef(
            path=policy_path or snapshot.policy.path,
            sha256=getattr(getattr(policy, "source", None), "sha256", None)
            or snapshot.policy.sha256,
        ),
        stats=Stats(
            pages=0,
            requests=len(snapshot.exchanges),
            bots=sorted({p.bot for p in snapshot.profiles if p.bot}),
            duration_s=_duration(snapshot.started_at, snapshot.finished_at),
        ),
        outcomes=[
            Outcome(rule=r.code, subject=site, outcome="inconclusive", reason=reason) for r in rules
        ],
        rules=[_rule_info(r) for r in rules],
        warnings=list(snapshot.warnings),
        plan=snapshot.plan.model_dump(mode="json") if snapshot.plan is not None else None,
        unreachable=down,
    )


def _rule_info(rule: Rule) -> RuleInfo:
    return RuleInfo(
        code=rule.code,
        slug=rule.slug,
        title=rule.title,
        severity=rule.severity,
        owner=rule.owner,
        protection=rule.protection,
        docs=rule.docs.as_dict(),
    )


_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def evaluate(
    snapshot: Snapshot,
    policy: Any,
    registry: Any,
    *,
    rules: Iterable[Rule] | None = None,
    policy_path: str | None = None,
) -> AuditResult:
    """Judge a snapshot against a policy. Pure: no I/O, same input gives the same result."""
    chosen = list(all_rules() if rules is None else rules)
    down = start_unreachable(snapshot)
    if down is not None:
        enabled = [r for r in chosen if not _is_disabled(_rule_setting(policy, r))]
        return _unreachable_result(snapshot, policy, enabled, policy_path, down)
    ctx = RuleContext(snapshot=snapshot, policy=policy, registry=registry)
    findings, outcomes, used, ran = run_rules(ctx, chosen)
    findings.sort(
        key=lambda f: (
            _SEVERITY_ORDER[f.severity],
            f.rule,
            f.subject.url or "",
            f.subject.bot or "",
        )
    )
    all_waivers = list(getattr(policy, "waivers", None) or [])
    stale = [w for w in all_waivers if not any(w is u for u in used)]
    from seoaudit.scoreboard import build_scoreboard  # it reads the rules' shared analysis

    scoreboard: dict[str, Any] = {}
    warnings = list(snapshot.warnings)
    try:
        scoreboard = build_scoreboard(ctx, findings)
    except Exception as exc:  # like a rule: a scoreboard bug must not lose the audit
        warnings.append(f"scoreboard could not be built: {type(exc).__name__}: {exc}")
    started = snapshot.started_at
    finished = snapshot.finished_at
    result = AuditResult(
        tool=ToolInfo(version=__version__),
        site=snapshot.start_url,
        complete=snapshot.complete,
        incomplete_reason=snapshot.incomplete_reason,
        started_at=started,
        finished_at=finished,
        policy=PolicyRef(
            path=policy_path or snapshot.policy.path,
            sha256=getattr(getattr(policy, "source", None), "sha256", None)
            or snapshot.policy.sha256,
        ),
        stats=Stats(
            pages=len({p.url for p in snapshot.pages}),
            requests=len(snapshot.exchanges),
            bots=sorted({p.bot for p in snapshot.profiles if p.bot}),
            duration_s=_duration(started, finished),
        ),
        scoreboard=scoreboard,
        findings=findings,
        outcomes=outcomes,
        waivers=Waivers(
            applied=[_waiver_fields(w) for w in used],
            stale=[_waiver_fields(w) for w in stale],
        ),
        rules=[_rule_info(r) for r in ran],
        warnings=warnings,
        plan=snapshot.plan.model_dump(mode="json") if snapshot.plan is not None else None,
    )
    from seoaudit.slo import with_slo  # SLIs read the scoreboard and findings just built

    try:
        return with_slo(result, policy)
    except Exception as exc:  # like the scoreboard: an SLO bug must not lose the audit
        result.warnings.append(f"SLOs could not be measured: {type(exc).__name__}: {exc}")
        return result


def _duration(started: str | None, finished: str | None) -> float:
    try:
        if started and finished:
            delta = dt.datetime.fromisoformat(finished) - dt.datetime.fromisoformat(started)
            return round(delta.total_seconds(), 3)
    except ValueError:
        pass
    return 0.0
