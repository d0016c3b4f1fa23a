"""The polite fetcher: the only place seoaudit sends HTTP requests.

Polite by construction, whatever the caller asks:
- one global token bucket (``crawl.max_rps``) and a per-host concurrency cap;
- never faster after a non-2xx: any non-2xx spaces the next request to that host;
- 429 and 503 are host-wide signals, because every agent of an audit shares one IP and a
  per-IP limiter throttles their sum: the whole host pauses (Retry-After as a floor, capped,
  else a doubling back-off) and its pacing rate halves, down to a floor below
  ``rate.min_rps``; it climbs back slowly after a quiet spell, never past 80% of a rate that
  drew a limit. Only when one agent keeps drawing them while the others are served does
  that agent alone wait. One 500 on one URL changes nobody's rate;
- a Retry-After over the caps, or repeated distress, stops the identity that received it
  on that host, and the snapshot says why;
- an identity may be *serial* (at most one request in flight per host, in FIFO order):
  bot probes always are, so agents are spread fairly over time, and an identity that drew a
  429/503 becomes serial, so how many requests it sends before a stop does not depend on
  timing;
- bodies are streamed and cut at a byte cap counted *after* decompression (bombs stop at
  the cap), with connect/read timeouts and a total deadline per request;
- redirects are followed by hand, hop by hop, within a hop limit, never out of scope;
- a host that resolves to a private, loopback or link-local address is refused unless the
  audit itself started on a private address;
- no silent retries: every attempt is an exchange in the snapshot, with the pacing rate in
  force when it was sent (``timing.paced_rps``), which the rate analysis reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import ipaddress
import socket
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from httpcore._utils import is_socket_readable  # pinned httpcore: its own readiness poll

from seoaudit.snapshot import Body, ErrorInfo, Exchange, RedirectHop
from seoaudit.web.headers import parse_retry_after
from seoaudit.web.urls import host_key, in_scope, normalise_url

Resolver = Callable[[str], list[str]]
EXCERPT_BYTES = 4096
PAGE_EXCERPT_BYTES = 512  # honest-crawl pages: enough for a challenge title, small at 20k pages
# Interstitials are small and keep their markers anywhere (a challenge script near the end):
# keep more of small and refused answers, so classification can read the whole page.
INTERSTITIAL_EXCERPT_BYTES = 16 * 1024
INTERSTITIAL_MAX_BYTES = 64 * 1024
_SLICE = 1024  # compressed bytes fed to a decoder at a time (bounds one step's output)
MAX_DISTRESS_PER_IDENTITY = 4
HOST_STOP_AFTER = 4  # page limit episodes in a row, nothing served: the host is down or closed
DEAD_HOST_AFTER = 3  # connection failures before the host ever answered: nobody tries more
_DEAD_KINDS = ("connect", "dns", "tls")
DEFAULT_BACKOFF_S = 2.0  # host-wide pause after a 429/503 without Retry-After (doubles)
MAX_BACKOFF_S = 30.0
RECOVER_AFTER_S = 10.0  # a quiet spell this long lets the pacing rate climb again
RECOVER_FACTOR = 1.25
CEILING_SHARE = 0.8  # never climb back past this share of a rate that drew a limit
LIMIT_STATUSES = (429, 503)


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({info[4][0] for info in infos})


def is_private_address(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


@dataclass
class Fetched:
    """An exchange and the body bytes read (kept out of the snapshot, which holds an excerpt)."""

    exchange: Exchange
    body: bytes = b""


@dataclass
class _HostState:
    semaphore: asyncio.Semaphore
    max_rate: float | None  # crawl.max_rps (None: unpaced, benchmarks only)
    floor_rate: float | None
    rate: float | None = None  # current pacing rate
    next_at: float = 0.0
    paused_until: float = 0.0  # host-wide: Retry-After or back-off after a 429/503
    # CEILING_SHARE x the lowest pacing rate that drew a limit, per identity that drew it;
    # an identity found to be limited alone (its own rule) no longer holds the host down
    ceiling_by: dict[str, float] = field(default_factory=dict)
    rate_before: dict[str, float] = field(default_factory=dict)  # pace before its first limit
    alone: set[str] = field(default_factory=set)
    last_limit_at: float = float("-inf")
    last_limit_seen: dict[str, float] = field(default_factory=dict)  # identity -> send time
    last_raise_at: float = float("-inf")
    consecutive_limits: int = 0
    host_stopped: str | None = None  # every identity stopped: the host is down or closed
    pages_refused_in_row: int = 0  # limit episodes on anything but robots.txt, in a row
    answered: bool = False  # the host sent at least one HTTP answer
    dead_failures: int = 0  # connection failures while it never answered
    last_sent: float = float("-inf")  # when the last request to this host left
    stopped: dict[str, str] = field(default_factory=dict)  # identity -> reason
    distress: dict[str, int] = field(default_factory=dict)
    # Tickets: every request of an identity gets the next number when it is made (task
    # order, so deterministic); a serial request waits until every lower ticket is done.
    next_ticket: dict[str, int] = field(default_factory=dict)
    outstanding: dict[str, set[int]] = field(default_factory=dict)
    turn: asyncio.Condition = field(default_factory=asyncio.Condition)
    not_before: dict[str, float] = field(default_factory=dict)  # identity -> its own pause
    recent: deque[tuple[str, bool]] = field(default_factory=lambda: deque(maxlen=16))
    own_recent: dict[str, deque[bool]] = field(default_factory=dict)  # identity -> last 2
    serial_mode: set[str] = field(default_factory=set)  # identities serial since a 429/503

    def __post_init__(self) -> None:
        self.rate = self.max_rate

    @property
    def interval(self) -> float:
        return 1.0 / self.rate if self.rate else 0.0

    @property
    def ceiling(self) -> float | None:
        caps = [c for who, c in self.ceiling_by.items() if who not in self.alone]
        return min(caps) if caps else None

    def limited_alone(self, identity: str) -> None:
        """This identity's limits are its own: give the host back the pace they took."""
        if identity in self.alone:
            return
        self.alone.add(identity)
        before = self.rate_before.get(identity)
        if self.rate is not None and before is not None:
            cap = self.ceiling
            self.rate = max(self.rate, min(before, cap) if cap else before)

    def take_ticket(self, identity: str) -> int:
        ticket = self.next_ticket.get(identity, 0)
        self.next_ticket[identity] = ticket + 1
        self.outstanding.setdefault(identity, set()).add(ticket)
        return ticket

    async def wait_turn(self, identity: str, ticket: int) -> None:
        """Until every earlier request of this identity is done (serial, in order)."""
        async with self.turn:
            await self.turn.wait_for(lambda: min(self.outstanding[identity]) == ticket)

    async def done(self, identity: str, ticket: int) -> None:
        self.outstanding[identity].discard(ticket)
        async with self.turn:
            self.turn.notify_all()

    def on_limit(
        self, identity: str, paced_rps: float | None, wait: float, now: float, new: bool
    ) -> None:
        """A 429/503: pause everyone, halve the pace, remember where the limit bit.

        ``new`` is False for answers to requests sent before the previous limit was seen
        (the same burst): they extend the pause but do not halve the pace again."""
        self.paused_until = max(self.paused_until, now + wait)
        if not new:
            return
        self.consecutive_limits += 1
        self.last_limit_at = now
        if self.rate is None:
            return
        self.rate_before.setdefault(identity, self.rate)
        if paced_rps:
            cap = paced_rps * CEILING_SHARE
            self.ceiling_by[identity] = min(self.ceiling_by.get(identity, cap), cap)
        self.rate = max(self.floor_rate or 0.0, self.rate / 2)

    def on_success(self, now: float) -> None:
        self.consecutive_limits = 0
        if self.rate is None or self.max_rate is None:
            return
        cap = min(self.max_rate, self.ceiling) if self.ceiling else self.max_rate
        quiet = now - self.last_limit_at >= RECOVER_AFTER_S
        if self.rate < cap and quiet and now - self.last_raise_at >= RECOVER_AFTER_S / 2:
            self.rate = min(cap, max(self.rate * RECOVER_FACTOR, self.floor_rate or 0.0))
            self.last_raise_at = now


