"""Crawl throughput and memory: `seoaudit gather` beside a minimal Scrapy spider, same run.

Generates a static site of realistic pages (~30 KB, ~60 internal links each), serves it
from a separate process on 127.0.0.1 (nginx when installed, else a threaded Python
server), then crawls it in child processes, one crawler at a time, and prints for each:
pages per wall-second, CPU ms per page (user + sys of the crawler process only), pages per
CPU-second and peak RSS. Run with more sizes to see whether memory stays flat:

    .venv/bin/pip install -e ".[bench]"        # Scrapy, the peer
    .venv/bin/python bench/crawl_bench.py --pages 2000 --sizes 10000,100000
    .venv/bin/python bench/crawl_bench.py --pages 2000 --sizes 100000 --skip-scrapy  # memory

No rps ceiling for seoaudit here (a local server we own; the default ceiling would make
this a sleep benchmark), concurrency 16, one bot, no probes; the seoaudit child does what
`seoaudit gather -o` does (snapshot store, streamed JSON export). A child that fails or
reports no pages prints FAILED and exits 1; issue 14's targets print met or MISSED, and a
MISSED one exits 1.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WORDS = [
    "sturdy",
    "repairable",
    "goods",
    "returns",
    "shipping",
    "warranty",
    "cotton",
    "leather",
    "canvas",
    "steel",
    "oak",
    "linen",
    "wool",
    "waxed",
    "hand",
    "stitched",
    "size",
    "guide",
    "care",
    "instructions",
    "delivery",
    "reviews",
]


def generate_site(root: Path, pages: int, *, seed: int = 7) -> None:
    """Static pages of ~27 KiB with 60 random internal links each. The prose is drawn from a
    pool of paragraphs (links stay unique per page), so 100k pages generate in seconds."""
    rng = random.Random(seed)
    (root / "p").mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n")
    pool = ["<p>" + " ".join(rng.choices(WORDS, k=90)) + "</p>" for _ in range(400)]
    for i in range(pages):
        links = "".join(
            f'<li><a href="/p/{rng.randrange(pages)}.html">Item {j}</a></li>' for j in range(60)
        )
        paragraphs = "".join(rng.choices(pool, k=38))
        html = (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Product {i}'
            f'</title><meta name="description" content="Product {i}">'
            f'<link rel="canonical" href="/p/{i}.html"><link rel="stylesheet" href="/s.css">'
            f"</head><body><header><nav><ul>{links}</ul></nav></header><main><h1>Product {i}"
            f"</h1>{paragraphs}</main><footer>Example</footer></body></html>"
        )
        (root / "p" / f"{i}.html").write_text(html)
    (root / "index.html").write_text(
        "<!doctype html><html><head><title>Home</title></head><body>"
        + "".join(f'<a href="/p/{i}.html">{i}</a>' for i in range(0, pages, max(1, pages // 60)))
        + "</body></html>"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PY_SERVER = textwrap.dedent(
    """
    import functools, http.server, sys
    class Quiet(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *a): pass
    handler = functools.partial(Quiet, directory=sys.argv[2])
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), handler).serve_forever()
    """
)


def start_server(root: Path, work: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    port = _free_port()
    nginx = shutil.which("nginx")
    if nginx:
        conf = work / "nginx.conf"
        conf.write_text(
            f"worker_processes 1; daemon off; pid {work}/nginx.pid; error_log {work}/err.log;\n"
            "events { worker_connections 1024; }\n"
            f"http {{ access_log off; client_body_temp_path {work}; proxy_temp_path {work};\n"
            f"  fastcgi_temp_path {work}; uwsgi_temp_path {work}; scgi_temp_path {work};\n"
            f"  server {{ listen 127.0.0.1:{port}; root {root}; index index.html; }} }}\n"
        )
        proc = subprocess.Popen([nginx, "-c", str(conf)], stderr=subprocess.DEVNULL)
        kind = "nginx"
    else:
        proc = subprocess.Popen([sys.executable, "-c", PY_SERVER, str(port), str(root)])
        kind = "python http.server (nginx not installed)"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port, kind
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("the bench server did not start")


SEOAUDIT_RUN = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from seoaudit.atomic import write_atomic_stream
    from seoaudit.gather.service import GatherOptions, gather
    from seoaudit.policy import parse_policy_text
    from seoaudit.registry import load_registry
    from seoaudit.store import discard_store
    pages, out = int(sys.argv[2]), Path(sys.argv[3])
    policy = parse_policy_text(
        "bots: {required: [googlebot], wanted: [], blocked: []}\\n"
        f"crawl: {{max_pages: {pages}, max_depth: 50, concurrency: 16, sample_per_bot: 0,"
        " sitemaps: false, max_time_s: 3600, timeout_s: 30}\\n", "bench.yaml")
    # what `seoaudit gather -o snapshot.json` does: gather into the store, export the JSON
    store = out.with_name(out.name + ".store")
    options = GatherOptions(start_url=sys.argv[1], no_rps_ceiling=True, store_path=store)
    snap = gather(policy, load_registry(), options)
    write_atomic_stream(out, snap.write_json)
    count = snap.page_url_count()
    discard_store(store, snap)
    out.unlink()
    print(count)
    """
)

