"""The active rate probe (opt-in): at what request rate does the site start refusing a crawler?

A stepped ramp on one cheap must-index URL per required bot and the browser control
(0.5, 1, 2, 4 … req/s) up to ``rate.probe_max_rps`` (never above the hard ceiling of 20
req/s), so a limit anywhere below it is found, and never more than
``rate.probe_max_requests`` requests per agent: steps are shortened to fit the cap. Agents
are probed one after another, with a recovery pause after one drew a limit, because they
share one IP and a limiter's bucket must refill before the next agent is measured. It
stops at the first 429 or 503, challenge, block, connection failure, or a time-to-first-
byte blow-up (step p50 over three times the first step's, and at least 100 ms more),
honours Retry-After, then fetches robots.txt once to see whether the limiter covers it too. Everything it sends is
recorded like any other exchange.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from seoaudit.gather.fetcher import Fetcher
from seoaudit.snapshot import Profile, RateProbe, RateProbePoint
from seoaudit.web.classify import classify_exchange
from seoaudit.web.headers import parse_retry_after
from seoaudit.web.urls import origin_of

HARD_CEILING_RPS = 20.0  # whatever the policy says
STEPS_RPS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 20.0)
DEFAULT_STEP_S = 3.0
TTFB_BLOWUP = 3.0
TTFB_BLOWUP_MIN_MS = 100.0  # and at least this much slower: 1 → 4 ms is scheduling, not load
MAX_RETRY_WAIT_S = 30.0
QUIET_GAP_S = 2.0
RECOVERY_S = 10.0  # after an agent drew a limit, before the next agent is probed
MIN_PER_STEP = 3


def ramp(policy: Any) -> list[float]:
    """The steps to climb: every standard step up to rate.probe_max_rps (and the hard cap)."""
    ceiling = min(float(policy.rate.probe_max_rps), HARD_CEILING_RPS)
    steps = [s for s in STEPS_RPS if s <= ceiling]
    if not steps or steps[-1] < ceiling:
        steps.append(ceiling)
    return steps


def step_counts(policy: Any, step_s: float) -> list[int]:
    """Requests per step: ``rate × step_s`` each (at least MIN_PER_STEP), shortened until the
    whole ramp fits rate.probe_max_requests."""
    steps = ramp(policy)
    budget = int(policy.rate.probe_max_requests)
    while True:
        counts = [max(MIN_PER_STEP, round(rate * step_s)) for rate in steps]
        if sum(counts) <= budget or step_s <= 0.05:
            return counts
        step_s *= 0.8


def probe_targets(profiles: list[Profile], policy: Any) -> list[Profile]:
    required = set(policy.bots.required)
    chosen = [p for p in profiles if p.kind == "bot" and p.bot in required]
    chosen += [p for p in profiles if p.kind == "browser"]
    return chosen


async def probe_one(
    fetcher: Fetcher,
    profile: Profile,
    url: str,
    policy: Any,
    *,
    step_s: float = DEFAULT_STEP_S,
    progress: Callable[[str], None] | None = None,
) -> RateProbe:
    probe = RateProbe(profile=profile.id, url=url)
    budget = int(policy.rate.probe_max_requests)
    sent = 0
    first_p50: float | None = None
    started = time.monotonic()
    retry_after: float | None = None
    steps = ramp(policy)
    counts = step_counts(policy, step_s)
    # Start after a quiet gap, so the crawl's own requests do not count against the first step.
    next_at = time.monotonic() + min(QUIET_GAP_S, step_s, 1.0 / steps[0])
    for rate, count in zip(steps, counts, strict=True):
        interval = 1.0 / rate
        ttfbs: list[float] = []
        if progress is not None:
            progress(f"rate probe {profile.id} at {rate:g} req/s")
        for _ in range(count):
            if sent >= budget:
                probe.stopped_because = f"request cap reached (rate.probe_max_requests = {budget})"
                return await _finish(fetcher, probe, profile, url, retry_after)
            wait = next_at - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            next_at = max(next_at, time.monotonic()) + interval
            fetched = await fetcher.fetch(
                url,
                profile=profile.id,
                user_agent=profile.user_agent,
                purpose="rate_probe",
                max_body_bytes=64 * 1024,
                paced=False,
            )
            sent += 1
            exchange = fetched.exchange
            probe.points.append(
                RateProbePoint(
                    t_s=round(time.monotonic() - started, 3),
                    step_rps=rate,
                    status=exchange.status,
                    ttfb_ms=exchange.timing.ttfb_ms,
                    exchange_id=exchange.id,
                )
            )
            kind = classify_exchange(exchange).kind
            if exchange.status in (429, 503) or kind in (
                "challenge",
                "block",
                "rate_limited",
                "error",
            ):
                probe.onset_rps = rate
                what = (
                    exchange.status
                    if exchange.status is not None
                    else (exchange.error.kind if exchange.error else kind)
                )
                probe.stopped_because = f"{what} at {rate:g} req/s ({kind})"
                retry_after = parse_retry_after(exchange.header("retry-after"))
                return await _finish(fetcher, probe, profile, url, retry_after)
            if exchange.timing.ttfb_ms is not None:
                ttfbs.append(exchange.timing.ttfb_ms)
        if ttfbs:
            p50 = statistics.median(ttfbs)
            if first_p50 is None:
                first_p50 = max(p50, 1.0)
            elif p50 > TTFB_BLOWUP * first_p50 and p50 - first_p50 >= TTFB_BLOWUP_MIN_MS:
                probe.onset_rps = rate
                probe.stopped_because = (
                    f"time to first byte rose from {first_p50:.0f} to {p50:.0f} ms "
                    f"at {rate:g} req/s"
                )
                return await _finish(fetcher, probe, profile, url, None)
    probe.stopped_because = f"no limit up to {ramp(policy)[-1]:g} req/s"
    return await _finish(fetcher, probe, profile, url, None)


async def _finish(
    fetcher: Fetcher, probe: RateProbe, profile: Profile, url: str, retry_after: float | None
) -> RateProbe:
    """After a limit: wait out Retry-After (bounded), then see whether robots.txt is limited too."""
    if probe.onset_rps is None:
        return probe
    if retry_after:
        await asyncio.sleep(min(retry_after, MAX_RETRY_WAIT_S))
    fetched = await fetcher.fetch(
        origin_of(url) + "/robots.txt",
        profile=profile.id,
        user_agent=profile.user_agent,
        purpose="rate_probe",
        max_redirects=5,
        paced=False,
    )
    probe.robots_exchange_id = fetched.exchange.id
    return probe


async def run_rate_probes(
    fetcher: Fetcher,
    profiles: list[Profile],
    policy: Any,
    candidates: list[str],
    *,
    notice: Callable[[str], None],
    step_s: float = DEFAULT_STEP_S,
    progress: Callable[[str], None] | None = None,
) -> list[RateProbe]:
    """Probe each required bot and the browser in turn (never in parallel: one load at a time)."""
    if not candidates:
        notice("rate probe skipped: no must-index URL to probe")
        return []
    url = candidates[0]
    targets = probe_targets(profiles, policy)
    steps = ramp(policy)
    notice(
        f"rate probe: {len(targets)} agent(s) on {url}, ramp {', '.join(f'{s:g}' for s in steps)} "
        f"req/s, at most {policy.rate.probe_max_requests} requests each; stops at the first limit"
    )
    probes: list[RateProbe] = []
    for profile in targets:
        if probes and probes[-1].onset_rps is not None:
            await asyncio.sleep(min(RECOVERY_S, max(step_s, 1.0) * 3))  # let the bucket refill
        probes.append(
            await probe_one(fetcher, profile, url, policy, step_s=step_s, progress=progress)
        )
    return probes
