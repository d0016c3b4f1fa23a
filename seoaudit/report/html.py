"""One self-contained HTML file for a client: inline CSS and SVG, no JavaScript, prints well.

Every piece of site-provided text goes through ``html.escape``; nothing from the site is
ever placed in an attribute unescaped or interpreted as markup.
"""

from __future__ import annotations

import html
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
from seoaudit.report.evidence import display, render_evidence
from seoaudit.report.terminal import UNREACHABLE_TEXT, verdict_line
from seoaudit.result import AuditResult, ConfigSnippet

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
COLOURS = {"error": "#c62828", "warning": "#ef8f00", "info": "#1e88e5"}
STATUS_CLASS = {"good": "good", "warn": "warn", "bad": "bad", "unknown": "unknown"}

CSS = """
:root { --ink:#1d232a; --muted:#5b6470; --line:#d9dee5; --bg:#fff; --soft:#f3f5f8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: var(--bg); margin: 0 auto; max-width: 980px; padding: 32px 24px; overflow-wrap: anywhere; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { margin-top: 40px; border-bottom: 2px solid var(--ink); }
h3 { margin: 0 0 8px; font-size: 17px; }
.meta { color: var(--muted); margin: 0 0 24px; } .meta dt { font-weight: 600; float: left; width: 90px; }
.meta dd { margin: 0 0 2px 90px; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; margin: 12px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.good { color: #2e7d32; font-weight: 600; } .warn { color: #ef8f00; font-weight: 600; }
.bad { color: #c62828; font-weight: 700; } .unknown { color: var(--muted); }
.verdict { font-weight: 700; padding: 10px 14px; border-radius: 6px; background: var(--soft); }
.fixfirst { padding-left: 0; list-style: none; counter-reset: fix; }
.fixfirst li { counter-increment: fix; border: 1px solid var(--line); border-left: 6px solid var(--sev);
               border-radius: 6px; padding: 10px 14px 10px 48px; margin: 10px 0; position: relative; }
.fixfirst li::before { content: counter(fix); position: absolute; left: 14px; top: 9px; font-weight: 700;
                       font-size: 20px; color: var(--sev); }
.fixfirst .action { font-weight: 700; } .fixfirst .why { color: var(--muted); font-size: 13px; }
.owner { display: inline-block; font-size: 12px; font-weight: 700; border: 1px solid var(--ink);
         border-radius: 4px; padding: 0 6px; margin-right: 6px; }
.conflict { border: 1px solid var(--line); border-left: 6px solid var(--sev); border-radius: 6px;
            padding: 14px 18px; margin: 18px 0; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin: 10px 0; }
.side { background: #f7f8fa; border-radius: 6px; padding: 10px 12px; }
.side h4 { margin: 0 0 4px; font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.badge { display: inline-block; font-size: 12px; font-weight: 700; color: #fff; background: var(--sev);
         border-radius: 4px; padding: 1px 7px; margin-right: 6px; }
code, pre, .evidence { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
ul.evidence { list-style: none; padding: 0; margin: 6px 0; }
ul.evidence > li { background: var(--soft); padding: 8px 10px; border-radius: 4px; margin: 4px 0; overflow-wrap: anywhere; }
ul.evidence .detail { color: var(--muted); font-size: 12px; margin: 2px 0 0; padding-left: 16px; }
pre { background: #1d232a; color: #f3f5f8; padding: 10px 12px; border-radius: 4px; margin: 6px 0;
      overflow-x: auto; max-width: 100%; white-space: pre; }
pre.quote { background: #fff8e1; color: var(--ink); border-left: 3px solid #ef8f00; }
.config { margin: 12px 0; } .config .where { color: var(--muted); font-size: 13px; margin: 2px 0; }
.stops { font-size: 13px; margin: 4px 0 0; }
ul.where { margin: 4px 0; padding-left: 20px; } .muted { color: var(--muted); }
.note { background: var(--soft); border-radius: 6px; padding: 10px 14px; margin: 8px 0; }
svg { max-width: 100%; height: auto; }
@media (max-width: 640px) {
  body { padding: 16px 12px; font-size: 15px; }
  .sides { grid-template-columns: 1fr; }
  .meta dt { float: none; width: auto; } .meta dd { margin: 0 0 6px; }
  .conflict { padding: 12px; } .fixfirst li { padding-left: 40px; }
  table.kpis tr, table.kpis td { display: block; border: 0; padding: 2px 0; }
  table.kpis tr { border-bottom: 1px solid var(--line); padding: 6px 0; }
  table.kpis th { display: none; }
}
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; }
               .conflict, .fixfirst li { break-inside: avoid; } pre { white-space: pre-wrap; }
               a { color: inherit; text-decoration: none; } }
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
        "<table class='kpis'><tr><th>KPI</th><th>Value</th><th>Status</th><th>Moved by</th></tr>"
        f"{rows}</table>"
    )


def _bots(result: AuditResult) -> str:
    bots = (result.scoreboard or {}).get("bots") or []
    if not bots:
        return ""
    rows = []
    for row in bots:
        mi = row.get("must_index") or {}
        bc = row.get("blocked_or_challenged") or {}
        pct = mi.get("pct")
        ok = f"{pct:.0f}% ({mi.get('indexable')}/{mi.get('total')})" if pct is not None else "-"
        rows.append(
            f"<tr><td>{e(row.get('bot'))}</td><td>{e(row.get('role'))}</td>"
            f"<td>{e(ok)}</td>"
            f"<td>{(bc.get('blocked') or 0) + (bc.get('challenged') or 0)}/{bc.get('probed', 0)}</td></tr>"
        )
    return (
        "<h3>Per crawler</h3><div class='scroll'><table><tr><th>Bot</th><th>Role</th><th>Must-index OK</th>"
        f"<th>Blocked or challenged</th></tr>{''.join(rows)}</table></div>"
    )


def _pre(code: str, cls: str = "", language: str = "") -> str:
    lang = f" data-lang='{e(language)}'" if language else ""
    klass = f" class='{cls}'" if cls else ""
    return f"<pre{klass}{lang}><code>{e_code(code.rstrip(chr(10)))}</code></pre>"


def e_code(value: object) -> str:
    """Code keeps its newlines; everything else as e()."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)  # \n (0x0a) is kept


