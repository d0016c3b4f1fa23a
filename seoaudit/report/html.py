"""One self-contained HTML file for a client: inline CSS and SVG, no JavaScript, prints well.

Every piece of site-provided text goes through ``html.escape``; nothing from the site is
ever placed in an attribute unescaped or interpreted as markup.
"""

from __future__ import annotations

import html
import re

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.client import (
    LIMITS,
    METHOD,
    OWNER_LABEL,
    SEVERITIES,
    counts,
    grouped,
    protection_text,
    where,
)
from seoaudit.report.terminal import verdict_line
from seoaudit.result import AuditResult

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
COLOURS = {"error": "#c62828", "warning": "#ef8f00", "info": "#1e88e5"}
STATUS_CLASS = {"good": "good", "warn": "warn", "bad": "bad", "unknown": "unknown"}

CSS = """
:root { --ink:#1d232a; --muted:#5b6470; --line:#d9dee5; --bg:#fff; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: var(--bg); margin: 0 auto; max-width: 980px; padding: 32px 24px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { margin-top: 40px; border-bottom: 2px solid var(--ink); }
h3 { margin: 0 0 8px; font-size: 17px; }
.meta { color: var(--muted); margin: 0 0 24px; } .meta dt { font-weight: 600; float: left; width: 90px; }
.meta dd { margin: 0 0 2px 90px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 12px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.good { color: #2e7d32; font-weight: 600; } .warn { color: #ef8f00; font-weight: 600; }
.bad { color: #c62828; font-weight: 700; } .unknown { color: var(--muted); }
.verdict { font-weight: 700; padding: 10px 14px; border-radius: 6px; background: #f3f5f8; }
.conflict { border: 1px solid var(--line); border-left: 6px solid var(--sev); border-radius: 6px;
            padding: 14px 18px; margin: 18px 0; break-inside: avoid; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin: 10px 0; }
.side { background: #f7f8fa; border-radius: 6px; padding: 10px 12px; }
.side h4 { margin: 0 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.badge { display: inline-block; font-size: 12px; font-weight: 700; color: #fff; background: var(--sev);
         border-radius: 4px; padding: 1px 7px; margin-right: 6px; }
code, .evidence { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
.evidence { background: #f3f5f8; padding: 8px 10px; border-radius: 4px; white-space: pre-wrap; }
ul.where { margin: 4px 0; padding-left: 20px; } .muted { color: var(--muted); }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; }
               .conflict { break-inside: avoid; } a { color: inherit; text-decoration: none; } }
"""


def e(value: object) -> str:
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def chart_svg(result: AuditResult) -> str:
    """Horizontal stacked bars: findings per owner, split by severity."""
    table = counts(result)
    width, bar_h, gap, left = 560, 26, 12, 120
    scale = max((sum(c.values()) for c in table.values()), default=0) or 1
    rows = []
    y = 10
    for owner, c in table.items():
        x = left
        rows.append(f'<text x="0" y="{y + 18}" font-size="14">{e(OWNER_LABEL[owner])}</text>')
        for sev in SEVERITIES:
            n = c.get(sev, 0)
            if not n:
                continue
            w = (width - left - 40) * n / scale
            rows.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[sev]}">'
                f"<title>{e(OWNER_LABEL[owner])}: {n} {sev}</title></rect>"
            )
            if w > 18:
                rows.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 18}" font-size="13" fill="#fff" '
                    f'text-anchor="middle">{n}</text>'
                )
            x += w
        rows.append(f'<text x="{x + 6:.1f}" y="{y + 18}" font-size="13">{sum(c.values())}</text>')
        y += bar_h + gap
    legend_x = left
    for sev in SEVERITIES:
        rows.append(
            f'<rect x="{legend_x}" y="{y + 4}" width="12" height="12" fill="{COLOURS[sev]}"/>'
        )
        rows.append(f'<text x="{legend_x + 18}" y="{y + 15}" font-size="13">{sev}</text>')
        legend_x += 110
    height = y + 24
    return (
        f'<svg id="chart" xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="Findings per owner and '
        f'severity">{"".join(rows)}</svg>'
    )


def _scoreboard(result: AuditResult) -> str:
    kpis = (result.scoreboard or {}).get("kpis") or []
    if not kpis:
        return "<p class='muted'>No scoreboard (the audit gathered too little).</p>"
    rows = "".join(
        f"<tr><td>{e(k.get('label'))}</td><td>{e(k.get('value'))}</td>"
        f"<td class='{STATUS_CLASS.get(k.get('status'), 'unknown')}'>{e(k.get('status'))}</td>"
        f"<td>{e(OWNER_LABEL.get(k.get('moved_by'), k.get('moved_by')))}</td></tr>"
        for k in kpis
    )
    return (
        f"<table><tr><th>KPI</th><th>Value</th><th>Status</th><th>Moved by</th></tr>{rows}</table>"
    )


