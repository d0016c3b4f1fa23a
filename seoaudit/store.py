"""The snapshot store: one gather's rows in an embedded SQLite file, so memory stays flat.

The gatherers write every exchange, page, robots.txt copy, sitemap and discovered URL here
as they go (buffered, committed every ``COMMIT_EVERY`` rows), instead of holding pydantic
instances and header tuples for the whole run. ``SnapshotStore.snapshot()`` gives back a
``Snapshot`` whose lists are ``StoredRows``: they read and materialise one row at a time,
so rules and analysis read a stored snapshot through the same API as one loaded from JSON.
The JSON document stays the export (``Snapshot.write_json`` streams it row by row).

The store also remembers what a gather has done, for ``--resume``: a run stopped by Ctrl-C
or the time limit leaves its store behind, and the next run continues from it.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar, overload
from urllib.parse import quote

from pydantic import BaseModel

from seoaudit.errors import UsageError
from seoaudit.snapshot import (
    CrawlFacts,
    DiscoveredUrl,
    Exchange,
    PageFacts,
    RobotsFacts,
    SitemapFacts,
    Snapshot,
)

STORE_VERSION = 1
COMMIT_EVERY = 2000  # rows buffered before they are written and committed
M = TypeVar("M", bound=BaseModel)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exchanges (
    id INTEGER PRIMARY KEY, purpose TEXT NOT NULL, profile TEXT NOT NULL, url TEXT NOT NULL,
    final_url TEXT, status INTEGER, error_kind TEXT, body_bytes INTEGER, started_s REAL,
    data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exchanges_by_url ON exchanges (url, profile, purpose);
CREATE INDEX IF NOT EXISTS exchanges_by_final_url ON exchanges (final_url);
CREATE TABLE IF NOT EXISTS pages (
    seq INTEGER PRIMARY KEY, exchange_id INTEGER NOT NULL, url TEXT NOT NULL,
    profile TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pages_by_url ON pages (url, profile);
CREATE TABLE IF NOT EXISTS robots (
    seq INTEGER PRIMARY KEY, origin TEXT NOT NULL, profile TEXT NOT NULL,
    exchange_id INTEGER NOT NULL, recheck INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sitemaps (seq INTEGER PRIMARY KEY, url TEXT NOT NULL,
    data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sitemap_urls (seq INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS discovered (seq INTEGER PRIMARY KEY, url TEXT NOT NULL,
    depth INTEGER NOT NULL, source TEXT NOT NULL);
"""

# table -> (insert statement, row builder); rows are tuples ready for executemany
_INSERT = {
    "exchanges": "INSERT OR REPLACE INTO exchanges VALUES (?,?,?,?,?,?,?,?,?,?)",
    "pages": "INSERT INTO pages (exchange_id, url, profile, data) VALUES (?,?,?,?)",
    "robots": "INSERT INTO robots (origin, profile, exchange_id, recheck, data) VALUES (?,?,?,?,?)",
    "sitemaps": "INSERT INTO sitemaps (url, data) VALUES (?,?)",
    "sitemap_urls": "INSERT OR IGNORE INTO sitemap_urls (url) VALUES (?)",
    "discovered": "INSERT INTO discovered (url, depth, source) VALUES (?,?,?)",
}


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Remove every form of every secret (plain, JSON-escaped, URL-quoted) from JSON text: a
    site can reflect credentials anywhere, so this runs over whole rows, not chosen fields."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret)}:
            if form and form in text:
                text = text.replace(form, "[redacted]")
    return text


