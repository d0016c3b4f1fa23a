"""Compare two results by finding fingerprint: what is new, what was fixed, what stayed."""

from __future__ import annotations

from dataclasses import dataclass, field

from seoaudit.result import AuditResult, Finding


@dataclass
class ResultDiff:
    new: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        def brief(f: Finding) -> dict[str, object]:
            return {
                "fingerprint": f.fingerprint,
                "rule": f.rule,
                "severity": f.severity,
                "subject": f.subject.model_dump(),
                "message": f.message,
            }

        return {
            "new": [brief(f) for f in self.new],
            "fixed": [brief(f) for f in self.fixed],
            "unchanged": [brief(f) for f in self.unchanged],
        }


def diff_results(old: AuditResult, new: AuditResult) -> ResultDiff:
    before = {f.fingerprint: f for f in old.findings}
    after = {f.fingerprint: f for f in new.findings}
    return ResultDiff(
        new=[f for fp, f in after.items() if fp not in before],
        fixed=[f for fp, f in before.items() if fp not in after],
        unchanged=[f for fp, f in after.items() if fp in before],
    )
