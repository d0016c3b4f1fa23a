"""Compare two results by finding fingerprint: what is new, what was fixed, what stayed.

A diff only means something between audits of the same site, both complete: two sites
share no fingerprints (every finding would read as fixed and new), and a finding missing
from an incomplete audit may simply not have been checked. ``comparable`` refuses the
first and ``diff_results`` names the second, so no report says "Fixed (46)" for either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seoaudit.errors import UsageError
from seoaudit.result import AuditResult, Finding


def site_key(site: str) -> str:
    """The host a result audited, as fingerprints see it (no scheme, no port)."""
    return (urlsplit(site if "//" in site else f"//{site}").hostname or site).lower()


def comparable(old: AuditResult, new: AuditResult, *, old_name: str, new_name: str) -> None:
    """Raise a usage error when the two results audited different sites."""
    a, b = site_key(old.site), site_key(new.site)
    if a != b:
        raise UsageError(
            f"{old_name} audited {a} and {new_name} audited {b}: findings of different sites "
            "share no fingerprints, so every one would read as fixed or new. Compare two "
            "audits of the same site."
        )


def incomplete_note(result: AuditResult, name: str) -> str | None:
    if result.complete:
        return None
    why = result.incomplete_reason or "the audit did not finish"
    return f"{name} is an incomplete audit ({why})"


@dataclass
class ResultDiff:
    new: list[Finding] = field(default_factory=list)
    fixed: list[Finding] = field(default_factory=list)
    unchanged: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    new_complete: bool = True  # False: "fixed" only means "not seen in the new audit"

    def as_dict(self) -> dict[str, object]:
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
            "fixed_means": "fixed"
            if self.new_complete
            else "not seen (the new audit is incomplete)",
            "warnings": self.warnings,
        }


def diff_results(
    old: AuditResult, new: AuditResult, *, old_name: str = "OLD", new_name: str = "NEW"
) -> ResultDiff:
    comparable(old, new, old_name=old_name, new_name=new_name)
    before = {f.fingerprint: f for f in old.findings}
    after = {f.fingerprint: f for f in new.findings}
    warnings = [n for n in (incomplete_note(old, old_name), incomplete_note(new, new_name)) if n]
    if not new.complete:
        warnings.append(
            f"findings of {old_name} that {new_name} lacks are listed as not seen, not as "
            "fixed: the incomplete audit may not have checked them"
        )
    if not old.complete:
        warnings.append(
            f"findings listed as new may have existed before: {old_name} did not check everything"
        )
    return ResultDiff(
        new=[f for fp, f in after.items() if fp not in before],
        fixed=[f for fp, f in before.items() if fp not in after],
        unchanged=[f for fp, f in after.items() if fp in before],
        warnings=warnings,
        new_complete=new.complete,
    )
