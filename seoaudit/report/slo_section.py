"""The SLO section every report shows: each SLI in percent and nines beside the uptime SLO,
the error budget it consumed and which protection consumed it, then the crawl budget.

Rendered from the result's (or the log report's) ``slo`` dict only, in terminal (Rich),
Markdown and HTML; the HTML budget bars are inline SVG.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

from seoaudit.slo import nines_text, pct_text, rate_text

STATUS_WORD = {"met": "met", "breached": "BREACHED", "no_data": "no data"}
STATUS_STYLE = {"met": "green", "breached": "bold red", "no_data": "dim"}
STATUS_CLASS = {"met": "good", "breached": "bad", "no_data": "unknown"}


def uptime_line(slo: dict[str, Any]) -> str:
    up, window = slo["uptime"], slo["window"]
    cover = window.get("logs_cover_days")
    covered = f"; the logs cover {cover:g} days of it" if cover is not None else ""
    return (
        f"{window['days']}-day window{covered}. Uptime SLO {pct_text(up['target_pct'])} "
        f"({nines_text(up['target_pct'])}): {up['allowed_downtime_min']:g} min of downtime "
        f"per {window['days']} days."
    )


def sli_figures(sli: dict[str, Any]) -> str:
    """ "97.71% (1.6 nines) vs target 99.50% (2.3 nines)" """
    if sli["pct"] is None:
        return f"no data vs target {pct_text(sli['target_pct'])}"
    return (
        f"{pct_text(sli['pct'])} ({nines_text(sli['pct'])}, {sli['good']:,}/{sli['total']:,}) "
        f"vs target {pct_text(sli['target_pct'])} ({nines_text(sli['target_pct'])})"
    )


def budget_text(sli: dict[str, Any]) -> str:
    budget = sli["budget"]
    if sli["status"] == "no_data":
        return sli.get("note") or "not measured"
    consumed = budget["consumed_pct"]
    spent = (
        "no budget (100% target)"
        if consumed is None
        else f"{consumed:g}% of the error budget consumed ({budget['bad']:,} of "
        f"{budget['allowed_bad']:.3g} allowed)"
    )
    causes = ", ".join(f"{c['label']} {c['share']:.0%}" for c in sli["consumed_by"])
    return spent + (f" by {causes}" if causes else "")


def budget_lines(budget: dict[str, Any]) -> list[str]:
    """The crawl-budget reconciliation in sentences (every format uses these)."""
    lines = [budget["summary"]] if budget.get("summary") else []
    for need in budget.get("needs", []):
        if need["needed_rps"] is None:
            continue
        today = need.get("allowed_today_rps")
        lines.append(
            f"{need['bot']} ({need['role']}) needs {rate_text(need['needed_rps'])}"
            + (f"; the site's limits allow it {rate_text(today)} today" if today else "")
        )
    observed = budget.get("observed")
    if observed and observed.get("crawler_peak_rps"):
        lines.append(
            f"In the log: crawler-like agents peaked at {rate_text(observed['crawler_peak_rps'])} "
            "(busiest minute)"
            + (
                f"; verified crawlers averaged {rate_text(observed['verified_mean_rps'])}"
                if observed.get("verified_mean_rps") is not None
                else ""
            )
        )
    lines += budget.get("notes", [])
    for path in budget.get("expensive_paths", []):
        if path["must_index"]:
            lines.append(
                f"Expensive path {path['pattern']} is also must-index: crawlers must reach it, "
                "so budget for it rather than block it"
            )
        else:
            lines.append(
                f"Expensive path {path['pattern']} is not must-index: a robots.txt Disallow "
                "keeps crawlers off it and leaves the budget for pages that rank"
            )
    for option in budget.get("to_fit", []):
        lines.append(f"To fit ({option['owner']}): {option['change']}")
    if budget.get("proposal"):
        lines.append(budget["proposal"]["text"])
    return lines


# -- terminal -------------------------------------------------------------------------------


def _compact_sli(sli: dict[str, Any]) -> str:
    """Figures first, so a line cut at the screen's edge keeps them."""
    name = sli.get("short") or sli["label"]
    if sli["pct"] is None:
        return f"{name}: no data ({sli.get('note') or 'not measured'})"
    text = (
        f"{name} {pct_text(sli['pct'])} ({nines_text(sli['pct'])}) vs {pct_text(sli['target_pct'])}"
    )
    consumed = sli["budget"]["consumed_pct"]
    if sli["budget"]["bad"]:
        spent = "no budget" if consumed is None else f"{consumed:.0f}% of budget"
        top = sli["consumed_by"][0]["label"] if sli["consumed_by"] else ""
        text += f"; {spent}" + (f", mostly {top}" if top else "")
    return text


