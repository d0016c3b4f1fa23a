"""URL normalisation, origin and scope: shared by the gatherers, the analysis and the rules.

Normalisation runs for every link of every page, so the common case (an absolute path on
the same origin) takes a string fast path; stdlib ``urljoin``/``urlsplit`` cost about 1 ms
per page of 66 links (performance-notes.md), more than parsing the page.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/%-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@/?%-]*)?$")


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
