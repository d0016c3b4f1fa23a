"""Sections of a site by path template, from a stream of URLs, in bounded memory.

A section is a path template: ``/products/*`` (many distinct values at one segment),
``/blog/*/...`` (deeper paths under a varying segment), or a literal path (``/cart``). The
templates come from the URL set itself, by segment cardinality: at each position of the
path trie, a node with more than ``max_literal`` distinct children, or with at least
``min_wild`` children that are all leaves, stands for any value (``*``). Only the first
``depth`` segments shape a template; deeper ones are ``/...``.

``SectionIndex.add(url)`` is the one entry point (sitemap streams and the discovery crawl
feed it alike). Memory does not grow with the number of URLs: each node keeps counts and a
bottom-k sample (the ``sample`` URLs with the smallest stable hash) of the URLs that end
there, and a node that turns into ``*`` merges its children into one, so a million URLs
under ``/products/`` are one node. Repeats are dropped exactly for the first 20,000 URLs
(by hash, ``gather.url_set``) and counted again past that (a set of every URL is what the
index must not hold).
Bottom-k samples are order-independent and merge exactly, so the same URL set gives the
same sections and the same samples whatever order the URLs arrived in.
"""

from __future__ import annotations

import hashlib
import heapq
from dataclasses import dataclass, field

from seoaudit.gather.url_set import UrlSet

WILD = "*"
MAX_LITERAL_CHILDREN = 12  # more distinct values than this at one position: a template "*"
MIN_WILD_LEAVES = 3  # ...or this many, all leaves (/category/shoes, /category/hats, ...)
TEMPLATE_DEPTH = 2  # segments that shape a template; deeper paths end in "/..."
SAMPLE_PER_SECTION = 8
MAX_ROOT_SECTIONS = 200  # distinct first segments kept literal before the root turns "*"
EXACT_DEDUP_URLS = 20_000


def _key(url: str) -> int:
    return int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big")


def _segments(url: str) -> list[str]:
    """The path's non-empty segments (a string scan: this runs once per known URL)."""
    scheme = url.find("://")
    slash = url.find("/", scheme + 3 if scheme >= 0 else 0)
    if slash < 0:
        return []
    path = url[slash:]
    for mark in ("?", "#"):
        cut = path.find(mark)
        if cut >= 0:
            path = path[:cut]
    return [s for s in path.split("/") if s]


class _Sample:
    """Bottom-k by stable hash: order-independent, and two samples merge exactly."""

    __slots__ = ("heap", "urls")

    def __init__(self) -> None:
        self.heap: list[tuple[int, str]] = []  # (-key, url): the largest key is on top
        self.urls: set[str] = set()

    def offer(self, key: int, url: str, k: int) -> None:
        if url in self.urls:
            return
        if len(self.heap) < k:
            heapq.heappush(self.heap, (-key, url))
            self.urls.add(url)
        elif -key > self.heap[0][0]:
            _, dropped = heapq.heapreplace(self.heap, (-key, url))
            self.urls.discard(dropped)
            self.urls.add(url)

    def merge(self, other: _Sample, k: int) -> None:
        for neg, url in other.heap:
            self.offer(-neg, url, k)

    def ordered(self) -> list[str]:
        return [url for _, url in sorted(self.heap, key=lambda item: (-item[0], item[1]))]


@dataclass
class _Node:
    here: int = 0  # URLs whose path ends exactly at this node
    deeper: int = 0  # URLs that go past TEMPLATE_DEPTH under this node
    children: dict[str, _Node] = field(default_factory=dict)
    here_sample: _Sample = field(default_factory=_Sample)
    deeper_sample: _Sample = field(default_factory=_Sample)

    def absorb(self, other: _Node, k: int) -> None:
        """Merge ``other`` (counts, samples, children) into this node."""
        self.here += other.here
        self.deeper += other.deeper
        self.here_sample.merge(other.here_sample, k)
        self.deeper_sample.merge(other.deeper_sample, k)
        for name, child in other.children.items():
            mine = self.children.get(name)
            if mine is None:
                self.children[name] = child
            else:
                mine.absorb(child, k)

    def leaf(self) -> bool:
        return not self.children and not self.deeper


@dataclass
class Section:
    """One section: its template, how many known URLs it holds, and its sample."""

    template: str
    url_count: int
    sample: list[str]  # by stable hash, so reproducible; at most SAMPLE_PER_SECTION


class SectionIndex:
    """Known URLs grouped into sections as they stream in; see the module docstring."""

    def __init__(
        self,
        *,
        sample: int = SAMPLE_PER_SECTION,
        max_literal: int = MAX_LITERAL_CHILDREN,
        min_wild: int = MIN_WILD_LEAVES,
        depth: int = TEMPLATE_DEPTH,
    ) -> None:
        self.k = sample
        self.max_literal = max_literal
        self.min_wild = min_wild
        self.depth = depth
        self.root = _Node()
        self._seen_small = UrlSet()  # exact de-duplication while the site is small
        self.total = 0

    def add(self, url: str) -> None:
        """Count one known URL (sitemap entry, discovered link) in its section."""
        if len(self._seen_small) < EXACT_DEDUP_URLS and not self._seen_small.add(url):
            return
        self.total += 1
        segments = _segments(url)
        node = self.root
        for position, segment in enumerate(segments[: self.depth]):
            if WILD in node.children and len(node.children) == 1:
                name = WILD
            else:
                name = segment
                limit = MAX_ROOT_SECTIONS if position == 0 else self.max_literal
                if name not in node.children and len(node.children) >= limit:
                    self._collapse(node)
                    name = WILD
            node = node.children.setdefault(name, _Node())
        key = _key(url)
        if len(segments) > self.depth:
            node.deeper += 1
            node.deeper_sample.offer(key, url, self.k)
        else:
            node.here += 1
            node.here_sample.offer(key, url, self.k)

    def _collapse(self, node: _Node) -> None:
        merged = _Node()
        for child in node.children.values():
            merged.absorb(child, self.k)
        node.children = {WILD: merged}

    def _settle(self, node: _Node, position: int) -> None:
        """At the end: a position whose values are all leaves, and enough of them, is "*"."""
        for child in node.children.values():
            self._settle(child, position + 1)
        children = node.children
        if (
            position > 0
            and len(children) >= self.min_wild
            and WILD not in children
            and all(c.leaf() for c in children.values())
        ):
            self._collapse(node)

    def sections(self) -> list[Section]:
        """Every section, largest first (then by template), each with its sample."""
        self._settle(self.root, 0)
        found: list[Section] = []

        def walk(node: _Node, path: list[str]) -> None:
            template = "/" + "/".join(path)
            if node.here:
                found.append(Section(template, node.here, node.here_sample.ordered()))
            if node.deeper:
                deeper = template.rstrip("/") + "/..."
                found.append(Section(deeper, node.deeper, node.deeper_sample.ordered()))
            for name, child in node.children.items():
                walk(child, [*path, name])

        walk(self.root, [])
        found.sort(key=lambda s: (-s.url_count, s.template))
        return found


def template_matches(template: str, url: str) -> bool:
    """Whether ``url`` belongs to ``template`` (as ``sections()`` names them)."""
    path = _segments(url)
    parts = [s for s in template.split("/") if s]
    if parts and parts[-1] == "...":
        parts = parts[:-1]
        if len(path) <= len(parts):
            return False
    elif len(path) != len(parts):
        return False
    return all(p in (WILD, s) for p, s in zip(parts, path, strict=False))
