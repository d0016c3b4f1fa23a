"""Build small snapshots by hand, for rule tests that need no network."""

from __future__ import annotations

import base64
from typing import Any

from seoaudit.gather.profiles import build_profiles
from seoaudit.policy import parse_policy_text
from seoaudit.registry import load_registry
from seoaudit.rules.engine import evaluate
from seoaudit.snapshot import (
    Body,
    Exchange,
    PageFacts,
    RobotsFacts,
    SitemapFacts,
    Snapshot,
    ToolInfo,
)

ORIGIN = "https://shop.example"


class SnapshotBuilder:
    def __init__(self, policy_yaml: str = "") -> None:
        self.policy = parse_policy_text(policy_yaml or "{}", "unit.yaml")
        self.snapshot = Snapshot(
            tool=ToolInfo(version="test"),
            started_at="2026-11-22T10:00:00+00:00",
            finished_at="2026-11-22T10:00:10+00:00",
            start_url=ORIGIN + "/",
            hosts=["shop.example"],
            profiles=build_profiles(self.policy, load_registry()),
        )
        self._id = 0

    def exchange(self, url: str, *, profile: str = "seoaudit", purpose: str = "page", status: int | None = 200,
                 headers: list[tuple[str, str]] | None = None, body: str = "", **extra: Any) -> Exchange:  # fmt: skip
        self._id += 1
        exchange = Exchange(
            id=self._id, purpose=purpose, profile=profile, url=url, final_url=url, status=status,  # type: ignore[arg-type]
            headers=headers or [], body=Body(bytes=len(body), excerpt=body[:4096]), **extra,
        )  # fmt: skip
        self.snapshot.exchanges.append(exchange)
        return exchange

    def robots(self, text: str, *, profile: str = "seoaudit", status: int = 200) -> SnapshotBuilder:
        exchange = self.exchange(
            ORIGIN + "/robots.txt", profile=profile, purpose="robots", status=status, body=text
        )
        self.snapshot.robots.append(
            RobotsFacts(
                origin=ORIGIN,
                profile=profile,
                exchange_id=exchange.id,
                body_b64=base64.b64encode(text.encode()).decode(),
            )
        )
        return self

    def page(self, path: str, *, profile: str = "seoaudit", purpose: str = "page", status: int = 200,
             meta: list[tuple[str, str]] | None = None, x_robots: list[str] | None = None,
             text_length: int = 1000, title: str = "A page", **extra: Any) -> SnapshotBuilder:  # fmt: skip
        headers = [("X-Robots-Tag", v) for v in x_robots or []]
        exchange = self.exchange(
            ORIGIN + path, profile=profile, purpose=purpose, status=status, headers=headers, **extra
        )
        self.snapshot.pages.append(
            PageFacts(
                exchange_id=exchange.id,
                url=exchange.url,
                final_url=exchange.url,
                profile=profile,
                title=title,
                text_length=text_length,
                meta_robots=meta or [],
                x_robots_tag=x_robots or [],
            )
        )
        return self

    def sitemap(self, *paths: str) -> SnapshotBuilder:
        self.snapshot.sitemaps.append(
            SitemapFacts(
                url=ORIGIN + "/sitemap.xml",
                kind="urlset",
                url_count=len(paths),
                urls=[ORIGIN + p for p in paths],
                found_via="robots",
            )
        )
        return self

    def run(self, *codes: str):  # type: ignore[no-untyped-def]
        from seoaudit.rules.catalog import get_rule

        rules = [get_rule(c) for c in codes] if codes else None
        return evaluate(self.snapshot, self.policy, load_registry(), rules=rules)  # type: ignore[arg-type]
