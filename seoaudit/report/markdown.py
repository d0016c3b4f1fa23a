"""A Markdown report a consultant can hand to a client as it is.

Order of reading: what to fix first (ranked, with owner and action), the shared
scoreboard, the notes several changes share (said once), then every change in full —
both sides, evidence as request → response and quoted robots.txt lines, steps per owner
and the config to paste as fenced code — and the method appendix.
"""

from __future__ import annotations

import re

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.client import (
    CONFIDENCE_LABEL,
    LIMITS,
    METHOD,
    OWNER_LABEL,
    SEVERITIES,
    Group,
    SharedNotes,
    ShownCode,
    confidence_text,
    counts,
    fix_first,
    groups,
    impact_text,
    messages_differ,
    protection_text,
    shared_notes,
    split_step,
    where,
)
from seoaudit.report.evidence import display, render_evidence, short_url
from seoaudit.report.terminal import UNREACHABLE_TEXT, verdict_line
from seoaudit.result import AuditResult

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
MAX_WHERE = 10


def md(value: object) -> str:
    """Site-provided text as inert Markdown: no markup, no HTML, no control characters."""
    return _SPECIAL.sub(r"\\\1", _CONTROL.sub("", str(value))).replace("\n", " ")


def fence(code: str, language: str = "text") -> str:
    """A fenced block longer than any backtick run inside, so nothing can close it early."""
    body = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", code).rstrip("\n")
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", body)), default=0) + 1)
    return f"{ticks}{language}\n{body}\n{ticks}"


def _bar(n: int, scale: int) -> str:
    return "█" * max(1 if n else 0, round(20 * n / scale)) if scale else ""


def _meta(result: AuditResult) -> list[str]:
    out = [f"# Crawl-access audit: {md(result.site)}\n"]
    sha = (result.policy.sha256 or "")[:12]
    out.append(f"- **Date:** {result.started_at}")
    out.append(
        f"- **Policy:** {md(result.policy.path or 'defaults')}"
        + (f" (sha256 `{sha}`)" if sha else "")
    )
    s = result.stats
    out.append(
        f"- **Scope:** {s.pages} pages, {s.requests} requests, bots: {', '.join(s.bots) or '-'}"
    )
    if result.complete:
        out.append("- **Complete:** yes")
    else:
        unfinished = sum(1 for o in result.outcomes if o.outcome == "inconclusive")
        out.append(
            f"- **Complete:** no — {md(result.incomplete_reason or '')}"
            + (f"; {unfinished} checks left inconclusive (not failed)" if unfinished else "")
        )
    for warning in result.warnings:
        out.append(f"- **Note:** {md(warning)}")
    out.append(f"- **Verdict:** {md(verdict_line(result))}\n")
    return out


def _fix_first(changes: list[Group], chosen: list[Group], numbers: dict[int, int]) -> list[str]:
    if not chosen:
        return ["## Fix first\n", "Nothing to fix: no conflict was found.\n"]
    out = ["## Fix first\n"]
    out.append(
        f"The {len(chosen)} most damaging of {len(changes)} changes, with who makes each one "
        "(how they are ranked: appendix).\n"
    )
    for rank, change in enumerate(chosen, 1):
        f = change.first
        confidence = confidence_text(f)
        about = impact_text(change)
        out.append(
            f"{rank}. **{md(f.fix.summary)}** — {OWNER_LABEL.get(f.owner, f.owner)}  \n"
            f"   {f.severity} · {f.rule} {f.name}"
            + (f" · {md(about)}" if about else "")
            + f" · {confidence} · details: change {numbers[id(change)]} below"
        )
    out.append("")
    return out


def _summary(result: AuditResult) -> list[str]:
    out = ["## Executive summary\n"]
    active = [f for f in result.findings if not f.waived]
    out.append(
        f"{len(active)} conflicts between uptime protections and crawler access "
        f"({sum(1 for f in active if f.severity == 'error')} errors). Each one below shows both "
        "sides: what the protection is for, and what it costs in search and AI visibility.\n"
    )
    kpis = (result.scoreboard or {}).get("kpis") or []
    if kpis:
        out.append("| KPI | value | status | moved by |\n|---|---|---|---|")
        for k in kpis:
            mover = OWNER_LABEL.get(k.get("moved_by"), k.get("moved_by"))
            out.append(
                f"| {md(k.get('label'))} | {md(k.get('value'))} | {k.get('status')} | {mover} |"
            )
        out.append("")
    table = counts(result)
    scale = max((sum(c.values()) for c in table.values()), default=0)
    out.append("### Findings by owner and severity\n")
    out.append(
        "| owner | "
        + " | ".join(SEVERITIES)
        + " | chart |\n|---|"
        + "---:|" * len(SEVERITIES)
        + "---|"
    )
    for owner, c in table.items():
        total = sum(c.values())
        out.append(
            f"| {OWNER_LABEL[owner]} | "
            + " | ".join(str(c.get(s, 0)) for s in SEVERITIES)
            + f" | `{_bar(total, scale)}` {total} |"
        )
    out.append("")
    return out


def _notes(notes: SharedNotes) -> list[str]:
    if not notes.verify and not notes.steps:
        return []
    out = ["## Said once\n", "Several changes below rely on these; they are not repeated there.\n"]
    if notes.verify:
        out.append("### How sure we are\n")
        for i, text in enumerate(notes.verify, 1):
            out.append(
                f"**Note {i}.** Findings marked *needs verification (note {i})*: {md(text)}\n"
            )
    if notes.steps:
        out.append("### Steps that go with several fixes\n")
        for i, (owner, text) in enumerate(notes.steps, 1):
            out.append(f"{i}. *{OWNER_LABEL.get(owner, owner)}:* {md(text)}")
        out.append("")
    return out