class _GlobalBucket:
    """Token bucket with burst 1: requests start at least 1/rps apart, across all hosts."""

    def __init__(self, rps: float | None) -> None:
        self.interval = 0.0 if not rps else 1.0 / rps
        self.next_at = 0.0
        self.lock = asyncio.Lock()

    async def take(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.monotonic()
            wait = self.next_at - now
            if wait > 0:
                await asyncio.sleep(wait)
                now = time.monotonic()
            self.next_at = max(now, self.next_at) + self.interval


def first_backoff_s(min_rps: float | None) -> float:
    """The first pause after a 429/503 without Retry-After: long enough for a limiter at
    rate.min_rps to refill two requests, at most DEFAULT_BACKOFF_S."""
    if not min_rps:
        return DEFAULT_BACKOFF_S
    return min(DEFAULT_BACKOFF_S, max(0.5, 2.0 / min_rps))


@dataclass
class FetchSettings:
    max_rps: float | None = 5.0  # None: no ceiling (benchmarks only)
    concurrency: int = 4
    timeout_s: float = 10.0
    max_body_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 10
    max_retry_after_s: float = 3600.0
    max_wait_s: float = 30.0  # longest Retry-After the run sits out; longer stops that agent
    hosts: list[str] = field(default_factory=list)
    private_ok: bool = False
    extra_headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()  # values never to record (credentials in extra_headers)
    verify_tls: bool = True
    min_rate_fraction: float = 0.125  # a host's rate never drops below this share of max_rps
    # ...nor below half of rate.min_rps, so a limit under the rate the policy needs is seen
    min_rps: float | None = None
    # "ip:port" peers that count as public although their address is not (tests simulate a
    # public site on 127.0.0.1 with it); empty in real runs
    public_peers: frozenset[str] = frozenset()


class Fetcher:
    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: Resolver | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        first_id: int = 1,
        clock_start_s: float = 0.0,
    ) -> None:
        """``first_id`` and ``clock_start_s`` continue a resumed gather: exchange ids and
        ``timing.started_s`` carry on from the stored run instead of starting again."""
        self.settings = settings
        self.resolver = resolver or system_resolver
        self.on_exchange = on_exchange
        self._bucket = _GlobalBucket(settings.max_rps)
        self._hosts: dict[str, _HostState] = {}
        self._resolved: dict[str, list[str]] = {}
        self._next_id = first_id - 1
        self._t0 = time.monotonic() - clock_start_s
        # One connection per request in flight: the per-host semaphore allows `concurrency`
        # per host in scope; a few more for hosts a redirect reaches.
        connections = max(1, settings.concurrency) * max(1, len(settings.hosts)) + 4
        transport = httpx.AsyncHTTPTransport(
            verify=settings.verify_tls,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        _audit_pool(transport, None if settings.private_ok else settings.public_peers)
        self._client = httpx.AsyncClient(
            transport=transport,
            follow_redirects=False,
            timeout=httpx.Timeout(settings.timeout_s, connect=min(settings.timeout_s, 10.0)),
            headers={"Accept-Encoding": "gzip, deflate, br"},
        )
        self.stopped_reasons: dict[str, str] = {}

    def _backoff_s(self) -> float:
        return first_backoff_s(self.settings.min_rps)

    def is_stopped(self, url: str, profile: str) -> bool:
        """Whether this identity was stopped on the URL's host (Retry-After, distress)."""
        state = self._hosts.get(host_key(url))
        return state is not None and (profile in state.stopped or state.host_stopped is not None)

    async def calm(self, url: str, gap_s: float) -> None:
        """Wait until the URL's host is out of any pause and ``gap_s`` has passed since the
        last request to it: what a re-check needs to be a fair, unloaded observation."""
        state = self._host(host_key(url))
        while True:
            now = time.monotonic()
            wait = max(state.paused_until, state.last_sent + gap_s) - now
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, 0.5))

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- bookkeeping -------------------------------------------------------------------

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _host(self, key: str) -> _HostState:
        state = self._hosts.get(key)
        if state is None:
            max_rps = self.settings.max_rps
            floor = None
            if max_rps:
                floor = max_rps * self.settings.min_rate_fraction
                if self.settings.min_rps:
                    floor = min(floor, self.settings.min_rps / 2)
            state = self._hosts[key] = _HostState(
                semaphore=asyncio.Semaphore(self.settings.concurrency),
                max_rate=max_rps,
                floor_rate=floor,
            )
        return state

    def _private_refusal(self, url: str) -> str | None:
        if self.settings.private_ok:
            return None
        host = (urlsplit(url).hostname or "").lower()
        addresses = self._resolved.get(host)
        if addresses is None:
            try:
                ipaddress.ip_address(host)
                addresses = [host]
            except ValueError:
                addresses = self.resolver(host)
            self._resolved[host] = addresses
        bad = [a for a in addresses if is_private_address(a)]
        if bad:
            return (
                f"{host} resolves to a non-public address ({bad[0]}); refused from a public start"
            )
        return None

    # -- the one entry point -----------------------------------------------------------

    async def fetch(
        self,
        url: str,
        *,
        profile: str,
        user_agent: str,
        purpose: str,
        max_redirects: int | None = None,
        max_body_bytes: int | None = None,
        method: str = "GET",
        paced: bool = True,
        serial: bool = False,
    ) -> Fetched:
        """Fetch ``url`` as ``profile`` and return the recorded exchange (never raises for
        network trouble: failures are recorded with an error kind).

        ``serial=True`` keeps at most one request of this identity in flight per host.
        ``paced=False`` is for the opt-in rate probe only, which schedules its own requests
        under its hard ceiling; Retry-After and distress stops still apply."""
        state = self._host(host_key(url)) if in_scope(url, self.settings.hosts) else None
        if state is None:
            return await self._fetch(url, profile, user_agent, purpose, max_redirects,
                                     max_body_bytes, method, paced, None, serial)  # fmt: skip
        ticket = state.take_ticket(profile)
        try:
            return await self._fetch(url, profile, user_agent, purpose, max_redirects,
                                     max_body_bytes, method, paced, ticket, serial)  # fmt: skip
        finally:
            await asyncio.shield(state.done(profile, ticket))

    async def _fetch(
        self,
        url: str,
        profile: str,
        user_agent: str,
        purpose: str,
        max_redirects: int | None,
        max_body_bytes: int | None,
        method: str,
        paced: bool,
        ticket: int | None = None,
        serial: bool = False,
    ) -> Fetched:
        limit = self.settings.max_redirects if max_redirects is None else max_redirects
        cap = self.settings.max_body_bytes if max_body_bytes is None else max_body_bytes
        exchange = Exchange(
            id=self._new_id(),
            purpose=purpose,
            profile=profile,
            method=method,
            url=url,  # type: ignore[arg-type]
        )
        exchange.timing.started_s = round(time.monotonic() - self._t0, 4)
        started = time.monotonic()
        current = url
        seen = {url}
        body = bytearray()
        try:
            while True:
                refusal = self._check_target(current, profile)
                if refusal is not None:
                    exchange.error = refusal
                    break
                first = ticket if not exchange.redirects else None
                hop = await self._one_hop(
                    current, profile, user_agent, method, cap, exchange, body, paced,
                    first, serial,
                )  # fmt: skip
                if hop is None:
                    break
                status, location = hop
                if location is None:
                    break
                target = normalise_url(urljoin(current, location))
                exchange.redirects.append(
                    RedirectHop(url=current, status=status, location=location)
                )
                if target is None:
                    exchange.error = ErrorInfo(
                        kind="protocol", message=f"bad Location: {location!r}"
                    )
                    break
                if target in seen:
                    exchange.error = ErrorInfo(
                        kind="redirect_loop", message=f"redirect loop back to {target}"
                    )
                    break
                if len(exchange.redirects) > limit:
                    exchange.error = ErrorInfo(
                        kind="redirect_limit", message=f"more than {limit} redirects"
                    )
                    break
                if not in_scope(target, self.settings.hosts):
                    exchange.final_url = target
                    exchange.error = ErrorInfo(
                        kind="out_of_scope", message=f"redirects off-site to {target}: not followed"
                    )
                    break
                seen.add(target)
                current = target
        except asyncio.CancelledError:
            exchange.error = ErrorInfo(kind="interrupted", message="the run was stopped")
            self._record(exchange)
            raise
        exchange.final_url = exchange.final_url or current
        exchange.timing.total_ms = round((time.monotonic() - started) * 1000, 2)
        self._record(exchange)
        return Fetched(exchange, bytes(body))

    def _redact(self, text: str) -> str:
        for secret in self.settings.secrets:
            if secret and secret in text:
                text = text.replace(secret, "[redacted]")
        return text

    def _scrub(self, exchange: Exchange) -> None:
        """A site may reflect our credentials back (echo pages, debug headers): never keep them."""
        if not self.settings.secrets:
            return
        exchange.headers = [(k, self._redact(v)) for k, v in exchange.headers]
        exchange.body.excerpt = self._redact(exchange.body.excerpt)
        if exchange.error is not None:
            exchange.error.message = self._redact(exchange.error.message)
        for hop in exchange.redirects:
            hop.location = self._redact(hop.location) if hop.location else hop.location

    def _record(self, exchange: Exchange) -> None:
        self._scrub(exchange)
        if self.on_exchange is not None:
            self.on_exchange(exchange)

    def _check_target(self, url: str, profile: str) -> ErrorInfo | None:
        if not in_scope(url, self.settings.hosts):
            return ErrorInfo(kind="out_of_scope", message=f"{url} is outside site.hosts")
        refusal = self._private_refusal(url)
        if refusal:
            return ErrorInfo(kind="private_address", message=refusal)
        state = self._host(host_key(url))
        reason = state.stopped.get(profile) or state.host_stopped
        if reason:
            return ErrorInfo(kind="other", message=f"not fetched: {reason}")
        return None

    async def _wait_retry_after(self, state: _HostState, profile: str) -> str | None:
        """Sit out a host-wide pause without holding a connection slot."""
        while True:
            if profile in state.stopped or state.host_stopped:
                return state.stopped.get(profile) or state.host_stopped
            until = max(state.paused_until, state.not_before.get(profile, 0.0))
            wait = until - time.monotonic()
            if wait <= 0:
                return None
            await asyncio.sleep(min(wait, 0.5))

    async def _pace(self, state: _HostState, profile: str) -> str | None:
        """Wait for the host's current pace and any pause, then the global bucket.

        Returns the reason when this identity was stopped while it waited.
        """
        while True:
            if profile in state.stopped or state.host_stopped:
                return state.stopped.get(profile) or state.host_stopped
            now = time.monotonic()
            until = max(state.next_at, state.paused_until, state.not_before.get(profile, 0.0))
            wait = until - now
            if wait <= 0:
                state.next_at = now + state.interval
                break
            await asyncio.sleep(min(wait, 0.5))
        await self._bucket.take()
        return None

    def _after_failure(self, state: _HostState, error: ErrorInfo) -> None:
        """A host that never answered and keeps refusing connections is down or mistyped:
        after a few tries nobody sends more (the result says "site unreachable")."""
        if state.answered or error.kind not in _DEAD_KINDS:
            return
        state.dead_failures += 1
        if state.dead_failures >= DEAD_HOST_AFTER and not state.host_stopped:
            state.host_stopped = (
                f"the host never answered ({state.dead_failures} connection failures: "
                f"{error.kind}); no agent sent more"
            )
            self.stopped_reasons[f"*@{host_key_from_state(self, state)}"] = state.host_stopped

    def _after_response(
        self,
        state: _HostState,
        profile: str,
        status: int,
        retry_after: str | None,
        paced_rps: float | None,
        sent_at: float,
        purpose: str = "page",
    ) -> None:
        now = time.monotonic()
        state.answered = True
        limited = status in LIMIT_STATUSES
        others = [refused for who, refused in state.recent if who != profile][-12:]
        mine = state.own_recent.setdefault(profile, deque(maxlen=2))
        own = list(mine)
        mine.append(limited)
        state.recent.append((profile, limited))
        if status < 400 or status in (404, 410):
            state.on_success(now)
            state.pages_refused_in_row = 0
            if status < 400:
                return
        state.next_at = max(state.next_at, now + state.interval)  # no burst after a non-2xx
        if status not in LIMIT_STATUSES:
            return
        # One episode per burst: answers to requests already in flight when the last limit
        # arrived belong to that episode, so how many were in flight does not matter.
        new = sent_at > state.last_limit_at
        had_limit = profile in state.last_limit_seen
        new_for_identity = sent_at > state.last_limit_seen.get(profile, float("-inf"))
        state.last_limit_seen[profile] = max(state.last_limit_seen.get(profile, 0.0), now)
        # robots.txt and sitemaps are a handful of requests, bounded on their own; their
        # refusals pause the host but only page refusals count towards stopping an agent
        counts = new_for_identity and purpose not in ("robots", "sitemap")
        count = state.distress.get(profile, 0) + (1 if counts else 0)
        state.distress[profile] = count
        state.serial_mode.add(profile)
        delay = parse_retry_after(retry_after)
        # Host-wide, unless this agent alone keeps drawing limits while the others are served
        # under the same load: then only this agent waits, and nobody else slows down.
        # "alone": its last answers were limits too, while at least four answers to the
        # other agents in the same spell were all served (a per-IP limiter spreads its
        # refusals over every agent, so this does not happen by chance)
        alone = had_limit and len(own) == 2 and all(own) and len(others) >= 4 and not any(others)
        steps = min(count, 4) if alone else state.consecutive_limits
        backoff = min(MAX_BACKOFF_S, self._backoff_s() * 2**steps)
        # A Retry-After past what the audit sits out stops the agent that got it (below); the
        # others pause as for any limit, not for the whole long wait.
        wait = delay if delay is not None and delay <= self.settings.max_wait_s else backoff
        if alone:
            state.limited_alone(profile)
            state.not_before[profile] = max(state.not_before.get(profile, 0.0), now + wait)
        elif purpose in ("robots", "sitemap"):
            # one request per agent: a pause, but no doubling and no slower pace for pages
            wait = (
                delay
                if delay is not None and delay <= self.settings.max_wait_s
                else (self._backoff_s())
            )
            state.paused_until = max(state.paused_until, now + wait)
        else:
            state.on_limit(profile, paced_rps, wait, now, new)
        if delay is not None and delay > self.settings.max_retry_after_s:
            state.stopped[profile] = (
                f"the server asked this agent to wait {delay:.0f} s (Retry-After), over "
                f"rate.max_retry_after_s ({self.settings.max_retry_after_s:.0f} s)"
            )
        elif delay is not None and delay > self.settings.max_wait_s:
            state.stopped[profile] = (
                f"the server asked this agent to wait {delay:.0f} s (Retry-After); the audit "
                f"waits at most {self.settings.max_wait_s:.0f} s, so this agent's remaining "
                "requests to the host were not sent"
            )
        elif count >= MAX_DISTRESS_PER_IDENTITY:
            state.stopped[profile] = f"stopped after {count} answers of 429/503 (distress)"
        if purpose not in ("robots", "sitemap") and new:
            state.pages_refused_in_row += 1  # robots.txt alone failing is not the host down
        if state.pages_refused_in_row >= HOST_STOP_AFTER and not state.host_stopped:
            state.host_stopped = (
                f"the host answered {state.pages_refused_in_row} page requests in a row with "
                "429/503 and served nothing in between; no agent sent more"
            )
            self.stopped_reasons[f"*@{host_key_from_state(self, state)}"] = state.host_stopped
        if profile in state.stopped:
            self.stopped_reasons[f"{profile}@{host_key_from_state(self, state)}"] = state.stopped[
                profile
            ]

    async def _one_hop(
        self,
        url: str,
        profile: str,
        user_agent: str,
        method: str,
        cap: int,
        exchange: Exchange,
        body: bytearray,
        paced: bool = True,
        ticket: int | None = None,
        serial: bool = False,
    ) -> tuple[int, str | None] | None:
        state = self._host(host_key(url))

        def out_of_turn() -> bool:
            """Serial (asked for, or since this identity drew a 429/503), and an earlier
            request of this identity is not done yet."""
            return (
                ticket is not None
                and (serial or profile in state.serial_mode)
                and min(state.outstanding[profile]) != ticket
            )

        while True:
            if out_of_turn():
                await state.wait_turn(profile, ticket)  # type: ignore[arg-type]
            stopped = await self._wait_retry_after(state, profile)  # without holding a slot
            if stopped is not None:
                exchange.error = ErrorInfo(kind="other", message=f"not fetched: {stopped}")
                return None
            await state.semaphore.acquire()
            try:
                stopped = await self._pace(state, profile) if paced else None
            except BaseException:
                state.semaphore.release()
                raise
            if stopped is None and out_of_turn():  # serial mode began while it waited
                state.semaphore.release()
                continue
            break
        try:
            if stopped is not None:
                exchange.error = ErrorInfo(kind="other", message=f"not fetched: {stopped}")
                return None
            paced_rps = state.rate if paced else None
            if exchange.timing.paced_rps is None and paced_rps:
                exchange.timing.paced_rps = round(paced_rps, 4)
            if not exchange.redirects:  # when the request really left, not when it queued
                exchange.timing.started_s = round(time.monotonic() - self._t0, 4)
            state.last_sent = time.monotonic()
            headers = {"User-Agent": user_agent, **self.settings.extra_headers}
            t0 = time.monotonic()
            try:
                async with asyncio.timeout(self.settings.timeout_s):
                    request = self._client.build_request(method, url, headers=headers)
                    response = await self._client.send(request, stream=True)
                    try:
                        exchange.timing.ttfb_ms = round((time.monotonic() - t0) * 1000, 2)
                        exchange.status = response.status_code
                        exchange.http_version = response.http_version
                        exchange.headers = [
                            (k.decode("latin-1"), v.decode("latin-1"))
                            for k, v in response.headers.raw
                        ]
                        location = response.headers.get("location")
                        is_redirect = 300 <= response.status_code < 400 and location
                        if not is_redirect:
                            await self._read_body(response, cap, exchange, body)
                    finally:
                        await response.aclose()
            except TimeoutError:
                exchange.error = ErrorInfo(
                    kind="timeout",
                    message=f"no complete answer within {self.settings.timeout_s:g} s",
                )
                return None
            except httpx.HTTPError as exc:
                exchange.error = classify_http_error(exc)
                self._after_failure(state, exchange.error)
                return None
            except (OSError, ValueError) as exc:
                exchange.error = ErrorInfo(kind="other", message=f"{type(exc).__name__}: {exc}")
                return None
            except Exception as exc:  # decoder errors (zlib, brotli) on hostile bodies
                exchange.error = ErrorInfo(
                    kind="protocol", message=f"undecodable body: {type(exc).__name__}: {exc}"[:300]
                )
                return None
            self._after_response(
                state,
                profile,
                exchange.status or 0,
                exchange.header("retry-after"),
                paced_rps,
                t0,
                exchange.purpose,
            )
            return exchange.status or 0, (location if is_redirect else None)
        finally:
            state.semaphore.release()

    async def _read_body(
        self, response: httpx.Response, cap: int, exchange: Exchange, data: bytearray
    ) -> None:
        encoding = (response.headers.get("content-encoding") or "identity").strip().lower()
        decoder = _decoder_for(encoding)
        data.clear()
        wire = 0
        digest = hashlib.sha256()
        truncated = False
        async for chunk in response.aiter_raw():
            wire += len(chunk)
            for start in range(0, len(chunk), _SLICE):
                room = cap - len(data)
                piece = (
                    decoder(chunk[start : start + _SLICE], room + 1)
                    if decoder
                    else chunk[start : start + _SLICE]
                )
                if len(piece) > room:
                    piece = piece[:room]
                    truncated = True
                data += piece
                digest.update(piece)
                if truncated:
                    break
            if truncated:
                break
        exchange.body = Body(
            bytes=len(data),
            wire_bytes=wire,
            sha256=digest.hexdigest(),
            excerpt=bytes(data[: _excerpt_size_for(exchange, len(data))]).decode(
                "utf-8", "replace"
            ),
            truncated=truncated,
            content_type=response.headers.get("content-type"),
            charset=response.charset_encoding,
        )
        if truncated:
            exchange.error = ErrorInfo(
                kind="too_large", message=f"body cut at {cap:,} bytes (decoded)"
            )


