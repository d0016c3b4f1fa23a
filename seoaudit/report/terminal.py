"""The terminal report: the scoreboard first, then each conflict with both sides and its fix.

Written for a meeting screen: one conflict per block, grouped when one rule hits many URLs,
each saying what the protection is for, what it costs, how sure we are and what to do.
Everything the site supplied (URLs, titles, header values) is shown as plain text: control
characters are stripped and Rich markup is never parsed from it.
"""

from __future__ import annotations

import io
import re
from collections import Counter, defaultdict

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.result import AuditResult, Finding

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\x1b\[[0-9;?]*[A-Za-z]")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_MARK = {"good": ("ok", "green"), "warn": ("warn", "yellow"), "bad": ("BAD", "bold red"),
               "unknown": ("?", "dim")}  # fmt: skip
OWNER_LABEL = {"seo": "SEO", "infra": "Infra", "shared": "Shared"}
CONFIDENCE_LABEL = {
    "confirmed": "confirmed",
    "likely": "likely",
    "needs_verification": "needs verification",
}
MAX_SUBJECTS = 5


def clean(value: object) -> str:
    """Site-provided text, safe to print: no escape sequences, no control characters."""
    return _CONTROL.sub("", str(value))


def _t(value: object, style: str = "") -> Text:
    return Text(clean(value), style=style)


def _header(result: AuditResult) -> Panel:
    stats = result.stats
    lines = Text()
    lines.append("Site      ", style="bold")
    lines.append(clean(result.site) + "\n")
    lines.append("Audited   ", style="bold")
    lines.append(f"{result.started_at}  ({stats.duration_s:.1f} s)\n")
    lines.append("Policy    ", style="bold")
    sha = (result.policy.sha256 or "")[:12]
    lines.append(f"{clean(result.policy.path or 'defaults')}" + (f"  sha256 {sha}" if sha else ""))
    lines.append("\nScope     ", style="bold")
    lines.append(
        f"{stats.pages} pages, {stats.requests} requests, bots: {', '.join(stats.bots) or '-'}"
    )
    if not result.complete:
        lines.append("\nINCOMPLETE ", style="bold red")
        lines.append(clean(result.incomplete_reason or "the audit did not finish"))
    return Panel(lines, title="seoaudit", title_align="left", box=box.ROUNDED)


