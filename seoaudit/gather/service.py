"""The gather service: policy in, one Snapshot of raw facts out.

Phases, in order (each bounded, all requests through the one polite ``Fetcher``):

1. robots.txt of every origin in scope, once per profile, so a WAF that answers bots
   differently from people is visible;
2. sitemaps from ``Sitemap:`` lines (or ``/sitemap.xml``), index children included;
3. the discovery crawl with the honest agent: start URL, must-index paths, sitemap URLs,
   then links, breadth-first within ``crawl.max_depth``/``crawl.max_pages``;
4. per-bot probes: a sample of must-index, sitemap and crawled URLs fetched as every policy
   bot, the browser control and an unknown bot, agents in turn; the assets must-index pages
   load; the canonical targets nobody fetched yet;
5. re-checks: refusals that our own load could explain, fetched again at a calm pace (see
   ``recheck_plan``), so a verdict never rests on which request a limiter happened to hit;
6. the active rate probe, only when asked.

The service judges nothing. When it is stopped (Ctrl-C, SIGTERM, the time limit) it
returns what it has, marked incomplete.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import functools
import json
import re
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from seoaudit import __version__
from seoaudit.errors import UsageError
from seoaudit.gather.extract import extract_page
from seoaudit.gather.fetcher import Fetched, Fetcher, FetchSettings, Resolver, is_private_address
from seoaudit.gather.profiles import build_profiles
from seoaudit.gather.sitemaps import parse_sitemap
from seoaudit.gather.traps import TrapGuard
from seoaudit.robots_txt import RobotsTxt
from seoaudit.robots_txt.matching import path_of, pattern_regex
from seoaudit.snapshot import (
    DiscoveredUrl,
    Exchange,
    PageFacts,
    PolicyRef,
    Profile,
    RobotsFacts,
    SitemapFacts,
    SkippedUrl,
    Snapshot,
    ToolInfo,
)
from seoaudit.web.urls import host_key, in_scope, normalise_url, origin_of

ROBOTS_MAX_BYTES = 1024 * 1024  # past Google's 500 KiB, so the lost rules can be named
ROBOTS_MAX_REDIRECTS = 5  # Google follows at most five hops (crawler-facts §1.2)
SITEMAP_MAX_BYTES = 52 * 1024 * 1024  # a little over the 50 MB limit, to see it exceeded
SITEMAP_MAX_FILES = 20
SITEMAP_MAX_STORED_URLS = 50_000
ASSET_MAX_BYTES = 64 * 1024
MAX_ASSETS = 12
MAX_CANONICAL_TARGETS = 40
MAX_SKIPPED_SAMPLE = 200
STORED_OUTLINKS = 10  # per page in the snapshot: memory stays flat on big sites
_ERROR_KINDS_UNREACHABLE = {"connect", "dns", "timeout", "tls", "reset"}
RECHECK_MAX_REQUESTS = 24
ROBOTS_RECHECK_MAX = 16
RECHECK_ERRORS = ("reset", "timeout", "protocol", "connect")
CALM_MIN_GAP_S = 0.25  # a re-check waits at least this long after our previous request
CALM_MARGIN = 1.2  # ...and 1.2 / rate.min_rps: slower than the rate the policy needs


def calm_pair(profile: str) -> list[str]:
    """A calm re-check's order: agent, browser, browser, agent, so a limiter that alternates
    refusals cannot make one of them look singled out (the browser alone: twice)."""
    return (
        ["browser", "browser"] if profile == "browser" else [profile, "browser", "browser", profile]
    )


def _served(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status < 400 and exchange.error is None


def _refusal_key(exchange: Exchange) -> str | None:
    """The answer a re-check would test (429, 5xx, a broken connection), else None."""
    status = exchange.status
    if status is not None and (status == 429 or status >= 500):
        return str(status)
    error = exchange.error
    if status is None and error is not None and error.kind in RECHECK_ERRORS:
        return error.kind
    if error is not None and error.kind == "reset":
        return "reset"
    return None


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


@dataclass
class GatherStats:
    """What the progress display shows; updated after every exchange."""

    phase: str = "starting"
    requests: int = 0
    pages: int = 0
    errors: int = 0
    planned_pages: int = 0
    recent: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    @property
    def current_rps(self) -> float:
        now = time.monotonic()
        window = [t for t in self.recent if now - t <= 5.0]
        return len(window) / 5.0 if window else 0.0


ProgressCallback = Callable[[GatherStats], None]


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def resolve_start(policy: Any, start_url: str | None) -> tuple[str, list[str]]:
    """The normalised start URL and the hosts in scope (the start host is always in)."""
    raw = start_url or policy.site.start
    if not raw:
        raise UsageError("no URL to audit: pass one, or set site.start in the policy")
    if "://" not in raw:
        raw = "https://" + raw
    start = normalise_url(raw)
    if start is None:
        from seoaudit.url_problems import url_problem

        raise UsageError(f"{raw!r} cannot be audited: {url_problem(raw) or 'not an http(s) URL'}")
    hosts = [h.lower() for h in policy.site.hosts]
    if not in_scope(start, hosts):
        hosts.insert(0, host_key(start))
    return start, hosts


def _origins(start: str, hosts: list[str]) -> list[str]:
    scheme = urlsplit(start).scheme
    origins = [origin_of(start)]
    for host in hosts:
        origin = f"{scheme}://{host}"
        if origin not in origins and normalise_url(origin + "/") is not None:
            origins.append(origin)
    return origins


def redact_snapshot(snap: Snapshot, secrets: tuple[str, ...]) -> Snapshot:
    """The last line of defence for credentials: a site can reflect them anywhere (links,
    titles, canonical URLs, error pages), so every form of every secret is removed from the
    whole serialised snapshot, not only from the places we thought of."""
    if not any(secrets):
        return snap
    text = snap.model_dump_json()
    changed = False
    for secret in secrets:
        for form in {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret)}:
            if form and form in text:
                text = text.replace(form, "[redacted]")
                changed = True
    return Snapshot.model_validate_json(text) if changed else snap


def _is_private_start(start: str, resolver: Resolver | None) -> bool:
    from seoaudit.gather.fetcher import system_resolver

    host = urlsplit(start).hostname or ""
    addresses = (resolver or system_resolver)(host)
    if not addresses:
        with contextlib.suppress(ValueError):
            import ipaddress

            addresses = [str(ipaddress.ip_address(host))]
    return bool(addresses) and all(is_private_address(a) for a in addresses)


class _Gatherer:
    def __init__(
        self,
        policy: Any,
        registry: Any,
        options: GatherOptions,
        progress: ProgressCallback | None,
        policy_path: str | None,
    ) -> None:
        self.policy = policy
        self.options = options
        self.progress = progress
        self.stats = GatherStats()
        self.start, self.hosts = resolve_start(policy, options.start_url)
        self.origins = _origins(self.start, self.hosts)
        private = (
            options.private_ok
            if options.private_ok is not None
            else _is_private_start(self.start, options.resolver)
        )
        crawl = policy.crawl
        self.max_pages = options.max_pages or crawl.max_pages
        self.max_depth = crawl.max_depth
        rps = None if options.no_rps_ceiling else (options.max_rps or crawl.max_rps)
        self.settings = FetchSettings(
            max_rps=rps,
            concurrency=options.concurrency or crawl.concurrency,
            timeout_s=crawl.timeout_s,
            max_body_bytes=crawl.max_body_kib * 1024,
            max_redirects=crawl.max_redirects,
            max_retry_after_s=policy.rate.max_retry_after_s,
            min_rps=policy.rate.min_rps,
            hosts=self.hosts,
            private_ok=private,
            extra_headers={**crawl.headers, **options.extra_headers},
            verify_tls=options.verify_tls,
            public_peers=options.public_peers,
            secrets=tuple(
                sorted(
                    {
                        *policy.secret_values(),
                        *crawl.headers.values(),
                        *options.extra_headers.values(),
                    },
                    key=len,
                    reverse=True,
                )
            ),
        )
        self.profiles = build_profiles(policy, registry)
        self.exchanges: list[Exchange] = []
        self.snapshot = Snapshot(
            tool=ToolInfo(version=__version__),
            started_at=_now_iso(),
            start_url=self.start,
            hosts=self.hosts,
            private_start=private,
            policy=PolicyRef(
                path=policy_path, sha256=getattr(getattr(policy, "source", None), "sha256", None)
            ),
            settings={
                "max_pages": self.max_pages,
                "max_depth": self.max_depth,
                "max_rps": rps,
                "concurrency": self.settings.concurrency,
                "timeout_s": crawl.timeout_s,
                "max_body_kib": crawl.max_body_kib,
                "sample_per_bot": crawl.sample_per_bot,
                "max_time_s": crawl.max_time_s,
                "rate_probe": bool(options.probe_rate or policy.rate.probe),
            },
            profiles=self.profiles,
        )
        if private:
            self.snapshot.warnings.append(
                "private start: the start URL is a private or loopback address, so private "
                "addresses are allowed for this run (they are refused from a public start)"
            )
        if not options.verify_tls:
            self.snapshot.warnings.append("TLS certificates were not verified (--insecure)")
        self.fetched_pages: dict[str, PageFacts] = {}  # honest crawl, by requested URL
        self.html_pages: list[str] = []  # crawl order
        self.sitemap_urls: list[str] = []
        self.skipped_counts: dict[str, int] = {}
        self._must_index_regexes = [
            re.compile(pattern_regex(p), re.DOTALL) for p in policy.paths.must_index
        ]

    # -- bookkeeping -------------------------------------------------------------------

    def _on_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)
        self.stats.requests += 1
        self.stats.recent.append(time.monotonic())
        if exchange.error is not None or (exchange.status or 0) >= 400:
            self.stats.errors += 1
        if self.progress is not None:
            self.progress(self.stats)

    def _phase(self, name: str) -> None:
        self.stats.phase = name
        if self.progress is not None:
            self.progress(self.stats)

    def _skip(self, url: str, reason: str) -> None:
        self.skipped_counts[reason] = self.skipped_counts.get(reason, 0) + 1
        if len(self.snapshot.crawl.skipped) < MAX_SKIPPED_SAMPLE:
            self.snapshot.crawl.skipped.append(SkippedUrl(url=url, reason=reason))  # type: ignore[arg-type]

    def _page_facts(self, fetched: Fetched) -> PageFacts | None:
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

    # -- the run -------------------------------------------------------------------------

    async def run(self) -> Snapshot:
        fetcher = Fetcher(
            self.settings, resolver=self.options.resolver, on_exchange=self._on_exchange
        )
        try:
            async with asyncio.timeout(self.policy.crawl.max_time_s):
                await self._robots(fetcher)
                if self.policy.crawl.sitemaps:
                    await self._sitemaps(fetcher)
                await self._crawl(fetcher)
                await self._probes(fetcher)
                await self._recheck(fetcher)
                if self.options.probe_rate or self.policy.rate.probe:
                    await self._rate_probe(fetcher)
        except TimeoutError:
            self._incomplete(
                f"stopped at the time limit (crawl.max_time_s = {self.policy.crawl.max_time_s:g} s)"
            )
        except asyncio.CancelledError:
            self._incomplete("interrupted: the run was stopped before it finished")
        finally:
            with contextlib.suppress(BaseException):
                await asyncio.shield(fetcher.aclose())
        for key, reason in fetcher.stopped_reasons.items():
            self.snapshot.warnings.append(f"stopped fetching as {key}: {reason}")
        return self._finish()

    def _incomplete(self, reason: str) -> None:
        if self.snapshot.complete:
            self.snapshot.complete = False
            self.snapshot.incomplete_reason = reason

    def _finish(self) -> Snapshot:
        snap = self.snapshot
        snap.exchanges = sorted(self.exchanges, key=lambda e: e.id)
        snap.pages.sort(key=lambda p: p.exchange_id)
        snap.crawl.skipped_counts = dict(sorted(self.skipped_counts.items()))
        snap.finished_at = _now_iso()
        if snap.complete:
            reason = self._unreachable_reason()
            if reason:
                snap.complete = False
                snap.incomplete_reason = reason
        return redact_snapshot(snap, self.settings.secrets)

    def _unreachable_reason(self) -> str | None:
        """The whole site failed at the connection level for every agent: nothing to judge."""
        answered = [e for e in self.exchanges if e.status is not None]
        if answered or not self.exchanges:
            return None
        kinds = {e.error.kind for e in self.exchanges if e.error}
        first = next(e for e in self.exchanges if e.error)
        if kinds & _ERROR_KINDS_UNREACHABLE or kinds <= {"private_address", "out_of_scope"}:
            return f"site unreachable: {first.error.message}"  # type: ignore[union-attr]
        return None

    # -- phase 1: robots.txt -------------------------------------------------------------

    async def _robots(self, fetcher: Fetcher) -> None:
        self._phase("robots.txt")

        async def one(origin: str, profile: Profile, *, recheck: bool = False) -> Exchange:
            fetched = await fetcher.fetch(
                origin + "/robots.txt",
                profile=profile.id,
                user_agent=profile.user_agent,
                purpose="robots",
                max_redirects=ROBOTS_MAX_REDIRECTS,
                max_body_bytes=ROBOTS_MAX_BYTES,
                serial=recheck,
            )
            has_body = fetched.exchange.status is not None
            self.snapshot.robots.append(
                RobotsFacts(
                    origin=origin,
                    profile=profile.id,
                    exchange_id=fetched.exchange.id,
                    body_b64=base64.b64encode(fetched.body).decode("ascii") if has_body else None,
                    recheck=recheck,
                )
            )
            return fetched.exchange

        # The honest copy first: it decides where the sitemaps are.
        honest = next(p for p in self.profiles if p.id == "seoaudit")
        answers: list[tuple[str, Profile, Exchange]] = []
        for origin in self.origins:
            answers.append((origin, honest, await one(origin, honest)))
        others = [p for p in self.profiles if p.id != "seoaudit"]
        pairs = [(o, p) for o in self.origins for p in others]
        exchanges = await asyncio.gather(*(one(o, p) for o, p in pairs))
        answers += [(o, p, e) for (o, p), e in zip(pairs, exchanges, strict=True)]
        # A refusal our own burst of robots.txt fetches may have drawn is fetched again at a
        # calm pace, agent and browser in turn, so robots verdicts never rest on it.
        profiles = {p.id: p for p in self.profiles}
        plan: list[tuple[str, Profile]] = []
        served_somewhere = {o for o, _, e in answers if _refusal_key(e) is None}
        for origin, profile, exchange in answers:
            if _refusal_key(exchange) is None or exchange.status in (401, 403):
                continue
            if origin not in served_somewhere:  # refused to everyone: nothing to compare
                if profile.id == "seoaudit":
                    plan.append((origin, profile))  # once, in case our own burst caused it
                continue
            steps = calm_pair(profile.id)
            if len(plan) + len(steps) > ROBOTS_RECHECK_MAX:
                break
            plan += [(origin, profiles[s]) for s in steps]
        for origin, profile in plan:
            if not fetcher.is_stopped(origin + "/", profile.id):
                await fetcher.calm(origin + "/", self.calm_gap())
                await one(origin, profile, recheck=True)
        self.snapshot.robots.sort(key=lambda r: (r.origin, r.exchange_id))

    def calm_gap(self) -> float:
        """Seconds between re-check requests: slower than rate.min_rps, with a margin."""
        gap = max(CALM_MIN_GAP_S, CALM_MARGIN / self.policy.rate.min_rps)
        if self.settings.max_rps:
            gap = max(gap, 1.0 / self.settings.max_rps)
        return gap

    def _honest_robots(self, origin: str) -> RobotsTxt | None:
        """The honest copy the crawl follows: a calm re-check's when the first was refused."""
        copies = [r for r in self.snapshot.robots if r.origin == origin and r.profile == "seoaudit"]
        by_id = {e.id: e for e in self.exchanges}
        served = [
            r
            for r in copies
            if r.body_b64 is not None and 200 <= (by_id[r.exchange_id].status or 0) < 300
        ]
        if not served:
            return None
        return RobotsTxt.parse(served[0].body_bytes() or b"")

    # -- phase 2: sitemaps ---------------------------------------------------------------

    async def _sitemaps(self, fetcher: Fetcher) -> None:
        self._phase("sitemaps")
        honest = next(p for p in self.profiles if p.id == "seoaudit")
        queue: deque[tuple[str, str, str | None]] = deque()
        for origin in self.origins:
            robots = self._honest_robots(origin)
            declared = list(robots.sitemaps) if robots is not None else []
            for url, _line in declared:
                target = normalise_url(url)
                if target:
                    queue.append((target, "robots", None))
        if not queue:
            queue.append((origin_of(self.start) + "/sitemap.xml", "default", None))
        seen: set[str] = set()
        stored = 0
        while queue and len(seen) < SITEMAP_MAX_FILES:
            url, via, parent = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            fetch = functools.partial(
                fetcher.fetch,
                url,
                profile=honest.id,
                user_agent=honest.user_agent,
                purpose="sitemap",
                max_body_bytes=SITEMAP_MAX_BYTES,
            )
            fetched = await fetch()
            if _refusal_key(fetched.exchange) is not None and not fetcher.is_stopped(
                url, honest.id
            ):
                # once more at a calm pace: a limiter our own robots.txt burst tripped is not
                # a broken sitemap
                await fetcher.calm(url, self.calm_gap())
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
                facts.error = (
                    exchange.error.message if exchange.error else f"HTTP {exchange.status}"
                )
                if via != "default" or exchange.status not in (404, 410):
                    self.snapshot.sitemaps.append(facts)
                continue
            parsed = parse_sitemap(
                fetched.body,
                url=url,
                store_urls=max(0, SITEMAP_MAX_STORED_URLS - stored),
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
            self.snapshot.sitemaps.append(facts)
            for child in parsed.children:
                target = normalise_url(child)
                if target and target not in seen:
                    queue.append((target, "index", url))
            for page in parsed.urls:
                target = normalise_url(page)
                if target and in_scope(target, self.hosts):
                    self.sitemap_urls.append(target)
        self.sitemap_urls = list(dict.fromkeys(self.sitemap_urls))

    # -- phase 3: the discovery crawl -----------------------------------------------------

    def _must_index_literals(self, key: str = "must_index") -> list[str]:
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

    async def _crawl(self, fetcher: Fetcher) -> None:
        self._phase("crawl")
        honest = next(p for p in self.profiles if p.id == "seoaudit")
        guard = TrapGuard()
        queue: deque[tuple[str, int]] = deque()
        queued: set[str] = set()
        discovered = self.snapshot.crawl.discovered

        def enqueue(url: str, depth: int, source: str) -> None:
            if url in queued:
                return
            if not in_scope(url, self.hosts):
                self._skip(url, "out_of_scope")
                return
            if depth > self.max_depth:
                self._skip(url, "max_depth")
                return
            verdict = guard.admit(url) if source == "link" else None
            if verdict is not None:
                self._skip(url, verdict)
                return
            if len(queued) >= self.max_pages:
                self._skip(url, "max_pages")
                return
            queued.add(url)
            queue.append((url, depth))
            discovered.append(DiscoveredUrl(url=url, depth=depth, source=source))  # type: ignore[arg-type]

        enqueue(self.start, 0, "start")
        for url in self._must_index_literals():
            enqueue(url, 0, "must_index")
        for url in self._must_index_literals("must_not_index"):
            enqueue(url, 0, "must_not_index")
        for url in self.sitemap_urls:
            enqueue(url, 1, "sitemap")
        self.stats.planned_pages = self.max_pages

        async def visit(url: str, depth: int) -> None:
            fetched = await fetcher.fetch(
                url, profile=honest.id, user_agent=honest.user_agent, purpose="page"
            )
            facts = self._page_facts(fetched)
            if facts is None:
                return
            self.snapshot.pages.append(facts)
            self.fetched_pages[url] = facts
            self.stats.pages += 1
            final = fetched.exchange.final_url
            if final and final != url and in_scope(final, self.hosts):
                self.fetched_pages.setdefault(final, facts)
            if facts.title is not None or facts.outlinks:
                self.html_pages.append(url)
            for link in facts.outlinks:
                enqueue(link, depth + 1, "link")
            del facts.outlinks[STORED_OUTLINKS:]  # the frontier saw them all; keep a sample
            if not self._must_index_match(url):
                del facts.assets[STORED_OUTLINKS:]  # only must-index pages' assets are probed

        workers = max(1, self.settings.concurrency)
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

    # -- phase 4: per-bot probes ------------------------------------------------------------

    def _must_index_match(self, url: str) -> bool:
        path = path_of(url)
        return any(regex.match(path) for regex in self._must_index_regexes)

    def _round_robin_by_pattern(self, urls: list[str]) -> list[str]:
        """Take URLs pattern by pattern in turn, so a small sample covers every section."""
        groups: dict[int, list[str]] = {}
        for url in urls:
            path = path_of(url)
            index = next((i for i, rx in enumerate(self._must_index_regexes) if rx.match(path)), -1)
            groups.setdefault(index, []).append(url)
        out: list[str] = []
        queues = [deque(g) for g in groups.values()]
        while queues:
            for queue in list(queues):
                out.append(queue.popleft())
                if not queue:
                    queues.remove(queue)
        return out

    def probe_sample(self) -> list[str]:
        """Must-index URLs first, then sitemap URLs, then crawled pages: the ones that matter."""
        limit = self.policy.crawl.sample_per_bot
        # Sorted, not in completion order, so the same site gives the same sample every run.
        crawled = [
            d.url for d in sorted(self.snapshot.crawl.discovered, key=lambda d: (d.depth, d.url))
        ]
        ordered: list[str] = []
        ordered += self._must_index_literals()
        ordered += self._round_robin_by_pattern(
            [u for u in dict.fromkeys(crawled + self.sitemap_urls) if self._must_index_match(u)]
        )
        ordered += self.sitemap_urls
        ordered += self.html_pages
        sample = [u for u in dict.fromkeys(ordered) if in_scope(u, self.hosts)]
        return sample[:limit]

    async def _probes(self, fetcher: Fetcher) -> None:
        self._phase("bot probes")
        sample = self.probe_sample()
        probing = [p for p in self.profiles if p.id != "seoaudit"]

        async def probe(url: str, profile: Profile, purpose: str, cap: int | None = None) -> None:
            fetched = await fetcher.fetch(
                url,
                profile=profile.id,
                user_agent=profile.user_agent,
                purpose=purpose,
                max_body_bytes=cap,
            )
            if purpose in ("probe", "canonical"):  # noindex on a canonical target matters
                facts = self._page_facts(fetched)
                if facts is not None:
                    self.snapshot.pages.append(facts)

        # Interleave agents URL by URL so a limiter that keys on our IP sees every agent under
        # the same load (an agent that draws a 429/503 then goes one request at a time).
        await asyncio.gather(*(probe(u, p, "probe") for u in sample for p in probing))

        self._phase("assets and canonicals")
        required = set(self.policy.bots.required)
        asset_profiles = [p for p in probing if p.kind == "browser" or p.bot in required]
        assets: list[str] = []
        for url in sample:
            facts = self.fetched_pages.get(url)
            if facts is None or not self._must_index_match(url):
                continue
            for asset in facts.assets:
                if asset not in assets and in_scope(asset, self.hosts):
                    assets.append(asset)
        assets = assets[:MAX_ASSETS]
        honest = next(p for p in self.profiles if p.id == "seoaudit")
        targets: list[str] = []
        for facts in list(self.fetched_pages.values()):
            for target in facts.canonical + facts.canonical_header:
                if (
                    target not in self.fetched_pages
                    and target not in targets
                    and in_scope(target, self.hosts)
                ):
                    targets.append(target)
        targets = targets[:MAX_CANONICAL_TARGETS]
        await asyncio.gather(
            *(probe(a, p, "asset", ASSET_MAX_BYTES) for a in assets for p in asset_profiles),
            *(probe(t, honest, "canonical") for t in targets),
        )
        for target in targets:
            self.snapshot.crawl.discovered.append(
                DiscoveredUrl(url=target, depth=self.max_depth, source="canonical")
            )

    # -- phase 5: re-checks at a calm pace ----------------------------------------------------

    def recheck_plan(self) -> list[tuple[str, str]]:
        """(url, profile) pairs to fetch again, calmly, to tell a refusal that holds from
        one our own load caused.

        A refusal is worth a re-check when timing could explain it (429, 503, other 5xx,
        resets and timeouts) and another agent got the same URL (the load was shared), or
        when it hit a must-index URL of the honest crawl. Each (agent, answer) group is
        re-checked once, on its most important URL, as agent, browser, browser, agent: a
        refusal that holds for the agent while the browser is served, in either order, is
        the agent's; one that comes and goes is load."""
        by_url: dict[str, list[Exchange]] = {}
        for e in self.exchanges:
            if e.purpose in ("page", "probe", "canonical"):
                by_url.setdefault(e.url, []).append(e)
        groups: dict[tuple[str, str], list[str]] = {}
        honest_must: list[str] = []
        for url, fetches in by_url.items():
            served = any(_served(e) for e in fetches)
            for e in fetches:
                key = _refusal_key(e)
                if key is None:
                    continue
                limit_like = key in ("429", "503") or not key.isdigit()
                if e.profile == "seoaudit" and self._must_index_match(url) and limit_like:
                    honest_must.append(url)
                elif served or limit_like:
                    groups.setdefault((e.profile, key), []).append(url)
        required = set(self.policy.bots.required)
        wanted = set(self.policy.bots.wanted)

        def rank(item: tuple[tuple[str, str], list[str]]) -> tuple[int, str, str]:
            (profile, key), _ = item
            bot = profile.removeprefix("bot:")
            order = (
                0 if profile == "browser" else 1 if bot in required else 2 if bot in wanted else 3
            )
            return order, profile, key

        plan: list[tuple[str, str]] = []
        for url in dict.fromkeys(honest_must):
            plan.append((url, "seoaudit"))
        for (profile, _key), urls in sorted(groups.items(), key=rank):
            url = next((u for u in urls if self._must_index_match(u)), urls[0])
            steps = (
                [profile, "browser", "browser", profile] if profile != "browser" else [profile] * 2
            )
            if len(plan) + len(steps) > RECHECK_MAX_REQUESTS:
                break
            plan += [(url, p) for p in steps]
        return plan[:RECHECK_MAX_REQUESTS]

    async def _recheck(self, fetcher: Fetcher) -> None:
        plan = self.recheck_plan()
        if not plan:
            return
        self._phase("re-checks")
        crawl = self.policy.crawl
        gap = self.calm_gap()
        profiles = {p.id: p for p in self.profiles}
        for url, profile_id in plan:
            profile = profiles[profile_id]
            if fetcher.is_stopped(url, profile_id):
                continue
            await fetcher.calm(url, gap)
            fetched = await fetcher.fetch(
                url,
                profile=profile_id,
                user_agent=profile.user_agent,
                purpose="recheck",
                max_body_bytes=crawl.max_body_kib * 1024,
                serial=True,
            )
            facts = self._page_facts(fetched)
            if facts is not None:
                self.snapshot.pages.append(facts)

    # -- phase 6: the opt-in rate probe -----------------------------------------------------

    async def _rate_probe(self, fetcher: Fetcher) -> None:
        from seoaudit.gather.rate_probe import run_rate_probes

        self._phase("rate probe")
        size = {
            e.url: e.body.bytes
            for e in self.exchanges
            if e.purpose == "page" and e.status == 200 and e.error is None
        }
        must = [u for u in self.probe_sample() if u in size and self._must_index_match(u)]
        cheap = sorted(must, key=lambda u: size[u]) or [u for u in self.probe_sample() if u in size]

        def progress(label: str) -> None:
            self._phase(label)

        self.snapshot.rate_probes = await run_rate_probes(
            fetcher,
            self.profiles,
            self.policy,
            cheap[:1],
            notice=self.snapshot.warnings.append,
            step_s=self.options.probe_step_s,
            progress=progress,
        )


def gather(
    policy: Any,
    registry: Any,
    options: GatherOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    policy_path: str | None = None,
) -> Snapshot:
    """Run the whole gather; Ctrl-C or SIGTERM returns the partial snapshot, incomplete."""
    gatherer = _Gatherer(policy, registry, options or GatherOptions(), progress, policy_path)

    async def main() -> Snapshot:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)  # type: ignore[union-attr]
        try:
            return await gatherer.run()
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        gatherer._incomplete("interrupted: the run was stopped before it finished")
        return gatherer._finish()
