"""What the gather phases share: the run's settings, its snapshot so far, and its bookkeeping.

One ``GatherRun`` is built per gather (``service.new_run``) and handed to each phase in turn
(``gather/phases/``); phases read what earlier ones found from it and add their own facts.
Facts go to the run's ``SnapshotStore`` as they are found (``seoaudit.store``): the run itself
keeps URL strings and counts only, so memory stays flat however big the site.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seoaudit.gather.extract import extract_page
from seoaudit.gather.fetcher import Fetched, FetchSettings, Resolver
from seoaudit.gather.sections import Section, SectionIndex
from seoaudit.robots_txt.matching import path_of
from seoaudit.snapshot import Exchange, PageFacts, Profile, RequestPlan, SkippedUrl, Snapshot
from seoaudit.store import SnapshotStore
from seoaudit.web.urls import normalise_url, origin_of

MAX_SKIPPED_SAMPLE = 200
MAX_CANONICAL_CANDIDATES = 5000  # canonical targets other than the page itself, remembered
RECHECK_ERRORS = ("reset", "timeout", "protocol", "connect")
CALM_MIN_GAP_S = 0.25  # a re-check waits at least this long after our previous request
CALM_MARGIN = 1.2  # ...and 1.2 / rate.min_rps: slower than the rate the policy needs
_CRAWLED_HTML_SQL = """
SELECT p.url FROM pages p JOIN exchanges e ON e.id = p.exchange_id
WHERE e.purpose = 'page' AND e.profile = 'seoaudit'
    AND (json_extract(p.data, '$.title') IS NOT NULL
         OR coalesce(json_array_length(p.data, '$.outlinks'), 0) > 0)
ORDER BY p.seq
"""


@dataclass
class GatherOptions:
    """Command-line overrides of the policy's crawl settings."""

    start_url: str | None = None
    max_pages: int | None = None
    concurrency: int | None = None
    max_rps: float | None = None
    no_rps_ceiling: bool = False  # benchmarks against a local server only
    probe_rate: bool = False
    probe_step_s: float = 3.0  # seconds per ramp step of the rate probe
    private_ok: bool | None = None  # None: allowed exactly when the start URL is private
    resolver: Resolver | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)  # --header (secret values)
    verify_tls: bool = True  # --insecure turns it off, and the report says so
    public_peers: frozenset[str] = frozenset()  # test seam: "ip:port" peers treated as public
    store_path: Path | None = None  # the snapshot store file (None: a temporary one)
    resume: bool = False  # continue the gather stored at store_path
    announce: Callable[[str], None] | None = None  # gets the plan line before the first request


@dataclass
class GatherStats:
    """What the progress display shows; updated after every exchange."""

    phase: str = "starting"
    requests: int = 0
    pages: int = 0
    errors: int = 0
    planned_pages: int = 0
    planned_requests: int = 0  # the request plan's total (revised once the site's size is known)
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    @property
    def current_rps(self) -> float:
        now = time.monotonic()
        window = [t for t in self.recent if now - t <= 5.0]
        return len(window) / 5.0 if window else 0.0


ProgressCallback = Callable[[GatherStats], None]


def calm_pair(profile: str) -> list[str]:
    """A calm re-check's order: agent, browser, browser, agent, so a limiter that alternates
    refusals cannot make one of them look singled out (the browser alone: twice)."""
    return (
        ["browser", "browser"] if profile == "browser" else [profile, "browser", "browser", profile]
    )