def budget_verdict(budget: dict[str, Any] | None) -> str:
    """The crawl budget in a few words, for one-line summaries."""
    if not budget:
        return ""
    verdict = budget.get("verdict")
    allowed, needed = budget.get("allowed_rps"), budget.get("needed_rps")
    if verdict == "fits" and needed is not None:
        return f"crawl budget fits ({rate_text(allowed)} allowed)"
    if verdict == "fits":
        return f"crawl load fits the {rate_text(allowed)} allowed"
    if verdict == "does_not_fit" and budget.get("shortfall_rps") is not None:
        return f"crawl budget short by {rate_text(budget['shortfall_rps'])}"
    if verdict == "does_not_fit":
        return f"crawl load above the {rate_text(allowed)} allowed"
    return "crawl budget: set infra.origin_capacity_rps"


def terminal_parts(
    slo: dict[str, Any] | None, *, details: bool = False, width: int = 100
) -> list[object]:
    """Compact: a heading and one line per SLI (the screen report); ``details`` adds the
    figures, the budget causes, every need, the options and the limiter config."""
    from rich.table import Table
    from rich.text import Text

    if not slo:
        return []
    if not details:
        return _compact_parts(slo, width)
    parts: list[object] = [Text("Visibility SLOs", style="bold underline"), Text(uptime_line(slo))]
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    for sli in slo["slis"]:
        status = sli["status"]
        word = Text(STATUS_WORD[status], style=STATUS_STYLE[status])
        table.add_row(
            word, Text(sli["moved_by"].capitalize()), Text(f"{sli['label']} [{sli['source']}]")
        )
        table.add_row(Text(""), Text(""), Text(sli_figures(sli)))
        table.add_row(Text(""), Text(""), Text(budget_text(sli)))
    parts.append(table)
    for missing in slo.get("not_measured", []):
        parts.append(Text(f"not measured: {missing}", style="dim"))
    budget = slo.get("budget")
    if budget:
        lines_ = budget_lines(budget)
        parts.append(Text("Crawl budget", style="bold underline"))
        for line in lines_:
            parts.append(Text(f"  {line}"))
        for config in (budget.get("proposal") or {}).get("configs", []):
            parts.append(Text(f"  {config['title']} — {config['where']}", style="bold"))
            parts.append(Text(config["code"]))
    parts.append(Text(""))
    return parts


def _compact_parts(slo: dict[str, Any], width: int) -> list[object]:
    """The screen report's lines: a heading with the counts, then each breached SLI (met
    ones are counted, not listed); below 100 columns the heading alone names the first
    breach, so the report still fits a screen."""
    from rich.text import Text

    up = slo["uptime"]["target_pct"]
    breached = [s for s in slo["slis"] if s["status"] == "breached"]
    counts = Counter(s["status"] for s in slo["slis"])
    said = ", ".join(f"{n} {STATUS_WORD[k].lower()}" for k, n in sorted(counts.items()))
    verdict = budget_verdict(slo.get("budget"))
    if width < 100:
        first = f": {_compact_sli(breached[0])}" if breached else ""
        head = f"SLOs {said}{first} · uptime {pct_text(up)} · {verdict}"
        return [Text(_cut(head, width), style="bold red" if breached else "bold")]
    head = f"Visibility SLOs  {said} · uptime {pct_text(up)} ({nines_text(up)})"
    head += f" · {verdict}" if verdict else ""
    lines: list[object] = [Text(_cut(head, width), style="bold")]
    for sli in breached:
        row = Text(f" {STATUS_WORD['breached']:<8} ", style=STATUS_STYLE["breached"])
        row.append(_cut(f"{sli['moved_by'].capitalize():<6} {_compact_sli(sli)}", width - 10))
        lines.append(row)
    return lines


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


# -- Markdown -------------------------------------------------------------------------------