def _excerpt_size_for(exchange: Exchange, size: int) -> int:
    ok = exchange.status is not None and 200 <= exchange.status < 300
    if exchange.purpose == "page" and ok:
        return PAGE_EXCERPT_BYTES
    if not ok or size <= INTERSTITIAL_MAX_BYTES:
        return INTERSTITIAL_EXCERPT_BYTES
    return EXCERPT_BYTES


def host_key_from_state(fetcher: Fetcher, state: _HostState) -> str:
    return next((k for k, v in fetcher._hosts.items() if v is state), "?")


Decoder = Callable[[bytes, int], bytes]


def _decoder_for(encoding: str) -> Decoder | None:
    """A decoder that never returns more than ``limit`` bytes for one input slice, so a
    compression bomb is stopped at the cap without ever being inflated in memory."""
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater = zlib.decompressobj(
            16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
        )

        def inflate(data: bytes, limit: int) -> bytes:
            return inflater.decompress(data, limit)

        return inflate
    if encoding == "br":
        import brotli

        decompressor = brotli.Decompressor()

        def unbrotli(data: bytes, limit: int) -> bytes:
            out = decompressor.process(data, output_buffer_limit=limit)
            while len(out) < limit and not decompressor.can_accept_more_data():
                more = decompressor.process(b"", output_buffer_limit=limit - len(out))
                if not more:
                    break
                out += more
            if len(out) < limit and not decompressor.can_accept_more_data():
                return out + b"\0" * (limit - len(out))  # output still pending: over the cap
            return out

        return unbrotli
    return None


