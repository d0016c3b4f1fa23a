"""The request plan: what a gather will fetch, and how long that takes, before it starts.

Computed from the policy and the run's profiles before the first request: robots.txt per
origin × agent, sitemaps, discovery pages, per-bot samples, assets, canonical targets,
re-checks and the rate probe. Its duration is the request count at ``crawl.max_rps`` plus
the rate probe's schedule; when that does not fit ``crawl.max_time_s`` (with room for the
pauses a limiter can ask for) the per-bot samples are cut first, then the discovery pages,
and the plan says so. Once the crawl has found how big the site is, ``fit_samples`` sizes
the samples again to the time that is left at the pace the host really allowed, so the
audit ends within its limit.

What the plan knows of time is the audit's own: the rate ceiling, the rate probe's ramp,
and the pauses it makes when a host refuses (each re-check waits ``calm_gap`` after the
request before it; a 429/503 pauses the host for a first back-off). Those pauses are
counted per phase (``PlanStep.pauses_s``) as an "up to" beside the duration, since only a
refusal sets them off. What it cannot know is the server: its response time (with
``crawl.concurrency`` requests in flight, a slow host is what a fast ceiling waits on) and
the Retry-After values it sends. The line says so rather than guessing.
"""

from __future__ import annotations

import math
import time

from seoaudit.gather.fetcher import first_backoff_s
from seoaudit.gather.phases.rechecks import RECHECK_MAX_REQUESTS
from seoaudit.gather.phases.robots import ROBOTS_RECHECK_MAX
from seoaudit.gather.phases.samples import MAX_ASSETS, MAX_CANONICAL_TARGETS
from seoaudit.gather.phases.sitemaps import SITEMAP_MAX_FILES
from seoaudit.gather.rate_probe import HARD_CEILING_RPS, QUIET_GAP_S, probe_targets, ramp
from seoaudit.gather.rate_probe import step_counts as probe_step_counts
from seoaudit.gather.state import GatherRun
from seoaudit.snapshot import PlanStep, RequestPlan

TIME_SHARE = 0.8  # the plan fills at most this share of crawl.max_time_s: the rest is for
# the pauses 429/503 and Retry-After impose, which no plan can know in advance
MIN_SAMPLE_PER_BOT = 10
MIN_PAGES = 20
RECHECK_RESERVE = 8  # re-check requests the plan keeps time for (each at a calm pace)


def _probing(state: GatherRun) -> int:
    return sum(1 for p in state.profiles if p.id != "seoaudit")


def _asset_agents(state: GatherRun) -> int:
    required = set(state.policy.bots.required)
    return sum(1 for p in state.profiles if p.kind == "browser" or p.bot in required)


def _rate_probe(state: GatherRun) -> tuple[int, float]:
    """(requests, seconds) of the opt-in rate probe: its own schedule, under its own cap."""
    if not (state.options.probe_rate or state.policy.rate.probe):
        return 0, 0.0
    targets = len(probe_targets(state.profiles, state.policy))
    counts = probe_step_counts(state.policy, state.options.probe_step_s)
    rates = [min(r, HARD_CEILING_RPS) for r in ramp(state.policy)]
    per_agent = sum(c / r for c, r in zip(counts, rates, strict=True)) + QUIET_GAP_S
    return (sum(counts) + 1) * targets, per_agent * targets


def _seconds(requests: int, rps: float | None) -> float:
    return requests / rps if rps else 0.0


