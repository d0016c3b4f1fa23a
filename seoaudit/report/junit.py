"""JUnit XML for CI test tabs: a suite per host, a case per rule × subject outcome.

Only findings that count toward the gate (``--fail-on``, waivers, baseline) are
``<failure>``s, so the test tab is red exactly when the job is; a finding below the gate is a
passing case whose ``<system-out>`` says what was found. Evidence is written for people
(request → response, quoted robots.txt lines), from the shared evidence renderer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from seoaudit.report.base import RenderOptions, Reporter
from seoaudit.report.evidence import render_evidence
from seoaudit.result import SEVERITY_RANK, AuditResult, Finding

_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _text(value: object) -> str:
    """XML 1.0 cannot carry control characters: drop them from site-provided text."""
    return str(value).translate(_CONTROL)


def _host_of(subject: str, fallback: str) -> str:
    """Outcome subjects read ``<bot> <url or host>[ line N]`` (``Subject.key()``)."""
    parts = subject.split()
    where = parts[1] if len(parts) > 1 else ""
    if "://" in where:
        return urlsplit(where).netloc or fallback
    return where if where and where != "site" else fallback


def _details(finding: Finding, site: str) -> str:
    views = [render_evidence(e, site) for e in finding.evidence[:5]]
    evidence = "\n".join("- " + v.headline + "".join(f"\n    {q}" for q in v.quote) for v in views)
    return (
        f"{finding.message}\nCost: {finding.cost}\nConfidence: {finding.confidence}\n"
        f"Fix: {finding.fix.summary}\nEvidence:\n{evidence}"
    )


def _gates(finding: Finding | None, rule: str, result: AuditResult, options: RenderOptions) -> bool:
    """Does this failed outcome count toward the gate (and so fail the CI job)?"""
    if finding is not None and options.gating is not None:
        return finding.fingerprint in options.gating
    fail_on = result.gate.fail_on
    if fail_on == "never":
        return False
    if finding is None:  # an outcome without its finding: judge by the rule's severity
        info = result.rule_info(rule)
        return info is None or SEVERITY_RANK[info.severity] >= SEVERITY_RANK[fail_on]
    return not finding.waived and SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]


def _duration(result: AuditResult) -> float:
    try:
        start = datetime.fromisoformat(result.started_at)
        end = datetime.fromisoformat(result.finished_at) if result.finished_at else None
    except ValueError:
        return result.stats.duration_s
    return max(0.0, (end - start).total_seconds()) if end else result.stats.duration_s


def render(result: AuditResult, options: RenderOptions) -> str:
    fallback = urlsplit(result.site).netloc or result.site
    findings: dict[tuple[str, str], Finding] = {
        (f.rule, f.subject.key()): f for f in result.findings
    }
    by_host: dict[str, list] = defaultdict(list)
    for outcome in result.outcomes:
        by_host[_host_of(outcome.subject, fallback)].append(outcome)
    duration = f"{_duration(result):.3f}"
    root = etree.Element(
        "testsuites", name="seoaudit", tests=str(len(result.outcomes)), time=duration
    )
    total_fail = total_err = 0
    for host, outcomes in sorted(by_host.items()):
        suite = etree.SubElement(
            root,
            "testsuite",
            name=_text(host),
            tests=str(len(outcomes)),
            time=duration,
            timestamp=_text(result.started_at),
        )
        fails = errors = skipped = 0
        for o in outcomes:
            info = result.rule_info(o.rule)
            case = etree.SubElement(
                suite,
                "testcase",
                name=_text(f"{o.rule} {o.subject}"),
                classname=_text(f"seoaudit.{o.rule}.{info.slug if info else o.rule}"),
                time="0",
            )
            finding = findings.get((o.rule, o.subject))
            if o.outcome == "fail" and _gates(finding, o.rule, result, options):
                fails += 1
                failure = etree.SubElement(
                    case,
                    "failure",
                    type=finding.severity if finding else "error",
                    message=_text(o.reason),
                )
                if finding is not None:
                    failure.text = _text(_details(finding, result.site))
            elif o.outcome == "fail":
                out = etree.SubElement(case, "system-out")
                what = _details(finding, result.site) if finding is not None else o.reason
                severity = finding.severity if finding is not None else "a"
                out.text = _text(
                    f"{severity} finding that does not gate (--fail-on {result.gate.fail_on}"
                    f"{', baseline' if result.gate.baseline else ''}"
                    f"{', waived' if finding is not None and finding.waived else ''}): {what}"
                )
            elif o.outcome == "error":
                errors += 1
                etree.SubElement(case, "error", type="rule_error", message=_text(o.reason))
            elif o.outcome in ("inconclusive", "not_applicable"):
                skipped += 1
                etree.SubElement(case, "skipped", message=_text(f"{o.outcome}: {o.reason}"))
            elif o.outcome == "waived":
                skipped += 1
                waiver = (finding.waiver if finding else None) or {}
                etree.SubElement(
                    case,
                    "skipped",
                    message=_text(
                        f"waived by policy (owner {waiver.get('owner')}, until {waiver.get('expires')}): "
                        f"{waiver.get('reason', '')}"
                    ),
                )
        suite.set("failures", str(fails))
        suite.set("errors", str(errors))
        suite.set("skipped", str(skipped))
        total_fail += fails
        total_err += errors
    root.set("failures", str(total_fail))
    root.set("errors", str(total_err))
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()


REPORTER = Reporter(
    name="junit",
    extension="xml",
    description="JUnit XML (Jenkins, GitLab, CircleCI)",
    render=render,
)
