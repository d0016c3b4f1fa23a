"""The gather service: policy in, one Snapshot of raw facts out.

This module sets the run up and runs the phases in order (``gather/phases/``, one module
each, every request through the one polite ``Fetcher``):

1. ``robots``: robots.txt of every origin in scope, once per profile;
2. ``sitemaps``: from ``Sitemap:`` lines (or ``/sitemap.xml``), index children included;
3. ``discovery``: the honest agent's breadth-first crawl within ``crawl.max_depth``/``max_pages``;
4. ``samples``: a sample fetched as every policy bot, the browser and an unknown bot; assets;
   canonical targets;
5. ``rechecks``: refusals our own load could explain, fetched again at a calm pace;
6. ``rate_probe``: the active rate probe, only when asked.

The service judges nothing. Every fact goes to the run's snapshot store as it is found
(``seoaudit.store``), and the returned Snapshot reads from that store. When it is stopped
(Ctrl-C, SIGTERM, the time limit) it returns what it has, marked incomplete; with a store
file, ``GatherOptions(resume=True)`` continues it later without fetching anything again.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import re
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from seoaudit import __version__
from seoaudit.errors import UsageError
from seoaudit.gather.fetcher import Fetcher, FetchSettings, Resolver, is_private_address
from seoaudit.gather.phases import discovery, rate_probe, rechecks, robots, samples, sitemaps
from seoaudit.gather.plan import build_plan, describe, fit_samples
from seoaudit.gather.profiles import build_profiles
from seoaudit.gather.state import (
    GatherOptions,
    GatherRun,
    GatherStats,
    ProgressCallback,
)
from seoaudit.robots_txt.matching import pattern_regex
from seoaudit.snapshot import Exchange, PolicyRef, Snapshot, ToolInfo
from seoaudit.store import SnapshotStore, temporary_store
from seoaudit.web.urls import host_key, in_scope, normalise_url, origin_of

__all__ = [
    "GatherOptions",
    "GatherStats",
    "ProgressCallback",
    "gather",
    "new_run",
    "redact_snapshot",
    "resolve_start",
]

_ERROR_KINDS_UNREACHABLE = {"connect", "dns", "timeout", "tls", "reset"}


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
    whole serialised snapshot, not only from the places we thought of. (A gather redacts
    each stored row the same way, ``seoaudit.store.redact_text``; this is for snapshots held
    in memory.)"""
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
            addresses = [str(ipaddress.ip_address(host))]
    return bool(addresses) and all(is_private_address(a) for a in addresses)