def _scoreboard(result: AuditResult) -> list[object]:
    board = result.scoreboard or {}
    out: list[object] = []
    kpis = board.get("kpis") or []
    if kpis:
        table = Table(
            title="Shared scoreboard", title_justify="left", box=box.SIMPLE_HEAD, expand=True
        )
        table.add_column("KPI", ratio=3)
        table.add_column("Value", ratio=2)
        table.add_column("", width=4)
        table.add_column("Moved by", width=8)
        for kpi in kpis:
            mark, style = STATUS_MARK.get(kpi.get("status", "unknown"), ("?", "dim"))
            table.add_row(
                _t(kpi.get("label", "")),
                _t(kpi.get("value", "")),
                Text(mark, style=style),
                Text(OWNER_LABEL.get(kpi.get("moved_by", ""), kpi.get("moved_by", ""))),
            )
        out.append(table)
    bots = board.get("bots") or []
    if bots:
        table = Table(title="Per bot", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
        for col in ("Bot", "Role", "Must-index OK", "Blocked/chall.", "TTFB p50/p75", "5xx"):
            table.add_column(col)
        for row in bots:
            mi = row.get("must_index") or {}
            bc = row.get("blocked_or_challenged") or {}
            tt = row.get("ttfb_ms") or {}
            se = row.get("server_errors") or {}
            pct = mi.get("pct")
            ttfb = (
                f"{tt['p50']:.0f}/{tt['p75']:.0f} ms"
                if tt.get("p50") is not None and tt.get("p75") is not None
                else "-"
            )
            table.add_row(
                _t(row.get("bot")),
                _t(row.get("role")),
                f"{pct:.0f}% ({mi.get('indexable')}/{mi.get('total')})" if pct is not None else "-",
                f"{(bc.get('blocked') or 0) + (bc.get('challenged') or 0)}/{bc.get('probed', 0)}",
                ttfb,
                f"{se.get('share', 0) or 0:.1%}" if se.get("share") is not None else "-",
            )
        out.append(table)
    return out


def _subject_label(f: Finding) -> str:
    where = f.subject.url or f.subject.host or "site"
    line = f" line {f.subject.line}" if f.subject.line is not None else ""
    return clean(f"{where}{line}" + (f" [{f.subject.bot}]" if f.subject.bot else ""))


def _evidence_lines(f: Finding) -> list[str]:
    lines = []
    for ev in f.evidence[:2]:
        data = ev.model_dump()
        kind = data.pop("kind", "")
        parts = []
        for key in (
            "status",
            "line",
            "rule",
            "error",
            "retry_after",
            "signals",
            "headers",
            "redirects",
        ):
            value = data.get(key)
            if value in (None, [], ""):
                continue
            if isinstance(value, list):
                value = "; ".join(clean(v) for v in value[:3])
            parts.append(f"{key}: {clean(value)}")
        if parts:
            lines.append(f"{kind}: " + ", ".join(parts))
    return lines


def _finding_block(findings: list[Finding], result: AuditResult) -> Group:
    first = findings[0]
    info = result.rule_info(first.rule)
    title = Text()
    title.append(f"{first.severity.upper():<8}", style=SEVERITY_STYLE.get(first.severity, ""))
    title.append(f"{first.rule} {first.name}", style="bold")
    title.append(f"  owner: {OWNER_LABEL.get(first.owner, first.owner)}")
    if len(findings) > 1:
        title.append(f"  ({len(findings)} subjects)")
    body = Table.grid(padding=(0, 1))
    body.add_column(width=12, style="bold")
    body.add_column(ratio=1)
    body.add_row("What", _t(first.message))
    protection = first.protection.replace("_", " ")
    body.add_row(
        "Protection",
        _t(
            f"{protection} (owned by {OWNER_LABEL.get(first.owner, first.owner)})"
            + (f": {info.docs.get('why_happens', '')}" if info else "")
        ),
    )
    body.add_row("Cost", _t(first.cost))
    confidence = CONFIDENCE_LABEL.get(first.confidence, first.confidence)
    body.add_row("Confidence", _t(confidence + (f" — {first.verify}" if first.verify else "")))
    for line in _evidence_lines(first):
        body.add_row("Evidence", _t(line))
    subjects = [_subject_label(f) for f in findings]
    shown = "\n".join(subjects[:MAX_SUBJECTS])
    if len(subjects) > MAX_SUBJECTS:
        shown += f"\n+{len(subjects) - MAX_SUBJECTS} more"
    body.add_row("Where", _t(shown))
    fix = Text(clean(first.fix.summary))
    for owner, steps in first.fix.steps.items():
        for step in steps:
            fix.append(f"\n[{OWNER_LABEL.get(owner, owner)}] ", style="bold")
            fix.append(clean(step))
    body.add_row("Fix", fix)
    if first.fix.protection_cost:
        body.add_row("Gives up", _t(first.fix.protection_cost))
    waived = [f for f in findings if f.waived]
    if waived:
        body.add_row("Waived", _t(f"{len(waived)} by policy ({waived[0].waiver or ''})"))
    return Group(title, body, Text(""))


def _grouped(findings: list[Finding]) -> list[list[Finding]]:
    """One block per rule and message shape: 40 URLs of one CH002 conflict read as one."""
    groups: dict[tuple[str, str | None, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.rule, f.subject.bot, f.confidence)].append(f)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(groups.values(), key=lambda g: (order[g[0].severity], g[0].owner, g[0].rule))


def _summary(result: AuditResult) -> list[object]:
    findings = [f for f in result.findings if not f.waived]
    by_sev = Counter(f.severity for f in findings)
    by_owner = Counter(f.owner for f in findings)
    outcomes = Counter(o.outcome for o in result.outcomes)
    text = Text()
    text.append("Summary  ", style="bold")
    text.append(
        f"{by_sev.get('error', 0)} errors, {by_sev.get('warning', 0)} warnings, "
        f"{by_sev.get('info', 0)} info"
    )
    if by_owner:
        text.append(
            "  |  " + ", ".join(f"{OWNER_LABEL[o]} {n}" for o, n in sorted(by_owner.items()))
        )
    text.append(
        f"\nChecks   {outcomes.get('pass', 0)} passed, {outcomes.get('fail', 0)} failed, "
        f"{outcomes.get('inconclusive', 0)} inconclusive, {outcomes.get('error', 0)} rule errors, "
        f"{outcomes.get('waived', 0)} waived"
    )
    if result.waivers.stale:
        text.append(
            f"\nWaivers  {len(result.waivers.stale)} stale (matched nothing)", style="yellow"
        )
    for warning in result.warnings[:5]:
        text.append("\nNote     ", style="bold")
        text.append(clean(warning))
    return [
        text,
        Text(verdict_line(result), style="bold red" if result.gate.failed else "bold green"),
    ]


def verdict_line(result: AuditResult) -> str:
    gate = result.gate
    state = "" if result.complete else " (audit incomplete)"
    if gate.fail_on == "never":
        return f"Gate: not enforced (--fail-on never){state}"
    if gate.failed:
        scope = " new" if gate.baseline else ""
        return f"Gate: FAILED — {gate.counted}{scope} finding(s) at or above {gate.fail_on}{state}"
    return f"Gate: passed — nothing at or above {gate.fail_on}{state}"


def render(result: AuditResult, options: RenderOptions) -> str:
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=max(60, options.width),
        color_system="standard" if options.color else None,
        force_terminal=options.color,
        highlight=False,
        emoji=False,
        markup=False,
    )
    if options.quiet:
        console.print(Text(verdict_line(result)))
        return buffer.getvalue()
    console.print(_header(result))
    for part in _scoreboard(result):
        console.print(part)
    findings = result.findings
    if findings:
        console.print(Text(f"Conflicts ({len(findings)} findings)", style="bold underline"))
        console.print()
        for group in _grouped(findings):
            console.print(_finding_block(group, result))
    else:
        console.print(Text("No conflicts found.", style="bold green"))
    for part in _summary(result):
        console.print(part)
    return buffer.getvalue()


REPORTER = Reporter(
    name="terminal",
    extension="txt",
    description="Rich terminal report (scoreboard, conflicts with both sides, fixes)",
    render=render,
)
