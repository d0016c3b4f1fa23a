"""The snapshot store: rows in SQLite read back through the Snapshot API, the exact JSON
export, streamed sitemap URLs, and ``gather --resume`` after a real Ctrl-C."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest
import yaml

from seoaudit.errors import UsageError
from seoaudit.gather.sitemaps import parse_sitemap
from seoaudit.scenarios import ScenarioServer, load_scenario
from seoaudit.snapshot import (
    Body,
    DiscoveredUrl,
    ErrorInfo,
    Exchange,
    PageFacts,
    RobotsFacts,
    SitemapFacts,
    Snapshot,
    ToolInfo,
)
from seoaudit.store import SnapshotStore, temporary_store
from seoaudit.web.urls import host_key
from tests.conftest import seoaudit_child
from tests.gather_helpers import page

ROBOTS_ALLOW_ALL = {
    "path": "/robots.txt",
    "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}},
}


def _sample_snapshot() -> Snapshot:
    """Every list the store keeps, non-empty, with text that needs JSON escaping."""
    snap = Snapshot(tool=ToolInfo(version="t"), started_at="2026-01-01T00:00:00+00:00",
                    start_url="https://example.test/", hosts=["example.test"])  # fmt: skip
    for i in range(1, 6):
        snap.exchanges.append(
            Exchange(
                id=i,
                purpose="page" if i > 1 else "robots",
                profile="seoaudit" if i % 2 else "browser",
                url=f"https://example.test/p{i}",
                status=200 if i != 4 else None,
                headers=[("Content-Type", "text/html"), ("X-Note", 'quote " and ü')],
                body=Body(bytes=10 * i, excerpt="<p>line\none</p>"),
                error=ErrorInfo(kind="timeout", message="slow") if i == 4 else None,
            )
        )
        snap.pages.append(  # a gather keeps pages in exchange order
            PageFacts(
                exchange_id=i,
                url=f"https://example.test/p{i}",
                profile="seoaudit",
                title=f"Page {i}",
                meta_robots=[("robots", "noindex")],
            )
        )
        snap.crawl.discovered.append(
            DiscoveredUrl(url=f"https://example.test/p{i}", depth=i, source="link")
        )
    snap.robots.append(RobotsFacts(origin="https://example.test", profile="seoaudit",
                                   exchange_id=1, body_b64="VXNlci1hZ2VudDogKgo="))  # fmt: skip
    snap.sitemaps.append(SitemapFacts(url="https://example.test/sitemap.xml", kind="urlset",
                                      urls=["https://example.test/p1"], url_count=1))  # fmt: skip
    snap.warnings.append("a warning")
    return snap


def _stored(snap: Snapshot) -> Snapshot:
    store = temporary_store()
    for e in snap.exchanges:
        store.add_exchange(e)
    for p in snap.pages:
        store.add_page(p)
    for r in snap.robots:
        store.add_robots(r)
    for s in snap.sitemaps:
        store.add_sitemap(s)
    for d in snap.crawl.discovered:
        store.add_discovered(d.url, d.depth, d.source)
    store.save_header(snap)
    return store.snapshot()


def test_write_json_streams_exactly_what_to_json_writes():
    snap = _sample_snapshot()
    out = io.StringIO()
    snap.write_json(out)
    assert out.getvalue() == snap.model_dump_json(indent=1) + "\n"
    empty = Snapshot(tool=ToolInfo(version="t"), started_at="x", start_url="https://e.test/")
    out = io.StringIO()
    empty.write_json(out)
    assert out.getvalue() == empty.model_dump_json(indent=1) + "\n"


def test_a_stored_snapshot_reads_and_exports_like_the_one_in_memory():
    snap = _sample_snapshot()
    stored = _stored(snap)
    assert not isinstance(stored.exchanges, list)  # rows, read lazily
    assert stored.to_json() == snap.to_json()
    assert Snapshot.from_json(stored.to_json()).to_json() == snap.to_json()
    assert len(stored.exchanges) == 5 and stored.exchanges[-1] == snap.exchanges[-1]
    assert stored.exchange(3) == snap.exchange(3)
    assert stored.exchanges_for(profile="seoaudit", purpose="page") == snap.exchanges_for(
        profile="seoaudit", purpose="page"
    )
    assert [p.exchange_id for p in stored.pages] == [1, 2, 3, 4, 5]  # the stored order
    assert stored.page_url_count() == snap.page_url_count() == 5
    assert list(stored.crawl.discovered) == list(snap.crawl.discovered)
    with pytest.raises(KeyError):
        stored.exchange(99)


def test_stored_rows_are_redacted_as_they_are_written(tmp_path):
    store = SnapshotStore(tmp_path / "s.sqlite", secrets=("s3cr3t",))
    store.add_exchange(Exchange(id=1, purpose="page", profile="seoaudit",
                                url="https://e.test/?k=s3cr3t", body=Body(excerpt="s3cr3t")))  # fmt: skip
    store.add_discovered("https://e.test/?k=s3cr3t", 1, "link")
    store.save_header(Snapshot(tool=ToolInfo(version="t"), started_at="x",
                               start_url="https://e.test/", warnings=["s3cr3t"]))  # fmt: skip
    text = store.snapshot().to_json()
    assert "s3cr3t" not in text and "[redacted]" in text
    # the stored URL column keeps what was fetched, so a resume asks for the same URL
    assert store.scalar("SELECT url FROM exchanges") == "https://e.test/?k=s3cr3t"


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.store"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UsageError, match="not a seoaudit snapshot store"):
        SnapshotStore(junk)


def test_sitemap_urls_stream_past_the_stored_cap():
    urls = "".join(f"<url><loc>https://e.test/p{i}</loc></url>" for i in range(3000))
    body = gzip.compress(f'<?xml version="1.0"?><urlset>{urls}</urlset>'.encode())
    seen: list[str] = []
    parsed = parse_sitemap(body, store_urls=100, on_url=seen.append)
    assert len(parsed.urls) == 100 and parsed.url_count == 3000
    assert len(seen) == 3000 and seen[-1] == "https://e.test/p2999"


@pytest.mark.parametrize(
    "url",
    [
        "http://A.test/x",
        "HTTP://a.test:80/",
        "https://a.test:443?q",
        "https://u:p@a.test:8443#f",
        "http://[::1]:8080/",
        "http://a.test",
        "http://a.test\tb/",
        " http://a.test/",
        "//a.test/x",
        "mailto:x@a.test",
    ],
)
def test_host_key_cache_answers_as_urlsplit_does(url):
    parts = urlsplit(url)
    port = parts.port
    host = (parts.hostname or "").lower()
    default = port is None or port == {"http": 80, "https": 443}.get(parts.scheme.lower())
    expected = host if default else f"{host}:{port}"
    assert host_key(url) == expected
    assert host_key(url) == expected  # from the cache the second time


# -- resume -------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_resume_after_ctrl_c_fetches_nothing_twice(tmp_path):
    """A real child is interrupted mid-crawl (SIGINT), then resumed: the second run asks the
    server for nothing the store had, and the snapshot ends complete with every page."""
    links = [f"/slow{i}" for i in range(30)]
    routes = [ROBOTS_ALLOW_ALL, page("/", links)] + [
        {**page(p), "response": {**page(p)["response"], "delay_ms": 300}} for p in links
    ]
    site = tmp_path / "slow.yaml"
    site.write_text(yaml.safe_dump({"name": "slow", "origins": {"main": {"routes": routes}}}))
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "bots: {required: [googlebot], wanted: [], blocked: []}\n"
        "crawl: {max_rps: 100, concurrency: 3, timeout_s: 5, max_time_s: 60, sample_per_bot: 3}\n"
    )
    out = tmp_path / "snap.json"
    store_path = tmp_path / "snap.json.store"
    env = {**os.environ, "NO_COLOR": "1"}
    with ScenarioServer(load_scenario(str(site))) as server:
        argv = seoaudit_child("gather", server.url, "-p", str(rules), "-o", str(out), "-q")
        first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and sum(1 for r in server.requests if r.path.startswith("/slow")) < 8
        ):
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        _, err = first.communicate(timeout=30)
        assert first.returncode == 3, err.decode()
        assert b"--resume" in err and store_path.exists()
        first_requests = len(server.requests)

        kept = SnapshotStore(store_path)
        stopped = kept.snapshot()
        agents = {p.id: p.user_agent for p in stopped.profiles}
        had = {
            (urlsplit(e.url).path, agents[e.profile])
            for e in stopped.exchanges
            if e.error is None or e.error.kind != "interrupted"
        }
        crawled_before = len(stopped.exchanges_for(profile="seoaudit", purpose="page"))
        kept.close()
        assert 0 < crawled_before < 31, "the first run was stopped mid-crawl"

        second = subprocess.run([*argv, "--resume"], capture_output=True, env=env, timeout=60)
        assert second.returncode == 0, second.stderr.decode()
        again = [(r.path, r.user_agent) for r in server.requests[first_requests:]]

    assert again, "the resumed run fetched what was left"
    assert not set(again) & had, "a resumed run fetched again what its store had"
    assert max(Counter(again).values()) == 1
    snap = Snapshot.from_json(out.read_text())
    assert snap.complete
    assert {urlsplit(e.url).path for e in snap.exchanges_for(profile="seoaudit", purpose="page")} \
        == {"/", *links}  # fmt: skip
    assert any(w.startswith("resumed:") for w in snap.warnings)
    assert len({e.id for e in snap.exchanges}) == len(snap.exchanges)  # ids carried on
    assert not store_path.exists(), "a complete gather removes its default store"
