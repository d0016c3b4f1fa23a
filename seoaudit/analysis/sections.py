"""Coverage by section: on how many of the site's sections each agent was refused.

The gather groups every known URL into sections by path template and fetches a sample of
each as every agent (``snapshot.sections``); here each section's sampled answers are read
per agent, so a report can say "googlebot is challenged on 2 of 41 sections: /products/*,
/cart/*" whatever the site's size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from seoaudit.analysis.context import RuleContext
from seoaudit.analysis.site_pages import url_views

NAMED_SECTIONS = 5  # templates named in a sentence; the rest are counted


@dataclass
class SectionCoverage:
    """One agent's answers over the site's sections."""

    profile: str
    total: int  # sections the site has (known URLs)
    sampled: int  # sections with at least one URL fetched as this agent
    challenged: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # blocks and soft blocks

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "sampled": self.sampled,
            "challenged": len(self.challenged),
            "blocked": len(self.blocked),
            "challenged_sections": self.challenged,
            "blocked_sections": self.blocked,
        }


def section_coverage(ctx: RuleContext, profile: str) -> SectionCoverage:
    """Which sections answered ``profile`` with a challenge or a block on a sampled URL
    that the browser control was served."""

    def build() -> SectionCoverage:
        views = url_views(ctx)
        sections = ctx.snapshot.sections
        cover = SectionCoverage(profile, total=len(sections), sampled=0)
        for section in sections:
            kinds = []
            for url in section.sample:
                view = views.get(url)
                answer = view.by_profile.get(profile) if view is not None else None
                if answer is None or view is None:
                    continue
                # A URL the browser is refused too (a login wall, an outage) says nothing
                # about crawlers: only the answers where people were served count.
                kinds.append(answer.classification.kind if view.browser_ok() else "ok")
            if not kinds:
                continue
            cover.sampled += 1
            if "challenge" in kinds:
                cover.challenged.append(section.template)
            elif any(k in ("block", "soft_block") for k in kinds):
                cover.blocked.append(section.template)
        return cover

    return ctx.cached(f"section_coverage:{profile}", build)


def coverage_sentence(name: str, coverage: dict[str, Any]) -> str | None:
    """ "googlebot is challenged on 2 of 41 sections: /products/*, /cart/*" (None when the
    snapshot has no sections, e.g. an older snapshot)."""
    total = coverage.get("total") or 0
    if not total:
        return None
    parts = []
    for verb, key in (("challenged", "challenged_sections"), ("blocked", "blocked_sections")):
        templates = coverage.get(key) or []
        if templates:
            named = ", ".join(templates[:NAMED_SECTIONS])
            more = len(templates) - NAMED_SECTIONS
            named += f" and {more} more" if more > 0 else ""
            parts.append(f"{verb} on {len(templates)} of {total} sections: {named}")
    sampled = coverage.get("sampled") or 0
    if not parts:
        return f"{name} is served on all {sampled} sampled sections of {total}"
    return f"{name} is " + "; ".join(parts)
