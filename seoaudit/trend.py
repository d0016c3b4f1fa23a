"""The shared scoreboard and SLOs over recorded runs, and what got worse (``seoaudit trend``).

A regression is judged between a run and the previous run of the same kind (audit against
audit, logs against logs) on the same site: a KPI whose status worsened, an SLI that went
from met to breached (or fell further while breached), new finding fingerprints. Each says
who moves it (``seo``, ``infra`` or ``shared``), so the trend reads as a joint dashboard.
"""

from __future__ import annotations

from typing import Any

from seoaudit.history import Run

_RANK = {"good": 2, "warn": 1, "bad": 0}


def _series(runs: list[Run], table: str) -> list[dict[str, Any]]:
    order: list[str] = []
    for run in runs:
        for key in getattr(run, table):
            if key not in order:
                order.append(key)
    out = []
    for key in order:
        points = []
        latest: dict[str, Any] = {}
        for run in runs:
            row = getattr(run, table).get(key)
            if row is None:
                continue
            latest = row
            if table == "kpis":
                points.append({"run": run.id, "at": run.recorded_at, "value": row["number"],
                               "text": row["value"], "status": row["status"]})  # fmt: skip
            else:
                points.append({"run": run.id, "at": run.recorded_at, "value": row["pct"],
                               "status": row["status"], "consumed_pct": row["consumed_pct"],
                               "top_cause": row["top_cause"]})  # fmt: skip
        item = {"id": key, "label": latest["label"], "moved_by": latest["moved_by"],
                "points": points}  # fmt: skip
        if table == "slis":
            item["target_pct"] = latest["target_pct"]
            item["source"] = latest["source"]
        out.append(item)
    return out


def _regressions(runs: list[Run]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    previous: dict[tuple[str, str | None], Run] = {}
    for run in runs:
        before = previous.get((run.kind, run.site))
        previous[(run.kind, run.site)] = run
        if before is None:
            continue
        where = {"run": run.id, "at": run.recorded_at, "kind": run.kind}
        for key, now in run.kpis.items():
            old = before.kpis.get(key)
            if old is None or now["status"] not in _RANK or old["status"] not in _RANK:
                continue
            if _RANK[now["status"]] < _RANK[old["status"]]:
                found.append({**where, "what": "kpi", "id": key, "label": now["label"],
                              "moved_by": now["moved_by"], "before": old["value"],
                              "after": now["value"]})  # fmt: skip
        for key, now in run.slis.items():
            old = before.slis.get(key)
            if old is None or now["pct"] is None or old["pct"] is None:
                continue
            newly = old["status"] == "met" and now["status"] == "breached"
            deeper = old["status"] == now["status"] == "breached" and now["pct"] < old["pct"]
            if newly or deeper:
                found.append({**where, "what": "sli", "id": key, "label": now["label"],
                              "moved_by": now["moved_by"], "before": old["pct"],
                              "after": now["pct"], "cause": now["top_cause"],
                              "newly_breached": newly})  # fmt: skip
        new = [f for fp, f in run.fingerprints.items() if fp not in before.fingerprints]
        if new:
            owners = sorted({f["owner"] or "shared" for f in new})
            rules = sorted({f["rule"] for f in new})
            found.append({**where, "what": "findings", "id": "new_findings",
                          "label": f"{len(new)} new finding(s): {', '.join(rules)}",
                          "moved_by": owners[0] if len(owners) == 1 else "shared",
                          "before": len(before.fingerprints), "after": len(run.fingerprints),
                          "fingerprints": sorted(f["fingerprint"] for f in new)})  # fmt: skip
    return found


def build_trend(runs: list[Run]) -> dict[str, Any]:
    """Series per KPI and SLI, the runs they come from, and the regressions between them."""
    return {
        "runs": [
            {
                "id": r.id,
                "kind": r.kind,
                "site": r.site,
                "at": r.recorded_at,
                "complete": r.complete,
                "gate_failed": r.gate_failed,
                "findings": r.findings,
            }
            for r in runs
        ],
        "slis": _series(runs, "slis"),
        "kpis": _series(runs, "kpis"),
        "regressions": _regressions(runs),
    }
