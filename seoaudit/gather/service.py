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

The service judges nothing. When it is stopped (Ctrl-C, SIGTERM, the time limit) it
returns what it has, marked incomplete.
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
from seoaudit.snapshot import PolicyRef, Snapshot, ToolInfo
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
    )
    plan = build_plan(state)
    state.plan = snapshot.plan = plan
    state.max_pages = plan.max_pages
    state.stats.planned_requests = plan.requests
    return state


async def run_phases(state: GatherRun) -> Snapshot:
    """Every phase in order, within ``crawl.max_time_s``; what was stopped says why."""
    fetcher = Fetcher(
        state.settings, resolver=state.options.resolver, on_exchange=state.on_exchange
    )
    max_time_s = state.policy.crawl.max_time_s
    if state.options.announce is not None and state.plan is not None:
        state.options.announce(describe(state.plan))
    state.started = time.monotonic()
    try:
        async with asyncio.timeout(max_time_s):
            await robots.run(state, fetcher)
            if state.policy.crawl.sitemaps:
                await sitemaps.run(state, fetcher)
            await discovery.run(state, fetcher)
            if state.plan is not None:  # the site's size is known: fit the time that is left
                fit_samples(state, state.plan, state.started, state.sections.total)
            await samples.run(state, fetcher)
            await rechecks.run(state, fetcher)
            if rate_probe.wanted(state):
                await rate_probe.run(state, fetcher)
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
    """The snapshot in its stored order, marked incomplete when nothing answered, redacted."""
    snap = state.snapshot
    snap.exchanges = sorted(state.exchanges, key=lambda e: e.id)
    snap.pages.sort(key=lambda p: p.exchange_id)
    snap.crawl.skipped_counts = dict(sorted(state.skipped_counts.items()))
    snap.finished_at = _now_iso()
    if snap.complete:
        reason = _unreachable_reason(state)
        if reason:
            snap.complete = False
            snap.incomplete_reason = reason
    return redact_snapshot(snap, state.settings.secrets)


def _unreachable_reason(state: GatherRun) -> str | None:
    """The whole site failed at the connection level for every agent: nothing to judge."""
    answered = [e for e in state.exchanges if e.status is not None]
    if answered or not state.exchanges:
        return None
    kinds = {e.error.kind for e in state.exchanges if e.error}
    first = next(e for e in state.exchanges if e.error)
    if kinds & _ERROR_KINDS_UNREACHABLE or kinds <= {"private_address", "out_of_scope"}:
        return f"site unreachable: {first.error.message}"  # type: ignore[union-attr]
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
