"""Parse a sitemap (XML urlset or index, gzip, plain text, RSS/Atom) safely and in bounds.

Sitemaps come from sites we do not control, so the parser is hostile-input safe: entities
are never expanded (no "billion laughs"), no DTD or external entity is loaded (no local file
read), gzip is decompressed incrementally with a cap on *decompressed* bytes (a gzip bomb
stops at the cap), and arbitrary bytes produce a result with ``kind="invalid"``, never an
exception. Limits are the protocol's: 50,000 URLs and 50 MB uncompressed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

MAX_URLS = 50_000
MAX_BYTES = 52_428_800
_CHUNK = 64 * 1024


@dataclass
class ParsedSitemap:
    kind: str  # urlset | sitemapindex | text | feed | invalid
    urls: list[str] = field(default_factory=list)  # stored up to store_urls
    url_count: int = 0  # every URL seen
    children: list[str] = field(default_factory=list)  # for an index
    uncompressed_bytes: int = 0
    gzip: bool = False
    over_limits: bool = False
    error: str | None = None


def _gunzip_capped(data: bytes, cap: int) -> tuple[bytes, bool, str | None]:
    """Decompress at most ``cap`` bytes; (bytes, hit_cap, error)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    try:
        pos = 0
        while pos < len(data) and len(out) <= cap:
            chunk = inflater.decompress(data[pos : pos + _CHUNK], cap + 1 - len(out))
            out += chunk
            pos += _CHUNK
            while inflater.unconsumed_tail and len(out) <= cap:
                out += inflater.decompress(inflater.unconsumed_tail, cap + 1 - len(out))
            if inflater.eof:
                break
    except zlib.error as exc:
        return bytes(out), False, f"gzip error: {exc}"
    if len(out) > cap:
        return bytes(out[:cap]), True, None
    return bytes(out), False, None


def _local(tag: object) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def parse_sitemap(
    data: bytes,
    *,
    url: str = "",
    gzip: bool | None = None,
    max_urls: int = MAX_URLS,
    max_bytes: int = MAX_BYTES,
    store_urls: int = 10_000,
    on_url: Callable[[str], None] | None = None,
) -> ParsedSitemap:
    """``on_url`` sees every page URL, stored or not (a section index, a store): a sitemap of
    50,000 URLs is read whole while only ``store_urls`` of them are kept here."""
    is_gzip = data[:2] == b"\x1f\x8b" if gzip is None else gzip
    over = False
    error = None
    if is_gzip:
        data, over, error = _gunzip_capped(data, max_bytes)
        if error and not data:
            return ParsedSitemap(kind="invalid", gzip=True, error=error)
    elif len(data) > max_bytes:
        data, over = data[:max_bytes], True
    result = ParsedSitemap(kind="invalid", uncompressed_bytes=len(data), gzip=is_gzip)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped:
        result.error = "empty document"
        return result
    if not stripped.startswith(b"<"):
        _parse_text(stripped, result, store_urls, on_url)
    else:
        _parse_xml(data, result, store_urls, on_url)
    if over:
        result.over_limits = True
        result.error = result.error or f"larger than {max_bytes:,} bytes uncompressed"
    if result.url_count > max_urls:
        result.over_limits = True
        result.error = result.error or f"{result.url_count:,} URLs (limit {max_urls:,})"
    if error and not result.error:
        result.error = error
    return result


def _page(
    result: ParsedSitemap, url: str, store: int, on_url: Callable[[str], None] | None
) -> None:
    result.url_count += 1
    if len(result.urls) < store:
        result.urls.append(url)
    if on_url is not None:
        on_url(url)


def _parse_text(
    data: bytes, result: ParsedSitemap, store: int, on_url: Callable[[str], None] | None
) -> None:
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith(("http://", "https://")):
            result.kind = "invalid"
            result.error = "neither XML nor a plain list of absolute URLs"
            return
        _page(result, line, store, on_url)
    result.kind = "text"


def _parse_xml(
    data: bytes, result: ParsedSitemap, store: int, on_url: Callable[[str], None] | None
) -> None:
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
    )
    root = None
    in_loc_parent: list[str] = []
    try:
        for start in range(0, len(data), _CHUNK):
            parser.feed(data[start : start + _CHUNK])
            for event, element in parser.read_events():
                name = _local(element.tag)
                if event == "start":
                    if root is None:
                        root = name
                    in_loc_parent.append(name)
                    continue
                in_loc_parent.pop()
                parent = in_loc_parent[-1] if in_loc_parent else ""
                value = _text_of(element)
                if root in ("urlset", "sitemapindex") and name == "loc" and value:
                    if root == "sitemapindex" and parent == "sitemap":
                        result.children.append(value)
                        result.url_count += 1
                    elif root == "urlset" and parent == "url":
                        _page(result, value, store, on_url)
                elif root in ("rss", "feed") and name in ("link",):
                    link = value or element.get("href") or ""
                    if link.startswith(("http://", "https://")) and parent in ("item", "entry"):
                        _page(result, link, store, on_url)
                if parent and name not in ("url", "sitemap", "item", "entry"):
                    continue
                element.clear()
        parser.close()
    except etree.XMLSyntaxError as exc:
        result.error = f"invalid XML: {exc}"
        if root is None or not (result.urls or result.children):
            result.kind = "invalid"
            return
    except Exception as exc:  # lxml raises a few other types on hostile input
        result.error = f"invalid XML: {type(exc).__name__}: {exc}"
        result.kind = "invalid"
        return
    if root == "urlset":
        result.kind = "urlset"
    elif root == "sitemapindex":
        result.kind = "sitemapindex"
    elif root in ("rss", "feed"):
        result.kind = "feed"
    else:
        result.kind = "invalid"
        result.error = result.error or f"unexpected root element <{root}>"


def _text_of(element: etree._Element) -> str:
    text = element.text
    if not isinstance(text, str):
        return ""
    return text.strip()
