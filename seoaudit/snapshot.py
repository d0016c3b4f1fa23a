"""The Snapshot: every raw fact the gatherers collected, and nothing judged.

It is the hand-off between the network (``gather/``) and the pure stages (``analysis/``,
``rules/``), so it is a versioned JSON document: ``seoaudit gather`` writes it and
``seoaudit evaluate`` re-judges it later, offline. Field order is the JSON key order, and a
snapshot round-trips exactly (``Snapshot.from_json(s.to_json()).to_json() == s.to_json()``).

Vocabulary:
- *profile*: who sent a request. ``browser`` (control), ``seoaudit`` (the honest discovery
  agent), ``unknown-bot`` (a made-up bot-like agent, to tell "every bot is blocked" from
  "only this crawler's string is blocked"), and ``bot:<id>`` per policy bot.
- *exchange*: one request and what came back (or the error), redirects followed by hand
  and recorded hop by hop.
"""

from __future__ import annotations

import base64
import io
from functools import cached_property
from typing import Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field

from seoaudit.errors import UsageError

SCHEMA_VERSION = 1

ErrorKind = Literal[
    "timeout",  # connect/read/total timeout
    "connect",  # refused, unreachable
    "dns",  # name did not resolve
    "tls",  # certificate or handshake failure
    "reset",  # connection reset or closed mid-response
    "too_large",  # body or headers over the cap (the body is kept up to the cap)
    "protocol",  # malformed HTTP, bad chunking, bad encoding
    "redirect_limit",  # more hops than allowed
    "redirect_loop",
    "out_of_scope",  # a redirect left site.hosts: recorded, not followed
    "private_address",  # a host resolved to a private/loopback address from a public start
    "interrupted",  # the run was stopped while this request was in flight
    "other",
]

