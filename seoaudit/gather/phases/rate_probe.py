"""Phase 6: the opt-in active rate probe (``gather/rate_probe.py``), on the cheapest
must-index page the crawl served."""

from __future__ import annotations

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.phases.samples import probe_sample
from seoaudit.gather.rate_probe import run_rate_probes
from seoaudit.gather.state import GatherRun


def wanted(state: GatherRun) -> bool:
    return bool(state.options.probe_rate or state.policy.rate.probe)


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("rate probe")
    sample = probe_sample(state)
    size: dict[str, int] = {}
    for url in sample:  # the body sizes the crawl saw, from the store, for the sample only
        served = state.store.scalar(
            "SELECT body_bytes FROM exchanges WHERE url = ? AND purpose = 'page' AND "
            "status = 200 AND error_kind IS NULL ORDER BY id DESC LIMIT 1",
            (url,),
        )
        if served is not None:
            size[url] = served
    must = [u for u in sample if u in size and state.must_index_match(u)]
    cheap = sorted(must, key=lambda u: size[u]) or [u for u in sample if u in size]

    state.snapshot.rate_probes = await run_rate_probes(
        fetcher,
        state.profiles,
        state.policy,
        cheap[:1],
        notice=state.snapshot.warnings.append,
        step_s=state.options.probe_step_s,
        progress=state.phase,
    )
