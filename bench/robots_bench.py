"""robots.txt checks per second: seoaudit's compiled matcher beside protego, urllib.robotparser
and Google's C++ parser (the fast-robotstxt bindings), on the same files and URLs.

Two files: a realistic ~200-rule robots.txt with wildcards, and one near Google's 500 KiB
limit. 100,000 URLs each (fewer for the slow peers, scaled to per-second figures). Also
counts verdict disagreements with Google's parser on the bench URLs.

    .venv/bin/python bench/robots_bench.py [--urls 100000]
"""

from __future__ import annotations

import argparse
import random
import time
import urllib.robotparser
from collections.abc import Callable

from seoaudit.analysis.robots_txt import RobotsTxt

AGENT = "Googlebot"
SECTIONS = ["products", "category", "blog", "search", "cart", "account", "api", "static", "media",
            "help", "brand", "sale", "compare", "wishlist", "checkout", "tag", "author", "feed"]  # fmt: skip


def realistic_robots(rules: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["User-agent: *"]
    for i in range(rules):
        section = rng.choice(SECTIONS)
        kind = rng.random()
        if kind < 0.3:
            lines.append(f"Disallow: /{section}/*?sort={rng.randrange(50)}")
        elif kind < 0.5:
            lines.append(f"Disallow: /*/{section}-{i}/")
        elif kind < 0.6:
            lines.append(f"Allow: /{section}/{i}*.html$")
        elif kind < 0.75:
            lines.append(f"Disallow: /{section}/{rng.randrange(10_000)}/")
        else:
            lines.append(f"Disallow: /{section}/*sessionid={i}")
    lines += ["", "User-agent: Googlebot", *lines[1 : rules // 2]]
    return "\n".join(lines) + "\nSitemap: https://shop.example/sitemap.xml\n"


def huge_robots(target_bytes: int = 495 * 1024) -> str:
    rng = random.Random(2)
    lines = ["User-agent: *"]
    size = 14
    i = 0
    while size < target_bytes:
        section = rng.choice(SECTIONS)
        line = f"Disallow: /{section}/legacy-{i:06d}/*?ref={rng.randrange(1000)}"
        lines.append(line)
        size += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


def urls(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        section = rng.choice(SECTIONS)
        path = f"/{section}/{rng.randrange(12_000)}"
        if rng.random() < 0.3:
            path += f"/item-{rng.randrange(500)}.html"
        if rng.random() < 0.3:
            path += f"?sort={rng.randrange(60)}&ref={rng.randrange(1000)}"
        out.append("https://shop.example" + path)
    return out


def timed(
    check: Callable[[str], bool], batch: list[str], budget_s: float = 20.0
) -> tuple[float, list[bool]]:
    results: list[bool] = []
    started = time.perf_counter()
    for url in batch:
        results.append(check(url))
        if len(results) % 500 == 0 and time.perf_counter() - started > budget_s:
            break
    elapsed = time.perf_counter() - started
    return len(results) / elapsed, results


def bench(name: str, text: str, batch: list[str]) -> None:
    data = text.encode()
    print(
        f"\n## {name}: {len(data) / 1024:,.0f} KiB, {text.count(chr(10)):,} lines, {len(batch):,} URLs"
    )
    rows = []
    t = time.perf_counter()
    ours = RobotsTxt.parse(data)
    parse_ms = (time.perf_counter() - t) * 1000
    rate, our_results = timed(lambda u: ours.check(AGENT, u).allowed, batch)
    rows.append(("seoaudit (compiled once)", parse_ms, rate))
    try:
        import protego

        t = time.perf_counter()
        prot = protego.Protego.parse(text)
        pms = (time.perf_counter() - t) * 1000
        rows.append(("protego", pms, timed(lambda u: prot.can_fetch(u, AGENT), batch)[0]))
    except ImportError:
        print("protego not installed")
    t = time.perf_counter()
    std = urllib.robotparser.RobotFileParser()
    std.parse(text.splitlines())
    sms = (time.perf_counter() - t) * 1000
    rows.append(
        (
            "urllib.robotparser (not Google semantics)",
            sms,
            timed(lambda u: std.can_fetch(AGENT, u), batch)[0],
        )
    )
    disagreements = None
    try:
        from robotstxt import RobotsMatcher

        matcher = RobotsMatcher()
        rate_g, google = timed(lambda u: matcher.is_allowed(text, AGENT, u), batch)
        rows.append(("Google C++ parser (re-parses per call)", None, rate_g))
        disagreements = sum(1 for a, b in zip(our_results, google, strict=False) if a != b)
        compared = min(len(our_results), len(google))
    except ImportError:
        print("fast-robotstxt not installed")
    best_peer = max((r for n, _, r in rows if n == "protego"), default=None)
    print("| parser | parse ms | checks/s | vs protego |")
    print("|---|---:|---:|---:|")
    for label, parse, rate_ in rows:
        ratio = f"{rate_ / best_peer:.1f}x" if best_peer else "-"
        print(f"| {label} | {'-' if parse is None else f'{parse:,.1f}'} | {rate_:,.0f} | {ratio} |")
    if disagreements is not None:
        print(f"\nverdict disagreements with Google's parser: {disagreements} of {compared:,} URLs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=100_000)
    args = parser.parse_args()
    batch = urls(args.urls)
    bench("~200-rule realistic file", realistic_robots(200), batch)
    bench("near 500 KiB", huge_robots(), batch)


if __name__ == "__main__":
    main()
