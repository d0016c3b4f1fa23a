"""The scenario server: a real HTTP/1.1 server on 127.0.0.1 that plays a scenario.

It runs asyncio streams in a background thread with its own small HTTP layer, because the
behaviours worth testing are byte-level (drop before headers, reset mid-body, trickle,
endless chunked bodies, lying lengths, huge headers). It is always bounded: past
``max_requests`` or ``max_seconds`` it answers 503, and ``stop()`` closes everything.
Every request is logged with a server-side timestamp so tests can prove politeness.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from seoaudit.robots_txt.matching import matches
from seoaudit.scenarios.model import Response, Route, Scenario
from seoaudit.scenarios.templates import TEMPLATES

_BOT_WORDS = ("bot", "crawler", "spider", "slurp", "fetcher", "archiver", "scraper")
_MAX_REQUEST_HEAD = 64 * 1024
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    410: "Gone",
    429: "Too Many Requests",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def is_bot_like(user_agent: str) -> bool:
    low = user_agent.lower()
    return any(word in low for word in _BOT_WORDS) or not low.startswith("mozilla/")


@dataclass
class RequestRecord:
    t: float  # time.monotonic() when the request line arrived
    origin: str
    method: str
    path: str
    user_agent: str
    headers: list[tuple[str, str]]
    connection_id: int
    status: int | None = None
    t_end: float | None = None
    bytes_sent: int = 0


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class _RouteState:
    count: int = 0
    buckets: dict[str, _Bucket] = field(default_factory=dict)


@cache
def _gzip_bomb(mib: int) -> bytes:
    return gzip.compress(b"\0" * (mib * 1024 * 1024), compresslevel=9)


@cache
def _brotli_bomb(mib: int) -> bytes:
    import brotli

    return brotli.compress(b"\0" * (mib * 1024 * 1024), quality=5)


class ScenarioServer:
    """Context manager: ``with ScenarioServer(load_scenario("demo")) as srv: srv.url``."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        host: str = "127.0.0.1",
        ports: dict[str, int] | None = None,
        max_requests: int = 20_000,
        max_seconds: float = 600.0,
    ) -> None:
        self.scenario = scenario
        self.host = host
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self._ports = dict(ports or {})
        self.origins: dict[str, str] = {}
        self._requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._state: dict[tuple[str, int], _RouteState] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.base_events.Server] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._started = 0.0
        self._conn_ids = 0

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> ScenarioServer:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._open())
            except BaseException as exc:  # report to the starting thread
                errors.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._close())
            loop.close()

        self._thread = threading.Thread(target=run, name="scenario-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if errors:
            raise errors[0]
        self._started = time.monotonic()
        return self

    async def _open(self) -> None:
        for name in self.scenario.origins:
            server = await asyncio.start_server(
                lambda r, w, n=name: self._serve(n, r, w),
                self.host,
                self._ports.get(name, 0),
                limit=_MAX_REQUEST_HEAD,
            )
            port = server.sockets[0].getsockname()[1]
            self.origins[name] = f"http://{self.host}:{port}"
            self._servers.append(server)

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for writer in list(self._writers):
            with contextlib.suppress(Exception):
                writer.transport.abort()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    def __enter__(self) -> ScenarioServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return next(iter(self.origins.values())) + "/"

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def reset_counters(self) -> None:
        with self._lock:
            self._requests.clear()
            self._state.clear()

    # -- serving -------------------------------------------------------------------

    async def _serve(
        self, origin: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        self._conn_ids += 1
        conn_id = self._conn_ids
        try:
            while True:
                head = await self._read_head(reader)
                if head is None:
                    return
                method, target, headers = head
                ua = next((v for k, v in headers if k.lower() == "user-agent"), "")
                record = RequestRecord(
                    time.monotonic(), origin, method, target, ua, headers, conn_id
                )
                with self._lock:
                    self._requests.append(record)
                    total = len(self._requests)
                keep_alive = await self._answer(origin, method, target, ua, writer, record, total)
                record.t_end = time.monotonic()
                if not keep_alive or any(
                    k.lower() == "connection" and v.lower() == "close" for k, v in headers
                ):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _read_head(
        self, reader: asyncio.StreamReader
    ) -> tuple[str, str, list[tuple[str, str]]] | None:
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers = []
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers.append((k.strip(), v.strip()))
        return parts[0].upper(), parts[1], headers

    def _route_for(
        self, origin: str, method: str, path: str, ua: str
    ) -> tuple[Route | None, Response, int]:
        routes = self.scenario.origins[origin].routes
        for index, route in enumerate(routes):
            if not matches(route.path, path):
                continue
            cond = route.when
            if not _condition_holds(cond, method, ua):
                continue
            with self._lock:
                state = self._state.setdefault((origin, index), _RouteState())
                state.count += 1
                seen = state.count
            if cond.after_requests is not None and seen <= cond.after_requests:
                continue
            if route.rate is not None and not self._take_token(state, route, ua):
                return route, route.limited or Response(status=429, body="slow down"), index
            return route, route.response, index
        return None, self.scenario.origins[origin].fallback, -1

    def _take_token(self, state: _RouteState, route: Route, ua: str) -> bool:
        rate = route.rate
        assert rate is not None
        key = ua if rate.key == "ua" else "*"
        now = time.monotonic()
        with self._lock:
            bucket = state.buckets.setdefault(key, _Bucket(tokens=rate.burst, updated=now))
            bucket.tokens = min(rate.burst, bucket.tokens + (now - bucket.updated) * rate.rps)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return True
            return False

    async def _answer(
        self,
        origin: str,
        method: str,
        target: str,
        ua: str,
        writer: asyncio.StreamWriter,
        record: RequestRecord,
        total: int,
    ) -> bool:
        if total > self.max_requests or time.monotonic() - self._started > self.max_seconds:
            response = Response(status=503, body="scenario server bounds reached")
        else:
            path = target
            hop = "/__hop/"
            if path.startswith(hop):
                return await self._hop(origin, path, writer, record)
            _route, response, _ = self._route_for(origin, method, path, ua)
            for slow in self.scenario.origins[origin].slow:
                if _condition_holds(slow.when, method, ua):
                    await asyncio.sleep(slow.delay_ms / 1000)
        if response.delay_ms:
            await asyncio.sleep(response.delay_ms / 1000)
        if response.drop == "before_headers":
            _reset(writer)
            record.status = None
            return False
        status, headers, body = self._build(origin, target, response, record.headers)
        record.status = status
        head_only = method == "HEAD"
        keep_alive = not (response.drop or response.endless or response.trickle_ms)
        if response.chunked or response.endless:
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Content-Length", str(len(body))))
        if not keep_alive:
            headers.append(("Connection", "close"))
        head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers
        )
        writer.write(head.encode("latin-1", "replace") + b"\r\n")
        record.bytes_sent += len(head) + 2
        await writer.drain()
        if head_only:
            return keep_alive
        if response.drop == "after_headers":
            _reset(writer)
            return False
        if response.drop == "mid_body":
            writer.write(body[: len(body) // 2])
            await writer.drain()
            _reset(writer)
            return False
        if response.endless:
            chunk = b"<p>" + b"x" * 8186 + b"</p>\n"
            while time.monotonic() - self._started < self.max_seconds:
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                record.bytes_sent += len(chunk)
                await writer.drain()
                await asyncio.sleep(0)
            return False
        if response.trickle_ms:
            for i in range(len(body)):
                writer.write(body[i : i + 1])
                record.bytes_sent += 1
                await writer.drain()
                await asyncio.sleep(response.trickle_ms / 1000)
            return False
        if response.chunked:
            for start in range(0, len(body), 4096):
                piece = body[start : start + 4096]
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(body)
        record.bytes_sent += len(body)
        await writer.drain()
        return keep_alive

    async def _hop(
        self, origin: str, path: str, writer: asyncio.StreamWriter, record: RequestRecord
    ) -> bool:
        """Redirect chains: /__hop/<remaining>/<target path> (target url-quoted)."""
        from urllib.parse import unquote

        rest = path[len("/__hop/") :]
        remaining, _, target = rest.partition("/")
        n = int(remaining) if remaining.isdigit() else 0
        to = unquote(target) if n <= 1 else f"/__hop/{n - 1}/{quote(unquote(target), safe='')}"
        to = self._expand(to, origin)
        head = f"HTTP/1.1 301 Moved Permanently\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
        writer.write(head.encode("latin-1"))
        record.status = 301
        await writer.drain()
        return True

    def _expand(self, text: str, origin: str) -> str:
        text = text.replace("{origin}", self.origins[origin])
        for name, url in self.origins.items():
            text = text.replace("{origin:" + name + "}", url)
        return text

    def _build(
        self,
        origin: str,
        target: str,
        response: Response,
        request_headers: list[tuple[str, str]] | None = None,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        status = response.status
        headers: list[tuple[str, str]] = [("Server", "scenario")]
        content_type = response.content_type
        body_text = response.body or ""
        if response.template:
            ctx = {"origin": self.origins[origin], "path": target, "origins": self.origins}
            params = _expand_params(
                response.params, lambda s: self._expand(s, origin).replace("{path}", target)
            )
            extra, body_text, template_type = TEMPLATES[response.template](params, ctx)
            headers = [
                h
                for h in headers
                if h[0].lower() != "server" or not any(e[0].lower() == "server" for e in extra)
            ] + extra
            content_type = content_type or template_type
        body_text = self._expand(body_text, origin)
        if response.echo_headers:
            # a hostile or careless site reflecting credentials back, in body and headers
            pairs = request_headers or []
            echoed = "".join(f"<li>{k}: {v}</li>" for k, v in pairs)
            links = "".join(f'<a href="/echo?{quote(k)}={quote(v)}">{k}</a>' for k, v in pairs)
            titled = " ".join(v for _, v in pairs)
            body_text += (
                f"<html><head><title>{titled}</title></head>"
                f"<body><ul>{echoed}</ul>{links}</body></html>"
            )
            headers += [(f"X-Echo-{k}", v) for k, v in request_headers or []]
        body = body_text.encode("utf-8")
        if response.size_kib:
            filler = b"<p>" + b"lorem ipsum dolor sit amet " * 37 + b"</p>\n"
            body = body + filler * (response.size_kib * 1024 // len(filler) + 1)
        if response.redirect is not None:
            red = response.redirect
            status = red.status
            if red.loop:
                location = target
            elif red.chain:
                location = (
                    f"/__hop/{red.chain}/{quote(self._expand(red.to or '/', origin), safe='')}"
                )
            else:
                location = self._expand(red.to or "/", origin)
            headers.append(("Location", location))
        for k, v in response.headers:
            headers.append((k, self._expand(v, origin)))
        for i in range(response.header_count):
            headers.append((f"X-Filler-{i}", "x" * 20))
        if response.header_kib:
            headers.append(("X-Huge", "h" * (response.header_kib * 1024)))
        if response.gzip_file:
            body = gzip.compress(body)
            content_type = content_type or "application/x-gzip"
        if response.encoding == "gzip":
            body = _gzip_bomb(response.bomb_mib) if response.bomb_mib else gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        elif response.encoding == "br":
            import brotli

            body = _brotli_bomb(response.bomb_mib) if response.bomb_mib else brotli.compress(body)
            headers.append(("Content-Encoding", "br"))
        if content_type:
            headers.append(("Content-Type", content_type))
        elif body and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "text/html; charset=utf-8"))
        return status, headers, body


def _condition_holds(cond: Any, method: str, ua: str) -> bool:
    low = ua.lower()
    if cond.methods and method not in [m.upper() for m in cond.methods]:
        return False
    if cond.ua_contains and not any(s.lower() in low for s in cond.ua_contains):
        return False
    if cond.ua_not_contains and any(s.lower() in low for s in cond.ua_not_contains):
        return False
    return cond.bot_like is None or is_bot_like(ua) == cond.bot_like


def _expand_params(value: Any, expand: Any) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, list):
        return [_expand_params(v, expand) for v in value]
    if isinstance(value, dict):
        return {k: _expand_params(v, expand) for k, v in value.items()}
    return value


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a crashing proxy or a WAF drop would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
