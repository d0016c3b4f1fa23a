"""Response-time figures per profile (pure arithmetic over recorded exchanges)."""

from __future__ import annotations

from seoaudit.analysis.context import RuleContext


def percentile(values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


def ttfbs(ctx: RuleContext, profile: str) -> list[float]:
    return ctx.cached(
        f"ttfb:{profile}",
        lambda: [
            e.timing.ttfb_ms
            for e in ctx.snapshot.exchanges
            if e.profile == profile
            and e.purpose in ("page", "probe")
            and e.timing.ttfb_ms is not None
            and e.status is not None
        ],
    )
