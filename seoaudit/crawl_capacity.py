"""Crawl-budget reconciliation: what search needs against what infrastructure allows.

Needed, per bot: the URLs the site asks to have crawled (sitemaps + must-index, from the
audit) ÷ ``rate.recrawl_days``; every required and wanted crawler recrawls on its own, so
the needs add up. Allowed: ``infra.origin_capacity_rps`` × ``infra.crawler_share``, shared
by all crawlers. When the needs fit, the block is replaced by the protection that keeps the
origin safe without costing the index: verified crawlers limited together to the allowed
rate with 429 + Retry-After, never refused (config from ``seoaudit.fixconfig``). When they do
not, by how much, and each single change that would make them fit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from seoaudit.fixconfig import limiter_configs, server_of, vendor_of
from seoaudit.result import Finding
from seoaudit.slo import rate_text

DAY_S = 86_400
_REFUSING = ("waf_block", "bot_challenge", "rate_limit", "tarpit")


def _safety_notes(allowed: float | None, logs: dict[str, Any] | None) -> list[str]:
    """What the log's crawl-safety verdict says about the allowance infrastructure set."""
    safety = (logs or {}).get("safety") or {}
    safe, degraded = safety.get("safe_rpm"), safety.get("degraded_from_rpm")
    notes = []
    if allowed is not None and degraded is not None and allowed * 60 >= degraded:
        notes.append(
            f"The allowance ({rate_text(allowed)}) reaches the {degraded:g} req/min at which "
            "the log shows crawling loaded the origin: the capacity figure is too high, or the "
            "origin needs the headroom"
        )
    elif allowed is not None and safe is not None and allowed * 60 <= safe:
        notes.append(
            f"The log shows crawling up to {safe:g} req/min did not measurably load the origin: "
            f"the allowance ({rate_text(allowed)}) is within what the origin has carried"
        )
    return notes


def _times(ratio: float) -> str:
    return f"{ratio:,.0f}×" if ratio >= 100 else f"{ratio:.1f}×"


def _known_urls(scoreboard: dict[str, Any] | None) -> int | None:
    urls = [
        (b.get("crawl_rate") or {}).get("urls")
        for b in (scoreboard or {}).get("bots", [])
        if b.get("crawl_rate")
    ]
    urls = [u for u in urls if u]
    return max(urls) if urls else None


def _observed(logs: dict[str, Any] | None) -> dict[str, Any] | None:
    """What verified crawlers really asked for, per bot: mean and peak-minute rates."""
    if not logs:
        return None
    span = logs.get("window") or {}
    seconds = None
    if span.get("start") and span.get("end"):
        start, end = (dt.datetime.fromisoformat(span[k]) for k in ("start", "end"))
        seconds = max((end - start).total_seconds(), 60.0)
    bots = [
        {
            "bot": b["bot"],
            "requests": b["requests"],
            "mean_rps": round(b["requests"] / seconds, 4) if seconds else None,
            "peak_rps": round(b.get("peak_rpm", 0) / 60, 4),
        }
        for b in logs.get("bots", [])
        if b.get("verdict") == "verified"
    ]
    minutes = (logs.get("timeline") or {}).get("minutes") or {}
    peak_all = max(minutes.values(), default=0) / 60
    safety = logs.get("safety") or {}
    safe, degraded = safety.get("safe_rpm"), safety.get("degraded_from_rpm")
    return {
        "bots": bots,
        # the crawl-safety verdict (seoaudit/logs/safety.py): the crawler rates the log shows
        # did not, and did, measurably load the origin
        "safe_rps": None if safe is None else round(safe / 60, 4),
        "degraded_from_rps": None if degraded is None else round(degraded / 60, 4),
        "verified_mean_rps": round(sum(b["mean_rps"] or 0 for b in bots), 4) if seconds else None,
        "crawler_peak_rps": round(peak_all, 4),
    }


def _pattern_overlaps(expensive: str, must_index: list[str]) -> bool:
    """An expensive pattern and a must-index pattern reach the same URLs (one is a prefix of
    the other; a bare "/" must-index entry is read as the home page, not the whole site)."""
    a = expensive.rstrip("*$")
    for pattern in must_index:
        m = pattern.rstrip("*$")
        if m and m != "/" and (a.startswith(m) or m.startswith(a)):
            return True
    return False