PRIVATE_PEER = "refused at connect: "


class _LeanPool(httpcore.AsyncConnectionPool):
    """httpcore's pool with its request-to-connection assignment in linear time.

    httpcore 1.0.9 counts the pool (``len([c.is_idle() for c in connections])``) once per
    idle connection on every assignment, several times a request: ~270 ``is_idle`` calls a
    request at concurrency 16. This is the same assignment (first usable connection, else
    a new one, else replace the first idle one) with the count taken once."""

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        connections = self._connections
        for connection in list(connections):
            if connection.is_closed():
                connections.remove(connection)
            elif connection.has_expired() or (
                connection.is_idle() and len(connections) > self._max_keepalive_connections
            ):
                connections.remove(connection)
                closing.append(connection)
        for pool_request in [r for r in self._requests if r.is_queued()]:
            origin = pool_request.request.url.origin
            usable = next(
                (c for c in connections if c.can_handle_request(origin) and c.is_available()),
                None,
            )
            if usable is None:
                if len(connections) >= self._max_connections:
                    idle = next((c for c in connections if c.is_idle()), None)
                    if idle is None:
                        continue  # the request waits for a connection to come free
                    connections.remove(idle)
                    closing.append(idle)
                usable = self.create_connection(origin)
                connections.append(usable)
            pool_request.assign_to_connection(usable)
        return closing


