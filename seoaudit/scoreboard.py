"""The shared scoreboard: the few numbers both teams can agree to move together.

Each KPI says which side moves it (``seo``, ``infra`` or ``shared``), so the report reads as a
joint dashboard rather than a list of accusations. Unknown values are ``None``, never 0.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.crawl_budget import crawl_budget, duration_text
from seoaudit.analysis.sections import coverage_sentence, section_coverage
from seoaudit.analysis.site_pages import directives_of, latest_fetch, page_of, url_views
from seoaudit.analysis.site_robots import (
    bot_token,
    must_index_urls,
    origins,
    robots_copy,
    robots_for,
)
from seoaudit.analysis.timing import percentile, ttfbs
from seoaudit.result import Finding

_HEALTH = {"rules": "ok", "no_rules": "missing", "halted": "unreachable", "missing": "unknown"}


def _bot_row(ctx: RuleContext, bot: str, role: str) -> dict[str, Any]:
    token, _ = bot_token(ctx, bot)
    urls = must_index_urls(ctx)
    reachable = indexable = 0
    judged = 0
    for url in urls:
        exchange = latest_fetch(ctx, url, profile=f"bot:{bot}")
        if exchange is None:
            continue
        judged += 1
        allowed = robots_for(ctx, url, bot).allowed
        ok = exchange.status == 200 and exchange.error is None
        view = url_views(ctx).get(url)
        pv = view.bot(bot) if view else None
        if pv is not None and pv.classification.kind != "ok":
            ok = False
        if allowed and ok:
            reachable += 1
            if not directives_of(ctx, page_of(ctx, exchange), token).noindex:
                indexable += 1
    probed = [v.bot(bot) for v in url_views(ctx).values() if v.bot(bot) is not None]
    blocked = sum(1 for pv in probed if pv.classification.kind in ("block", "soft_block"))
    challenged = sum(1 for pv in probed if pv.classification.kind == "challenge")
    answered = [pv for pv in probed if pv.status is not None]
    errors = sum(1 for pv in answered if (pv.status or 0) >= 500)
    times = ttfbs(ctx, f"bot:{bot}")
    return {
        "bot": bot,
        "role": role,
        "must_index": {
            "total": judged,
            "reachable": reachable,
            "indexable": indexable,
            "pct": round(100 * indexable / judged, 1) if judged else None,
        },
        "blocked_or_challenged": {
            "probed": len(probed),
            "blocked": blocked,
            "challenged": challenged,
            "rate": round((blocked + challenged) / len(probed), 3) if probed else None,
        },
        "ttfb_ms": {"p50": percentile(times, 50), "p75": percentile(times, 75)},
        "server_errors": {
            "count": errors,
            "share": round(errors / len(answered), 3) if answered else None,
        },
        "crawl_rate": crawl_budget(ctx, bot).as_dict() if role == "required" else None,
        "sections": _sections(ctx, f"bot:{bot}", bot),
    }


def _sections(ctx: RuleContext, profile: str, name: str) -> dict[str, Any] | None:
    """Coverage by section (None for a snapshot without sections)."""
    if not ctx.snapshot.sections:
        return None
    coverage = section_coverage(ctx, profile).as_dict()
    coverage["summary"] = coverage_sentence(name, coverage)
    return coverage


def _status(value: float | None, good: float, warn: float, *, higher_is_better: bool) -> str:
    if value is None:
        return "unknown"
    if higher_is_better:
        return "good" if value >= good else "warn" if value >= warn else "bad"
    return "good" if value <= good else "warn" if value <= warn else "bad"


def _section_kpi(ctx: RuleContext, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Sections every required bot is served on: a site of any size, section by section."""
    sections = ctx.snapshot.sections
    required = [r for r in rows if r["role"] == "required" and r.get("sections")]
    if not sections or not required:
        return None
    refused: dict[str, list[str]] = {}
    for row in required:
        cov = row["sections"]
        for template in cov["challenged_sections"] + cov["blocked_sections"]:
            refused.setdefault(template, []).append(row["bot"])
    sampled = max(r["sections"]["sampled"] for r in required)
    served = sampled - len(refused)
    value = f"{served}/{sampled} sampled"
    if len(sections) != sampled:
        value += f" of {len(sections)}"
    if refused:  # one screen line: the bots and the rest are in "Coverage by section"
        worst = sorted(refused.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        value += "; refused " + ", ".join(t for t, _ in worst[:2])
        value += f" +{len(worst) - 2}" if len(worst) > 2 else ""
    share = served / sampled if sampled else None
    return {
        "id": "sections_served",
        "label": "Sections served to required bots",
        "value": value,
        "status": _status(share, 1.0, 0.9, higher_is_better=True),
        "moved_by": "infra",
    }


_USABLE_SITEMAP = ("urlset", "sitemapindex", "text", "feed")


def _sitemap_kpi(ctx: RuleContext) -> dict[str, Any]:
    """Whether crawlers can find a sitemap at all: "none found" is said, not left out."""
    maps = ctx.snapshot.sitemaps
    usable = [s for s in maps if s.kind in _USABLE_SITEMAP]
    urls = sum(s.url_count for s in usable if s.kind != "sitemapindex")
    if usable:
        value = f"{len(usable)} found, {urls:,} URLs listed"
        status = "good"
    elif not ctx.policy.crawl.sitemaps:
        value, status = "not read (crawl.sitemaps is false)", "unknown"
    else:
        tried = ", ".join(sorted({urlsplit(s.url).path for s in maps})) or "/sitemap.xml"
        declared = any(s.found_via == "robots" for s in maps)
        value = "none found: " + ("the declared sitemap failed" if declared else "no Sitemap: line")
        value += f"; tried {tried}"
        status = "warn"
    return {
        "id": "sitemaps",
        "label": "Sitemaps crawlers can read",
        "value": value,
        "status": status,
        "moved_by": "seo",
    }


def build_scoreboard(ctx: RuleContext, findings: list[Finding]) -> dict[str, Any]:
    bots = [(b, "required") for b in ctx.policy.bots.required]
    bots += [(b, "wanted") for b in ctx.policy.bots.wanted]
    rows = [_bot_row(ctx, bot, role) for bot, role in bots]
    robots_rows = []
    for origin in origins(ctx):
        copy = robots_copy(ctx, origin, "seoaudit")
        health = _HEALTH[copy.meaning]
        if copy.robots is not None and copy.robots.truncated:
            health = "oversized"
        if copy.exchange is not None and copy.exchange.redirects:
            health = "redirects" if copy.meaning != "rules" else health
        robots_rows.append(
            {"origin": origin, "status": copy.status, "health": health, "note": copy.why}
        )
    kpis: list[dict[str, Any]] = []
    for row in rows:
        if row["role"] != "required":
            continue
        mi = row["must_index"]
        kpis.append(
            {
                "id": f"must_index_indexable:{row['bot']}",
                "label": f"Must-index URLs reachable and indexable ({row['bot']})",
                "value": f"{mi['pct']:.0f}% ({mi['indexable']}/{mi['total']})"
                if mi["pct"] is not None
                else "unknown",
                "status": _status(mi["pct"], 99, 90, higher_is_better=True),
                "moved_by": "shared",
            }
        )
    probed = sum(r["blocked_or_challenged"]["probed"] for r in rows)
    hit = sum(
        r["blocked_or_challenged"]["blocked"] + r["blocked_or_challenged"]["challenged"]
        for r in rows
    )
    rate = hit / probed if probed else None
    kpis.append(
        {
            "id": "block_challenge_rate",
            "label": "Crawler requests blocked or challenged",
            "value": f"{rate:.1%} ({hit}/{probed})" if rate is not None else "unknown",
            "status": _status(rate, 0.0, 0.02, higher_is_better=False),
            "moved_by": "infra",
        }
    )
    section_kpi = _section_kpi(ctx, rows)
    if section_kpi is not None:
        kpis.append(section_kpi)
    # a 404 robots.txt is a clean answer: "no robots.txt, everything allowed" for Google
    missing = sum(1 for r in robots_rows if r["health"] == "missing")
    healthy = sum(1 for r in robots_rows if r["health"] == "ok") + missing
    bad_for_bots = {f.subject.host for f in findings if f.rule in ("RB001", "RB007")}
    value = f"{healthy}/{len(robots_rows)} hosts"
    if missing:
        value += (
            "; no robots.txt: everything allowed"
            if missing == len(robots_rows)
            else f"; {missing} without robots.txt (everything allowed there)"
        )
    if bad_for_bots:
        value += f"; differs by agent on {len(bad_for_bots)}"
    kpis.append(
        {
            "id": "robots_health",
            "label": "robots.txt served cleanly to every agent",
            "value": value,
            "status": "good" if healthy == len(robots_rows) and not bad_for_bots else "bad",
            "moved_by": "infra",
        }
    )
    kpis.append(_sitemap_kpi(ctx))
    all_times = [t for row in rows for t in ttfbs(ctx, f"bot:{row['bot']}")]
    p75 = percentile(all_times, 75)
    limit = ctx.policy.performance.max_ttfb_ms
    kpis.append(
        {
            "id": "crawler_ttfb",
            "label": "Crawler TTFB p50 / p75",
            "value": f"{percentile(all_times, 50):.0f} / {p75:.0f} ms"
            if p75 is not None
            else "unknown",
            "status": _status(p75, limit / 2, limit, higher_is_better=False),
            "moved_by": "infra",
        }
    )
    errors = sum(r["server_errors"]["count"] for r in rows)
    answered_total = sum(r["blocked_or_challenged"]["probed"] for r in rows)
    share = errors / answered_total if answered_total else None
    kpis.append(
        {
            "id": "server_error_share",
            "label": "Crawler requests answered 5xx",
            "value": f"{share:.1%}" if share is not None else "unknown",
            "status": _status(
                share,
                ctx.policy.performance.max_error_rate / 2,
                ctx.policy.performance.max_error_rate,
                higher_is_better=False,
            ),
            "moved_by": "infra",
        }
    )
    for row in rows:
        rate_info = row.get("crawl_rate")
        if not rate_info or rate_info["recrawl_days"] is None:
            continue
        days = rate_info["recrawl_days"]
        goal = ctx.policy.rate.recrawl_days
        kpis.append(
            {
                "id": f"recrawl_days:{row['bot']}",
                "label": f"Full recrawl at the allowed rate ({row['bot']})",
                "value": f"{duration_text(days)} (goal {goal:g} days)",
                "status": "good" if days <= goal else "bad",
                "moved_by": "shared",
            }
        )
    board: dict[str, Any] = {"bots": rows, "robots": robots_rows, "kpis": kpis}
    if ctx.snapshot.sections:
        board["sections"] = {
            "total": len(ctx.snapshot.sections),
            "urls_known": sum(s.url_count for s in ctx.snapshot.sections),
            "sampled_urls": sum(len(s.sample) for s in ctx.snapshot.sections),
            "templates": [s.template for s in ctx.snapshot.sections[:50]],
        }
    return board