def _conflicts(result: AuditResult) -> str:
    blocks = []
    for group in grouped(result):
        f = group[0]
        items = "".join(
            f"<li>{e(where(x))}{' <em>(waived)</em>' if x.waived else ''}</li>" for x in group[:12]
        )
        if len(group) > 12:
            items += f"<li class='muted'>… and {len(group) - 12} more</li>"
        evidence = "\n".join(
            e({k: v for k, v in ev.model_dump().items() if v not in (None, [], "")})
            for ev in f.evidence[:3]
        )
        steps = "".join(
            f"<li><strong>{e(OWNER_LABEL.get(owner, owner))}:</strong> {e(step)}</li>"
            for owner, owner_steps in f.fix.steps.items()
            for step in owner_steps
        )
        verify = f" — {e(f.verify)}" if f.verify else ""
        blocks.append(
            f"""<section class="conflict" style="--sev:{COLOURS[f.severity]}" id="{e(f.rule)}-{len(blocks)}">
<h3><span class="badge">{e(f.severity.upper())}</span>{e(f.rule)} {e(f.name)}{" · " + e(f.subject.bot) if f.subject.bot else ""}</h3>
<p>{e(f.message)}</p>
<div class="sides">
<div class="side"><h4>The protection</h4>{e(protection_text(result, f))}</div>
<div class="side"><h4>What it costs</h4>{e(f.cost)}</div>
</div>
<p><strong>Confidence:</strong> {e(f.confidence.replace("_", " "))}{verify}</p>
<p><strong>Where</strong></p><ul class="where">{items}</ul>
<p><strong>Evidence</strong></p><div class="evidence">{evidence}</div>
<p><strong>Fix:</strong> {e(f.fix.summary)}</p><ul>{steps}</ul>
<p><strong>What the protection gives up:</strong> {e(f.fix.protection_cost)}</p>
</section>"""
        )
    return "\n".join(blocks) or "<p>No conflicts found.</p>"


def render(result: AuditResult, options: RenderOptions) -> str:
    s = result.stats
    sha = (result.policy.sha256 or "")[:12]
    active = [f for f in result.findings if not f.waived]
    method = "".join(f"<li>{e(m)}</li>" for m in METHOD)
    limits = "".join(f"<li>{e(m)}</li>" for m in LIMITS)
    incomplete = (
        "" if result.complete else f"<dd class='bad'>INCOMPLETE: {e(result.incomplete_reason)}</dd>"
    )
    notes = "".join(f"<dt>Note</dt><dd>{e(w)}</dd>" for w in result.warnings)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Crawl-access audit: {e(result.site)}</title>
<style>{CSS}</style></head>
<body>
<header id="title"><h1>Crawl-access audit</h1>
<dl class="meta"><dt>Site</dt><dd>{e(result.site)}</dd><dt>Date</dt><dd>{e(result.started_at)}</dd>
<dt>Policy</dt><dd>{e(result.policy.path or "defaults")}{f" · sha256 <code>{e(sha)}</code>" if sha else ""}</dd>
<dt>Scope</dt><dd>{s.pages} pages, {s.requests} requests; bots: {e(", ".join(s.bots) or "-")}</dd>{incomplete}{notes}</dl>
</header>
<section id="summary"><h2>Executive summary</h2>
<p>{len(active)} conflicts between uptime protections and crawler access ({sum(1 for f in active if f.severity == "error")} errors).
Each shows both sides: what the protection is for, and what it costs in search and AI visibility, with a fix that keeps both.</p>
<p class="verdict">{e(verdict_line(result))}</p>
<h3>Shared scoreboard</h3>{_scoreboard(result)}
<h3>Findings per owner and severity</h3>{chart_svg(result)}
</section>
<section id="conflicts"><h2>Conflicts</h2>
{_conflicts(result)}
</section>
{_logs(result)}
<section id="appendix"><h2>Appendix: method and limits</h2>
<h3>What seoaudit did</h3><ul>{method}</ul>
<h3>What seoaudit can and cannot tell you</h3><ul>{limits}</ul>
<p class="muted">seoaudit {e(result.tool.version)} · result schema {result.schema_version}</p>
</section>
</body></html>
"""


def _logs(result: AuditResult) -> str:
    if not result.logs:
        return ""
    from seoaudit.logs.render import html_section

    return html_section(result.logs)


REPORTER = Reporter(
    name="html", extension="html", description="Self-contained HTML client report", render=render
)