class _LeanStream(httpcore.AsyncNetworkStream):
    """A network stream whose ``is_readable`` check (asked of every idle connection on every
    pool assignment) polls the socket directly instead of rebuilding anyio's attribute
    table each time."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _LeanStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class _AuditBackend(httpcore.AsyncNetworkBackend):
    """Every connection the auditor opens: its stream made lean (``_LeanStream``), and, from
    a public start, the address it actually reached checked before a single byte is sent.

    The pre-flight check resolves the host and refuses private answers, but the connection
    resolves again: a DNS server that answers public first and private a moment later (DNS
    rebinding) would slip through; the socket's real peer cannot."""

    def __init__(
        self, inner: httpcore.AsyncNetworkBackend, public_peers: frozenset[str] | None
    ) -> None:
        self._inner = inner
        self._public_peers = public_peers  # None: private addresses are allowed this run

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        if self._public_peers is not None:
            peer = stream.get_extra_info("server_addr")
            address = str(peer[0]) if peer else ""
            if (
                address
                and is_private_address(address)
                and f"{address}:{peer[1]}" not in self._public_peers
            ):
                await stream.aclose()
                raise httpcore.ConnectError(
                    f"{PRIVATE_PEER}{host} connected to the non-public address {address}"
                )
        return _LeanStream(stream)

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used by the auditor")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _audit_pool(transport: httpx.AsyncHTTPTransport, public_peers: frozenset[str] | None) -> None:
    pool = transport._pool  # httpx keeps its httpcore pool here (pinned in requirements.lock)
    pool.__class__ = _LeanPool
    pool._network_backend = _AuditBackend(pool._network_backend, public_peers)


def classify_http_error(exc: BaseException) -> ErrorInfo:
    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    if PRIVATE_PEER in text:
        return ErrorInfo(kind="private_address", message=text[:300])
    if isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    elif "ssl" in low or "certificate" in low or "tls" in low:
        kind = "tls"
    elif isinstance(exc, httpx.ConnectError):
        kind = (
            "dns"
            if ("name or service" in low or "nodename" in low or "gaierror" in low)
            else "connect"
        )
    elif "too long" in low or "too large" in low or "exceeded" in low:
        kind = "too_large"
    elif isinstance(exc, httpx.ReadError | httpx.WriteError) or "reset" in low or "closed" in low:
        kind = "reset"
    elif isinstance(
        exc, httpx.RemoteProtocolError | httpx.LocalProtocolError | httpx.DecodingError
    ):
        kind = "protocol"
    else:
        kind = "other"
    with contextlib.suppress(Exception):
        text = text[:300]
    return ErrorInfo(kind=kind, message=text)  # type: ignore[arg-type]