def _fix_first(changes: list[Group], chosen: list[Group], numbers: dict[int, int]) -> str:
    if not chosen:
        return "<section id='fix-first'><h2>Fix first</h2><p>Nothing to fix: no conflict was found.</p></section>"
    items = []
    for change in chosen:
        f = change.first
        confidence = confidence_text(f)
        about = impact_text(change)
        items.append(
            f"<li style='--sev:{COLOURS[f.severity]}'><span class='owner'>"
            f"{e(OWNER_LABEL.get(f.owner, f.owner))}</span><span class='action'>{e(f.fix.summary)}</span>"
            f"<div class='why'>{e(f.severity)} · {e(f.rule)} {e(f.name)}"
            + (f" · {e(about)}" if about else "")
            + f" · {e(confidence)} · <a href='#change-{numbers[id(change)]}'>details</a></div></li>"
        )
    return (
        "<section id='fix-first'><h2>Fix first</h2>"
        f"<p>The {len(chosen)} most damaging of {len(changes)} changes, with who makes each one "
        "(how they are ranked: appendix).</p>"
        f"<ol class='fixfirst'>{''.join(items)}</ol></section>"
    )


def _notes(notes: SharedNotes) -> str:
    if not notes.verify and not notes.steps:
        return ""
    parts = ["<section id='said-once'><h2>Said once</h2>",
             "<p>Several changes below rely on these; they are not repeated there.</p>"]  # fmt: skip
    if notes.verify:
        parts.append("<h3>How sure we are</h3>")
        for i, text in enumerate(notes.verify, 1):
            parts.append(
                f"<p class='note' id='note-{i}'><strong>Note {i}.</strong> Findings marked "
                f"<em>needs verification (note {i})</em>: {e(text)}</p>"
            )
    if notes.steps:
        parts.append("<h3>Steps that go with several fixes</h3><ol id='shared-steps'>")
        for owner, text in notes.steps:
            parts.append(f"<li><strong>{e(OWNER_LABEL.get(owner, owner))}:</strong> {e(text)}</li>")
        parts.append("</ol>")
    parts.append("</section>")
    return "".join(parts)


def _evidence(result: AuditResult, change: Group) -> str:
    items = []
    for ev in change.first.evidence[:6]:
        view = render_evidence(ev, result.site)
        quote = _pre("\n".join(view.quote), "quote") if view.quote else ""
        details = "".join(f"<div class='detail'>{e(d)}</div>" for d in view.details[:8])
        items.append(f"<li>{e(view.headline)}{quote}{details}</li>")
    return f"<ul class='evidence'>{''.join(items)}</ul>" if items else ""


def _config(c: ConfigSnippet, number: int, shown: ShownCode) -> str:
    head = f"<p><strong>Config for {e(OWNER_LABEL.get(c.owner, c.owner))}: {e(c.title)}</strong>"
    earlier = shown.earlier(c.code, number)
    if earlier is not None:
        return (
            f"<div class='config'>{head} — the same {e(c.target)} config as in "
            f"<a href='#change-{earlier}'>change {earlier}</a>.</p></div>"
        )
    stops = (
        f"<p class='stops'><strong>Still stops:</strong> {e(c.still_stops)}</p>"
        if c.still_stops
        else ""
    )
    return (
        f"<div class='config'>{head}</p><p class='where'>{e(c.where)}</p>"
        f"{_pre(c.code, '', c.language)}{stops}</div>"
    )


