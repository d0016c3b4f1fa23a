"""The policy schema (architecture §3): what the site needs from crawlers, and the bounds
the auditor must respect. Every key has a default, so an empty file is a valid policy.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

PROBE_RPS_HARD_CEILING = 20.0  # the active rate probe never goes faster, whatever the policy


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Site(_Section):
    start: str | None = Field(None, description="Seed URL; the CLI URL overrides it.")
    hosts: list[str] = Field(
        default_factory=list, description="Hosts in scope (default: the start URL's host)."
    )


class CustomBot(_Section):
    user_agent: str = Field(description="User-Agent header to send when probing as this bot.")
    token: str | None = Field(None, description="robots.txt product token (default: the id).")
    purpose: Literal["search", "ai-search", "ai-training", "user-triggered", "ads", "other"] = (
        "other"
    )


class Bots(_Section):
    required: list[str] = Field(
        default_factory=lambda: ["googlebot", "bingbot"],
        description="Must reach and index must_index URLs: blocking them costs search traffic.",
    )
    wanted: list[str] = Field(
        default_factory=list, description="Blocking them costs AI-answer visibility."
    )
    blocked: list[str] = Field(default_factory=list, description="Must NOT be allowed to crawl.")
    custom: dict[str, CustomBot] = Field(default_factory=dict, description="Extra bots by id.")

    def all_ids(self) -> list[str]:
        seen: list[str] = []
        for bot in [*self.required, *self.wanted, *self.blocked]:
            if bot not in seen:
                seen.append(bot)
        return seen

    def role(self, bot_id: str) -> str | None:
        for role in ("required", "wanted", "blocked"):
            if bot_id in getattr(self, role):
                return role
        return None


class Paths(_Section):
    must_index: list[str] = Field(
        default_factory=lambda: ["/"], description="robots.txt patterns that must be indexable."
    )
    must_not_index: list[str] = Field(
        default_factory=list, description="Patterns that must not be crawlable and indexable."
    )


class Crawl(_Section):
    max_pages: int = Field(200, ge=1, le=100_000, description="Pages the discovery crawl fetches.")
    max_depth: int = Field(5, ge=0, le=50, description="Link depth from the start URL.")
    concurrency: int = Field(4, ge=1, le=64, description="Requests in flight per host.")
    max_rps: float = Field(5.0, gt=0, le=1000, description="Global requests-per-second ceiling.")
    timeout_s: float = Field(10.0, gt=0, le=300, description="Per request, all phases.")
    max_body_kib: int = Field(
        2048, ge=1, le=65_536, description="Bodies are cut here (after decompression)."
    )
    sitemaps: bool = Field(True, description="Read sitemaps and queue their URLs.")
    sample_per_bot: int = Field(
        50,
        ge=0,
        le=10_000,
        description="URLs fetched as each bot, the browser and an unknown bot; every section "
        "of the site is in them; cut when the plan does not fit max_time_s.",
    )
    max_redirects: int = Field(10, ge=0, le=30, description="Redirect hops for pages.")
    max_time_s: float = Field(
        300.0, gt=0, le=86_400, description="Whole run; the request plan is sized to fit it."
    )
    user_agent: str | None = Field(None, description="Override the honest seoaudit agent.")
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra request headers (staging auth). ${ENV} is expanded; values are "
        "secret and never written anywhere.",
    )


class Robots(_Section):
    max_crawl_delay_s: float = Field(10.0, ge=0, description="Crawl-delay above this is RB005.")
    require_sitemap: bool = Field(True, description="robots.txt must declare a Sitemap (SM004).")


class Rate(_Section):
    min_rps: float = Field(1.0, gt=0, description="Rate each required bot must be allowed.")
    probe: bool = Field(False, description="Run the active rate probe (opt-in).")
    probe_max_requests: int = Field(50, ge=1, le=500, description="Probe requests per bot.")
    probe_max_rps: float = Field(
        8.0,
        gt=0,
        le=PROBE_RPS_HARD_CEILING,
        description="Top of the probe's ramp (never above 20).",
    )
    max_retry_after_s: float = Field(3600.0, ge=0, description="Retry-After above this is RL003.")
    recrawl_days: float = Field(
        14.0, gt=0, description="Days a full recrawl may take (RB005, RL005)."
    )


class Indexing(_Section):
    max_redirect_hops: int = Field(
        2, ge=0, le=20, description="Redirect hops a must-index URL may take."
    )


class Performance(_Section):
    max_ttfb_ms: float = Field(800.0, gt=0, description="Crawler TTFB p75 above this is PF001.")
    max_error_rate: float = Field(0.01, ge=0, le=1, description="5xx share above this is PF002.")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class MaintenanceWindow(_Section):
    """A recurring planned outage, in UTC: crawler 503s inside it are "maintenance"."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: list(WEEKDAYS), description="Weekdays it recurs (default: daily)."
    )
    start: str = Field(description='Start, "HH:MM" UTC.')
    end: str = Field(description='End, "HH:MM" UTC (before start: past midnight).')

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not re.match(_CLOCK, value):
            raise ValueError('not a "HH:MM" time of day (00:00 to 23:59, UTC)')
        return value

    def minutes(self) -> tuple[int, int]:
        """(start, end) as minutes after midnight."""
        sh, sm = self.start.split(":")
        eh, em = self.end.split(":")
        return int(sh) * 60 + int(sm), int(eh) * 60 + int(em)

    def covers(self, when: dt.datetime) -> bool:
        """Whether a UTC moment falls inside this window (a window may cross midnight)."""
        when = when.astimezone(dt.UTC) if when.tzinfo else when
        start, end = self.minutes()
        minute = when.hour * 60 + when.minute
        day = WEEKDAYS[when.weekday()]
        previous = WEEKDAYS[(when.weekday() - 1) % 7]
        if start <= end:
            return day in self.days and start <= minute < end
        return (day in self.days and minute >= start) or (previous in self.days and minute < end)


