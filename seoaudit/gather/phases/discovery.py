"""Phase 3: the discovery crawl with the honest agent: start URL, must-index paths, sitemap
URLs, then links, breadth-first within ``crawl.max_depth``/``crawl.max_pages``."""

from __future__ import annotations

import asyncio
from collections import deque

from seoaudit.gather.fetcher import Fetcher
from seoaudit.gather.state import GatherRun
from seoaudit.gather.traps import TrapGuard
from seoaudit.snapshot import DiscoveredUrl
from seoaudit.web.urls import in_scope

STORED_OUTLINKS = 10  # per page in the snapshot: memory stays flat on big sites


async def run(state: GatherRun, fetcher: Fetcher) -> None:
    state.phase("crawl")
    honest = state.honest
    guard = TrapGuard()
    queue: deque[tuple[str, int]] = deque()
    queued: set[str] = set()
    discovered = state.snapshot.crawl.discovered

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
        queue.append((url, depth))
        if source != "sitemap":  # sitemap URLs are in the section index already
            state.sections.add(url)
        discovered.append(DiscoveredUrl(url=url, depth=depth, source=source))  # type: ignore[arg-type]

    enqueue(state.start, 0, "start")
    for url in state.must_index_literals():
        enqueue(url, 0, "must_index")
    for url in state.must_index_literals("must_not_index"):
        enqueue(url, 0, "must_not_index")
    for url in state.sitemap_urls:
        enqueue(url, 1, "sitemap")
    state.stats.planned_pages = state.max_pages

    async def visit(url: str, depth: int) -> None:
        fetched = await fetcher.fetch(
            url, profile=honest.id, user_agent=honest.user_agent, purpose="page"
        )
        facts = state.page_facts(fetched)
        if facts is None:
            return
        state.snapshot.pages.append(facts)
        state.fetched_pages[url] = facts
        state.stats.pages += 1
        final = fetched.exchange.final_url
        if final and final != url and in_scope(final, state.hosts):
            state.fetched_pages.setdefault(final, facts)
        if facts.title is not None or facts.outlinks:
            state.html_pages.append(url)
        for link in facts.outlinks:
            enqueue(link, depth + 1, "link")
        del facts.outlinks[STORED_OUTLINKS:]  # the frontier saw them all; keep a sample
        if not state.must_index_match(url):
            del facts.assets[STORED_OUTLINKS:]  # only must-index pages' assets are probed

    workers = max(1, state.settings.concurrency)
    running: set[asyncio.Task[None]] = set()
    try:
        while queue or running:
            while queue and len(running) < workers:
                url, depth = queue.popleft()
                running.add(asyncio.create_task(visit(url, depth)))
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