Purpose = Literal[
    "robots", "sitemap", "page", "probe", "asset", "canonical", "recheck", "rate_probe"
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class ToolInfo(_Model):
    name: str = "seoaudit"
    version: str


class PolicyRef(_Model):
    path: str | None = None
    sha256: str | None = None


class Profile(_Model):
    id: str
    kind: Literal["browser", "honest", "unknown_bot", "bot"]
    bot: str | None = None
    user_agent: str


class RedirectHop(_Model):
    """One hop of a redirect chain: the URL asked, its status, and where it pointed."""

    url: str
    status: int
    location: str | None = None


class Timing(_Model):
    started_s: float = 0.0  # seconds since the gather run started, when the request left
    paced_rps: float | None = None  # the host's pacing rate when it was sent (None: unpaced)
    ttfb_ms: float | None = None  # of the final hop
    total_ms: float | None = None  # all hops, body included


class Body(_Model):
    bytes: int = 0  # decoded bytes read (after gzip/br), up to the cap
    wire_bytes: int | None = None
    sha256: str | None = None  # of the bytes read
    excerpt: str = ""  # the first few KiB as text, for evidence
    truncated: bool = False  # cut at crawl.max_body_kib (or the robots/sitemap cap)
    content_type: str | None = None
    charset: str | None = None


class ErrorInfo(_Model):
    kind: ErrorKind
    message: str


class Exchange(_Model):
    id: int
    purpose: Purpose
    profile: str
    method: str = "GET"
    url: str
    final_url: str | None = None
    status: int | None = None  # status of the final hop; None when no response came
    http_version: str | None = None
    headers: list[tuple[str, str]] = Field(
        default_factory=list
    )  # final hop, multi-valued, in order
    redirects: list[RedirectHop] = Field(default_factory=list)
    timing: Timing = Field(default_factory=Timing)
    body: Body = Field(default_factory=Body)
    error: ErrorInfo | None = None

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitive."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def header_values(self, name: str) -> list[str]:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]


class RobotsFacts(_Model):
    """robots.txt of one origin as one profile saw it.

    ``body_b64`` holds the exact bytes read (up to the robots cap, beyond 500 KiB so the
    lost rules can be named), because parsing depends on bytes (BOM, invalid UTF-8).
    """

    origin: str
    profile: str
    exchange_id: int
    body_b64: str | None = None
    recheck: bool = False  # a calm re-fetch after this profile's copy was refused

    def body_bytes(self) -> bytes | None:
        return None if self.body_b64 is None else base64.b64decode(self.body_b64)


class SitemapFacts(_Model):
    url: str
    exchange_id: int | None = None
    found_via: Literal["robots", "default", "index"] = "default"
    parent: str | None = None  # the index that listed it
    kind: Literal["urlset", "sitemapindex", "text", "feed", "invalid", "unreachable"]
    url_count: int = 0  # <loc> entries seen (all of them, even past the stored cap)
    urls: list[str] = Field(default_factory=list)  # stored up to the cap
    urls_truncated: bool = False
    children: list[str] = Field(default_factory=list)  # for an index
    uncompressed_bytes: int = 0
    gzip: bool = False
    over_limits: bool = False  # > 50,000 URLs or > 50 MB uncompressed
    error: str | None = None


class PageFacts(_Model):
    """What one HTML (or header-only) response says about indexing, as one profile saw it."""

    exchange_id: int
    url: str
    final_url: str | None = None
    profile: str
    title: str | None = None
    text_length: int = 0  # visible text characters (for soft-block comparison)
    meta_robots: list[tuple[str, str]] = Field(default_factory=list)  # (name, content), all names
    x_robots_tag: list[str] = Field(default_factory=list)  # raw header values, in order
    canonical: list[str] = Field(default_factory=list)  # <link rel=canonical> in head, absolute
    canonical_header: list[str] = Field(default_factory=list)  # Link: <...>; rel="canonical"
    hreflang: list[tuple[str, str]] = Field(default_factory=list)  # (lang, absolute url)
    outlinks: list[str] = Field(
        default_factory=list
    )  # in-scope links, absolute, normalised, capped
    offsite_links: int = 0
    assets: list[str] = Field(default_factory=list)  # CSS/JS/image URLs the page loads


class DiscoveredUrl(_Model):
    url: str
    depth: int
    source: Literal[
        "start", "must_index", "must_not_index", "sitemap", "link", "redirect", "canonical"
    ]


class SkippedUrl(_Model):
    url: str
    reason: Literal[
        "out_of_scope", "trap", "max_pages", "max_depth", "private_address", "not_html", "duplicate"
    ]


class CrawlFacts(_Model):
    discovered: list[DiscoveredUrl] = Field(default_factory=list)
    skipped: list[SkippedUrl] = Field(default_factory=list)  # a capped sample
    skipped_counts: dict[str, int] = Field(default_factory=dict)  # reason -> count (all)


class RateProbePoint(_Model):
    t_s: float  # seconds since the probe started
    step_rps: float
    status: int | None
    ttfb_ms: float | None
    exchange_id: int


class RateProbe(_Model):
    """The active rate probe's series for one profile (opt-in, issue 5)."""

    profile: str
    url: str
    points: list[RateProbePoint] = Field(default_factory=list)
    stopped_because: str | None = None
    onset_rps: float | None = None  # first step that drew a limit
    robots_exchange_id: int | None = None  # robots.txt fetched once right after the onset


class PlanStep(_Model):
    """One phase of the request plan: the requests it is expected to send (``requests``) and
    the most it may send (``at_most``: re-checks and canonical targets only on need)."""

    phase: str
    requests: int
    at_most: int
    note: str = ""
    pauses_s: float = 0.0  # at most, the calm gaps and back-offs it waits if the host refuses


class RequestPlan(_Model):
    """What the gather will fetch, computed before the first request and sized to fit
    ``crawl.max_time_s`` at ``crawl.max_rps``; ``cuts`` says what was cut to fit, and
    ``revisions`` what was re-sized during the run (once the site's size was known).

    ``duration_s`` is the time the requests take at ``max_rps`` plus the rate probe's own
    schedule: what a host that answers at once and refuses nothing costs. ``pauses_s`` is
    the most the audit's own waits add when the host refuses (every re-check at its cap,
    each after its calm gap, and a first back-off per phase). Neither counts the server's
    response time, which no plan knows before the first request, nor Retry-After pauses
    past the first back-off, which the server chooses (up to 30 s each)."""

    max_rps: float | None
    max_time_s: float
    requests: int
    duration_s: float | None  # requests / max_rps + the rate probe (None without a ceiling)
    pauses_s: float = 0.0  # at most, added if the host refuses: see the docstring
    steps: list[PlanStep] = Field(default_factory=list)
    cuts: list[str] = Field(default_factory=list)
    revisions: list[str] = Field(default_factory=list)
    sample_per_bot: int = 0  # the per-agent sample the plan settled on
    max_pages: int = 0  # the discovery pages the plan settled on


class SiteSection(_Model):
    """A section of the site by path template (``/products/*``) from every known URL
    (sitemaps and discovery), with the URLs of it the per-bot samples fetched."""

    template: str
    url_count: int  # known URLs in it (exact up to 20,000 URLs, then repeats may count twice)
    sample: list[str] = Field(default_factory=list)  # sampled as every agent


class Snapshot(_Model):
    schema_version: int = SCHEMA_VERSION
    tool: ToolInfo
    started_at: str
    finished_at: str | None = None
    complete: bool = True
    incomplete_reason: str | None = None
    start_url: str
    hosts: list[str] = Field(default_factory=list)
    private_start: bool = False  # auditing localhost/staging: private addresses allowed
    policy: PolicyRef = Field(default_factory=PolicyRef)
    settings: dict[str, float | int | bool | str | None] = Field(default_factory=dict)
    profiles: list[Profile] = Field(default_factory=list)
    exchanges: list[Exchange] = Field(default_factory=list)
    robots: list[RobotsFacts] = Field(default_factory=list)
    sitemaps: list[SitemapFacts] = Field(default_factory=list)
    pages: list[PageFacts] = Field(default_factory=list)
    crawl: CrawlFacts = Field(default_factory=CrawlFacts)
    rate_probes: list[RateProbe] = Field(default_factory=list)
    plan: RequestPlan | None = None
    sections: list[SiteSection] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    # -- serialisation ---------------------------------------------------------------

    def to_json(self) -> str:
        if not _stored(self):
            return self.model_dump_json(indent=1) + "\n"
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """Write ``to_json()``'s exact text to ``out`` list item by list item, so a snapshot
        read from a store (``seoaudit.store``) is exported without holding it in memory."""
        lists = [(name, getattr(self, name), 1) for name in _TOP_LISTS]
        lists.append(("discovered", self.crawl.discovered, 2))
        header = self.model_copy(
            update={
                **{name: [] for name in _TOP_LISTS},
                "crawl": self.crawl.model_copy(update={"discovered": []}),
            }
        )
        text = header.model_dump_json(indent=1)
        for name, items, depth in lists:
            # JSON strings hold no raw newline, so a newline and `depth` spaces before the
            # key can only be that list's own key, at its own depth
            marker = "\n" + " " * depth + f'"{name}": []'
            before, found, text = text.partition(marker)
            if not found:
                raise RuntimeError(f"snapshot export: no {name!r} list at depth {depth}")
            out.write(before)
            out.write(marker[:-1])
            pad = " " * (depth + 1)
            first = True
            for item in items:
                out.write("\n" if first else ",\n")
                first = False
                out.write(pad + item.model_dump_json(indent=1).replace("\n", "\n" + pad))
            out.write("]" if first else "\n" + " " * depth + "]")
        out.write(text)
        out.write("\n")

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "snapshot") -> Snapshot:
        """Load a snapshot; a wrong file gives a UsageError naming the first problems."""
        from pydantic import ValidationError

        try:
            snap = cls.model_validate_json(text)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:5]
            )
            raise UsageError(f"{source} is not a valid seoaudit snapshot: {problems}") from exc
        if snap.schema_version != SCHEMA_VERSION:
            raise UsageError(
                f"{source} has schema_version {snap.schema_version}; "
                f"this seoaudit reads {SCHEMA_VERSION}"
            )
        return snap

    # -- look-ups for the pure stages ---------------------------------------------

    @cached_property
    def _exchange_by_id(self) -> dict[int, Exchange]:
        return {e.id: e for e in self.exchanges}

    def exchange(self, exchange_id: int) -> Exchange:
        if _stored(self):  # a stored snapshot answers from the file's index
            return self.exchanges.by_id(exchange_id)  # type: ignore[attr-defined]
        return self._exchange_by_id[exchange_id]

    def exchanges_for(
        self, *, profile: str | None = None, purpose: str | None = None
    ) -> list[Exchange]:
        if _stored(self):
            return self.exchanges.where(profile=profile, purpose=purpose)  # type: ignore[attr-defined]
        return [
            e
            for e in self.exchanges
            if (profile is None or e.profile == profile)
            and (purpose is None or e.purpose == purpose)
        ]

    def page_url_count(self) -> int:
        """Distinct URLs with page facts (a stored snapshot counts them in its file)."""
        if _stored(self):
            return self.pages.count_distinct("url")  # type: ignore[attr-defined]
        return len({p.url for p in self.pages})

    def profile(self, profile_id: str) -> Profile | None:
        return next((p for p in self.profiles if p.id == profile_id), None)


_TOP_LISTS = ("exchanges", "robots", "sitemaps", "pages")


def _stored(snapshot: Snapshot) -> bool:
    """True for a snapshot whose lists read from a store (``seoaudit.store.StoredRows``)."""
    return not isinstance(snapshot.exchanges, list)