class Infra(_Section):
    """The infrastructure team's side: what the origin promises and what it can carry."""

    uptime_slo: float = Field(
        99.9, gt=0, lt=100, description="Uptime target in percent (99.95 = three and a half nines)."
    )
    origin_capacity_rps: float | None = Field(
        None, gt=0, description="Requests per second the origin serves without degrading."
    )
    crawler_share: float = Field(
        0.1, gt=0, le=1, description="Share of origin capacity crawlers may use (0.1 = 10%)."
    )
    expensive_paths: list[str] = Field(
        default_factory=list,
        description="robots.txt patterns that are costly to serve (search, faceted lists).",
    )
    maintenance_windows: list[MaintenanceWindow] = Field(
        default_factory=list,
        description='Planned outages, e.g. {days: [sun], start: "02:00", end: "03:00"} (UTC).',
    )


class Visibility(_Section):
    """Crawler-visibility SLOs stated like uptime targets (percent; null turns one off)."""

    window_days: int = Field(28, ge=1, le=366, description="SLO window in days.")
    crawler_success: float | None = Field(
        99.5,
        gt=0,
        le=100,
        description="Verified required-crawler requests served 2xx/3xx/304, from logs (percent).",
    )
    robots_txt_availability: float | None = Field(
        99.9,
        gt=0,
        le=100,
        description="robots.txt answered 2xx/3xx/404 to verified crawlers (logs) or cleanly "
        "per host (audit), percent.",
    )
    must_index_indexable: float | None = Field(
        99.0,
        gt=0,
        le=100,
        description="Must-index URLs reachable and indexable by required bots, from the audit.",
    )


class RuleSetting(_Section):
    severity: Literal["error", "warning", "info"] | None = None
    disable: bool = False


class Waiver(_Section):
    rule: str = Field(description="Rule code, slug or family prefix.")
    url: str = Field("*", description="robots.txt-style path pattern.")
    bot: str | None = Field(None, description="Bot id; omitted means every bot.")
    owner: Literal["seo", "infra", "shared"] | str
    reason: str = Field(min_length=1)
    expires: dt.date


class PolicySource(BaseModel):
    path: str | None = None
    sha256: str | None = None
    positions: dict[str, tuple[int, int]] = Field(default_factory=dict)

    def line_of(self, key_path: str) -> int | None:
        pos = self.positions.get(key_path)
        return pos[0] if pos else None


class Policy(_Section):
    version: Literal[1] = Field(1, description="Policy format version.")
    site: Site = Field(default_factory=Site)
    bots: Bots = Field(default_factory=Bots)
    paths: Paths = Field(default_factory=Paths)
    crawl: Crawl = Field(default_factory=Crawl)
    robots: Robots = Field(default_factory=Robots)
    rate: Rate = Field(default_factory=Rate)
    indexing: Indexing = Field(default_factory=Indexing)
    performance: Performance = Field(default_factory=Performance)
    infra: Infra = Field(default_factory=Infra)
    visibility: Visibility = Field(default_factory=Visibility)
    rules: dict[str, RuleSetting | Literal["disable"]] = Field(
        default_factory=dict,
        description="Per rule code, slug or family: {severity: ...} or disable.",
    )
    waivers: list[Waiver] = Field(
        default_factory=list,
        description="Accepted exceptions: rule, url, bot, owner, reason, expires.",
    )

    _source: PolicySource = PrivateAttr(default_factory=PolicySource)
    _secrets: tuple[str, ...] = PrivateAttr(default=())

    @property
    def source(self) -> PolicySource:
        return self._source

    def line_of(self, key_path: str) -> int | None:
        return self._source.line_of(key_path)

    def secret_values(self) -> tuple[str, ...]:
        """Header values to redact from every output."""
        return self._secrets