def reconcile(
    policy: Any,
    scoreboard: dict[str, Any] | None,
    findings: list[Finding],
    logs: dict[str, Any] | None,
) -> dict[str, Any]:
    infra, days = policy.infra, policy.rate.recrawl_days
    capacity, share = infra.origin_capacity_rps, infra.crawler_share
    allowed = capacity * share if capacity else None
    urls = _known_urls(scoreboard)
    bots = [(b, "required") for b in policy.bots.required]
    bots += [(b, "wanted") for b in policy.bots.wanted if b not in policy.bots.required]
    per_bot = urls / (days * DAY_S) if urls else None
    current = {
        b["bot"]: (b.get("crawl_rate") or {}).get("sustainable_rps")
        for b in (scoreboard or {}).get("bots", [])
    }
    needs = [
        {
            "bot": bot,
            "role": role,
            "needed_rps": None if per_bot is None else round(per_bot, 6),
            "allowed_today_rps": current.get(bot),
        }
        for bot, role in bots
    ]
    needed = per_bot * len(bots) if per_bot is not None and bots else None
    out: dict[str, Any] = {
        "known_urls": urls,
        "recrawl_days": days,
        "capacity_rps": capacity,
        "crawler_share": share,
        "allowed_rps": None if allowed is None else round(allowed, 4),
        "needed_rps": None if needed is None else round(needed, 6),
        "needs": needs,
        "observed": _observed(logs),
        "expensive_paths": [
            {"pattern": p, "must_index": _pattern_overlaps(p, policy.paths.must_index)}
            for p in infra.expensive_paths
        ],
        "verdict": "unknown",
        "summary": "",
        "notes": _safety_notes(allowed, logs),
        "to_fit": [],
        "proposal": None,
    }
    if allowed is None:
        out["summary"] = (
            "Infrastructure's side is not stated: set infra.origin_capacity_rps (and "
            "infra.crawler_share) to reconcile the crawl budget."
        )
        return out
    if needed is None:
        observed = out["observed"]
        if observed and observed["crawler_peak_rps"]:
            peak = observed["crawler_peak_rps"]
            fits = peak <= allowed
            out["verdict"] = "fits" if fits else "does_not_fit"
            out["summary"] = (
                f"Crawlers peaked at {rate_text(peak)} in the log, "
                f"{'within' if fits else 'above'} the {rate_text(allowed)} infrastructure allows "
                f"({share:.0%} of {capacity:g}); the URLs search needs come from an audit."
            )
        else:
            out["summary"] = "No known URL count (run an audit) and no crawler load in the log."
        return out
    if needed <= allowed:
        out["verdict"] = "fits"
        out["summary"] = (
            f"Search needs {rate_text(needed)} ({urls:,} URLs every {days:g} days × "
            f"{len(bots)} crawlers); infrastructure allows {rate_text(allowed)} "
            f"({share:.0%} of {capacity:g} req/s): it fits, with {_times(allowed / needed)} headroom."
        )
        out["proposal"] = _proposal(allowed, findings)
        return out
    out["verdict"] = "does_not_fit"
    short = needed - allowed
    out["shortfall_rps"] = round(short, 4)
    out["summary"] = (
        f"Search needs {rate_text(needed)} ({urls:,} URLs every {days:g} days × {len(bots)} "
        f"crawlers); infrastructure allows {rate_text(allowed)} ({share:.0%} of {capacity:g}): "
        f"short by {rate_text(short)} ({_times(needed / allowed)} the allowance)."
    )
    options = []
    if needed / capacity <= 1:
        options.append(
            {
                "owner": "infra",
                "change": f"infra.crawler_share ≥ {needed / capacity:.3f}",
                "value": round(needed / capacity, 4),
            }
        )
    options.append(
        {
            "owner": "infra",
            "change": f"infra.origin_capacity_rps ≥ {needed / share:.1f}",
            "value": round(needed / share, 2),
        }
    )
    options.append(
        {
            "owner": "seo",
            "change": f"rate.recrawl_days ≥ {days * needed / allowed:.1f}",
            "value": round(days * needed / allowed, 2),
        }
    )
    fit_urls = int(allowed * days * DAY_S / len(bots))
    options.append(
        {
            "owner": "seo",
            "change": f"at most {fit_urls:,} known URLs (sitemaps + must-index; "
            f"{urls - fit_urls:,} fewer, e.g. expensive or duplicate URLs out of the sitemaps)",
            "value": fit_urls,
        }
    )
    out["to_fit"] = options
    return out


def _proposal(allowed: float, findings: list[Finding]) -> dict[str, Any]:
    """The limiter, written for each protection that refuses crawlers today (by vendor)."""
    refusing = [f for f in findings if f.protection in _REFUSING and not f.waived]
    where: dict[tuple[str | None, str | None], None] = {}
    for f in refusing:
        items = [e.model_dump() for e in f.evidence]
        where.setdefault((vendor_of(items), server_of(items)), None)
    configs: dict[str, Any] = {}
    for vendor, server in where or {(None, None): None}:
        for config in limiter_configs(allowed, vendor, server):
            configs.setdefault(config.title, config.model_dump(mode="json"))
    return {
        "rate_rps": round(allowed, 6),
        "replaces": sorted({f.rule for f in refusing}),
        "vendors": sorted({v for v, _ in where if v}),
        "text": (
            f"Replace the block with a limiter: verified crawlers together get up to "
            f"{rate_text(allowed)} and 429 + Retry-After above it (they slow down and come "
            "back), never 401/403; unverified bot-like agents are still refused."
        ),
        "configs": list(configs.values()),
    }
