"""Phase 2: sitemaps from ``Sitemap:`` lines (or ``/sitemap.xml``), index children included."""

from __future__ import annotations

import functools
from collections import deque

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.phases.robots import honest_robots
from seoaudit.gather.sitemaps import parse_sitemap
from seoaudit.gather.state import GatherRun, refusal_key
from seoaudit.snapshot import SitemapFacts
from seoaudit.web.urls import in_scope, normalise_url, origin_of

SITEMAP_MAX_BYTES = 52 * 1024 * 1024  # a little over the 50 MB limit, to see it exceeded
SITEMAP_MAX_FILES = 40  # an index and its children: 40 x 50,000 URLs is 2M
SITEMAP_MAX_STORED_URLS = 50_000


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("sitemaps")
    honest = state.honest
    queue: deque[tuple[str, str, str | None]] = deque()
    for origin in state.origins:
        robots = honest_robots(state, origin)
        declared = list(robots.sitemaps) if robots is not None else []
        for url, _line in declared:
            target = normalise_url(url)
            if target:
                queue.append((target, "robots", None))
    if not queue:
        queue.append((origin_of(state.start) + "/sitemap.xml", "default", None))
    seen: set[str] = set()
    stored = 0
    while queue and len(seen) < SITEMAP_MAX_FILES:
        url, via, parent = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        had = _stored_sitemap(state, url)
        if had is not None:  # a resumed run: parsed before, its URLs are in the store
            stored += len(had.urls)
            for child in had.children:
                target = normalise_url(child)
                if target and target not in seen:
                    queue.append((target, "index", url))
            continue
        fetch = functools.partial(
            fetcher.fetch,
            url,
            profile=honest.id,
            user_agent=honest.user_agent,
            purpose="sitemap",
            max_body_bytes=SITEMAP_MAX_BYTES,
        )
        before = state.stored_exchange(url, honest.id, "sitemap")
        if via == "default" and before is not None and before.status in (404, 410):
            continue  # a resumed run: no sitemap at the default place, asked already
        fetched = await fetch()
        if refusal_key(fetched.exchange) is not None and not fetcher.is_stopped(url, honest.id):
            # once more at a calm pace: a limiter our own robots.txt burst tripped is not
            # a broken sitemap
            await fetcher.calm(url, state.calm_gap())
            fetched = await fetch(serial=True)
        exchange = fetched.exchange
        facts = SitemapFacts(
            url=url,
            exchange_id=exchange.id,
            found_via=via,  # type: ignore[arg-type]
            parent=parent,
            kind="unreachable",
        )
        if exchange.status is None or not 200 <= exchange.status < 300:
            facts.error = exchange.error.message if exchange.error else f"HTTP {exchange.status}"
            if via != "default" or exchange.status not in (404, 410):
                state.store.add_sitemap(facts)
            continue

        def listed(page: str) -> None:
            state.sections.add(page)
            target = normalise_url(page)
            if target and in_scope(target, state.hosts):
                state.store.add_sitemap_url(target)

        parsed = parse_sitemap(
            fetched.body,
            url=url,
            store_urls=max(0, SITEMAP_MAX_STORED_URLS - stored),
            on_url=listed,
        )
        facts.kind = parsed.kind  # type: ignore[assignment]
        facts.url_count = parsed.url_count
        facts.urls = parsed.urls
        facts.urls_truncated = parsed.url_count > len(parsed.urls)
        facts.children = parsed.children
        facts.uncompressed_bytes = parsed.uncompressed_bytes
        facts.gzip = parsed.gzip
        facts.over_limits = parsed.over_limits
        facts.error = parsed.error
        if exchange.body.truncated:
            facts.over_limits = True
            facts.error = facts.error or "larger than the 50 MB sitemap limit"
        stored += len(parsed.urls)
        state.store.add_sitemap(facts)
        for child in parsed.children:
            target = normalise_url(child)
            if target and target not in seen:
                queue.append((target, "index", url))


def _stored_sitemap(state: GatherRun, url: str) -> SitemapFacts | None:
    if not state.resumed:
        return None
    data = state.store.scalar("SELECT data FROM sitemaps WHERE url = ? ORDER BY seq", (url,))
    return None if data is None else SitemapFacts.model_validate_json(data)