def served(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status < 400 and exchange.error is None


def refusal_key(exchange: Exchange) -> str | None:
    """The answer a re-check would test (429, 5xx, a broken connection), else None."""
    return refusal_key_of(exchange.status, exchange.error.kind if exchange.error else None)


def refusal_key_of(status: int | None, error_kind: str | None) -> str | None:
    """``refusal_key`` from an exchange's stored columns."""
    if status is not None and (status == 429 or status >= 500):
        return str(status)
    if status is None and error_kind in RECHECK_ERRORS:
        return error_kind
    if error_kind == "reset":
        return "reset"
    return None


@dataclass
class GatherRun:
    """One gather's shared state; the phases write facts to ``store`` and keep only the
    URL strings and counts below (the snapshot holds the header: settings, warnings)."""

    policy: Any
    options: GatherOptions
    progress: ProgressCallback | None
    start: str
    hosts: list[str]
    origins: list[str]
    settings: FetchSettings
    profiles: list[Profile]
    snapshot: Snapshot
    max_pages: int
    max_depth: int
    store: SnapshotStore
    stats: GatherStats = field(default_factory=GatherStats)
    canonical_candidates: dict[str, None] = field(default_factory=dict)  # not the page itself
    skipped_counts: dict[str, int] = field(default_factory=dict)
    must_index_regexes: list[re.Pattern[str]] = field(default_factory=list)
    resumed: bool = False  # continuing a stopped run from its store
    phases_done: list[str] = field(default_factory=list)
    quiet_skips: bool = False  # a resume re-queues its seeds without counting them again
    plan: RequestPlan | None = None
    sections: SectionIndex = field(default_factory=SectionIndex)  # every known URL, by section
    started: float = field(default_factory=time.monotonic)
    sample: list[str] | None = None  # the per-agent sample, once chosen
    _sections: list[Section] | None = None

    def site_sections(self) -> list[Section]:
        """The site's sections from every URL known so far (computed once, when sampled)."""
        if self._sections is None:
            self._sections = self.sections.sections()
        return self._sections

    # -- bookkeeping -------------------------------------------------------------------

    def on_exchange(self, exchange: Exchange) -> None:
        self.store.add_exchange(exchange)
        self.stats.requests += 1
        self.stats.recent.append(time.monotonic())
        if exchange.error is not None or (exchange.status or 0) >= 400:
            self.stats.errors += 1
        if self.progress is not None:
            self.progress(self.stats)

    def phase(self, name: str) -> None:
        self.stats.phase = name
        if self.progress is not None:
            self.progress(self.stats)

    def skip(self, url: str, reason: str) -> None:
        if self.quiet_skips:
            return
        self.skipped_counts[reason] = self.skipped_counts.get(reason, 0) + 1
        if len(self.snapshot.crawl.skipped) < MAX_SKIPPED_SAMPLE:
            self.snapshot.crawl.skipped.append(SkippedUrl(url=url, reason=reason))  # type: ignore[arg-type]

    def incomplete(self, reason: str) -> None:
        if self.snapshot.complete:
            self.snapshot.complete = False
            self.snapshot.incomplete_reason = reason

    def page_facts(self, fetched: Fetched) -> PageFacts | None:
        exchange = fetched.exchange
        if exchange.status is None or (not fetched.body and not exchange.headers):
            return None
        return extract_page(
            fetched.body,
            url=exchange.url,
            final_url=exchange.final_url or exchange.url,
            headers=exchange.headers,
            profile=exchange.profile,
            exchange_id=exchange.id,
            hosts=self.hosts,
        )

    def remember_page(self, url: str, final: str | None, facts: PageFacts) -> None:
        """What the later phases need of an honest page beyond its stored facts: the
        canonical targets to fetch (bounded); the page URLs are read back from the store."""
        for target in facts.canonical + facts.canonical_header:
            if (
                target != url
                and target != final
                and len(self.canonical_candidates) < MAX_CANONICAL_CANDIDATES
            ):
                self.canonical_candidates.setdefault(target, None)

    def phase_done(self, name: str) -> None:
        self.phases_done.append(name)
        self.store.set_meta("phases_done", self.phases_done)

    # -- what several phases ask -----------------------------------------------------------

    def stored_exchange(
        self, url: str, profile: str, purpose: str, nth: int = 0
    ) -> Exchange | None:
        """The ``nth`` exchange a resumed run already has for (url, profile, purpose)."""
        if not self.resumed:
            return None
        row = self.store.scalar(
            "SELECT data FROM exchanges WHERE url = ? AND profile = ? AND purpose = ? "
            "ORDER BY id LIMIT 1 OFFSET ?",
            (url, profile, purpose, nth),
        )
        return None if row is None else Exchange.model_validate_json(row)

    def crawled_html_pages(self) -> Iterator[str]:
        """The honest crawl's HTML pages (a title or links), in crawl order, streamed from
        the store: a list of every page URL is what memory must not hold on a big site."""
        for (url,) in self.store.query(_CRAWLED_HTML_SQL):
            yield url

    def honest_page(self, url: str) -> PageFacts | None:
        """The honest crawl's facts for a URL (requested there, else redirected there within
        scope); None when the crawl has no page facts for it."""
        data = self.store.scalar(
            "SELECT p.data FROM pages p JOIN exchanges e ON e.id = p.exchange_id "
            "WHERE e.purpose = 'page' AND e.profile = 'seoaudit' AND (e.url = ? OR "
            "e.final_url = ?) ORDER BY e.url = ? DESC, p.seq LIMIT 1",
            (url, url, url),
        )
        return None if data is None else PageFacts.model_validate_json(data)

    @property
    def honest(self) -> Profile:
        """The honest discovery agent (``seoaudit``)."""
        return next(p for p in self.profiles if p.id == "seoaudit")

    def calm_gap(self) -> float:
        """Seconds between re-check requests: slower than rate.min_rps, with a margin."""
        gap = max(CALM_MIN_GAP_S, CALM_MARGIN / self.policy.rate.min_rps)
        if self.settings.max_rps:
            gap = max(gap, 1.0 / self.settings.max_rps)
        return gap

    def must_index_match(self, url: str) -> bool:
        path = path_of(url)
        return any(regex.match(path) for regex in self.must_index_regexes)

    def must_index_literals(self, key: str = "must_index") -> list[str]:
        """Policy patterns that are plain paths, as URLs on the start origin."""
        origin = origin_of(self.start)
        urls = []
        for pattern in getattr(self.policy.paths, key):
            if "*" in pattern or not pattern.startswith("/"):
                continue
            target = normalise_url(origin + pattern.rstrip("$"))
            if target:
                urls.append(target)
        return urls
