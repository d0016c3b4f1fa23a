"""The run history both teams share: one SQLite file (stdlib sqlite3) a team keeps as a CI
cache or artifact, holding each recorded run's scoreboard, SLIs and finding fingerprints.

``audit --record`` and ``logs --record`` append one run; ``seoaudit trend`` reads them back.
Only numbers, statuses and fingerprints are kept: no page text, headers or secrets. Every
write is one transaction, so an interrupted job leaves the file as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seoaudit.errors import UsageError

DEFAULT_HISTORY = Path(".seoaudit") / "history.sqlite"
HISTORY_FORMAT = "seoaudit-history"
HISTORY_VERSION = 1
_STATUS_RANK = {"good": 2, "warn": 1, "bad": 0}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,             -- audit | logs
    site TEXT,                      -- host audited (logs: the policy's site.start host)
    recorded_at TEXT NOT NULL,      -- UTC, ISO 8601
    started_at TEXT,
    tool_version TEXT,
    policy_sha256 TEXT,
    complete INTEGER NOT NULL,
    gate_failed INTEGER NOT NULL,
    findings INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kpis (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    kpi_id TEXT NOT NULL, label TEXT NOT NULL, value TEXT, number REAL,
    status TEXT, moved_by TEXT
);
CREATE TABLE IF NOT EXISTS slis (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    sli_id TEXT NOT NULL, label TEXT NOT NULL, source TEXT, pct REAL, target_pct REAL,
    status TEXT, consumed_pct REAL, top_cause TEXT, moved_by TEXT
);
CREATE TABLE IF NOT EXISTS findings (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    fingerprint TEXT NOT NULL, rule TEXT NOT NULL, severity TEXT, owner TEXT
);
CREATE INDEX IF NOT EXISTS runs_site ON runs(site, id);
"""
_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*")


@dataclass
class Run:
    """One recorded run, as ``trend`` reads it back."""

    id: int
    kind: str
    site: str | None
    recorded_at: str
    complete: bool
    gate_failed: bool
    findings: int
    kpis: dict[str, dict[str, Any]] = field(default_factory=dict)
    slis: dict[str, dict[str, Any]] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, Any]] = field(default_factory=dict)


def kpi_number(value: str | None) -> float | None:
    """The KPI's first figure ("97% (29/30)" → 97): what the trend chart plots."""
    if not value:
        return None
    match = _NUMBER.search(value)
    return float(match.group(0).replace(",", "")) if match else None


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a history file")
    if not create and not path.exists():
        raise UsageError(f"{path}: no history yet (record runs with `audit --record` first)")
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{path}: cannot create its folder ({exc.strerror})") from None
    try:
        db = sqlite3.connect(path, timeout=30)
        db.execute("PRAGMA foreign_keys = ON")
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "meta" not in tables:
            db.close()
            raise UsageError(f"{path}: an SQLite file, but not a seoaudit history")
        if tables:
            row = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
            version = int(row[0]) if row else 0
            if version > HISTORY_VERSION:
                db.close()
                raise UsageError(
                    f"{path}: history format {version}; this seoaudit reads {HISTORY_VERSION}"
                )
        elif create:
            with db:
                db.executescript(_SCHEMA)
                db.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [("format", HISTORY_FORMAT), ("version", str(HISTORY_VERSION))],
                )
        return db
    except sqlite3.OperationalError as exc:
        raise UsageError(f"{path}: cannot open the history ({exc})") from None
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not a seoaudit history ({exc})") from None


def _site_key(url: str | None) -> str | None:
    if not url:
        return None
    from seoaudit.baseline import site_key

    return site_key(url)


def record(
    path: Path,
    *,
    kind: str,
    site: str | None,
    started_at: str | None,
    tool_version: str,
    policy_sha256: str | None,
    complete: bool,
    gate_failed: bool,
    kpis: list[dict[str, Any]],
    slis: list[dict[str, Any]],
    findings: list[dict[str, Any]],
    now: dt.datetime | None = None,
) -> int:
    """Append one run; returns its id. One transaction: all of it or nothing."""
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    with closing(_connect(path, create=True)) as db:
        try:
            with db:
                cur = db.execute(
                    "INSERT INTO runs (kind, site, recorded_at, started_at, tool_version, "
                    "policy_sha256, complete, gate_failed, findings) VALUES (?,?,?,?,?,?,?,?,?)",
                    (kind, _site_key(site), stamp, started_at, tool_version, policy_sha256,
                     int(complete), int(gate_failed), len(findings)),
                )  # fmt: skip
                run_id = int(cur.lastrowid or 0)
                db.executemany(
                    "INSERT INTO kpis VALUES (?,?,?,?,?,?,?)",
                    [
                        (run_id, k["id"], k["label"], k.get("value"),
                         k.get("number", kpi_number(k.get("value"))), k.get("status"),
                         k.get("moved_by"))
                        for k in kpis
                    ],
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO slis VALUES (?,?,?,?,?,?,?,?,?,?)",
                    [
                        (run_id, s["id"], s["label"], s.get("source"), s.get("pct"),
                         s.get("target_pct"), s.get("status"),
                         (s.get("budget") or {}).get("consumed_pct"),
                         (s.get("consumed_by") or [{}])[0].get("cause"), s.get("moved_by"))
                        for s in slis
                    ],
                )  # fmt: skip
                db.executemany(
                    "INSERT INTO findings VALUES (?,?,?,?,?)",
                    [
                        (run_id, f["fingerprint"], f["rule"], f.get("severity"), f.get("owner"))
                        for f in findings
                    ],
                )
        except sqlite3.Error as exc:
            raise UsageError(f"{path}: could not record the run ({exc})") from None
    return run_id