def _change(
    number: int,
    change: Group,
    result: AuditResult,
    notes: SharedNotes,
    said: set[str],
    shown: ShownCode,
) -> str:
    f = change.first
    with_message = messages_differ(change)
    items = "".join(
        f"<li>{e(where(x, result.site))}{': ' + e(display(x.message, 200)) if with_message else ''}"
        f"{' <em>(waived)</em>' if x.waived else ''}</li>"
        for x in change.findings[:12]
    )
    if len(change.findings) > 12:
        items += f"<li class='muted'>… and {len(change.findings) - 12} more</li>"
    own, refs = notes.own_steps(change)
    steps = []
    for owner, step in own:
        head, code = split_step(step)
        block = _pre(code) if code and not f.fix.configs else ""
        steps.append(
            f"<li><strong>{e(OWNER_LABEL.get(owner, owner))}:</strong> {e(head)}{block}</li>"
        )
    if refs:
        steps.append(
            f"<li>Shared step{'s' if len(refs) > 1 else ''} {e(', '.join(map(str, refs)))} "
            "(<a href='#said-once'>said once above</a>)</li>"
        )
    configs = "".join(_config(c, number, shown) for c in f.fix.configs)

    protection = (
        f"{e(f.protection.replace('_', ' '))} (as for {e(f.rule)} above)."
        if f.rule in said
        else e(protection_text(result, f))
    )
    said.add(f.rule)
    ref = notes.verify_ref(f.verify)
    verify = (
        f" (<a href='#note-{ref}'>note {ref}</a>)"
        if ref
        else (f" — {e(f.verify)}" if f.verify else "")
    )
    subjects = f" · {len(change.findings)} subjects" if len(change.findings) > 1 else ""
    gives_up = (
        f"<p><strong>What the protection gives up:</strong> {e(f.fix.protection_cost)}</p>"
        if f.fix.protection_cost
        else ""
    )
    return f"""<section class="conflict" style="--sev:{COLOURS[f.severity]}" id="change-{number}">
<h3><span class="badge">{e(f.severity.upper())}</span>{number}. {e(f.rule)} {e(f.name)}{" · " + e(f.subject.bot) if f.subject.bot else ""}{subjects}</h3>
<p>{e(display(f.message, 2000))}</p>
<div class="sides">
<div class="side"><h4>The protection</h4>{protection}</div>
<div class="side"><h4>What it costs</h4>{e(display(f.cost, 2000))}</div>
</div>
<p><strong>Confidence:</strong> {e(CONFIDENCE_LABEL.get(f.confidence, f.confidence))}{verify}</p>
<p><strong>Where</strong></p><ul class="where">{items}</ul>
<p><strong>Evidence</strong></p>{_evidence(result, change)}
<p><strong>Fix:</strong> {e(f.fix.summary)}</p><ul>{"".join(steps)}</ul>
{configs}{gives_up}
</section>"""


def render(result: AuditResult, options: RenderOptions) -> str:
    s = result.stats
    sha = (result.policy.sha256 or "")[:12]
    active = [f for f in result.findings if not f.waived]
    method = "".join(f"<li>{e(m)}</li>" for m in METHOD)
    limits = "".join(f"<li>{e(m)}</li>" for m in LIMITS)
    incomplete = ""
    if not result.complete and result.unreachable is None:
        unfinished = sum(1 for o in result.outcomes if o.outcome == "inconclusive")
        incomplete = (
            f"<dt>Complete</dt><dd class='bad'>no: {e(result.incomplete_reason)}"
            + (f"; {unfinished} checks left inconclusive (not failed)" if unfinished else "")
            + "</dd>"
        )
    notes_meta = "".join(f"<dt>Note</dt><dd>{e(w)}</dd>" for w in result.warnings)
    if result.unreachable is not None:
        down = result.unreachable
        body = (
            "<section id='summary'><h2>Site unreachable</h2>"
            f"<p class='verdict bad'>{e(down.url)}: {e(down.what)}</p><p>{e(UNREACHABLE_TEXT)}</p></section>"
        )
    else:
        changes = groups(result)
        numbers = {id(c): i for i, c in enumerate(changes, 1)}
        notes = shared_notes(changes)
        said: set[str] = set()
        shown = ShownCode()
        blocks = "\n".join(_change(numbers[id(c)], c, result, notes, said, shown) for c in changes)
        body = f"""{_fix_first(changes, fix_first(changes), numbers)}
<section id="summary"><h2>Executive summary</h2>
<p>{len(active)} conflicts between uptime protections and crawler access ({sum(1 for f in active if f.severity == "error")} errors).
Each shows both sides: what the protection is for, and what it costs in search and AI visibility, with a fix that keeps both.</p>
<p class="verdict">{e(verdict_line(result))}</p>
<h3>Shared scoreboard</h3>{_scoreboard(result)}
{_bots(result)}
<h3>Findings per owner and severity</h3>{chart_svg(result)}
</section>
{_notes(notes)}
<section id="conflicts"><h2>Conflicts</h2>
{blocks or "<p>No conflicts found.</p>"}
</section>
{_logs(result)}"""
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
<dt>Scope</dt><dd>{s.pages} pages, {s.requests} requests; bots: {e(", ".join(s.bots) or "-")}</dd>{incomplete}{notes_meta}</dl>
</header>
{body}
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
    from seoaudit.report.logs_view import html_section

    return html_section(result.logs)


REPORTER = Reporter(
    name="html", extension="html", description="Self-contained HTML client report", render=render
)
