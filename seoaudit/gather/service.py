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
import itertools
import re
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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
from seoaudit.store import SnapshotStore, temporary_store
from seoaudit.web.urls import host_key, in_scope, normalise_url, origin_of

ROBOTS_MAX_BYTES = 1024 * 1024  # past Google's 500 KiB, so the lost rules can be named
ROBOTS_MAX_REDIRECTS = 5  # Google follows at most five hops (crawler-facts §1.2)
SITEMAP_MAX_BYTES = 52 * 1024 * 1024  # a little over the 50 MB limit, to see it exceeded
SITEMAP_MAX_FILES = 20
SITEMAP_MAX_STORED_URLS = 50_000
ASSET_MAX_BYTES = 64 * 1024
MAX_ASSETS = 12
MAX_CANONICAL_TARGETS = 40
MAX_CANONICAL_CANDIDATES = 5000  # canonical targets other than the page itself, remembered
MAX_SKIPPED_SAMPLE = 200
STORED_OUTLINKS = 10  # per page in the snapshot: memory stays flat on big sites
_ERROR_KINDS_UNREACHABLE = {"connect", "dns", "timeout", "tls", "reset"}
RECHECK_MAX_REQUESTS = 24
_ANSWERS = "('page', 'probe', 'canonical')"  # the purposes a re-check compares
_REFUSALS_SQL = f"""
SELECT e.url, e.profile, e.status, e.error_kind,
    EXISTS (SELECT 1 FROM exchanges f WHERE f.url = e.url AND f.purpose IN {_ANSWERS}
            AND f.status < 400 AND f.error_kind IS NULL) AS served
FROM exchanges e
WHERE e.purpose IN {_ANSWERS}
    AND (e.status = 429 OR e.status >= 500 OR e.error_kind IN ('reset', 'timeout', 'protocol',
         'connect'))
ORDER BY (SELECT min(f.id) FROM exchanges f WHERE f.url = e.url AND f.purpose IN {_ANSWERS}),
    e.id
"""
ROBOTS_RECHECK_MAX = 16
RECHECK_ERRORS = ("reset", "timeout", "protocol", "connect")
CALM_MIN_GAP_S = 0.25  # a re-check waits at least this long after our previous request
CALM_MARGIN = 1.2  # ...and 1.2 / rate.min_rps: slower than the rate the policy needs


def _unique(urls: Iterable[str]) -> Iterator[str]:
    """First sightings only, in order (``dict.fromkeys`` for a stream)."""
    seen: set[str] = set()
    for url in urls:
        if url not in seen:
            seen.add(url)
            yield url


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
    return _refusal_key_of(exchange.status, exchange.error.kind if exchange.error else None)


