"""Log evidence as findings: what verified crawlers really got is a confirmed conflict.

The audit sees blocks through spoofed user-agents, so it cannot tell "the WAF verifies
crawlers" (good) from "the WAF blocks Google" (a conflict) and marks those findings
`needs_verification`. A verified crawler's own 403 in the server log settles it. These
findings reuse the audit's rules (same codes, docs and fixes), with `confidence: confirmed`.
"""

from __future__ import annotations

from typing import Any

from seoaudit.result import AuditResult, Finding, Subject
from seoaudit.rules.base import failed
from seoaudit.rules.catalog import get_rule
from seoaudit.rules.engine import finding_from_check

RULE_FOR_KIND = {
    "blocked": "CH002",
    "rate_limited": "RL001",
    "server_error": "PF002",
    "robots_txt_blocked": "RB001",
    "robots_txt_rate_limited": "RB001",
    "robots_txt_server_error": "RB001",
}
COST = {
    "blocked": "Google treats 401/403 on a page as 'this content does not exist': those URLs "
    "drop out of the index.",
    "rate_limited": "429 slows the crawler for the whole host; URLs that keep failing are "
    "dropped after about two days.",
    "server_error": "5xx makes the crawler back off host-wide; persistent errors drop URLs.",
    "robots_txt_blocked": "A 401/403 robots.txt is read as 'no restrictions': every Disallow "
    "the infrastructure team relies on is ignored.",
    "robots_txt_rate_limited": "A robots.txt answered with 429 or 5xx makes Google stop "
    "crawling the whole host until it can read the file.",
    "robots_txt_server_error": "A robots.txt answered with 5xx makes Google stop crawling the "
    "whole host until it can read the file.",
}
# audit rule families a log conflict kind confirms
CONFIRMS = {"blocked": ("CH",), "rate_limited": ("RL",), "server_error": ("PF", "CH004")}


def log_findings(report: dict[str, Any]) -> list[Finding]:
    findings = []
    for conflict in report.get("conflicts", []):
        rule = get_rule(RULE_FOR_KIND[conflict["kind"]])
        if rule is None:
            continue
        sample = conflict["samples"][0] if conflict["samples"] else {}
        statuses = ", ".join(f"{n}× {s}" for s, n in conflict["statuses"].items())
        check = failed(
            Subject(url=sample.get("url"), bot=conflict["bot"]),
            message=(
                f"Verified {conflict['bot']} got {statuses} in the server log "
                f"({conflict['count']} requests, {conflict['first']} to {conflict['last']})"
            ),
            cost=COST[conflict["kind"]],
            evidence=[{"kind": "log", **s} for s in conflict["samples"]],
            confidence="confirmed",
            pattern=f"log:{conflict['kind']}",
        )
        findings.append(finding_from_check(rule, check))
    return findings


def join_logs(result: AuditResult, report: dict[str, Any]) -> AuditResult:
    """Upgrade `needs_verification` findings to confirmed, or mark them refuted, from logs."""
    verified_bots = {b["bot"]: b for b in report.get("bots", []) if b["verdict"] == "verified"}
    kinds_by_bot: dict[str, set[str]] = {}
    for conflict in report.get("conflicts", []):
        kinds_by_bot.setdefault(conflict["bot"], set()).add(conflict["kind"])
    joined = []
    for finding in result.findings:
        bot = finding.subject.bot
        if finding.confidence != "needs_verification" or not bot or bot not in verified_bots:
            joined.append(finding)
            continue
        kinds = kinds_by_bot.get(bot, set())
        confirming = [
            k
            for k in kinds
            if any(finding.rule.startswith(prefix) for prefix in CONFIRMS.get(k, ()))
        ]
        served = verified_bots[bot]
        ok = sum(n for s, n in served["statuses"].items() if int(s) < 400)
        if confirming:
            finding = finding.model_copy(
                update={
                    "confidence": "confirmed",
                    "verify": f"confirmed by server logs: verified {bot} got {', '.join(sorted(confirming))}",
                    "evidence": [*finding.evidence, _log_evidence(served, "confirmed")],
                }
            )
        elif ok and not kinds:
            finding = finding.model_copy(
                update={
                    "severity": "info",
                    "message": f"[refuted by server logs] {finding.message}",
                    "verify": f"refuted by server logs: verified {bot} was served {ok} requests "
                    "without a 401/403/429/5xx; the block applies to spoofed agents only",
                    "evidence": [*finding.evidence, _log_evidence(served, "refuted")],
                }
            )
        joined.append(finding)
    return result.model_copy(update={"findings": joined, "logs": report})


def _log_evidence(served: dict[str, Any], verdict: str) -> Any:
    from seoaudit.result import Evidence

    return Evidence(
        kind="log",
        verdict=verdict,
        requests=served["requests"],
        statuses=served["statuses"],
    )


def run_logs(
    paths: list[str],
    policy: Any,
    registry: Any,
    *,
    fmt: str = "auto",
    fields: str | None = None,
    preset: str | None = None,
    rdns: bool = False,
    verifier: Any = None,
    engine: str = "auto",
    spark_master: str | None = None,
    memory_limit: str | None = None,
) -> tuple[dict[str, Any], list[Finding]]:
    """The service behind `seoaudit logs` and `audit --logs`: report dict and findings."""
    from seoaudit.logs.engines import analyse
    from seoaudit.logs.verify import Verifier

    required = tuple(b.lower() for b in policy.bots.required)
    report = analyse(
        paths,
        verifier or Verifier(registry, rdns=rdns),
        engine=engine,
        spark_master=spark_master,
        memory_limit=memory_limit,
        fmt=fmt,
        fields=fields,
        preset=preset,
        required=required,
        must_index=tuple(policy.paths.must_index),
    )
    findings = log_findings(report)
    report["findings"] = [f.model_dump(mode="json") for f in findings]
    return report, findings
