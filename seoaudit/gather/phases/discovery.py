"""Phase 3: the discovery crawl with the honest agent: start URL, must-index paths, sitemap
URLs, then links, breadth-first within ``crawl.max_depth``/``crawl.max_pages``."""

from __future__ import annotations

import asyncio
from collections import deque

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.state import GatherRun
from seoaudit.gather.traps import TrapGuard
from seoaudit.gather.url_set import UrlSet
from seoaudit.snapshot import PageFacts
from seoaudit.web.urls import in_scope

FRONTIER_BATCH = 256  # discovered URLs read from the store at a time
# the next discovered URLs in queue order; a resumed run's fetched pages are not crawled again
_FRONTIER_SQL = """
SELECT d.seq, d.url, d.depth FROM discovered d
WHERE d.seq > ? AND d.source != 'canonical' AND NOT EXISTS (
    SELECT 1 FROM exchanges e WHERE e.url = d.url AND e.purpose = 'page'
    AND e.profile = 'seoaudit')
ORDER BY d.seq LIMIT ?
"""
STORED_OUTLINKS = 10  # per page in the snapshot: memory stays flat on big sites


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("crawl")
    honest = state.honest
    guard = TrapGuard()
    # The frontier is the store's discovered rows, read a batch at a time in queue order:
    # memory holds the dedup set's hashes (8 bytes a URL), not a queue of the whole site.
    batch: deque[tuple[str, int]] = deque()
    read_up_to = 0
    queued = UrlSet()
    if state.resumed:
        _restore(state, queued, guard)
        state.quiet_skips = True  # the seeds' skips were counted by the stopped run

    def enqueue(url: str, depth: int, source: str) -> None:
        if url in queued:
            return
        if not in_scope(url, state.hosts):
            state.skip(url, "out_of_scope")
            return
        if depth > state.max_depth:
            state.skip(url, "max_depth")
            return
        verdict = guard.admit(url) if source == "link" else None
        if verdict is not None:
            state.skip(url, verdict)
            return
        if len(queued) >= state.max_pages:
            state.skip(url, "max_pages")
            return
        queued.add(url)
        if source != "sitemap":  # sitemap URLs are in the section index already
            state.sections.add(url)
        state.store.add_discovered(url, depth, source)

    enqueue(state.start, 0, "start")
    for url in state.must_index_literals():
        enqueue(url, 0, "must_index")
    for url in state.must_index_literals("must_not_index"):
        enqueue(url, 0, "must_not_index")
    for url in state.store.sitemap_urls():
        enqueue(url, 1, "sitemap")
    state.quiet_skips = False
    state.stats.planned_pages = state.max_pages

    async def visit(url: str, depth: int) -> None:
        fetched = await fetcher.fetch(
            url, profile=honest.id, user_agent=honest.user_agent, purpose="page"
        )
        facts = state.page_facts(fetched)
        if facts is None:
            return
        state.stats.pages += 1
        state.remember_page(url, fetched.exchange.final_url, facts)
        for link in facts.outlinks:
            enqueue(link, depth + 1, "link")
        del facts.outlinks[STORED_OUTLINKS:]  # the frontier saw them all; keep a sample
        if not state.must_index_match(url):
            del facts.assets[STORED_OUTLINKS:]  # only must-index pages' assets are probed
        state.store.add_page(facts)

    def refill() -> None:
        nonlocal read_up_to
        for seq, url, depth in state.store.query(_FRONTIER_SQL, (read_up_to, FRONTIER_BATCH)):
            read_up_to = seq
            batch.append((url, depth))

    workers = max(1, state.settings.concurrency)
    running: set[asyncio.Task[None]] = set()
    try:
        while True:
            while len(running) < workers:
                if not batch:
                    refill()
                    if not batch:
                        break
                url, depth = batch.popleft()
                running.add(asyncio.create_task(visit(url, depth)))
            if not running:
                break  # nothing in flight and nothing queued: the crawl is done
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


def _restore(state: GatherRun, queued: UrlSet, guard: TrapGuard) -> None:
    """A resumed crawl: every URL the stopped run queued counts as queued again; the frontier
    query leaves out those it has a page exchange for."""
    for url in state.store.sitemap_urls():
        state.sections.add(url)  # the section index lives in memory: built again
    for url, source in state.store.query("SELECT url, source FROM discovered ORDER BY seq"):
        if source == "canonical":  # fetched as a canonical target, not crawled
            continue
        if source != "sitemap":
            state.sections.add(url)
        queued.add(url)
        if source == "link":
            guard.admit(url)  # the trap guard's counts, as they were
    pages = state.store.query(
        "SELECT p.data, e.url, e.final_url FROM pages p JOIN exchanges e ON e.id = "
        "p.exchange_id WHERE e.purpose = 'page' AND e.profile = 'seoaudit' ORDER BY p.seq"
    )
    for data, url, final in pages:
        state.remember_page(url, final, PageFacts.model_validate_json(data))
        state.stats.pages += 1
