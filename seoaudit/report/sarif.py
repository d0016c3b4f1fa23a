"""SARIF 2.1.0 for code scanning: rules from the rule docs, results with stable fingerprints."""

from __future__ import annotations

import json

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.locations import location
from seoaudit.result import AuditResult, RuleInfo

LEVEL = {"error": "error", "warning": "warning", "info": "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/seoaudit/seoaudit"


def _rule(info: RuleInfo) -> dict[str, object]:
    docs = info.docs
    help_md = (
        f"**What it checks:** {docs.get('what', '')}\n\n**Why it matters:** {docs.get('why', '')}\n\n"
        f"**Why it happens:** {docs.get('why_happens', '')}\n\n**Example:**\n\n```\n{docs.get('example', '')}\n```\n\n"
        f"**Fix:** {docs.get('fix', '')}\n\n**What the protection gives up:** {docs.get('gives_up', '')}\n\n"
        + "".join(f"- {r}\n" for r in docs.get("references", []))
    )
    return {
        "id": info.code,
        "name": info.slug,
        "shortDescription": {"text": info.title},
        "fullDescription": {"text": docs.get("what", info.title)},
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[info.severity]},
        "properties": {
            "owner": info.owner,
            "protection": info.protection,
            "tags": [info.owner, info.protection],
        },
    }


def render(result: AuditResult, options: RenderOptions) -> str:
    rules = [_rule(r) for r in result.rules]
    index = {r.code: i for i, r in enumerate(result.rules)}
    results = []
    for f in result.findings:
        uri, line = location(f, result, options.robots_file)
        where = f.subject.url or f.subject.host or result.site
        who = f" as {f.subject.bot}" if f.subject.bot else ""
        text = f"{f.message} [{where}{who}] — Cost: {f.cost} Fix: {f.fix.summary}"
        region = {"startLine": max(1, line or 1)}
        entry: dict[str, object] = {
            "ruleId": f.rule,
            "level": LEVEL[f.severity],
            "message": {"text": text},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}
            ],
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
        results.append(entry)
    sarif = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "seoaudit",
                        "version": result.tool.version,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": result.complete,
                        "startTimeUtc": result.started_at,
                        **({"endTimeUtc": result.finished_at} if result.finished_at else {}),
                    }
                ],
                "properties": {
                    "site": result.site,
                    "complete": result.complete,
                    "gate": result.gate.model_dump(),
                },
            }
        ],
    }
    return json.dumps(sarif, indent=2) + "\n"


REPORTER = Reporter(
    name="sarif", extension="sarif", description="SARIF 2.1.0 for code scanning", render=render
)
