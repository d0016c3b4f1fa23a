"""A Markdown report a consultant can hand to a client as it is."""

from __future__ import annotations

import re

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.client import (
    LIMITS,
    METHOD,
    OWNER_LABEL,
    SEVERITIES,
    counts,
    evidence_text,
    grouped,
    where,
)
from seoaudit.report.terminal import verdict_line
from seoaudit.result import AuditResult

_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def md(value: object) -> str:
    """Site-provided text as inert Markdown: no markup, no HTML, no control characters."""
    return _SPECIAL.sub(r"\\\1", _CONTROL.sub("", str(value))).replace("\n", " ")


def _bar(n: int, scale: int) -> str:
    return "█" * max(1 if n else 0, round(20 * n / scale)) if scale else ""


def render(result: AuditResult, options: RenderOptions) -> str:
    out: list[str] = []
    out.append(f"# Crawl-access audit: {md(result.site)}\n")
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
    out.append(
        f"- **Complete:** {'yes' if result.complete else 'no — ' + md(result.incomplete_reason or '')}"
    )
    for warning in result.warnings:
        out.append(f"- **Note:** {md(warning)}")
    out.append(f"- **Verdict:** {verdict_line(result)}\n")
    out.append("## Executive summary\n")
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
    out.append("\n## Conflicts\n")
    for group in grouped(result):
        f = group[0]
        out.append(
            f"### {f.severity.upper()} · {f.rule} {f.name}"
            + (f" · {f.subject.bot}" if f.subject.bot else "")
        )
        out.append("")
        out.append(f"**What we found:** {md(f.message)}\n")
        out.append(
            f"**The protection:** {f.protection.replace('_', ' ')}, owned by {OWNER_LABEL.get(f.owner, f.owner)}.\n"
        )
        out.append(f"**What it costs:** {md(f.cost)}\n")
        out.append(
            f"**Confidence:** {f.confidence.replace('_', ' ')}"
            + (f" — {md(f.verify)}" if f.verify else "")
            + "\n"
        )
        out.append("**Where:**\n")
        for item in group[:10]:
            out.append(f"- {md(where(item))}" + (" *(waived)*" if item.waived else ""))
        if len(group) > 10:
            out.append(f"- … and {len(group) - 10} more")
        out.append("\n**Evidence:**\n")
        for ev in f.evidence[:3]:
            out.append(f"- {md(evidence_text(ev))}")
        out.append(f"\n**Fix:** {md(f.fix.summary)}\n")
        for owner, steps in f.fix.steps.items():
            for step in steps:
                out.append(f"- *{OWNER_LABEL.get(owner, owner)}:* {md(step)}")
        if f.fix.protection_cost:
            out.append(f"\n**What the protection gives up:** {md(f.fix.protection_cost)}")
        out.append("")
    if result.logs:
        from seoaudit.logs.render import markdown_section

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


REPORTER = Reporter(
    name="markdown", extension="md", description="Markdown client report", render=render
)
