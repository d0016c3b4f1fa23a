"""Fill in what each piece of evidence needs to be read by a person, from the snapshot.

Rules cite evidence by exchange id and keep only the facts they judged on; a reader needs
the request and its answer ("GET /p01 as perplexitybot → 403 · title 'Just a moment…'"),
the robots.txt line as written, and what went wrong in words. The engine adds those
fields here, once, for every rule — present fields are never overwritten — and decides
whether a failure rests on requests the run never finished (an interrupted audit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from seoaudit.result import Evidence
from seoaudit.snapshot import Exchange, Snapshot

_ID_KEYS = ("exchange_id", "bot_exchange_id", "browser_exchange_id", "page_exchange_id")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_LINE_CAP = 300


class EvidenceFacts:
    """Look-ups over one snapshot, built lazily and shared by every finding."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    @cached_property
    def _exchanges(self) -> dict[int, Exchange]:
        return {e.id: e for e in self.snapshot.exchanges}

    @cached_property
    def _titles(self) -> dict[int, str]:
        return {p.exchange_id: p.title for p in self.snapshot.pages if p.title}

    @cached_property
    def _robots_lines(self) -> dict[int, list[str]]:
        """robots.txt lines as written, from the exchange's excerpt.

        The excerpt, not the stored body bytes: the gatherer redacts secrets (reflected
        staging credentials) from excerpts, and a report must never quote them. A line
        past the excerpt is not quoted; the rule text the rule gave stands in for it.
        """
        lines: dict[int, list[str]] = {}
        for facts in self.snapshot.robots:
            exchange = self._exchanges.get(facts.exchange_id)
            if exchange is None or not exchange.body.excerpt:
                continue
            text = exchange.body.excerpt.lstrip("\ufeff")
            split = text.splitlines()
            if exchange.body.bytes > len(text.encode("utf-8", errors="replace")) and split:
                split = split[:-1]  # the last line may be cut mid-way
            lines[facts.exchange_id] = split
        return lines

    def exchange(self, exchange_id: Any) -> Exchange | None:
        return self._exchanges.get(exchange_id) if isinstance(exchange_id, int) else None

    def referenced(self, evidence: Iterable[Evidence]) -> list[Exchange]:
        """Every exchange a list of evidence points at."""
        found = []
        for item in evidence:
            data = item.model_dump()
            ids = [data.get(k) for k in _ID_KEYS] + list(data.get("exchange_ids") or [])
            found += [e for e in (self.exchange(i) for i in ids) if e is not None]
        return found

    def interrupted(self, evidence: Iterable[Evidence]) -> bool:
        """The finding rests on a request the run stopped before it was answered."""
        return any(
            e.error is not None and e.error.kind == "interrupted" for e in self.referenced(evidence)
        )

    def enrich(self, evidence: Iterable[Evidence]) -> list[Evidence]:
        return [self._enrich_one(item) for item in evidence]

    def _enrich_one(self, item: Evidence) -> Evidence:
        data = item.model_dump()
        exchange = self.exchange(data.get("exchange_id"))
        if exchange is None and "exchange_id" not in data:
            exchange = self.exchange(data.get("bot_exchange_id"))  # a bot-vs-browser comparison
        if exchange is not None and data.get("kind") != "robots_line":
            for key, value in self._exchange_fields(exchange).items():
                if data.get(key) in (None, "", []):
                    data[key] = value
        if data.get("kind") == "robots_line" and isinstance(data.get("line"), int):
            lines = self._robots_lines.get(data.get("exchange_id"))  # type: ignore[arg-type]
            if lines and 1 <= data["line"] <= len(lines) and not data.get("line_text"):
                data["line_text"] = lines[data["line"] - 1][:_LINE_CAP]
        page = self.exchange(data.get("page_exchange_id"))
        if page is not None and not data.get("page_url"):
            data["page_url"] = page.url
        return Evidence(**data)

    def _exchange_fields(self, e: Exchange) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "url": e.url,
            "method": e.method,
            "profile": e.profile,
            "status": e.status,
            "bytes": e.body.bytes,
            "elapsed_ms": e.timing.total_ms,
        }
        if e.error is not None:
            fields["error_kind"] = e.error.kind
            fields["error_message"] = e.error.message
        title = self._titles.get(e.id) or _excerpt_title(e.body.excerpt)
        if title:
            fields["title"] = title
        vendor = _vendor(e)
        if vendor:
            fields["vendor"] = vendor
        server = e.header("server")
        if server:
            fields["server"] = server[:80]
        return fields


def _excerpt_title(excerpt: str) -> str | None:
    match = _TITLE.search(excerpt or "")
    if not match:
        return None
    return " ".join(match.group(1).split())[:200] or None


def _vendor(e: Exchange) -> str | None:
    """The protection vendor whose markers this answer carries (not mere presence)."""
    if e.status is None or (e.status < 400 and e.status != 200):
        return None
    try:
        from seoaudit.web.classify import detect_markers

        kind, vendor, _ = detect_markers(e.headers, e.body.excerpt)
    except Exception:  # the classifier is being rewritten; enrichment must never fail a run
        return None
    return vendor if kind else None