def build_plan(state: GatherRun) -> RequestPlan:
    """The plan before the first request, cut to fit ``crawl.max_time_s``."""
    crawl = state.policy.crawl
    rps = state.settings.max_rps
    probing = _probing(state)
    sample = int(crawl.sample_per_bot)
    pages = int(state.max_pages)
    robots = len(state.origins) * len(state.profiles)
    sitemaps = len(state.origins) if crawl.sitemaps else 0
    assets = MAX_ASSETS * _asset_agents(state)
    probe_requests, probe_s = _rate_probe(state)
    calm = state.calm_gap()
    fixed = robots + sitemaps + assets
    budget_s = crawl.max_time_s * TIME_SHARE - probe_s - RECHECK_RESERVE * calm
    cuts: list[str] = []
    if rps:
        allowed = max(0, math.floor(budget_s * rps))
        if fixed + pages + sample * probing > allowed and probing:
            fitted = max(MIN_SAMPLE_PER_BOT, (allowed - fixed - pages) // probing)
            if fitted < sample:
                cuts.append(
                    f"per-bot sample {sample} → {fitted} URLs (crawl.sample_per_bot), to fit "
                    f"crawl.max_time_s = {crawl.max_time_s:g} s at {rps:g} req/s"
                )
                sample = fitted
        if fixed + pages + sample * probing > allowed:
            fitted = max(MIN_PAGES, allowed - fixed - sample * probing)
            if fitted < pages:
                cuts.append(
                    f"discovery pages {pages} → {fitted} (crawl.max_pages), to fit "
                    f"crawl.max_time_s = {crawl.max_time_s:g} s at {rps:g} req/s"
                )
                pages = fitted
    backoff = first_backoff_s(state.policy.rate.min_rps)
    steps = [
        PlanStep(
            phase="robots",
            requests=robots,
            at_most=robots + ROBOTS_RECHECK_MAX,
            note=f"{len(state.origins)} origin(s) × {len(state.profiles)} agents",
            pauses_s=round(backoff + ROBOTS_RECHECK_MAX * calm, 1),
        ),
        PlanStep(
            phase="sitemaps",
            requests=sitemaps,
            at_most=SITEMAP_MAX_FILES if crawl.sitemaps else 0,
            note="more when an index lists children" if crawl.sitemaps else "off",
            # each refused file is fetched once more after a calm gap
            pauses_s=round(backoff + sitemaps * calm, 1) if sitemaps else 0.0,
        ),
        PlanStep(
            phase="discovery",
            requests=pages,
            at_most=pages,
            note="at most; a smaller site takes fewer",
            pauses_s=backoff,
        ),
        PlanStep(
            phase="samples",
            requests=sample * probing,
            at_most=sample * probing,
            note=f"{sample} URLs × {probing} agents, spread over the site's sections",
            pauses_s=backoff if probing else 0.0,
        ),
        PlanStep(
            phase="assets",
            requests=assets,
            at_most=assets,
            note=f"{MAX_ASSETS} × {_asset_agents(state)} agents (browser, required bots)",
        ),
        PlanStep(
            phase="canonicals",
            requests=0,
            at_most=MAX_CANONICAL_TARGETS,
            note="canonical targets nobody fetched",
        ),
        PlanStep(
            phase="rechecks",
            requests=0,
            at_most=RECHECK_MAX_REQUESTS,
            note=f"only after refusals, {calm:.2g} s apart",
            pauses_s=round(RECHECK_MAX_REQUESTS * calm, 1),
        ),
    ]
    if probe_requests:
        steps.append(
            PlanStep(
                phase="rate_probe",
                requests=probe_requests,
                at_most=probe_requests,
                note=f"its own ramp, about {probe_s:.0f} s",
            )
        )
    total = sum(s.requests for s in steps)
    paced = total - probe_requests
    return RequestPlan(
        max_rps=rps,
        max_time_s=crawl.max_time_s,
        requests=total,
        duration_s=round(_seconds(paced, rps) + probe_s, 1) if rps else None,
        pauses_s=round(sum(s.pauses_s for s in steps), 1),
        steps=steps,
        cuts=cuts,
        sample_per_bot=sample,
        max_pages=pages,
    )


def describe(plan: RequestPlan) -> str:
    """The line printed before the first request: "about 640 requests, ~2.5 min at 5 req/s"."""
    if plan.duration_s is None:
        line = f"plan: about {plan.requests:,} requests (no rate ceiling)"
    else:
        line = (
            f"plan: about {plan.requests:,} requests, ~{_duration(plan.duration_s)} at "
            f"{plan.max_rps:g} req/s (limit {_duration(plan.max_time_s)})"
        )
    parts = [f"{s.phase} {s.requests}" for s in plan.steps if s.requests]
    line += ": " + ", ".join(parts)
    line += (
        f"\n  time: up to {_duration(plan.pauses_s)} more if the host refuses (calm "
        "re-checks, back-offs); the server's response time and its Retry-After values "
        "are not known before the first request"
    )
    for cut in plan.cuts:
        line += f"\n  cut to fit: {cut}"
    return line


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def fit_samples(state: GatherRun, plan: RequestPlan, started: float, urls_known: int) -> int:
    """The per-agent sample that still fits the time left, at the pace the host allowed.

    Called after discovery, when the site's size is known. The pace is what the run
    measured so far (never above ``crawl.max_rps``): a host that slowed us down gets a
    smaller sample, not an audit that runs out of time."""
    sample = plan.sample_per_bot
    probing = _probing(state)
    rps = state.settings.max_rps
    if not rps or not probing:
        return sample
    elapsed = max(0.0, time.monotonic() - started)
    measured = state.stats.requests / elapsed if elapsed > 1.0 else rps
    pace = min(rps, max(measured, rps * 0.1))
    _probe_requests, probe_s = _rate_probe(state)
    left_s = (
        state.policy.crawl.max_time_s * TIME_SHARE
        - elapsed
        - probe_s
        - RECHECK_RESERVE * state.calm_gap()
    )
    assets = MAX_ASSETS * _asset_agents(state)
    allowed = math.floor(max(0.0, left_s) * pace) - assets
    fitted = max(1, min(sample, allowed // probing))
    if fitted < sample:
        plan.revisions.append(
            f"after discovery ({urls_known:,} URLs known, {state.stats.requests} requests in "
            f"{elapsed:.0f} s at {pace:.2g} req/s): per-bot sample {sample} → {fitted} URLs to "
            f"end within crawl.max_time_s = {state.policy.crawl.max_time_s:g} s"
        )
        plan.sample_per_bot = fitted
    return fitted