def record_result(path: Path, result: Any) -> int:
    """``audit --record``: the result's scoreboard, SLIs and fingerprints."""
    return record(
        path,
        kind="audit",
        site=result.site,
        started_at=result.started_at,
        tool_version=result.tool.version,
        policy_sha256=result.policy.sha256,
        complete=result.complete,
        gate_failed=result.gate.failed,
        kpis=list((result.scoreboard or {}).get("kpis") or []),
        slis=list((result.slo or {}).get("slis") or []),
        findings=[f.model_dump(mode="json") for f in result.findings if not f.waived],
    )


def logs_kpis(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The scoreboard a logs run has: crawler load and what verified crawlers were refused."""
    share = report.get("crawler_share") or {}
    refused = sum(c["count"] for c in report.get("conflicts", []))
    spoofed = sum(s["requests"] for s in report.get("spoofed", []))
    requests = share.get("requests")
    return [
        {
            "id": "log_crawler_share",
            "label": "Crawler share of requests (log)",
            "value": f"{requests:.1%}" if requests is not None else "unknown",
            "number": None if requests is None else round(100 * requests, 2),
            "status": "good",
            "moved_by": "infra",
        },
        {
            "id": "log_verified_refused",
            "label": "Verified-crawler requests refused (log)",
            "value": f"{refused:,}",
            "number": float(refused),
            "status": "good" if refused == 0 else "bad",
            "moved_by": "infra",
        },
        {
            "id": "log_spoofed",
            "label": "Requests claiming a crawler, from elsewhere (log)",
            "value": f"{spoofed:,}",
            "number": float(spoofed),
            "status": "good",
            "moved_by": "infra",
        },
    ]


def record_logs(
    path: Path, report: dict[str, Any], policy: Any, *, gate_failed: bool, version: str
) -> int:
    """``logs --record``: the log KPIs, the log SLIs and the confirmed findings."""
    window = report.get("window") or {}
    return record(
        path,
        kind="logs",
        site=policy.site.start,
        started_at=window.get("start"),
        tool_version=version,
        policy_sha256=policy.source.sha256,
        complete=True,
        gate_failed=gate_failed,
        kpis=logs_kpis(report),
        slis=list((report.get("slo") or {}).get("slis") or []),
        findings=list(report.get("findings") or []),
    )


def load_runs(path: Path, *, site: str | None = None, last: int | None = None) -> list[Run]:
    """Recorded runs, oldest first; ``site`` keeps that host's runs and site-less log runs."""
    with closing(_connect(path, create=False)) as db:
        db.row_factory = sqlite3.Row
        query = "SELECT * FROM runs"
        args: list[Any] = []
        if site:
            query += " WHERE site = ? OR site IS NULL"
            args.append(_site_key(site))
        query += " ORDER BY id DESC"
        if last:
            query += " LIMIT ?"
            args.append(last)
        rows = list(reversed(db.execute(query, args).fetchall()))
        runs = []
        for row in rows:
            run = Run(
                id=row["id"],
                kind=row["kind"],
                site=row["site"],
                recorded_at=row["recorded_at"],
                complete=bool(row["complete"]),
                gate_failed=bool(row["gate_failed"]),
                findings=row["findings"],
            )
            for k in db.execute("SELECT * FROM kpis WHERE run_id = ?", (run.id,)):
                run.kpis[k["kpi_id"]] = dict(k)
            for s in db.execute("SELECT * FROM slis WHERE run_id = ?", (run.id,)):
                run.slis[s["sli_id"]] = dict(s)
            for f in db.execute("SELECT * FROM findings WHERE run_id = ?", (run.id,)):
                run.fingerprints[f["fingerprint"]] = dict(f)
            runs.append(run)
    return runs


def sites(path: Path) -> list[str]:
    with closing(_connect(path, create=False)) as db:
        return [r[0] for r in db.execute("SELECT DISTINCT site FROM runs WHERE site IS NOT NULL")]