def _md(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown(slo: dict[str, Any] | None) -> str:
    if not slo:
        return ""
    out = ["## Visibility SLOs\n", uptime_line(slo) + "\n"]
    out.append("| SLI | measured | target | status | error budget | moved by |")
    out.append("|---|---|---|---|---|---|")
    for sli in slo["slis"]:
        measured = (
            f"{pct_text(sli['pct'])} ({nines_text(sli['pct'])})"
            if sli["pct"] is not None
            else "no data"
        )
        out.append(
            f"| {_md(sli['label'])} ({sli['source']}) | {measured} | "
            f"{pct_text(sli['target_pct'])} ({nines_text(sli['target_pct'])}) | "
            f"{STATUS_WORD[sli['status']]} | {_md(budget_text(sli))} | {sli['moved_by']} |"
        )
    out.append("")
    for missing in slo.get("not_measured", []):
        out.append(f"- not measured: {_md(missing)}")
    budget = slo.get("budget")
    if budget:
        out.append("\n### Crawl budget\n")
        out += [f"- {_md(line)}" for line in budget_lines(budget)]
        out.append("")
        for config in (budget.get("proposal") or {}).get("configs", []):
            fence = "````" if "```" in config["code"] else "```"
            out.append(f"**{_md(config['title'])}** — {_md(config['where'])}\n")
            out.append(f"{fence}{config['language']}\n{config['code'].rstrip()}\n{fence}\n")
            if config.get("still_stops"):
                out.append(f"Still stops: {_md(config['still_stops'])}\n")
    return "\n".join(out) + "\n"


# -- HTML -----------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def budget_svg(sli: dict[str, Any]) -> str:
    """One bar: the error budget, filled by what consumed it (capped at the bar's end)."""
    width, height = 240, 14
    colours = ("#c62828", "#ef8f00", "#6a1b9a", "#1e88e5", "#00897b", "#5b6470")
    consumed = sli["budget"]["consumed_pct"]
    fill = 1.0 if consumed is None and sli["budget"]["bad"] else min((consumed or 0) / 100, 1.0)
    rects, x = [], 0.0
    for colour, cause in zip(colours, sli["consumed_by"], strict=False):
        w = width * fill * cause["share"]
        rects.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
            f"<title>{_e(cause['label'])}: {cause['count']:,}</title></rect>"
        )
        x += w
    label = "budget consumed" if consumed is None else f"{consumed:g}% of the budget consumed"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{_e(label)}" style="max-width:100%">'
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#eef1f5"/>{"".join(rects)}'
        "</svg>"
    )


def html_section(slo: dict[str, Any] | None) -> str:
    """One block per SLI (status, label, who moves it; figures; the budget bar), which reads
    the same at 1280 px and in a 390 px frame."""
    if not slo:
        return ""
    rows = []
    for sli in slo["slis"]:
        status = sli["status"]
        bar = budget_svg(sli) if status != "no_data" else ""
        rows.append(
            "<div class='sli' style='border-top:1px solid #d9dee5;padding:8px 0'>"
            f"<div><span class='{STATUS_CLASS[status]}'>{STATUS_WORD[status]}</span> "
            f"<strong>{_e(sli['label'])}</strong> <small>({_e(sli['source'])}; moved by "
            f"{_e(sli['moved_by'])})</small></div>"
            f"<div>{_e(sli_figures(sli))}</div>"
            f"<div>{bar}</div><div><small>{_e(budget_text(sli))}</small></div></div>"
        )
    missing = "".join(f"<li>not measured: {_e(m)}</li>" for m in slo.get("not_measured", []))
    budget = slo.get("budget") or {}
    lines = "".join(f"<li>{_e(line)}</li>" for line in budget_lines(budget)) if budget else ""
    configs = ""
    for config in (budget.get("proposal") or {}).get("configs", []):
        still = (
            f"<p><small>Still stops: {_e(config['still_stops'])}</small></p>"
            if config.get("still_stops")
            else ""
        )
        configs += (
            f"<h4>{_e(config['title'])}</h4><p><small>{_e(config['where'])}</small></p>"
            f"<pre><code>{_e(config['code'])}</code></pre>{still}"
        )
    return (
        "<section id='slo'><h2>Visibility SLOs</h2>"
        f"<p>{_e(uptime_line(slo))}</p>{''.join(rows)}"
        f"{f'<ul>{missing}</ul>' if missing else ''}"
        + (f"<h3>Crawl budget</h3><ul>{lines}</ul>{configs}" if budget else "")
        + "</section>"
    )
