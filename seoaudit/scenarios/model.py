"""Scenario files: a site's behaviour as data (origins → ordered routes → responses).

A route answers depending on the path (robots.txt-style pattern), the user-agent, how
many requests it has seen, and a token bucket; the response can be slow, dropped, trickled,
redirected, compressed (or a compression bomb), or endless. See README.md beside this file.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Redirect(_M):
    to: str | None = None  # target path or absolute URL ({origin:NAME} allowed)
    status: int = 301
    chain: int = 0  # hops of /__hop/<n> before reaching `to`
    loop: bool = False  # redirect to itself forever


class Response(_M):
    status: int = 200
    headers: list[tuple[str, str]] = Field(default_factory=list)
    body: str | None = None
    template: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    size_kib: int | None = None  # generated filler body of this size
    content_type: str | None = None
    delay_ms: int = 0  # before the status line
    trickle_ms: int = 0  # send the body one byte per this many ms
    drop: Literal["before_headers", "after_headers", "mid_body"] | None = None
    redirect: Redirect | None = None
    encoding: Literal["gzip", "br"] | None = None
    bomb_mib: int | None = None  # compressed body inflating to this many MiB of zeros
    chunked: bool = False
    endless: bool = False  # chunked body that never ends (until the client gives up)
    header_count: int = 0  # add this many filler headers
    header_kib: int = 0  # add one header this large
    gzip_file: bool = False  # serve the body gzip-compressed as a file (sitemap.xml.gz)
    echo_headers: bool = False  # reflect the request headers in the body and X-Echo-* headers


class Condition(_M):
    ua_contains: list[str] = Field(default_factory=list)  # any of (case-insensitive)
    ua_not_contains: list[str] = Field(default_factory=list)
    bot_like: bool | None = None  # True: crawler-ish agents only; False: browsers only
    after_requests: int | None = None  # only once the route has seen this many requests
    methods: list[str] = Field(default_factory=list)


class RateLimit(_M):
    rps: float
    burst: float = 1.0
    key: Literal["ua", "global"] = "ua"


class Route(_M):
    path: str  # robots.txt-style pattern: prefix, '*', trailing '$'
    when: Condition = Field(default_factory=Condition)
    response: Response = Field(default_factory=Response)
    rate: RateLimit | None = None
    limited: Response | None = None  # answer when the bucket is empty


class Slowdown(_M):
    """Extra delay for matching requests on every route (a tarpit), before routing."""

    when: Condition = Field(default_factory=Condition)
    delay_ms: int


class Origin(_M):
    routes: list[Route] = Field(default_factory=list)
    slow: list[Slowdown] = Field(default_factory=list)
    fallback: Response = Field(default_factory=lambda: Response(status=404, body="not found"))


class Expect(_M):
    rule: str
    path: str | None = None
    bot: str | None = None
    note: str = ""


class Scenario(_M):
    name: str
    description: str = ""
    origins: dict[str, Origin]
    expect: list[Expect] = Field(default_factory=list)
    clean: list[str] = Field(default_factory=list)
