"""Visibility SLOs stated like uptime targets, so both teams read one unit (issue 17).

Each SLI is good events over valid events, shown as a percentage and in nines beside the
infrastructure team's uptime SLO, with the error budget it consumed and which protection
consumed it. Log SLIs count what verified crawlers were really served; audit SLIs count
what the audit's own crawler views found. Pure: reads the policy, the scoreboard, the
findings and the log report, never the network. ``None`` means "not measured", never 0.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from seoaudit.result import AuditResult, Finding

# why a crawler request failed, in the words both teams use
PROTECTIONS: dict[str, str] = {
    "waf": "WAF or bot rule (401/403)",
    "challenge": "challenges",
    "rate_limit": "rate limit (429)",
    "maintenance": "maintenance 503s (declared window)",
    "server_error": "server errors (5xx)",
    "robots_txt": "robots.txt",
    "directives": "noindex / canonical",
    "other": "other answers (4xx)",
}
# a finding's protection → the SLO's cause names
_FINDING_CAUSE = {
    "waf_block": "waf",
    "bot_challenge": "challenge",
    "rate_limit": "rate_limit",
    "tarpit": "rate_limit",
    "origin_capacity": "server_error",
    "robots_txt": "robots_txt",
    "noindex": "directives",
    "canonical": "directives",
}
# answers about the content, not its availability: outside every log SLI
NOT_AVAILABILITY = (404, 410)


def nines(pct: float | None) -> float | None:
    """99.9% → 3.0, 99.95% → 3.3; 100% has no finite number of nines (None)."""
    if pct is None or pct >= 100:
        return None
    return round(-math.log10(1 - pct / 100), 2)


def nines_text(pct: float | None) -> str:
    if pct is None:
        return "—"
    n = nines(pct)
    return "no failures" if n is None else f"{n:.1f} nines"


def pct_text(pct: float | None) -> str:
    """Two decimals near the top (99.95% vs 99.9%), rounded down so 99.999% never reads 100%."""
    if pct is None:
        return "no data"
    if pct >= 100:
        return "100%"
    places = 2 if pct >= 99 else 1
    scale = 10**places
    return f"{math.floor(pct * scale) / scale:.{places}f}%"


def rate_text(rps: float | None) -> str:
    """A request rate a person reads: "5 req/s", "0.25 req/s", "12 requests an hour"."""
    if rps is None:
        return "unknown"
    if rps >= 0.1:
        return f"{rps:.3g} req/s"
    if rps * 3600 >= 1:
        return f"{rps * 3600:.3g} requests an hour"
    return f"{rps * 86400:.3g} requests a day"


@dataclass
class Sli:
    """One SLI against its target: the numbers behind a status, not just the status."""

    id: str
    label: str
    source: str  # logs | audit
    target_pct: float
    good: int
    total: int
    moved_by: str  # seo | infra | shared
    causes: Counter[str] = field(default_factory=Counter)
    short: str = ""  # a few words, for one-line summaries
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        bad = self.total - self.good
        pct = 100 * self.good / self.total if self.total else None
        allowed = (1 - self.target_pct / 100) * self.total
        if not self.total:
            consumed: float | None = None
        elif allowed > 0:
            consumed = round(100 * bad / allowed, 1)
        else:  # a 100% target has no budget: any failure breaches it
            consumed = 0.0 if bad == 0 else None
        status = "no_data" if pct is None else "met" if pct >= self.target_pct else "breached"
        spent = sum(self.causes.values()) or 1
        return {
            "id": self.id,
            "label": self.label,
            "short": self.short or self.label,
            "source": self.source,
            "target_pct": self.target_pct,
            "target_nines": nines(self.target_pct),
            "good": self.good,
            "total": self.total,
            "pct": None if pct is None else round(pct, 4),
            "nines": nines(pct),
            "status": status,
            "budget": {
                "allowed_bad": round(allowed, 4),
                "bad": bad,
                "consumed_pct": consumed,
                "exhausted": status == "breached",
            },
            "consumed_by": [
                {
                    "cause": cause,
                    "label": PROTECTIONS[cause],
                    "count": count,
                    "share": round(count / spent, 4),
                }
                for cause, count in sorted(self.causes.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
            "moved_by": self.moved_by,
            "note": self.note,
        }


def status_cause(status: int, when: dt.datetime | None, windows: Iterable[Any]) -> str:
    """The protection a non-2xx/3xx answer to a verified crawler stands for."""
    if status in (401, 403):
        return "waf"
    if status == 429:
        return "rate_limit"
    if status >= 500:
        if status == 503 and when is not None and any(w.covers(when) for w in windows):
            return "maintenance"
        return "server_error"
    return "other"


def _minute_time(minute: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(minute * 60, tz=dt.UTC)


def _log_slis(policy: Any, logs: dict[str, Any]) -> list[Sli]:
    vis = policy.visibility
    windows = policy.infra.maintenance_windows
    required = {b.lower() for b in policy.bots.required}
    verified = [b for b in logs.get("bots", []) if b.get("verdict") == "verified"]
    refusals = logs.get("verified_refusals")
    out: list[Sli] = []
    if vis.crawler_success is not None:
        rows = [b for b in verified if b["bot"] in required]
        total = sum(n for s, n in (kv for b in rows for kv in b["statuses"].items()))
        total -= sum(b["statuses"].get(str(s), 0) for b in rows for s in NOT_AVAILABILITY)
        causes: Counter[str] = Counter()
        if refusals is not None:
            for r in refusals:
                if r["bot"] in required and r["status"] not in NOT_AVAILABILITY:
                    when = _minute_time(r["minute"])
                    causes[status_cause(r["status"], when, windows)] += r["count"]
        else:  # a report without minutes: by status alone (no maintenance attribution)
            for b in rows:
                for s, n in b["statuses"].items():
                    if int(s) >= 400 and int(s) not in NOT_AVAILABILITY:
                        causes[status_cause(int(s), None, ())] += n
        bad = sum(causes.values())
        names = ", ".join(sorted(required))
        out.append(
            Sli(
                "crawler_success",
                f"Verified required-crawler requests served 2xx/3xx/304 ({names})",
                "logs",
                vis.crawler_success,
                total - bad,
                total,
                "shared",
                causes,
                note="" if total else "no verified request from a required bot in the log",
                short="crawler requests served",
            )
        )
    if vis.robots_txt_availability is not None:
        total = sum(sum(b.get("robots_txt_statuses", {}).values()) for b in verified)
        causes = Counter()
        if refusals is not None:
            for r in refusals:
                if r["robots_txt"] and r["status"] not in NOT_AVAILABILITY:
                    when = _minute_time(r["minute"])
                    causes[status_cause(r["status"], when, windows)] += r["count"]
        bad = sum(causes.values())
        out.append(
            Sli(
                "robots_txt_availability",
                "robots.txt answered 2xx/3xx/404 to verified crawlers",
                "logs",
                vis.robots_txt_availability,
                total - bad,
                total,
                "infra",
                causes,
                note="" if total else "no verified crawler asked for robots.txt in the log",
                short="robots.txt available",
            )
        )
    return out


def _robots_cause(status: int | None, health: str) -> str:
    if status is None:
        return "server_error"
    return status_cause(status, None, ()) if status >= 400 else "other"


def _audit_slis(
    policy: Any, scoreboard: dict[str, Any], findings: list[Finding], with_robots: bool
) -> list[Sli]:
    vis = policy.visibility
    out: list[Sli] = []
    rows = [b for b in scoreboard.get("bots", []) if b.get("role") == "required"]
    if vis.must_index_indexable is not None and rows:
        total = sum(b["must_index"]["total"] for b in rows)
        good = sum(b["must_index"]["indexable"] for b in rows)
        bots = {b["bot"] for b in rows}
        touched: dict[str, set[tuple[str, str]]] = {}
        for f in findings:
            cause = _FINDING_CAUSE.get(f.protection)
            impact = f.impact.must_index_urls if f.impact else 0
            if f.waived or cause is None or not impact or f.severity == "info":
                continue
            for bot in [f.subject.bot] if f.subject.bot in bots else sorted(bots):
                touched.setdefault(cause, set()).add((bot, f.subject.url or f.subject.host or ""))
        causes = Counter({c: len(v) for c, v in touched.items()}) if good < total else Counter()
        out.append(
            Sli(
                "must_index_indexable",
                "Must-index URLs reachable and indexable by required bots",
                "audit",
                vis.must_index_indexable,
                good,
                total,
                "shared",
                causes,
                note="causes: the findings on those URLs (a URL may have several)"
                if causes
                else "",
                short="must-index indexable",
            )
        )
    robots = scoreboard.get("robots") or []
    if with_robots and vis.robots_txt_availability is not None and robots:
        good = sum(1 for r in robots if r["health"] in ("ok", "missing"))
        causes = Counter(
            _robots_cause(r.get("status"), r["health"])
            for r in robots
            if r["health"] not in ("ok", "missing")
        )
        out.append(
            Sli(
                "robots_txt_availability",
                "Hosts whose robots.txt the audit read cleanly",
                "audit",
                vis.robots_txt_availability,
                good,
                len(robots),
                "infra",
                causes,
                short="robots.txt read cleanly",
            )
        )
    return out


def _window(policy: Any, logs: dict[str, Any] | None) -> dict[str, Any]:
    days = policy.visibility.window_days
    covered = None
    if logs:
        span = logs.get("window") or {}
        if span.get("start") and span.get("end"):
            start = dt.datetime.fromisoformat(span["start"])
            end = dt.datetime.fromisoformat(span["end"])
            covered = round((end - start).total_seconds() / 86400, 3)
    return {"days": days, "logs_cover_days": covered}


def evaluate_slos(
    policy: Any,
    scoreboard: dict[str, Any] | None,
    findings: list[Finding],
    logs: dict[str, Any] | None,
) -> dict[str, Any]:
    """Every SLO the policy states, measured from what this run has (audit, logs or both)."""
    slis: list[Sli] = []
    if logs:
        slis += _log_slis(policy, logs)
    if scoreboard:
        slis += _audit_slis(policy, scoreboard, findings, with_robots=not logs)
    uptime = policy.infra.uptime_slo
    window = _window(policy, logs)
    rows = [s.as_dict() for s in slis]
    not_measured = []
    if policy.visibility.crawler_success is not None and not logs:
        not_measured.append("crawler_success: needs access logs (--logs FILE)")
    return {
        "window": window,
        "uptime": {
            "target_pct": uptime,
            "nines": nines(uptime),
            "allowed_downtime_min": round(window["days"] * 1440 * (1 - uptime / 100), 1),
        },
        "slis": rows,
        "breached": [r["id"] for r in rows if r["status"] == "breached"],
        "not_measured": not_measured,
    }


def with_slo(result: AuditResult, policy: Any) -> AuditResult:
    """The result with its ``slo`` section: SLIs, uptime beside them, the crawl budget."""
    if result.unreachable is not None:
        return result
    from seoaudit.crawl_capacity import reconcile

    slo = evaluate_slos(policy, result.scoreboard, result.findings, result.logs)
    slo["budget"] = reconcile(policy, result.scoreboard, result.findings, result.logs)
    return result.model_copy(update={"slo": slo})