def _change(
    number: int,
    change: Group,
    result: AuditResult,
    notes: SharedNotes,
    said: set[str],
    shown: ShownCode,
) -> list[str]:
    f = change.first
    out = [
        f"### {number}. {f.severity.upper()} · {f.rule} {f.name}"
        + (f" · {md(f.subject.bot)}" if f.subject.bot else "")
        + (f" · {len(change.findings)} subjects" if len(change.findings) > 1 else ""),
        "",
        f"**What we found:** {md(display(f.message, 2000))}\n",
    ]
    if f.rule in said:
        out.append(
            f"**The protection:** {md(f.protection.replace('_', ' '))} (as for {f.rule} above).\n"
        )
    else:
        out.append(f"**The protection:** {md(protection_text(result, f))}\n")
    said.add(f.rule)
    out.append(f"**What it costs:** {md(display(f.cost, 2000))}\n")
    confidence = CONFIDENCE_LABEL.get(f.confidence, f.confidence)
    ref = notes.verify_ref(f.verify)
    if ref:
        confidence += f" (note {ref})"
    elif f.verify:
        confidence += f" — {md(f.verify)}"
    out.append(f"**Confidence:** {confidence}\n")
    out.append("**Where:**\n")
    with_message = messages_differ(change)
    for item in change.findings[:MAX_WHERE]:
        text = md(where(item, result.site)) + (
            f": {md(display(item.message, 200))}" if with_message else ""
        )
        out.append(f"- {text}" + (" *(waived)*" if item.waived else ""))
    if len(change.findings) > MAX_WHERE:
        out.append(f"- … and {len(change.findings) - MAX_WHERE} more")
    if f.evidence:
        out.append("\n**Evidence:**\n")
    for ev in f.evidence[:6]:
        view = render_evidence(ev, result.site)
        out.append(f"- {md(view.headline)}")
        if view.quote:
            out.append("\n" + _indent(fence("\n".join(view.quote))) + "\n")
        for line in view.details[:8]:
            out.append(f"  - {md(line)}")
    out.append(f"\n**Fix:** {md(f.fix.summary)}\n")
    own, refs = notes.own_steps(change)
    for owner, step in own:
        head, code = split_step(step)
        out.append(f"- *{OWNER_LABEL.get(owner, owner)}:* {md(head)}")
        if code and not f.fix.configs:
            out.append("\n" + _indent(fence(code)) + "\n")
    if refs:
        out.append(
            f"- Shared step{'s' if len(refs) > 1 else ''} {', '.join(map(str, refs))} (see “Said once”)"
        )
    for snippet in f.fix.configs:
        earlier = shown.earlier(snippet.code, number)
        if earlier is not None:
            out.append(
                f"\n**Config for {OWNER_LABEL.get(snippet.owner, snippet.owner)} — "
                f"{md(snippet.title)}:** the same {md(snippet.target)} config as in change {earlier}."
            )
            continue
        out.append(
            f"\n**Config for {OWNER_LABEL.get(snippet.owner, snippet.owner)} — "
            f"{md(snippet.title)}.** {md(snippet.where)}\n"
        )
        out.append(fence(snippet.code, snippet.language))
        if snippet.still_stops:
            out.append(f"\n*Still stops:* {md(snippet.still_stops)}")
    if f.fix.protection_cost:
        out.append(f"\n**What the protection gives up:** {md(f.fix.protection_cost)}")
    out.append("")
    return out


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.splitlines())


def _unreachable(result: AuditResult) -> list[str]:
    down = result.unreachable
    assert down is not None
    return [
        "## Site unreachable\n",
        f"**{md(down.url)}: {md(down.what)}.** {md(UNREACHABLE_TEXT)}\n",
    ]


def render(result: AuditResult, options: RenderOptions) -> str:
    out = _meta(result)
    if result.unreachable is not None:
        out += _unreachable(result)
    else:
        changes = groups(result)
        numbers = {id(c): i for i, c in enumerate(changes, 1)}
        notes = shared_notes(changes)
        out += _fix_first(changes, fix_first(changes), numbers)
        out += _summary(result)
        out += _notes(notes)
        out.append("## Conflicts\n")
        if not changes:
            out.append("No conflicts found.\n")
        said: set[str] = set()
        shown = ShownCode()
        for change in changes:
            out += _change(numbers[id(change)], change, result, notes, said, shown)
        if result.logs:
            from seoaudit.report.logs_view import markdown_section

            out.append(markdown_section(result.logs))
    out.append("## Appendix: method and limits\n")
    out.append("### What seoaudit did\n")
    out += [f"- {m}" for m in METHOD]
    out.append("\n### What seoaudit can and cannot tell you\n")
    out += [f"- {m}" for m in LIMITS]
    if result.waivers.applied or result.waivers.stale:
        out.append("\n### Waivers\n")
        for w in result.waivers.applied:
            out.append(f"- applied: {md(w)}")
        for w in result.waivers.stale:
            out.append(f"- stale (matched nothing): {md(w)}")
    return "\n".join(out) + "\n"


__all__ = ["fence", "md", "render", "short_url"]

REPORTER = Reporter(
    name="markdown", extension="md", description="Markdown client report", render=render
)
