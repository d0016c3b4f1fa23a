"""The terminal report: what to fix first and who does it, on one screen.

By default it fits a screen: the header, "Fix first" (the few changes that clear most of
the damage, each with its owner and the one action), the shared scoreboard, one line per
other change, and the gate. ``--details`` adds every change with both sides, evidence
rendered for people, the steps per owner and the config to paste; explanations several
changes share are printed once. Everything the site supplied is shown as plain text:
control characters are stripped and Rich markup is never parsed from it.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.client import (
    CONFIDENCE_LABEL,
    SharedNotes,
    ShownCode,
    fix_first,
    groups,
    impact_text,
    messages_differ,
    protection_text,
    section_lines,
    shared_notes,
    split_step,
)
from seoaudit.report.client import (
    Group as Change,
)
from seoaudit.report.evidence import display, render_evidence, short_url
from seoaudit.report.slo_section import terminal_parts
from seoaudit.result import AuditResult, Finding

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]|\x1b\[[0-9;?]*[A-Za-z]")
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_MARK = {"good": ("ok", "green"), "warn": ("warn", "yellow"), "bad": ("BAD", "bold red"),
               "unknown": ("?", "dim")}  # fmt: skip
OWNER_LABEL = {"seo": "SEO", "infra": "Infra", "shared": "Shared"}
MAX_SUBJECTS = 5
MAX_OTHER = 6
HINT = "Details: --details (evidence, steps, config to paste) · client report: -f html, -f markdown"


def clean(value: object) -> str:
    """Site-provided text, safe to print: no escape sequences, no control characters."""
    return _CONTROL.sub("", str(value))


def _t(value: object, style: str = "") -> Text:
    return Text(clean(value), style=style)


def _one_line(value: object, width: int) -> str:
    text = " ".join(clean(value).split())
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _header(result: AuditResult) -> Panel:
    stats = result.stats
    lines = Text()
    lines.append("Site      ", style="bold")
    lines.append(clean(result.site) + "\n")
    lines.append("Audited   ", style="bold")
    sha = (result.policy.sha256 or "")[:12]
    lines.append(
        f"{result.started_at}  ({stats.duration_s:.1f} s) · policy "
        f"{clean(result.policy.path or 'defaults')}" + (f" (sha256 {sha})" if sha else "")
    )
    lines.append("\nScope     ", style="bold")
    lines.append(
        f"{stats.pages} pages, {stats.requests} requests; bots: {', '.join(stats.bots) or '-'}"
    )
    if not result.complete and result.unreachable is None:
        lines.append("\nINCOMPLETE ", style="bold red")
        lines.append(clean(result.incomplete_reason or "the audit did not finish"))
        unfinished = sum(1 for o in result.outcomes if o.outcome == "inconclusive")
        if unfinished:
            lines.append(f"; {unfinished} checks left inconclusive (not failed)")
    return Panel(lines, title="seoaudit", title_align="left", box=box.ROUNDED)


def _kpi_table(result: AuditResult) -> Table | None:
    kpis = (result.scoreboard or {}).get("kpis") or []
    if not kpis:
        return None
    table = Table(title="Shared scoreboard", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("KPI", ratio=5)
    table.add_column("Value", ratio=3)
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
    return table


def _kpi_lines(result: AuditResult, width: int) -> list[object]:
    """The scoreboard one line per KPI: status, value, label, who moves it."""
    kpis = (result.scoreboard or {}).get("kpis") or []
    if not kpis:
        return []
    table = Table.grid(padding=(0, 1))
    table.add_column(width=5)
    table.add_column(width=6)
    table.add_column(ratio=1)
    for kpi in kpis:
        mark, style = STATUS_MARK.get(kpi.get("status", "unknown"), ("?", "dim"))
        mover = OWNER_LABEL.get(kpi.get("moved_by", ""), kpi.get("moved_by", ""))
        rest = f"{clean(kpi.get('label', ''))}: {clean(kpi.get('value', ''))}"
        table.add_row(Text(f" {mark}", style=style), Text(mover), Text(rest))
    return [Text("Shared scoreboard", style="bold underline"), table, Text("")]


def _section_lines(result: AuditResult) -> list[object]:
    lines = section_lines(result)
    if not lines:
        return []
    out: list[object] = [Text("Coverage by section", style="bold underline")]
    out += [Text(f"  {clean(line)}") for line in lines]
    return [*out, Text("")]


def _bots_table(result: AuditResult) -> Table | None:
    bots = (result.scoreboard or {}).get("bots") or []
    if not bots:
        return None
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
    return table


def _fix_first(changes: list[Change], chosen: list[Change], width: int) -> list[object]:
    if not chosen:
        return []
    title = Text("Fix first", style="bold underline")
    title.append(f"  the {len(chosen)} most damaging of {len(changes)} changes, and who makes them")
    table = Table.grid(padding=(0, 1))
    table.add_column(width=2, justify="right")
    table.add_column(width=6)
    table.add_column(ratio=1)
    for rank, change in enumerate(chosen, 1):
        f = change.first
        confidence = (
            "needs verification (server logs)"
            if f.confidence == "needs_verification"
            else CONFIDENCE_LABEL.get(f.confidence, f.confidence)
        )
        about = impact_text(change)
        parts = [f"{f.rule} {f.name}", *([clean(about)] if about else []), confidence]
        why = Text(_one_line(" · ".join(parts), width - 12), style="dim")
        action = Text(clean(f.fix.summary), style="bold")
        table.add_row(
            Text(f"{rank}"),
            Text(OWNER_LABEL.get(f.owner, f.owner), style=SEVERITY_STYLE.get(f.severity, "")),
            Group(action, why),
        )
    return [title, table, Text("")]


def _others(changes: list[Change], chosen: list[Change], width: int) -> list[object]:
    rest = [c for c in changes if c not in chosen and c.active]
    if not rest:
        return []
    by_sev = Counter(c.first.severity for c in rest)
    head = Text(f"Other changes ({len(rest)})", style="bold underline")
    parts = []
    for sev in ("error", "warning", "info"):
        n = by_sev.get(sev, 0)
        if n:
            parts.append(f"{n} {sev}{'s' if n > 1 and sev != 'info' else ''}")
    head.append("  " + ", ".join(parts))
    out: list[object] = [head]
    for change in rest[:MAX_OTHER]:
        f = change.first
        line = Text()
        line.append(f"{f.severity.upper():<8}", style=SEVERITY_STYLE.get(f.severity, ""))
        line.append(f"{f.rule} {OWNER_LABEL.get(f.owner, f.owner):<6} ")
        line.append(_one_line(f.message, width - len(line) - 1))
        out.append(line)
    if len(rest) > MAX_OTHER:
        out.append(Text(f"… and {len(rest) - MAX_OTHER} more", style="dim"))
    out.append(Text(""))
    return out


class Verbatim(Text):
    """Config text: printed flush left and never wrapped, so a selection pastes as it is."""


def _code_block(label: str, code: str) -> list[object]:
    return [
        Text(f"── {clean(label)} ──", style="dim"),
        Verbatim(clean(code).rstrip("\n")),
        Text("──", style="dim"),
    ]


def _subject_label(f: Finding, site: str, with_message: bool) -> str:
    where = short_url(f.subject.url, site) if f.subject.url else f.subject.host or "site"
    line = f" line {f.subject.line}" if f.subject.line is not None else ""
    text = f"{where}{line}" + (f" [{f.subject.bot}]" if f.subject.bot else "")
    if with_message:
        text += f": {display(f.message, 120)}"
    return clean(text)


def _change_block(
    number: int,
    change: Change,
    result: AuditResult,
    notes: SharedNotes,
    said: set[str],
    shown: ShownCode,
) -> list[object]:
    first = change.first
    title = Text()
    title.append(f"{first.severity.upper():<8}", style=SEVERITY_STYLE.get(first.severity, ""))
    title.append(f"{number}. {first.rule} {first.name}", style="bold")
    title.append(f"  owner: {OWNER_LABEL.get(first.owner, first.owner)}")
    if len(change.findings) > 1:
        title.append(f"  ({len(change.findings)} subjects)")
    body = Table.grid(padding=(0, 1))
    body.add_column(width=12, style="bold")
    body.add_column(ratio=1)
    body.add_row("What", _t(display(first.message, 600)))
    protection = protection_text(result, first)
    if first.rule in said:
        protection = f"{first.protection.replace('_', ' ')} (as for {first.rule} above)"
    said.add(first.rule)
    body.add_row("Protection", _t(protection))
    body.add_row("Cost", _t(display(first.cost, 600)))
    confidence = CONFIDENCE_LABEL.get(first.confidence, first.confidence)
    ref = notes.verify_ref(first.verify)
    if ref:
        confidence += f" (see note {ref})"
    elif first.verify:
        confidence += f" — {first.verify}"
    body.add_row("Confidence", _t(confidence))
    for ev in first.evidence[:3]:
        view = render_evidence(ev, result.site)
        text = view.headline + "".join(f"\n  {q}" for q in view.quote)
        body.add_row("Evidence", _t(text))
    subjects = [_subject_label(f, result.site, messages_differ(change)) for f in change.findings]
    listed = "\n".join(subjects[:MAX_SUBJECTS])
    if len(subjects) > MAX_SUBJECTS:
        listed += f"\n+{len(subjects) - MAX_SUBJECTS} more"
    body.add_row("Where", _t(listed))
    own, refs = notes.own_steps(change)
    fix = Text(clean(first.fix.summary))
    codes: list[object] = []
    for owner, step in own:
        head, code = split_step(step)
        fix.append(f"\n[{OWNER_LABEL.get(owner, owner)}] ", style="bold")
        fix.append(clean(head))
        if code and not first.fix.configs:
            codes += _code_block(head.rstrip(":"), code)
    if refs:
        fix.append(f"\n+ shared step{'s' if len(refs) > 1 else ''} {', '.join(map(str, refs))}")
    body.add_row("Fix", fix)
    if first.fix.protection_cost:
        body.add_row("Gives up", _t(first.fix.protection_cost))
    waived = [f for f in change.findings if f.waived]
    if waived:
        body.add_row("Waived", _t(f"{len(waived)} by policy ({waived[0].waiver or ''})"))
    for snippet in first.fix.configs:
        earlier = shown.earlier(snippet.code, number)
        if earlier is not None:
            codes.append(
                _t(f"{snippet.title}: the same {snippet.target} config as in change {earlier}")
            )
        else:
            codes += _code_block(f"{snippet.title} — {snippet.where}", snippet.code)
        if snippet.still_stops and earlier is None:
            codes.append(_t(f"Still stops: {snippet.still_stops}"))
    return [title, body, *codes, Text("")]


def _notes(notes: SharedNotes) -> list[object]:
    if not notes.verify and not notes.steps:
        return []
    out: list[object] = [Text("Said once (several changes refer to these)", style="bold underline")]
    for i, text in enumerate(notes.verify, 1):
        out.append(_t(f"Note {i}. Needs verification: {text}"))
    for i, (owner, text) in enumerate(notes.steps, 1):
        out.append(_t(f"Shared step {i} [{OWNER_LABEL.get(owner, owner)}]: {text}"))
    out.append(Text(""))
    return out


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
    if result.unreachable is not None:
        return f"Gate: not judged — site unreachable ({result.unreachable.what})"
    state = "" if result.complete else " (audit incomplete)"
    slo = f"; SLO breached: {', '.join(gate.slo_breached)}" if gate.slo_breached else ""
    if gate.fail_on == "never" and not slo:
        return f"Gate: not enforced (--fail-on never){state}"
    if gate.failed:
        scope = " new" if gate.baseline else ""
        if not gate.counted:
            return f"Gate: FAILED — visibility SLO breached: {', '.join(gate.slo_breached)}{state}"
        return (
            f"Gate: FAILED — {gate.counted}{scope} finding(s) at or above {gate.fail_on}"
            f"{slo}{state}"
        )
    return f"Gate: passed — nothing at or above {gate.fail_on}{state}"


UNREACHABLE_TEXT = (
    "Nothing was audited: no robots.txt, page or crawler check could be made, so this "
    "report makes no claim about protections or crawlers. Check the URL (scheme, host, "
    "port), its DNS record and that the server is up, then run the audit again."
)


def render(result: AuditResult, options: RenderOptions) -> str:
    buffer = io.StringIO()
    width = max(60, options.width)
    console = Console(
        file=buffer,
        width=width,
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
    if result.unreachable is not None:
        down = result.unreachable
        console.print(
            Text(f"SITE UNREACHABLE: {clean(down.what)} ({clean(down.url)})", style="bold red")
        )
        console.print(Text(UNREACHABLE_TEXT))
        console.print(Text(verdict_line(result), style="bold red"))
        return buffer.getvalue()
    changes = groups(result)
    chosen = fix_first(changes)
    for part in _fix_first(changes, chosen, width):
        console.print(part)
    if not result.findings:
        console.print(Text("No conflicts found.", style="bold green"))
    if options.details:
        kpis = _kpi_table(result)
        if kpis is not None:
            console.print(kpis)
        bots = _bots_table(result)
        if bots is not None:
            console.print(bots)
        for part in _section_lines(result):
            console.print(part)
        for part in terminal_parts(result.slo, details=True):
            console.print(part)
        notes = shared_notes(changes)
        for part in _notes(notes):
            console.print(part)
        if changes:
            console.print(
                Text(f"Every change ({len(result.findings)} findings)", style="bold underline")
            )
            console.print()
        said: set[str] = set()
        shown = ShownCode()
        for number, change in enumerate(changes, 1):
            for part in _change_block(number, change, result, notes, said, shown):
                console.print(part, soft_wrap=isinstance(part, Verbatim))
    else:
        kpi_lines = _kpi_lines(result, width)
        for part in kpi_lines[:-1]:  # the SLO lines join the scoreboard, before its blank line
            console.print(part)
        for part in terminal_parts(result.slo, width=width):
            console.print(part)
        for part in kpi_lines[-1:]:
            console.print(part)
        for part in _others(changes, chosen, width):
            console.print(part)
    for part in _summary(result):
        console.print(part)
    if not options.details and result.findings:
        console.print(Text(HINT, style="dim"))
    return buffer.getvalue()


REPORTER = Reporter(
    name="terminal",
    extension="txt",
    description="Terminal report: fix first, scoreboard, gate (--details: every change in full)",
    render=render,
)
