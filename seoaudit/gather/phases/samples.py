"""Phase 4: per-bot samples: must-index, sitemap and crawled URLs fetched as every policy bot,
the browser control and an unknown bot, agents in turn; the assets must-index pages load;
the canonical targets nobody fetched yet."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Iterable, Iterator

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.state import GatherRun
from seoaudit.robots_txt.matching import path_of
from seoaudit.snapshot import Profile
from seoaudit.web.urls import in_scope

ASSET_MAX_BYTES = 64 * 1024
MAX_ASSETS = 12
MAX_CANONICAL_TARGETS = 40


def _unique(urls: Iterable[str]) -> Iterator[str]:
    """First sightings only, in order (``dict.fromkeys`` for a stream)."""
    seen: set[str] = set()
    for url in urls:
        if url not in seen:
            seen.add(url)
            yield url


def _round_robin_by_pattern(state: GatherRun, urls: Iterable[str], per_pattern: int) -> list[str]:
    """Take URLs pattern by pattern in turn, so a small sample covers every section
    (at most ``per_pattern`` of each: the sample never needs more)."""
    groups: dict[int, list[str]] = {}
    for url in urls:
        path = path_of(url)
        index = next((i for i, rx in enumerate(state.must_index_regexes) if rx.match(path)), -1)
        group = groups.setdefault(index, [])
        if len(group) < per_pattern:
            group.append(url)
    out: list[str] = []
    queues = [deque(g) for g in groups.values()]
    while queues:
        for queue in list(queues):
            out.append(queue.popleft())
            if not queue:
                queues.remove(queue)
    return out


def probe_sample(state: GatherRun) -> list[str]:
    """Must-index URLs first, then sitemap URLs, then crawled pages: the ones that matter."""
    limit = state.policy.crawl.sample_per_bot
    literals = state.must_index_literals()
    store = state.store
    # Sorted, not in completion order, so the same site gives the same sample every run.
    # URLs stream from the store; no source can place more than `limit` + the literals in
    # the sample, so each is read only that far (a million-URL sitemap is not a list).
    crawled = (u for (u,) in store.query("SELECT url FROM discovered ORDER BY depth, url"))
    matching = (
        u
        for u in _unique(itertools.chain(crawled, store.sitemap_urls()))
        if state.must_index_match(u)
    )
    sources = itertools.chain(
        literals,
        _round_robin_by_pattern(state, matching, per_pattern=limit + len(literals)),
        store.sitemap_urls(),
        state.html_pages,
    )
    sample: list[str] = []
    for url in _unique(sources):
        if len(sample) >= limit:
            break
        if in_scope(url, state.hosts):
            sample.append(url)
    return sample


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("bot probes")
    sample = probe_sample(state)
    probing = [p for p in state.profiles if p.id != "seoaudit"]

    async def probe(url: str, profile: Profile, purpose: str, cap: int | None = None) -> None:
        fetched = await fetcher.fetch(
            url,
            profile=profile.id,
            user_agent=profile.user_agent,
            purpose=purpose,
            max_body_bytes=cap,
        )
        if purpose in ("probe", "canonical"):  # noindex on a canonical target matters
            facts = state.page_facts(fetched)
            if facts is not None:
                state.store.add_page(facts)

    async def probe_once(url: str, profile: Profile, purpose: str, cap: int | None = None) -> None:
        if state.stored_exchange(url, profile.id, purpose) is None:  # resumed: had it
            await probe(url, profile, purpose, cap)

    # Interleave agents URL by URL so a limiter that keys on our IP sees every agent under
    # the same load (an agent that draws a 429/503 then goes one request at a time).
    await asyncio.gather(*(probe_once(u, p, "probe") for u in sample for p in probing))

    state.phase("assets and canonicals")
    required = set(state.policy.bots.required)
    asset_profiles = [p for p in probing if p.kind == "browser" or p.bot in required]
    assets: list[str] = []
    for url in sample:
        if url not in state.fetched_urls or not state.must_index_match(url):
            continue
        facts = state.honest_page(url)
        if facts is None:
            continue
        for asset in facts.assets:
            if asset not in assets and in_scope(asset, state.hosts):
                assets.append(asset)
    assets = assets[:MAX_ASSETS]
    honest = state.honest
    targets = [
        t
        for t in state.canonical_candidates
        if t not in state.fetched_urls and in_scope(t, state.hosts)
    ][:MAX_CANONICAL_TARGETS]
    await asyncio.gather(
        *(probe_once(a, p, "asset", ASSET_MAX_BYTES) for a in assets for p in asset_profiles),
        *(probe_once(t, honest, "canonical") for t in targets),
    )
    for target in targets:
        state.store.add_discovered(target, state.max_depth, "canonical")
