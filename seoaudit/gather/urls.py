"""URL normalisation, scope, and the spider-trap guard.

Normalisation runs for every link of every page, so the common case (an absolute path on
the same origin) takes a string fast path; stdlib ``urljoin``/``urlsplit`` cost about 1 ms
per page of 66 links (performance-notes.md), more than parsing the page.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*)?$")
_DATE_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])(/|$)")
_DATE_QUERY = re.compile(r"(^|&)(date|day|month|year|week|cal|calendar)=", re.I)
MAX_URL_LENGTH = 2048


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def normalise_url(url: str, base: str | None = None) -> str | None:
    """Absolute, fragment-free, lower-case scheme/host, no default port; None unless http(s)."""
    url = url.strip()
    if not url:
        return None
    if base is not None and url.startswith("/") and not url.startswith("//"):
        if "#" in url:
            url = url.split("#", 1)[0]
        if _SAFE_PATH.match(url):
            return _origin_fast(base) + url
    if base is not None:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.lower()
        port = parts.port
    except ValueError:
        return None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" + ("" if port in (None, _DEFAULT_PORTS[scheme]) else f":{port}")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


_ORIGIN_CACHE: dict[str, str] = {}


def _origin_fast(base: str) -> str:
    origin = _ORIGIN_CACHE.get(base)
    if origin is None:
        normalised = normalise_url(base) or base
        parts = urlsplit(normalised)
        origin = f"{parts.scheme}://{parts.netloc}"
        if len(_ORIGIN_CACHE) > 4096:
            _ORIGIN_CACHE.clear()
        _ORIGIN_CACHE[base] = origin
    return origin


_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]*")
_HOST_KEYS: dict[str, str] = {}  # "scheme://netloc" -> host key
_SCOPE: dict[tuple[str, tuple[str, ...]], bool] = {}  # (host key, hosts) -> in scope
_CACHE_MAX = 4096


def host_key(url: str) -> str:
    """host[:port] of a URL, lower-case, default port dropped.

    Called for every link of every page (scope, pacing), so the answer is cached by the
    URL's ``scheme://netloc`` prefix: a crawl of one site splits a handful of prefixes, not
    every URL (``urlsplit`` was a fifth of a crawl's CPU)."""
    prefix = _PREFIX.match(url)
    if prefix is not None and prefix.end() < len(url) and url[prefix.end()] not in "/?#":
        prefix = None  # whitespace urlsplit would drop inside the netloc: no shortcut
    if prefix is not None:
        cached = _HOST_KEYS.get(prefix.group())
        if cached is not None:
            return cached
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    default = port is None or port == _DEFAULT_PORTS.get(parts.scheme.lower())
    key = host if default else f"{host}:{port}"
    if prefix is not None:
        if len(_HOST_KEYS) > _CACHE_MAX:
            _HOST_KEYS.clear()
        _HOST_KEYS[prefix.group()] = key
    return key


def in_scope(url: str, hosts: list[str] | tuple[str, ...]) -> bool:
    """Hosts are compared by host name, or host:port when a port is given in ``hosts``."""
    key = host_key(url)
    memo = (key, tuple(hosts))
    answer = _SCOPE.get(memo)
    if answer is None:
        answer = _in_scope(key, hosts)
        if len(_SCOPE) > _CACHE_MAX:
            _SCOPE.clear()
        _SCOPE[memo] = answer
    return answer


def _in_scope(key: str, hosts: list[str] | tuple[str, ...]) -> bool:
    name = key.split(":")[0] if not key.startswith("[") else key
    for host in hosts:
        host = host.lower()
        if host == key or (":" not in host and host == name):
            return True
    return False


class TrapGuard:
    """Refuses URLs that look like spider traps before they are queued.

    Traps: endless query permutations on one path, repeating path segments
    (``/a/b/a/b/``), calendar-like paths or parameters, and absurdly long URLs.
    """

    def __init__(self, *, max_queries_per_path: int = 20, max_calendar: int = 10) -> None:
        self.max_queries_per_path = max_queries_per_path
        self.max_calendar = max_calendar
        self._queries: Counter[str] = Counter()
        self._calendar = 0
        self._seen_sorted: set[str] = set()

    def admit(self, url: str) -> str | None:
        """None when the URL may be queued, else the reason ("trap")."""
        if len(url) > MAX_URL_LENGTH:
            return "trap"
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > 12 or _repeats(segments):
            return "trap"
        if parts.query:
            canonical = "&".join(sorted(parts.query.split("&")))
            key = f"{parts.netloc}{parts.path}?{canonical}"
            if key in self._seen_sorted:
                return "duplicate"
            self._queries[parts.netloc + parts.path] += 1
            if self._queries[parts.netloc + parts.path] > self.max_queries_per_path:
                return "trap"
            self._seen_sorted.add(key)
        if _DATE_PATH.search(parts.path) or _DATE_QUERY.search(parts.query):
            self._calendar += 1
            if self._calendar > self.max_calendar:
                return "trap"
        return None


def _repeats(segments: list[str]) -> bool:
    """True when a run of 1-3 segments repeats three times in a row."""
    n = len(segments)
    for size in (1, 2, 3):
        for start in range(0, n - 3 * size + 1):
            block = segments[start : start + size]
            if (
                block
                == segments[start + size : start + 2 * size]
                == segments[start + 2 * size : start + 3 * size]
            ):
                return True
    return False