SCRAPY_SPIDER = textwrap.dedent(
    """
    import scrapy
    class Bench(scrapy.Spider):
        name = "bench"
        custom_settings = {
            "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "TELNETCONSOLE_ENABLED": False,
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "COOKIES_ENABLED": False,
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        }
        def __init__(self, start=None, pages=None, **kw):
            super().__init__(**kw)
            self.start_urls = [start]
            self.custom_settings["CLOSESPIDER_PAGECOUNT"] = int(pages)
        @classmethod
        def update_settings(cls, settings):
            super().update_settings(settings)
        def parse(self, response):
            yield {"url": response.url, "title": response.css("title::text").get()}
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href, self.parse)
    """
)


CPU_TARGET = 5.0  # seoaudit's pages per CPU-second over Scrapy's (issue 14)
RSS_TARGET_MB = 150
FLAT_TOLERANCE_MB = 25  # "flat": the largest crawl's peak within this of the smallest's


@dataclass
class Run:
    name: str
    pages: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float

    @property
    def pages_per_cpu_s(self) -> float:
        return self.pages / self.cpu_s if self.cpu_s else 0.0


class ChildFailed(Exception):
    """A crawler child exited non-zero or did not report its page count: no figure for it."""


def run_child(name: str, argv: list[str], count_pages: Callable[[str], int | None]) -> Run:
    """Run one crawler child; CPU time and peak RSS come from its own ``wait4()``.

    ``count_pages`` reads the child's page count from its stdout; when the child fails or
    reports nothing, ``ChildFailed`` is raised: a bench never prints a figure it did not
    measure."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(argv, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        out_file.seek(0)
        err_file.seek(0)
        out = out_file.read().decode(errors="replace")
        err = err_file.read().decode(errors="replace")
    code = proc.returncode
    pages = count_pages(out) if code == 0 else None
    if pages is None or pages <= 0:
        why = f"exit code {code}" if code != 0 else "it reported no pages crawled"
        raise ChildFailed(f"{name}: {why}\n{err[-2000:]}")
    return Run(name, pages, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _last_line_number(out: str) -> int | None:
    lines = out.strip().splitlines()
    return int(lines[-1]) if lines and lines[-1].strip().isdigit() else None


def crawl_seoaudit(url: str, pages: int, work: Path) -> Run:
    return run_child(
        "seoaudit gather",
        [sys.executable, "-c", SEOAUDIT_RUN, url, str(pages), str(work / "snapshot.json")],
        _last_line_number,
    )


def crawl_scrapy(url: str, pages: int, work: Path) -> Run | None:
    try:
        import scrapy  # noqa: F401
    except ImportError:
        return None
    spider = work / "bench_spider.py"
    spider.write_text(SCRAPY_SPIDER)
    # CLOSESPIDER_PAGECOUNT via -s: the spider's own settings are read before __init__
    argv = [sys.executable, "-m", "scrapy", "runspider", str(spider), "-a", f"start={url}",
            "-a", f"pages={pages}", "-s", f"CLOSESPIDER_PAGECOUNT={pages}", "-o",
            str(work / "items.jsonl")]  # fmt: skip
    items = work / "items.jsonl"

    def count_items(_out: str) -> int | None:
        if not items.exists():
            return None
        with items.open() as lines:
            return sum(1 for _ in lines)

    try:
        return run_child("scrapy (minimal spider)", argv, count_items)
    finally:
        items.unlink(missing_ok=True)


def _targets(rows: list[Run]) -> list[str]:
    """Issue 14's targets, judged on this run's figures only; a MISSED one exits 1. Without
    Scrapy (``--skip-scrapy``) the CPU target is "not judged", never met."""
    lines = []
    ours = [r for r in rows if r.name.startswith("seoaudit")]
    peers: list[Run | None] = [r for r in rows if r.name.startswith("scrapy")] or [None] * len(ours)
    for a, b in zip(ours, peers, strict=True):
        if b is None:
            lines.append(
                f"not judged: {a.pages:,} pages: pages per CPU-second against Scrapy "
                "(--skip-scrapy)"
            )
        else:
            ratio = a.pages_per_cpu_s / b.pages_per_cpu_s
            lines.append(
                f"{'met' if ratio >= CPU_TARGET else 'MISSED'}: {a.pages:,} pages: seoaudit "
                f"{ratio:.1f}x Scrapy's pages per CPU-second (>= {CPU_TARGET:g}x)"
            )
        peer = f"; Scrapy {b.peak_rss_mb:.0f} MB" if b is not None else ""
        lines.append(
            f"{'met' if a.peak_rss_mb < RSS_TARGET_MB else 'MISSED'}: {a.pages:,} pages: "
            f"peak RSS {a.peak_rss_mb:.0f} MB (< {RSS_TARGET_MB} MB{peer})"
        )
    if len(ours) > 1:
        low, high = min(ours, key=lambda r: r.pages), max(ours, key=lambda r: r.pages)
        growth = high.peak_rss_mb - low.peak_rss_mb
        lines.append(
            f"{'met' if growth <= FLAT_TOLERANCE_MB else 'MISSED'}: peak RSS flat from "
            f"{low.pages:,} to {high.pages:,} pages: {low.peak_rss_mb:.0f} -> "
            f"{high.peak_rss_mb:.0f} MB (within {FLAT_TOLERANCE_MB} MB)"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000, help="site size and crawl size")
    parser.add_argument("--sizes", default="", help="extra crawl sizes, e.g. 2000,10000,100000")
    parser.add_argument(
        "--skip-scrapy",
        action="store_true",
        help="seoaudit only (memory work): the CPU target against Scrapy is not judged",
    )
    args = parser.parse_args()
    sizes = [args.pages] + [int(s) for s in args.sizes.split(",") if s.strip()]
    site_pages = max(sizes) + 10
    rows: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="seoaudit-bench-") as tmp:
        work = Path(tmp)
        root = work / "site"
        print(f"generating {site_pages:,} pages ...", flush=True)
        generate_site(root, site_pages)
        size = sum(f.stat().st_size for f in (root / "p").iterdir()) / site_pages / 1024
        server, port, kind = start_server(root, work)
        url = f"http://127.0.0.1:{port}/"
        print(f"serving with {kind} on {url} (average page {size:.1f} KiB)\n", flush=True)
        try:
            for n in sizes:
                rows.append(crawl_seoaudit(url, n, work))
                print(f"  measured {rows[-1].name} at {n:,} pages", flush=True)
                if args.skip_scrapy:
                    continue
                peer = crawl_scrapy(url, n, work)
                if peer is None:
                    raise ChildFailed("scrapy is not installed (pip install -e '.[bench]')")
                rows.append(peer)
                print(f"  measured {peer.name} at {n:,} pages", flush=True)
        except ChildFailed as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            print("FAILED")
            raise SystemExit(1) from None
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
    header = "| crawler | pages | pages/s | CPU ms/page | pages/CPU-s | peak RSS MB |"
    print(header)
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r.name} | {r.pages:,} | {r.pages / r.wall_s:,.0f} | "
            f"{1000 * r.cpu_s / max(r.pages, 1):.2f} | {r.pages_per_cpu_s:,.0f} | "
            f"{r.peak_rss_mb:,.0f} |"
        )
    targets = _targets(rows)
    print("\n#### Targets (issue 14)")
    for line in targets:
        print(f"- {line}")
    if any(line.startswith("MISSED") for line in targets):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
