"""SARIF 2.1.0 for code scanning: rules from the rule docs, results with stable fingerprints.

Shaped for GitHub's ingestion as well as the OASIS schema: locations are relative to the
repository root (``%SRCROOT%``), each rule links its primary reference (``helpUri``), tags stay
under GitHub's 20 per rule, and a run never carries more than GitHub's 25,000 results: the most
severe are kept, and the run says how many were left out.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from urllib.parse import quote

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.locations import SRCROOT, artifact_location, location
from seoaudit.result import AuditResult, Finding, RuleInfo

LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
MAX_RESULTS = 25_000  # GitHub rejects a run with more results
MAX_TAGS = 20  # GitHub keeps at most 20 tags per rule
_ORDER = {"error": 0, "warning": 1, "info": 2}


def _help_uri(info: RuleInfo) -> str | None:
    """The rule's primary public reference (Google's, Bing's or the RFC's page)."""
    for ref in info.docs.get("references", []):
        if isinstance(ref, str) and ref.startswith(("https://", "http://")):
            return ref
    return None


def _rule(info: RuleInfo) -> dict[str, object]:
    docs = info.docs
    help_md = (
        f"**What it checks:** {docs.get('what', '')}\n\n**Why it matters:** {docs.get('why', '')}\n\n"
        f"**Why it happens:** {docs.get('why_happens', '')}\n\n**Example:**\n\n```\n{docs.get('example', '')}\n```\n\n"
        f"**Fix:** {docs.get('fix', '')}\n\n**What the protection gives up:** {docs.get('gives_up', '')}\n\n"
        + "".join(f"- {r}\n" for r in docs.get("references", []))
    )
    rule: dict[str, object] = {
        "id": info.code,
        "name": info.slug,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": docs.get("what", info.title)},
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[info.severity]},
        "properties": {
            "owner": info.owner,
            "protection": info.protection,
            "tags": list(dict.fromkeys([info.owner, info.protection]))[:MAX_TAGS],
        },
    }
    uri = _help_uri(info)
    if uri:
        rule["helpUri"] = uri
    return rule


def _result(f: Finding, result: AuditResult, options: RenderOptions, index: dict[str, int]):  # type: ignore[no-untyped-def]
    path, line = location(f, result, options.robots_file)
    where = f.subject.url or f.subject.host or result.site
    who = f" as {f.subject.bot}" if f.subject.bot else ""
    text = f"{f.message} [{where}{who}] — Cost: {f.cost} Fix: {f.fix.summary}"
    region = {"startLine": max(1, line or 1)}
    artifact = artifact_location(path, options.source_root, options.working_dir)
    entry: dict[str, object] = {
        "ruleId": f.rule,
        "level": LEVEL[f.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
        "partialFingerprints": {"seoaudit/v1": f.fingerprint},
        "properties": {
            "url": f.subject.url,
            "host": f.subject.host,
            "bot": f.subject.bot,
            "owner": f.owner,
            "protection": f.protection,
            "confidence": f.confidence,
            "cost": f.cost,
            "fixSteps": f.fix.steps,
        },
    }
    if f.rule in index:
        entry["ruleIndex"] = index[f.rule]
    if f.waived:
        reason = (f.waiver or {}).get("reason", "waived in policy")
        entry["suppressions"] = [{"kind": "external", "justification": str(reason)}]
    return entry


def render(result: AuditResult, options: RenderOptions) -> str:
    rules = [_rule(r) for r in result.rules]
    index = {r.code: i for i, r in enumerate(result.rules)}
    findings = sorted(result.findings, key=lambda f: _ORDER[f.severity])  # stable: most severe kept
    kept, dropped = findings[:MAX_RESULTS], max(0, len(findings) - MAX_RESULTS)
    invocation: dict[str, object] = {
        "executionSuccessful": result.complete,
        "startTimeUtc": result.started_at,
        **({"endTimeUtc": result.finished_at} if result.finished_at else {}),
    }
    if dropped:
        invocation["toolExecutionNotifications"] = [
            {
                "level": "warning",
                "message": {
                    "text": f"{dropped} less severe result(s) left out: a code scanning run "
                    f"takes at most {MAX_RESULTS:,}. The JSON result has every finding."
                },
            }
        ]
    run: dict[str, object] = {
        "tool": {
            "driver": {
                "name": "seoaudit",
                "version": result.tool.version,
                "semanticVersion": result.tool.version,
                "rules": rules,
            }
        },
        "results": [_result(f, result, options, index) for f in kept],
        "invocations": [invocation],
        "properties": {
            "site": result.site,
            "complete": result.complete,
            "gate": result.gate.model_dump(),
            "resultsLeftOut": dropped,
        },
    }
    if options.source_root:
        root = PurePath(options.source_root).as_posix().rstrip("/") + "/"
        run["originalUriBaseIds"] = {SRCROOT: {"uri": "file://" + quote(root, safe="/")}}
    sarif = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2) + "\n"


REPORTER = Reporter(
    name="sarif", extension="sarif", description="SARIF 2.1.0 for code scanning", render=render
)