def _refusal_key_of(status: int | None, error_kind: str | None) -> str | None:
    if status is not None and (status == 429 or status >= 500):
        return str(status)
    if status is None and error_kind in RECHECK_ERRORS:
        return error_kind
    if error_kind == "reset":
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
    store_path: Path | None = None  # the snapshot store file (None: a temporary one)
    resume: bool = False  # continue the gather stored at store_path


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
        # The crawl keeps URL strings only; every exchange and page goes to the store.
        self.fetched_urls: set[str] = set()  # honest crawl, requested and final URLs
        self.html_pages: list[str] = []  # crawl order
        self.canonical_candidates: dict[str, None] = {}  # targets other than the page itself
        self.skipped_counts: dict[str, int] = {}
        self._quiet_skips = False  # a resume re-queues its seeds without counting them again
        self._must_index_regexes = [
            re.compile(pattern_regex(p), re.DOTALL) for p in policy.paths.must_index
        ]
        self.store = self._open_store(options)
        self.resumed = options.resume and self.store.has_header()
        self.phases_done: list[str] = []
        if self.resumed:
            self._load_resume_state()
        else:
            self.store.save_header(self.snapshot)

    # -- the store and resuming --------------------------------------------------------

    def _open_store(self, options: GatherOptions) -> SnapshotStore:
        secrets = self.settings.secrets
        path = options.store_path
        if path is None:
            if options.resume:
                raise UsageError("--resume needs the store of the run to continue (--store)")
            return temporary_store(secrets)
        path = Path(path)
        if not options.resume:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                with contextlib.suppress(FileNotFoundError):
                    leftover.unlink()
        elif not path.exists():
            raise UsageError(f"nothing to resume: {path} does not exist")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            return SnapshotStore(path, secrets=secrets)
        except OSError as exc:
            raise UsageError(f"cannot open the snapshot store {path}: {exc}") from exc

    def _load_resume_state(self) -> None:
        """Continue the stored run: same site, its exchanges kept, none fetched again."""
        before = self.store.snapshot()
        if before.start_url != self.start or before.hosts != self.hosts:
            raise UsageError(
                f"{self.store.path} holds a gather of {before.start_url}, not {self.start}: "
                "resume it with the same URL and site.hosts, or start afresh without --resume"
            )
        # what the stopped run had in flight was cut short: fetch it again, it is not had
        cut = [i for (i,) in self.store.query("SELECT id FROM exchanges WHERE error_kind = ?",
                                              ("interrupted",))]  # fmt: skip
        self.store.delete_exchanges(cut)
        snap = self.snapshot
        snap.started_at = before.started_at
        snap.crawl.skipped = list(before.crawl.skipped)
        self.skipped_counts = dict(before.crawl.skipped_counts)
        snap.rate_probes = list(before.rate_probes)
        for warning in before.warnings:
            if warning.startswith("stopped fetching as ") and warning not in snap.warnings:
                snap.warnings.append(warning)
        self.phases_done = list(self.store.get_meta("phases_done", []))
        snap.warnings.append(
            f"resumed: this gather continues a stopped run ({len(before.exchanges):,} "
            "requests kept from it, none fetched again)"
        )
        self.store.save_header(snap)

    def _phase_done(self, name: str) -> None:
        self.phases_done.append(name)
        self.store.set_meta("phases_done", self.phases_done)

    def _stored_exchange(
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

    # -- bookkeeping -------------------------------------------------------------------

    def _on_exchange(self, exchange: Exchange) -> None:
        self.store.add_exchange(exchange)
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
        if self._quiet_skips:
            return
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
        last_id = self.store.scalar("SELECT max(id) FROM exchanges") or 0
        last_s = self.store.scalar("SELECT max(started_s) FROM exchanges") or 0.0
        fetcher = Fetcher(
            self.settings,
            resolver=self.options.resolver,
            on_exchange=self._on_exchange,
            first_id=last_id + 1,
            clock_start_s=last_s + 1.0 if last_id else 0.0,  # a resume carries the clock on
        )
        phases = [("robots", self._robots)]
        if self.policy.crawl.sitemaps:
            phases.append(("sitemaps", self._sitemaps))
        phases += [("crawl", self._crawl), ("probes", self._probes), ("recheck", self._recheck)]
        if self.options.probe_rate or self.policy.rate.probe:
            phases.append(("rate_probe", self._rate_probe))
        try:
            async with asyncio.timeout(self.policy.crawl.max_time_s):
                for name, phase in phases:
                    if name in self.phases_done and name != "crawl":
                        continue  # a resumed run has this phase's facts in the store
                    await phase(fetcher)
                    self._phase_done(name)
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
        """Write the header (flags, counts, warnings) and return the stored snapshot; its
        rows were redacted as they were stored."""
        snap = self.snapshot
        snap.crawl.skipped_counts = dict(sorted(self.skipped_counts.items()))
        snap.finished_at = _now_iso()
        if snap.complete:
            reason = self._unreachable_reason()
            if reason:
                snap.complete = False
                snap.incomplete_reason = reason
        self.store.save_header(snap)
        self.store.flush()
        return self.store.snapshot()

    def _unreachable_reason(self) -> str | None:
        """The whole site failed at the connection level for every agent: nothing to judge."""
        total = self.store.scalar("SELECT count(*) FROM exchanges")
        answered = self.store.scalar("SELECT count(*) FROM exchanges WHERE status IS NOT NULL")
        if answered or not total:
            return None
        kinds = {k for (k,) in self.store.query("SELECT DISTINCT error_kind FROM exchanges")}
        kinds.discard(None)
        first = next((e for e in self.store.snapshot().exchanges if e.error is not None), None)
        if first is None:
            return None
        if kinds & _ERROR_KINDS_UNREACHABLE or kinds <= {"private_address", "out_of_scope"}:
            return f"site unreachable: {first.error.message}"  # type: ignore[union-attr]
        return None

    # -- phase 1: robots.txt -------------------------------------------------------------

    async def _robots(self, fetcher: Fetcher) -> None:
        self._phase("robots.txt")

        replayed: dict[tuple[str, str, bool], int] = {}

        async def one(origin: str, profile: Profile, *, recheck: bool = False) -> Exchange:
            stored = self._stored_robots(origin, profile.id, recheck, replayed)
            if stored is not None:
                return stored
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
            self.store.add_robots(
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
                stored = self._stored_robots(origin, profile.id, True, replayed, peek=True)
                if stored is None:
                    await fetcher.calm(origin + "/", self.calm_gap())
                await one(origin, profile, recheck=True)

    def _stored_robots(
        self,
        origin: str,
        profile: str,
        recheck: bool,
        replayed: dict[tuple[str, str, bool], int],
        *,
        peek: bool = False,
    ) -> Exchange | None:
        """A resumed run's next stored robots.txt answer for (origin, profile, recheck)."""
        if not self.resumed:
            return None
        key = (origin, profile, recheck)
        nth = replayed.get(key, 0)
        exchange_id = self.store.scalar(
            "SELECT exchange_id FROM robots WHERE origin = ? AND profile = ? AND recheck = ? "
            "ORDER BY seq LIMIT 1 OFFSET ?",
            (origin, profile, int(recheck), nth),
        )
        if exchange_id is None:
            return None
        if not peek:
            replayed[key] = nth + 1
        return self.store.snapshot().exchange(exchange_id)

    def calm_gap(self) -> float:
        """Seconds between re-check requests: slower than rate.min_rps, with a margin."""
        gap = max(CALM_MIN_GAP_S, CALM_MARGIN / self.policy.rate.min_rps)
        if self.settings.max_rps:
            gap = max(gap, 1.0 / self.settings.max_rps)
        return gap

    def _honest_robots(self, origin: str) -> RobotsTxt | None:
        """The honest copy the crawl follows: a calm re-check's when the first was refused."""
        data = self.store.scalar(
            "SELECT r.data FROM robots r JOIN exchanges e ON e.id = r.exchange_id "
            "WHERE r.origin = ? AND r.profile = 'seoaudit' AND e.status BETWEEN 200 AND 299 "
            "ORDER BY r.exchange_id LIMIT 1",
            (origin,),
        )
        if data is None:
            return None
        facts = RobotsFacts.model_validate_json(data)
        if facts.body_b64 is None:
            return None
        return RobotsTxt.parse(facts.body_bytes() or b"")

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
            had = self._stored_sitemap(url)
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
            before = self._stored_exchange(url, honest.id, "sitemap")
            if via == "default" and before is not None and before.status in (404, 410):
                continue  # a resumed run: no sitemap at the default place, asked already
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
                    self.store.add_sitemap(facts)
                continue

            def listed(page: str) -> None:
                target = normalise_url(page)
                if target and in_scope(target, self.hosts):
                    self.store.add_sitemap_url(target)

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
            self.store.add_sitemap(facts)
            for child in parsed.children:
                target = normalise_url(child)
                if target and target not in seen:
                    queue.append((target, "index", url))

    def _stored_sitemap(self, url: str) -> SitemapFacts | None:
        if not self.resumed:
            return None
        data = self.store.scalar("SELECT data FROM sitemaps WHERE url = ? ORDER BY seq", (url,))
        return None if data is None else SitemapFacts.model_validate_json(data)

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
        if self.resumed:
            self._restore_crawl(queue, queued, guard)
            self._quiet_skips = True  # the seeds' skips were counted by the stopped run

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
            self.store.add_discovered(url, depth, source)

        enqueue(self.start, 0, "start")
        for url in self._must_index_literals():
            enqueue(url, 0, "must_index")
        for url in self._must_index_literals("must_not_index"):
            enqueue(url, 0, "must_not_index")
        for url in self.store.sitemap_urls():
            enqueue(url, 1, "sitemap")
        self._quiet_skips = False
        self.stats.planned_pages = self.max_pages

        async def visit(url: str, depth: int) -> None:
            fetched = await fetcher.fetch(
                url, profile=honest.id, user_agent=honest.user_agent, purpose="page"
            )
            facts = self._page_facts(fetched)
            if facts is None:
                return
            self.stats.pages += 1
            self._remember_page(url, fetched.exchange.final_url, facts)
            for link in facts.outlinks:
                enqueue(link, depth + 1, "link")
            del facts.outlinks[STORED_OUTLINKS:]  # the frontier saw them all; keep a sample
            if not self._must_index_match(url):
                del facts.assets[STORED_OUTLINKS:]  # only must-index pages' assets are probed
            self.store.add_page(facts)

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

    def _remember_page(self, url: str, final: str | None, facts: PageFacts) -> None:
        """What the later phases need of an honest page, as strings: the facts are stored."""
        self.fetched_urls.add(url)
        if final and final != url and in_scope(final, self.hosts):
            self.fetched_urls.add(final)
        if facts.title is not None or facts.outlinks:
            self.html_pages.append(url)
        for target in facts.canonical + facts.canonical_header:
            if (
                target != url
                and target != final
                and len(self.canonical_candidates) < MAX_CANONICAL_CANDIDATES
            ):
                self.canonical_candidates.setdefault(target, None)

    def _restore_crawl(
        self, queue: deque[tuple[str, int]], queued: set[str], guard: TrapGuard
    ) -> None:
        """A resumed crawl: every URL the stopped run queued is queued again, and only those
        it has no page exchange for go back on the frontier, in their old order."""
        fetched = {u for (u,) in self.store.query(
            "SELECT url FROM exchanges WHERE purpose = 'page' AND profile = 'seoaudit'")}  # fmt: skip
        rows = self.store.query("SELECT url, depth, source FROM discovered ORDER BY seq")
        for url, depth, source in rows:
            if source == "canonical":  # fetched as a canonical target, not crawled
                continue
            queued.add(url)
            if source == "link":
                guard.admit(url)  # the trap guard's counts, as they were
            if url not in fetched:
                queue.append((url, depth))
        pages = self.store.query(
            "SELECT p.data, e.url, e.final_url FROM pages p JOIN exchanges e ON e.id = "
            "p.exchange_id WHERE e.purpose = 'page' AND e.profile = 'seoaudit' ORDER BY p.seq"
        )
        for data, url, final in pages:
            self._remember_page(url, final, PageFacts.model_validate_json(data))
            self.stats.pages += 1

    def _honest_page(self, url: str) -> PageFacts | None:
        """The honest crawl's facts for a URL (requested there, else redirected there)."""
        data = self.store.scalar(
            "SELECT p.data FROM pages p JOIN exchanges e ON e.id = p.exchange_id "
            "WHERE e.purpose = 'page' AND e.profile = 'seoaudit' AND (e.url = ? OR "
            "e.final_url = ?) ORDER BY e.url = ? DESC, p.seq LIMIT 1",
            (url, url, url),
        )
        return None if data is None else PageFacts.model_validate_json(data)

    # -- phase 4: per-bot probes ------------------------------------------------------------

    def _must_index_match(self, url: str) -> bool:
        path = path_of(url)
        return any(regex.match(path) for regex in self._must_index_regexes)

    def _round_robin_by_pattern(self, urls: Iterable[str], per_pattern: int) -> list[str]:
        """Take URLs pattern by pattern in turn, so a small sample covers every section
        (at most ``per_pattern`` of each: the sample never needs more)."""
        groups: dict[int, list[str]] = {}
        for url in urls:
            path = path_of(url)
            index = next((i for i, rx in enumerate(self._must_index_regexes) if rx.match(path)), -1)
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

    def probe_sample(self) -> list[str]:
        """Must-index URLs first, then sitemap URLs, then crawled pages: the ones that matter."""
        limit = self.policy.crawl.sample_per_bot
        literals = self._must_index_literals()
        # Sorted, not in completion order, so the same site gives the same sample every run.
        # URLs stream from the store; no source can place more than `limit` + the literals
        # in the sample, so each is read only that far (a million-URL sitemap is not a list).
        crawled = (u for (u,) in self.store.query("SELECT url FROM discovered ORDER BY depth, url"))
        enough = limit + len(literals)
        matching = (
            u
            for u in _unique(itertools.chain(crawled, self.store.sitemap_urls()))
            if self._must_index_match(u)
        )
        sources = itertools.chain(
            literals,
            self._round_robin_by_pattern(matching, per_pattern=enough),
            self.store.sitemap_urls(),
            self.html_pages,
        )
        sample: list[str] = []
        for url in _unique(sources):
            if len(sample) >= limit:
                break
            if in_scope(url, self.hosts):
                sample.append(url)
        return sample

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
                    self.store.add_page(facts)

        async def probe_once(
            url: str, profile: Profile, purpose: str, cap: int | None = None
        ) -> None:
            if self._stored_exchange(url, profile.id, purpose) is None:  # resumed: had it
                await probe(url, profile, purpose, cap)

        # Interleave agents URL by URL so a limiter that keys on our IP sees every agent under
        # the same load (an agent that draws a 429/503 then goes one request at a time).
        await asyncio.gather(*(probe_once(u, p, "probe") for u in sample for p in probing))

        self._phase("assets and canonicals")
        required = set(self.policy.bots.required)
        asset_profiles = [p for p in probing if p.kind == "browser" or p.bot in required]
        assets: list[str] = []
        for url in sample:
            if url not in self.fetched_urls or not self._must_index_match(url):
                continue
            facts = self._honest_page(url)
            if facts is None:
                continue
            for asset in facts.assets:
                if asset not in assets and in_scope(asset, self.hosts):
                    assets.append(asset)
        assets = assets[:MAX_ASSETS]
        honest = next(p for p in self.profiles if p.id == "seoaudit")
        targets = [
            t
            for t in self.canonical_candidates
            if t not in self.fetched_urls and in_scope(t, self.hosts)
        ][:MAX_CANONICAL_TARGETS]
        await asyncio.gather(
            *(probe_once(a, p, "asset", ASSET_MAX_BYTES) for a in assets for p in asset_profiles),
            *(probe_once(t, honest, "canonical") for t in targets),
        )
        for target in targets:
            self.store.add_discovered(target, self.max_depth, "canonical")

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
        groups: dict[tuple[str, str], list[str]] = {}
        honest_must: list[str] = []
        # Only refusals are read from the store (URLs in the order they were first asked).
        for url, profile, status, error_kind, served in self.store.query(_REFUSALS_SQL):
            key = _refusal_key_of(status, error_kind)
            if key is None:
                continue
            limit_like = key in ("429", "503") or not key.isdigit()
            if profile == "seoaudit" and self._must_index_match(url) and limit_like:
                honest_must.append(url)
            elif served or limit_like:
                groups.setdefault((profile, key), []).append(url)
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
        replayed: dict[tuple[str, str], int] = {}
        for url, profile_id in plan:
            profile = profiles[profile_id]
            nth = replayed.get((url, profile_id), 0)
            replayed[(url, profile_id)] = nth + 1
            if self._stored_exchange(url, profile_id, "recheck", nth) is not None:
                continue  # a resumed run made this re-check already
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
                self.store.add_page(facts)

    # -- phase 6: the opt-in rate probe -----------------------------------------------------

    async def _rate_probe(self, fetcher: Fetcher) -> None:
        from seoaudit.gather.rate_probe import run_rate_probes

        self._phase("rate probe")
        sample = self.probe_sample()
        size: dict[str, int] = {}
        for url in sample:
            served = self.store.scalar(
                "SELECT body_bytes FROM exchanges WHERE url = ? AND purpose = 'page' AND "
                "status = 200 AND error_kind IS NULL ORDER BY id DESC LIMIT 1",
                (url,),
            )
            if served is not None:
                size[url] = served
        must = [u for u in sample if u in size and self._must_index_match(u)]
        cheap = sorted(must, key=lambda u: size[u]) or [u for u in sample if u in size]

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