class SnapshotStore:
    """A SQLite file with one gather's rows; see the module docstring.

    Not thread-safe: the gather's event loop is the only writer."""

    def __init__(self, path: str | Path, *, secrets: tuple[str, ...] = ()) -> None:
        self.path = Path(path)
        self.secrets = tuple(s for s in secrets if s)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"{self.path} is not a seoaudit snapshot store: {exc}") from exc
        if tables and version != STORE_VERSION:
            self._db.close()
            raise UsageError(
                f"{self.path} is not a seoaudit snapshot store this version reads "
                f"(store version {version}, this seoaudit reads {STORE_VERSION})"
            )
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={STORE_VERSION}")
        self._pending: dict[str, list[tuple[Any, ...]]] = {t: [] for t in _INSERT}
        self._buffered = 0
        self._closed = False

    # -- writing -----------------------------------------------------------------------

    def _row_json(self, model: BaseModel) -> str:
        text = model.model_dump_json()
        return redact_text(text, self.secrets) if self.secrets else text

    def _add(self, table: str, row: tuple[Any, ...]) -> None:
        self._pending[table].append(row)
        self._buffered += 1
        if self._buffered >= COMMIT_EVERY:
            self.flush()

    def add_exchange(self, e: Exchange) -> None:
        error = e.error.kind if e.error is not None else None
        self._add(
            "exchanges",
            (e.id, e.purpose, e.profile, e.url, e.final_url, e.status, error, e.body.bytes,
             e.timing.started_s, self._row_json(e)),
        )  # fmt: skip

    def add_page(self, p: PageFacts) -> None:
        self._add("pages", (p.exchange_id, p.url, p.profile, self._row_json(p)))

    def add_robots(self, r: RobotsFacts) -> None:
        self._add("robots", (r.origin, r.profile, r.exchange_id, int(r.recheck), self._row_json(r)))

    def add_sitemap(self, s: SitemapFacts) -> None:
        self._add("sitemaps", (s.url, self._row_json(s)))

    def add_sitemap_url(self, url: str) -> None:
        """A URL a sitemap lists (in scope, normalised); duplicates are dropped by the table."""
        self._add("sitemap_urls", (url,))

    def add_discovered(self, url: str, depth: int, source: str) -> None:
        """A URL the crawl queued (``DiscoveredUrl`` fields; no model built on the hot path)."""
        self._add("discovered", (url, depth, source))

    def flush(self) -> None:
        """Write the buffered rows in one transaction."""
        if not self._buffered or self._closed:
            return
        # The buffers are emptied only once the commit is done: a Ctrl-C in between rolls
        # the transaction back and the rows are written by the next flush instead.
        self._db.execute("BEGIN")
        try:
            for table, rows in self._pending.items():
                if rows:
                    self._db.executemany(_INSERT[table], rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        for rows in self._pending.values():
            rows.clear()
        self._buffered = 0

    def set_meta(self, key: str, value: Any) -> None:
        self.flush()
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value, sort_keys=True))
        )

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def save_header(self, snapshot: Snapshot) -> None:
        """Everything of the snapshot but its stored lists (small: settings, warnings, ...)."""
        header = snapshot.model_copy(
            update={
                "exchanges": [],
                "robots": [],
                "sitemaps": [],
                "pages": [],
                "crawl": snapshot.crawl.model_copy(update={"discovered": []}),
            }
        )
        self.flush()
        self._db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('header', ?)", (self._row_json(header),)
        )

    def has_header(self) -> bool:
        return self.get_meta("header") is not None

    def delete_exchanges(self, ids: Iterable[int]) -> None:
        """Forget exchanges (the in-flight ones a stopped run cut short, before a resume)."""
        self.flush()
        self._db.executemany("DELETE FROM exchanges WHERE id = ?", [(i,) for i in ids])

    # -- reading -------------------------------------------------------------------------

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows of a read-only query, after the buffered rows are written."""
        self.flush()
        yield from self._db.execute(sql, params)

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        self.flush()
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def sitemap_urls(self) -> Iterator[str]:
        """Every URL the sitemaps listed, first sighting first, streamed from the file."""
        for (url,) in self.query("SELECT url FROM sitemap_urls ORDER BY seq"):
            yield url

    def snapshot(self) -> Snapshot:
        """The stored gather as a Snapshot whose big lists read from this file lazily."""
        self.flush()
        row = self._db.execute("SELECT value FROM meta WHERE key = 'header'").fetchone()
        if row is None:
            raise UsageError(f"{self.path} holds no gather yet")
        header = Snapshot.model_validate_json(row[0])
        crawl = CrawlFacts.model_construct(
            discovered=StoredRows(self, DiscoveredUrl, "discovered"),
            skipped=header.crawl.skipped,
            skipped_counts=header.crawl.skipped_counts,
        )
        fields = dict(header)
        fields.update(
            exchanges=StoredRows(self, Exchange, "exchanges"),
            robots=StoredRows(self, RobotsFacts, "robots"),
            sitemaps=StoredRows(self, SitemapFacts, "sitemaps"),
            pages=StoredRows(self, PageFacts, "pages"),
            crawl=crawl,
        )
        # the StoredRows hold this store, so the file stays open while the snapshot lives
        return Snapshot.model_construct(**fields)

    def close(self) -> None:
        if self._closed:
            return
        self.flush()
        self._closed = True
        self._db.close()


# How each stored list reads: select (columns materialised into the model), order
_READ = {
    "exchanges": ("SELECT data FROM exchanges", "ORDER BY id"),
    "pages": ("SELECT data FROM pages", "ORDER BY exchange_id, seq"),
    "robots": ("SELECT data FROM robots", "ORDER BY origin, exchange_id, seq"),
    "sitemaps": ("SELECT data FROM sitemaps", "ORDER BY seq"),
    "discovered": ("SELECT url, depth, source FROM discovered", "ORDER BY seq"),
}


class StoredRows(Sequence[M], Generic[M]):
    """A list field of a stored snapshot: each read goes to the file and materialises one
    row at a time, so iterating 100k exchanges holds one of them, not all."""

    def __init__(self, store: SnapshotStore, model: type[M], table: str) -> None:
        self._store = store
        self._model = model
        self._table = table

    def _make(self, row: tuple[Any, ...]) -> M:
        if self._table == "discovered":
            # kept as fetched (a resume queues it again), redacted as it is read
            url, depth, source = row
            secrets = self._store.secrets
            if secrets:
                url = redact_text(url, secrets)
            return self._model.model_construct(url=url, depth=depth, source=source)
        return self._model.model_validate_json(row[0])

    def _select(self, where: str = "", params: tuple[Any, ...] = (), tail: str = "") -> Iterator[M]:
        select, order = _READ[self._table]
        for row in self._store.query(f"{select} {where} {order} {tail}", params):
            yield self._make(row)

    def __iter__(self) -> Iterator[M]:
        return self._select()

    def __len__(self) -> int:
        return int(self._store.scalar(f"SELECT count(*) FROM {self._table}"))

    @overload
    def __getitem__(self, index: int) -> M: ...
    @overload
    def __getitem__(self, index: slice) -> list[M]: ...
    def __getitem__(self, index: int | slice) -> M | list[M]:
        if isinstance(index, slice):
            return list(self)[index]
        size = len(self)
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError("stored row index out of range")
        return next(self._select(tail="LIMIT 1 OFFSET ?", params=(position,)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, StoredRows)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} stored {self._table}>"

    # -- look-ups the Snapshot API offers, answered by the file's indexes ----------------

    def count_distinct(self, column: str) -> int:
        if column not in ("url", "profile"):
            raise ValueError(f"no stored column {column!r}")
        return int(self._store.scalar(f"SELECT count(DISTINCT {column}) FROM {self._table}"))

    def by_id(self, exchange_id: int) -> M:
        rows = list(self._select("WHERE id = ?", (exchange_id,)))
        if not rows:
            raise KeyError(exchange_id)
        return rows[0]

    def where(self, **columns: Any) -> list[M]:
        """Rows whose columns equal the given values (None: any value)."""
        wanted = {k: v for k, v in columns.items() if v is not None}
        clause = " AND ".join(f"{k} = ?" for k in wanted)
        return list(self._select(f"WHERE {clause}" if clause else "", tuple(wanted.values())))


def temporary_store(secrets: tuple[str, ...] = ()) -> SnapshotStore:
    """A store in a private temporary directory, removed when the store object is."""
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="seoaudit-store-")
    store = SnapshotStore(Path(folder) / "snapshot.sqlite", secrets=secrets)
    weakref.finalize(store, _remove_store, store._db, folder, shutil.rmtree)
    return store


def _remove_store(db: sqlite3.Connection, folder: str, rmtree: Any) -> None:
    try:
        db.close()
    finally:
        rmtree(folder, ignore_errors=True)


def discard_store(path: str | Path, snapshot: Snapshot | None = None) -> None:
    """Remove a store file and SQLite's side files (a complete gather needs none of them);
    ``snapshot``, read from that store, is closed first and cannot be read after."""
    import contextlib

    rows = snapshot.exchanges if snapshot is not None else None
    if isinstance(rows, StoredRows):
        rows._store.close()
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(name).unlink()