def new_run(
    policy: Any,
    registry: Any,
    options: GatherOptions,
    progress: ProgressCallback | None,
    policy_path: str | None,
) -> GatherRun:
    """The run's settings, profiles and empty snapshot, from the policy and the overrides."""
    start, hosts = resolve_start(policy, options.start_url)
    private = (
        options.private_ok
        if options.private_ok is not None
        else _is_private_start(start, options.resolver)
    )
    crawl = policy.crawl
    max_pages = options.max_pages or crawl.max_pages
    rps = None if options.no_rps_ceiling else (options.max_rps or crawl.max_rps)
    settings = FetchSettings(
        max_rps=rps,
        concurrency=options.concurrency or crawl.concurrency,
        timeout_s=crawl.timeout_s,
        max_body_bytes=crawl.max_body_kib * 1024,
        max_redirects=crawl.max_redirects,
        max_retry_after_s=policy.rate.max_retry_after_s,
        min_rps=policy.rate.min_rps,
        hosts=hosts,
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
    profiles = build_profiles(policy, registry)
    snapshot = Snapshot(
        tool=ToolInfo(version=__version__),
        started_at=_now_iso(),
        start_url=start,
        hosts=hosts,
        private_start=private,
        policy=PolicyRef(
            path=policy_path, sha256=getattr(getattr(policy, "source", None), "sha256", None)
        ),
        settings={
            "max_pages": max_pages,
            "max_depth": crawl.max_depth,
            "max_rps": rps,
            "concurrency": settings.concurrency,
            "timeout_s": crawl.timeout_s,
            "max_body_kib": crawl.max_body_kib,
            "sample_per_bot": crawl.sample_per_bot,
            "max_time_s": crawl.max_time_s,
            "rate_probe": bool(options.probe_rate or policy.rate.probe),
        },
        profiles=profiles,
    )
    if private:
        snapshot.warnings.append(
            "private start: the start URL is a private or loopback address, so private "
            "addresses are allowed for this run (they are refused from a public start)"
        )
    if not options.verify_tls:
        snapshot.warnings.append("TLS certificates were not verified (--insecure)")
    state = GatherRun(
        policy=policy,
        options=options,
        progress=progress,
        start=start,
        hosts=hosts,
        origins=_origins(start, hosts),
        settings=settings,
        profiles=profiles,
        snapshot=snapshot,
        max_pages=max_pages,
        max_depth=crawl.max_depth,
        must_index_regexes=[
            re.compile(pattern_regex(p), re.DOTALL) for p in policy.paths.must_index
        ],
        store=_open_store(options, settings.secrets),
    )
    plan = build_plan(state)
    state.plan = snapshot.plan = plan
    state.max_pages = plan.max_pages
    state.stats.planned_requests = plan.requests
    state.resumed = options.resume and state.store.has_header()
    if state.resumed:
        _load_resume_state(state)
    else:
        state.store.save_header(snapshot)
    return state


def _open_store(options: GatherOptions, secrets: tuple[str, ...]) -> SnapshotStore:
    """The store file (emptied unless resuming), or a temporary one."""
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


def _load_resume_state(state: GatherRun) -> None:
    """Continue the stored run: same site, its exchanges kept, none fetched again."""
    store = state.store
    before = store.snapshot()
    if before.start_url != state.start or before.hosts != state.hosts:
        raise UsageError(
            f"{store.path} holds a gather of {before.start_url}, not {state.start}: resume it "
            "with the same URL and site.hosts, or start afresh without --resume"
        )
    # what the stopped run had in flight was cut short: it is not had, so it is fetched
    cut = [i for (i,) in store.query("SELECT id FROM exchanges WHERE error_kind = 'interrupted'")]
    store.delete_exchanges(cut)
    snap = state.snapshot
    snap.started_at = before.started_at
    snap.crawl.skipped = list(before.crawl.skipped)
    state.skipped_counts = dict(before.crawl.skipped_counts)
    snap.rate_probes = list(before.rate_probes)
    for warning in before.warnings:
        if warning.startswith("stopped fetching as ") and warning not in snap.warnings:
            snap.warnings.append(warning)
    state.phases_done = list(store.get_meta("phases_done", []))
    kept = store.scalar("SELECT count(*) FROM exchanges")
    snap.warnings.append(
        f"resumed: this gather continues a stopped run ({kept:,} requests kept from it, "
        "none fetched again)"
    )
    store.save_header(snap)


async def run_phases(state: GatherRun) -> Snapshot:
    """Every phase in order, within ``crawl.max_time_s``; what was stopped says why."""
    last_id = state.store.scalar("SELECT max(id) FROM exchanges") or 0
    last_s = state.store.scalar("SELECT max(started_s) FROM exchanges") or 0.0
    fetcher = Fetcher(
        state.settings,
        resolver=state.options.resolver,
        on_exchange=state.on_exchange,
        first_id=last_id + 1,  # a resumed run carries the ids and the clock on
        clock_start_s=last_s + 1.0 if last_id else 0.0,
    )
    phases = [("robots", robots.run)]
    if state.policy.crawl.sitemaps:
        phases.append(("sitemaps", sitemaps.run))
    phases += [("crawl", discovery.run), ("samples", samples.run), ("rechecks", rechecks.run)]
    if rate_probe.wanted(state):
        phases.append(("rate_probe", rate_probe.run))
    max_time_s = state.policy.crawl.max_time_s
    if state.options.announce is not None and state.plan is not None:
        state.options.announce(describe(state.plan))
    state.started = time.monotonic()
    try:
        async with asyncio.timeout(max_time_s):
            for name, phase in phases:
                # a resumed run skips what it finished (the crawl re-reads its frontier)
                if name == "samples" and state.plan is not None:
                    # the site's size is known: fit the samples to the time that is left
                    fit_samples(state, state.plan, state.started, state.sections.total)
                if name not in state.phases_done or name == "crawl":
                    await phase(state, fetcher)
                    if name not in state.phases_done:
                        state.phase_done(name)
    except TimeoutError:
        state.incomplete(f"stopped at the time limit (crawl.max_time_s = {max_time_s:g} s)")
    except asyncio.CancelledError:
        state.incomplete("interrupted: the run was stopped before it finished")
    finally:
        with contextlib.suppress(BaseException):
            await asyncio.shield(fetcher.aclose())
    for key, reason in fetcher.stopped_reasons.items():
        state.snapshot.warnings.append(f"stopped fetching as {key}: {reason}")
    return finish(state)


def finish(state: GatherRun) -> Snapshot:
    """Write the header (flags, counts, warnings) and return the snapshot read from the store,
    marked incomplete when nothing answered; rows were redacted as they were stored."""
    snap = state.snapshot
    snap.crawl.skipped_counts = dict(sorted(state.skipped_counts.items()))
    snap.finished_at = _now_iso()
    if snap.complete:
        reason = _unreachable_reason(state)
        if reason:
            snap.complete = False
            snap.incomplete_reason = reason
    state.store.save_header(snap)
    return state.store.snapshot()


def _unreachable_reason(state: GatherRun) -> str | None:
    """The whole site failed at the connection level for every agent: nothing to judge."""
    store = state.store
    if store.scalar("SELECT count(*) FROM exchanges WHERE status IS NOT NULL"):
        return None
    kinds = {k for (k,) in store.query("SELECT DISTINCT error_kind FROM exchanges") if k}
    first = store.scalar("SELECT data FROM exchanges WHERE error_kind IS NOT NULL ORDER BY id")
    if first is None:
        return None
    message = Exchange.model_validate_json(first).error.message  # type: ignore[union-attr]
    if kinds & _ERROR_KINDS_UNREACHABLE or kinds <= {"private_address", "out_of_scope"}:
        return f"site unreachable: {message}"
    return None


def gather(
    policy: Any,
    registry: Any,
    options: GatherOptions | None = None,
    *,
    progress: ProgressCallback | None = None,
    policy_path: str | None = None,
) -> Snapshot:
    """Run the whole gather; Ctrl-C or SIGTERM returns the partial snapshot, incomplete."""
    state = new_run(policy, registry, options or GatherOptions(), progress, policy_path)

    async def main() -> Snapshot:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)  # type: ignore[union-attr]
        try:
            return await run_phases(state)
        finally:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGTERM)

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        state.incomplete("interrupted: the run was stopped before it finished")
        return finish(state)
