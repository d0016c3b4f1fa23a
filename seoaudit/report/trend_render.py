"""``seoaudit trend`` as a terminal table and as one self-contained HTML page with an inline
SVG chart per SLI and KPI (no JavaScript); rendered from ``seoaudit.trend.build_trend``.
"""

from __future__ import annotations

import html
from typing import Any

from seoaudit.slo import PROTECTIONS, pct_text

MAX_COLUMNS = 8  # the terminal shows the last runs; HTML charts every recorded run


def _short_at(at: str) -> str:
    return at[5:16].replace("T", " ")  # "12-03 12:00"


def _regression_text(r: dict[str, Any]) -> str:
    if r["what"] == "sli":
        word = "breached" if r.get("newly_breached") else "fell further"
        cause = f" (mostly {PROTECTIONS.get(r['cause'], r['cause'])})" if r.get("cause") else ""
        return (
            f"run {r['run']} ({r['kind']}): {r['label']} {word}: "
            f"{pct_text(r['before'])} → {pct_text(r['after'])}{cause} [moved by {r['moved_by']}]"
        )
    if r["what"] == "kpi":
        return (
            f"run {r['run']} ({r['kind']}): {r['label']} worsened: {r['before']} → "
            f"{r['after']} [moved by {r['moved_by']}]"
        )
    return f"run {r['run']} ({r['kind']}): {r['label']} [moved by {r['moved_by']}]"


def terminal(trend: dict[str, Any], width: int = 100) -> str:
    import io

    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=max(60, width), color_system=None, highlight=False)
    runs = trend["runs"][-MAX_COLUMNS:]
    ids = [r["id"] for r in runs]
    console.print(
        Text(f"{len(trend['runs'])} recorded run(s); showing the last {len(runs)}", style="bold")
    )
    for title, rows, kind in (
        ("SLOs over time", trend["slis"], "sli"),
        ("Shared scoreboard over time", trend["kpis"], "kpi"),
    ):
        if not rows:
            continue
        table = Table(title=title, title_justify="left", show_lines=False, expand=True)
        table.add_column("moved by", no_wrap=True)
        table.add_column("what", ratio=2)
        if kind == "sli":
            table.add_column("target", no_wrap=True)
        for r in runs:
            table.add_column(f"#{r['id']} {r['kind']}\n{_short_at(r['at'])}", justify="right")
        for row in rows:
            by_run = {p["run"]: p for p in row["points"]}
            cells = []
            for run_id in ids:
                point = by_run.get(run_id)
                if point is None:
                    cells.append("")
                elif kind == "sli":
                    mark = "!" if point["status"] == "breached" else ""
                    cells.append(f"{pct_text(point['value'])}{mark}")
                else:
                    mark = {"bad": "!", "warn": "~"}.get(point["status"] or "", "")
                    cells.append(f"{point['text']}{mark}")
            target = [pct_text(row["target_pct"])] if kind == "sli" else []
            table.add_row(row["moved_by"] or "", row["label"], *target, *cells)
        console.print(table)
    console.print(Text("! breached or bad · ~ warn", style="dim"))
    regressions = trend["regressions"]
    console.print(Text(f"Regressions ({len(regressions)})", style="bold underline"))
    if not regressions:
        console.print(Text("none: nothing got worse between consecutive runs of a kind"))
    for r in regressions:
        console.print(Text(f"  {_regression_text(r)}"))
    return buffer.getvalue()


