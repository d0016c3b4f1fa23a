"""Phase 4: per-bot samples: must-index, sitemap and crawled URLs fetched as every policy bot,
the browser control and an unknown bot, agents in turn; the assets must-index pages load;
the canonical targets nobody fetched yet."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import deque
from collections.abc import Iterable, Iterator

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.sections import Section, template_matches
from seoaudit.gather.state import GatherRun
from seoaudit.gather.url_set import UrlSet
from seoaudit.robots_txt.matching import path_of, pattern_regex
from seoaudit.snapshot import Profile, SiteSection
from seoaudit.web.urls import in_scope, normalise_url

ASSET_MAX_BYTES = 64 * 1024
MAX_ASSETS = 12
MAX_CANONICAL_TARGETS = 40


def _unique(urls: Iterable[str]) -> Iterator[str]:
    """First sightings only, in order (``dict.fromkeys`` for a stream); the seen set keeps
    hashes, not strings, since a stream read to its end may be every URL of the site."""
    seen = UrlSet()
    for url in urls:
        if seen.add(url):
            yield url


def _round_robin_by_pattern(state: GatherRun, urls: Iterable[str], per_pattern: int) -> list[str]:
    """Take URLs pattern by pattern in turn, so a small sample covers every section
    (at most ``per_pattern`` of each: the sample never needs more)."""
    groups: dict[int, list[str]] = {}
    patterns = len(state.must_index_regexes)
    for url in urls:
        path = path_of(url)
        index = next((i for i, rx in enumerate(state.must_index_regexes) if rx.match(path)), -1)
        group = groups.setdefault(index, [])
        if len(group) < per_pattern:
            group.append(url)
        elif len(groups) >= patterns and all(len(g) >= per_pattern for g in groups.values()):
            break  # every pattern has its share: the rest of the stream cannot change it
    out: list[str] = []
    queues = [deque(g) for g in groups.values()]
    while queues:
        for queue in list(queues):
            out.append(queue.popleft())
            if not queue:
                queues.remove(queue)
    return out


def _known_order(state: GatherRun, limit: int) -> Iterator[str]:
    """Must-index URLs first, then sitemap URLs, then crawled pages: the ones that matter."""
    literals = state.must_index_literals()
    store = state.store
    # Sorted, not in completion order, so the same site gives the same sample every run.
    # URLs stream from the store; no source can place more than `limit` + the literals in
    # the sample, so each is read only that far (a million-URL sitemap is not a list).
    matching: Iterable[str] = ()
    if state.must_index_regexes:  # else nothing matches: no sort of every discovered URL
        crawled = (u for (u,) in store.query("SELECT url FROM discovered ORDER BY depth, url"))
        matching = _unique(
            u for u in itertools.chain(crawled, store.sitemap_urls()) if state.must_index_match(u)
        )
    sources = itertools.chain(
        literals,
        _round_robin_by_pattern(state, matching, per_pattern=limit + len(literals)),
        store.sitemap_urls(),
        state.crawled_html_pages(),
    )
    return (u for u in _unique(sources) if in_scope(u, state.hosts))


def _section_of(sections: list[Section], url: str) -> int | None:
    return next((i for i, s in enumerate(sections) if template_matches(s.template, url)), None)


def probe_sample(state: GatherRun, limit: int | None = None) -> list[str]:
    """The URLs every agent fetches: the known order above, with every section of the site
    in it. When the first ``limit`` known URLs leave sections out (a big site whose
    sitemaps list more than the crawl reached), the tail of the sample gives way to one URL
    per missing section, largest sections first, so the request count stays ``limit`` per
    agent whatever the site's size; must-index literals always stay."""
    if state.sample is not None:
        return state.sample
    if limit is None:
        limit = state.plan.sample_per_bot if state.plan else state.policy.crawl.sample_per_bot
    known = _known_order(state, limit)  # a stream: read only as far as it is needed
    sections = state.site_sections()
    chosen = list(itertools.islice(known, limit))
    covered = {_section_of(sections, u) for u in chosen}
    missing = [i for i in range(len(sections)) if i not in covered]
    if missing:
        keep = len(set(state.must_index_literals()) & set(chosen))
        extra: list[str] = []
        known_by_section: dict[int, str] = {}
        wanted = set(missing)
        for (
            url
        ) in known:  # past the first `limit`: a known page of each missing section, if there is one
            if not wanted:
                break
            index = _section_of(sections, url)
            if index in wanted:
                known_by_section[index] = url
                wanted.discard(index)
        private = [
            re.compile(pattern_regex(p), re.DOTALL) for p in state.policy.paths.must_not_index
        ]

        def usable(url: str | None) -> bool:
            # must_not_index sections are the site's own business (a login wall answers
            # every agent alike), not a crawler's
            return (
                url is not None
                and in_scope(url, state.hosts)
                and url not in chosen
                and not any(rx.match(path_of(url)) for rx in private)
            )

        for index in missing:
            candidates = [known_by_section[index]] if index in known_by_section else []
            candidates += sections[index].sample
            pick = next(
                (n for n in (normalise_url(u) for u in candidates) if usable(n)),
                None,
            )
            if pick is not None:
                extra.append(pick)
        room = max(0, limit - keep)
        extra = extra[:room]
        head = chosen[: max(keep, limit - len(extra))]
        chosen = head + extra
    state.sample = chosen[:limit]
    return state.sample


def record_sections(state: GatherRun, sample: list[str]) -> None:
    """The site's sections into the snapshot, each with the URLs of it every agent fetched."""
    sections = state.site_sections()
    by_section: dict[int, list[str]] = {}
    for url in sample:
        index = _section_of(sections, url)
        if index is not None:
            by_section.setdefault(index, []).append(url)
    state.snapshot.sections = [
        SiteSection(template=s.template, url_count=s.url_count, sample=by_section.get(i, []))
        for i, s in enumerate(sections)
    ]


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("bot probes")
    sample = probe_sample(state)
    record_sections(state, sample)
    # the plan's total, now that the sample is known: these probes, then at most the assets
    required = set(state.policy.bots.required)
    asset_agents = sum(1 for p in state.profiles if p.kind == "browser" or p.bot in required)
    state.stats.planned_requests = (
        state.stats.requests + len(sample) * (len(state.profiles) - 1) + MAX_ASSETS * asset_agents
    )
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
        if not state.must_index_match(url):
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
        if in_scope(t, state.hosts) and state.honest_page(t) is None
    ][:MAX_CANONICAL_TARGETS]
    await asyncio.gather(
        *(probe_once(a, p, "asset", ASSET_MAX_BYTES) for a in assets for p in asset_profiles),
        *(probe_once(t, honest, "canonical") for t in targets),
    )
    for target in targets:
        state.store.add_discovered(target, state.max_depth, "canonical")