# -- HTML -----------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def line_chart(
    points: list[dict[str, Any]],
    *,
    target: float | None = None,
    unit: str = "",
    label: str = "",
) -> str:
    """One series as an inline SVG line: points in run order, the target as a dashed line;
    breached or bad points are drawn red."""
    width, height, pad_l, pad_r, pad_y = 520, 150, 56, 12, 18
    values = [p["value"] for p in points if p["value"] is not None]
    if not values:
        return "<p class='muted'>no figures recorded</p>"
    low = min([*values, *([target] if target is not None else [])])
    high = max([*values, *([target] if target is not None else [])])
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * 0.1, high + span * 0.1

    def y(v: float) -> float:
        return pad_y + (height - 2 * pad_y) * (1 - (v - low) / (high - low))

    step = (width - pad_l - pad_r) / max(len(points) - 1, 1)
    coords = [
        (pad_l + i * step, y(p["value"]), p) for i, p in enumerate(points) if p["value"] is not None
    ]
    parts = [
        f'<line x1="{pad_l}" y1="{height - pad_y}" x2="{width - pad_r}" y2="{height - pad_y}" '
        'stroke="#d9dee5"/>',
        f'<text x="4" y="{y(high - span * 0.1) + 4:.1f}" font-size="11">{high - span * 0.1:.4g}{unit}</text>',
        f'<text x="4" y="{y(low + span * 0.1) + 4:.1f}" font-size="11">{low + span * 0.1:.4g}{unit}</text>',
    ]
    if target is not None:
        parts.append(
            f'<line x1="{pad_l}" y1="{y(target):.1f}" x2="{width - pad_r}" y2="{y(target):.1f}" '
            'stroke="#ef8f00" stroke-dasharray="5 4"><title>target</title></line>'
        )
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy, _ in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#1e88e5" stroke-width="2"/>')
    for x, yy, p in coords:
        parts.append(
            f'<text x="{x:.1f}" y="{height - 4}" font-size="10" text-anchor="middle">'
            f"#{p['run']}</text>"
        )
        bad = p.get("status") in ("breached", "bad")
        shown = pct_text(p["value"]) if unit == "%" else p.get("text") or f"{p['value']:g}"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="4" fill="{"#c62828" if bad else "#1e88e5"}">'
            f"<title>run {p['run']} · {_e(p['at'])} · {_e(shown)}</title></circle>"
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{_e(label)}">{"".join(parts)}</svg>'
    )


CSS = """
body { font: 15px/1.5 system-ui, sans-serif; color: #1d232a; max-width: 980px; margin: 0 auto;
       padding: 24px; overflow-wrap: anywhere; }
h2 { border-bottom: 2px solid #1d232a; margin-top: 32px; }
.chart { border: 1px solid #d9dee5; border-radius: 6px; padding: 8px 12px; margin: 12px 0; }
.chart svg { display: block; max-width: 100%; height: auto; }
.muted, small { color: #5b6470; } .bad { color: #c62828; font-weight: 700; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 4px 8px;
  border-bottom: 1px solid #d9dee5; }
"""


def html_page(trend: dict[str, Any], title: str = "seoaudit trend") -> str:
    charts = []
    for row in trend["slis"]:
        charts.append(
            f"<div class='chart'><h3>{_e(row['label'])}</h3><small>{_e(row['source'])} · target "
            f"{pct_text(row['target_pct'])} · moved by {_e(row['moved_by'])}</small>"
            + line_chart(row["points"], target=row["target_pct"], unit="%", label=row["label"])
            + "</div>"
        )
    kpis = []
    for row in trend["kpis"]:
        kpis.append(
            f"<div class='chart'><h3>{_e(row['label'])}</h3><small>moved by "
            f"{_e(row['moved_by'])} · latest {_e(row['points'][-1]['text'])}</small>"
            + line_chart(row["points"], label=row["label"])
            + "</div>"
        )
    regressions = "".join(
        f"<li class='bad'>{_e(_regression_text(r))}</li>" for r in trend["regressions"]
    )
    runs = "".join(
        f"<tr><td>{r['id']}</td><td>{_e(r['kind'])}</td><td>{_e(r['site'] or '')}</td>"
        f"<td>{_e(r['at'])}</td><td>{r['findings']}</td>"
        f"<td>{'failed' if r['gate_failed'] else 'passed'}</td></tr>"
        for r in trend["runs"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{_e(title)}</title><style>{CSS}</style></head>
<body><h1>{_e(title)}</h1>
<p>{len(trend["runs"])} recorded runs. Red points are breached SLOs or bad KPIs; the dashed
line is the target.</p>
<section id="regressions"><h2>Regressions</h2>
{f"<ul>{regressions}</ul>" if regressions else "<p>None: nothing got worse between consecutive runs.</p>"}
</section>
<section id="slos"><h2>Visibility SLOs</h2>{"".join(charts) or "<p class='muted'>No SLIs recorded.</p>"}</section>
<section id="kpis"><h2>Shared scoreboard</h2>{"".join(kpis) or "<p class='muted'>No KPIs recorded.</p>"}</section>
<section id="runs"><h2>Runs</h2><table><tr><th>#</th><th>kind</th><th>site</th><th>recorded</th>
<th>findings</th><th>gate</th></tr>{runs}</table></section>
</body></html>
"""
