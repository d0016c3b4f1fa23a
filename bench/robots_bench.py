"""robots.txt speed and exactness: seoaudit beside protego, urllib.robotparser and fast-robotstxt,
per check and as a whole process, plus agreement with Google's own verdicts.

1. Per check (one process, one core): three files, each with URLs aimed at its own rules
   (rule paths with wildcards expanded, one character longer or shorter, with a query,
   plus unrelated paths), so that many checks are disallowed and agreement means something:
   a realistic ~200-rule file, one near Google's 500 KiB limit, and the shape of a real
   853 KB documentation-site file (30,000 rules under one ``/html/`` prefix).
   ``fast-robotstxt`` is the Python binding of a *fork* of Google's parser with its own URL
   handling; it re-parses the file on every call and is not Google's verdict.
2. Exactness: every check of ``../shared/conformance/robots/real-sites.json.gz`` (300 real
   files, 17,730 checks, each answered by Google's parser built from source).
3. Whole process, as a hook or CI step feels it: ``seoaudit --version``/``--help`` beside
   ``python -c "import typer"``, and ``seoaudit robots test --urls FILE -f json`` beside a
   protego script doing the same job (read the file and the URLs, print a JSON verdict per
   URL), same URLs; medians of interleaved runs.

Prints the targets of issue 18 as met or MISSED and exits 1 when one is missed; a bench that
cannot run (a peer missing, ../shared absent) prints FAILED and exits 1.

    .venv/bin/python bench/robots_bench.py [--urls 100000] [--process-urls 5000] [--runs 9]
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.robotparser
from collections.abc import Callable
from pathlib import Path

from seoaudit.robots_txt import RobotsTxt

AGENT = "Googlebot"
HOST = "https://shop.example"
ROOT = Path(__file__).resolve().parents[1]
REAL_SITES = ROOT.parent / "shared" / "conformance" / "robots" / "real-sites.json.gz"
SECTIONS = ["products", "category", "blog", "search", "cart", "account", "api", "static", "media",
            "help", "brand", "sale", "compare", "wishlist", "checkout", "tag", "author", "feed"]  # fmt: skip
PROTEGO_SCRIPT = """\
import json, sys
from protego import Protego
robots = Protego.parse(open(sys.argv[1], encoding="utf-8", errors="replace").read())
agent, out, sep = sys.argv[3], sys.stdout, "\\n"
out.write("[")
with open(sys.argv[2], encoding="utf-8") as urls:
    for line in urls:
        url = line.strip()
        if url:
            out.write(sep + json.dumps({"url": url, "agent": agent,
                                        "allowed": robots.can_fetch(url, agent)}))
            sep = ",\\n"
out.write("\\n]\\n")
"""


class BenchFailed(Exception):
    """The bench could not measure what it claims to (a peer missing, data absent)."""


# -- files -------------------------------------------------------------------------------


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


def docs_site_robots(rules: int = 30_000, seed: int = 4) -> str:
    """The shape of a real 853 KB documentation-site robots.txt: tens of thousands of rules
    under one ``/html/`` prefix, mostly literal pages and folders, a few with ``*`` or ``$``."""
    rng = random.Random(seed)
    products = [
        f"{w}-{n}" for w in ("server", "db", "java", "cloud", "tools", "os") for n in range(12)
    ]
    words = ["install", "guide", "api", "ref", "config", "admin", "release", "notes", "intro",
             "tuning", "security", "backup", "upgrade", "errors", "glossary", "index"]  # fmt: skip
    lines = ["User-agent: *", "Disallow: /search", "Allow: /html/"]
    for i in range(rules):
        product = rng.choice(products)
        version = f"{rng.randrange(8, 24)}.{rng.randrange(4)}"
        slug = f"{rng.choice(words)}-{rng.choice(words)}-{i}"
        kind = rng.random()
        if kind < 0.80:
            lines.append(f"Disallow: /html/{product}/{version}/{slug}.html")
        elif kind < 0.95:
            lines.append(f"Disallow: /html/{product}/{version}/{slug}/")
        elif kind < 0.98:
            lines.append(f"Disallow: /html/{product}/{version}/*{slug}.pdf$")
        else:
            lines.append(f"Allow: /html/{product}/{version}/{slug}/index.html")
    return "\n".join(lines) + "\n"


def aimed_urls(text: str, n: int, seed: int = 3) -> list[str]:
    """URLs aimed at the file's own rules, with near misses and unrelated paths mixed in."""
    rng = random.Random(seed)
    patterns = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("allow", "disallow") and value.strip():
            patterns.append(value.strip())
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.25 or not patterns:
            section = rng.choice(SECTIONS)
            path = f"/{section}/{rng.randrange(12_000)}"
            if rng.random() < 0.3:
                path += f"?sort={rng.randrange(60)}&ref={rng.randrange(1000)}"
        else:
            pattern = rng.choice(patterns)
            path = pattern.rstrip("$")
            while "*" in path:
                path = path.replace("*", rng.choice(["", "x", "a/b", "item-7.html"]), 1)
            variant = rng.random()
            if variant < 0.3:
                path += rng.choice(["x", "/page-2", "?q=1", ".html"])
            elif variant < 0.45 and len(path) > 2:
                path = path[:-1]
            elif variant < 0.5:
                path = path.upper()
        out.append(HOST + (path if path.startswith("/") else "/" + path))
    return out


# -- per check ---------------------------------------------------------------------------


def timed(check: Callable[[str], bool], batch: list[str], budget_s: float = 20.0):
    results: list[bool] = []
    started = time.perf_counter()
    for url in batch:
        results.append(check(url))
        if len(results) % 500 == 0 and time.perf_counter() - started > budget_s:
            break
    return len(results) / (time.perf_counter() - started), results


def per_check(name: str, text: str, batch: list[str], *, whole_file: bool = False) -> dict:
    import protego
    from robotstxt import RobotsMatcher

    data = text.encode()
    rules = sum(1 for line in text.splitlines() if line.lower().startswith(("allow", "disallow")))
    print(
        f"\n### {name}: {len(data) / 1024:,.0f} KiB, {rules:,} rules, {len(batch):,} URLs"
        + (" (every parser reads the whole file: no 500 KiB cut)" if whole_file else "")
    )
    limit = None if whole_file else 500 * 1024
    peer_text = text if whole_file else data[: 500 * 1024].decode("utf-8", "ignore")
    t = time.perf_counter()
    ours = RobotsTxt.parse(data, size_limit=limit)
    ours.check(AGENT, batch[0])  # compiles the agent's rules: part of being ready
    ready = (time.perf_counter() - t) * 1000
    rate, our_results = timed(lambda u: ours.check(AGENT, u).allowed, batch)
    rows = [("seoaudit (parsed once)", ready, rate)]
    t = time.perf_counter()
    prot = protego.Protego.parse(peer_text)
    prot.can_fetch(batch[0], AGENT)
    pready = (time.perf_counter() - t) * 1000
    prate, prot_results = timed(lambda u: prot.can_fetch(u, AGENT), batch)
    rows.append(("protego", pready, prate))
    t = time.perf_counter()
    std = urllib.robotparser.RobotFileParser()
    std.parse(peer_text.splitlines())
    sready = (time.perf_counter() - t) * 1000
    rows.append(
        (
            "urllib.robotparser (not Google's rules)",
            sready,
            timed(lambda u: std.can_fetch(AGENT, u), batch)[0],
        )
    )
    matcher = RobotsMatcher()
    frate, fork = timed(lambda u: matcher.is_allowed(peer_text, AGENT, u), batch)
    rows.append(("fast-robotstxt (fork of Google's parser, re-parses per call)", None, frate))
    print("| parser | ready ms (parse + first check) | checks/s | vs protego |")
    print("|---|---:|---:|---:|")
    for label, ready_ms, rate_ in rows:
        ready_text = "-" if ready_ms is None else f"{ready_ms:,.1f}"
        print(f"| {label} | {ready_text} | {rate_:,.0f} | {rate_ / prate:.1f}x |")
    disallowed = sum(1 for r in our_results if not r)
    print(
        f"\n{disallowed / len(our_results):.0%} of the checks are disallowed. Verdicts that "
        f"differ (neither peer is Google's parser; exactness is the real-sites section): "
        f"protego {_differ(our_results, prot_results)}, "
        f"fast-robotstxt {_differ(our_results, fork)}."
    )
    return {"ours": rate, "protego": prate}


def _differ(a: list[bool], b: list[bool]) -> str:
    n = min(len(a), len(b))
    return f"{sum(1 for x, y in zip(a, b, strict=False) if x != y):,} of {n:,}"


def real_sites() -> int:
    """Disagreements with Google's verdicts on every real-sites check (0 is the target)."""
    if not REAL_SITES.exists():
        raise BenchFailed(f"{REAL_SITES} is absent: cannot check exactness")
    import protego
    from robotstxt import RobotsMatcher

    sites = json.loads(gzip.decompress(REAL_SITES.read_bytes()))
    ours = fork = prot = total = 0
    matcher = RobotsMatcher()
    for site in sites:
        data = base64.b64decode(site["robots_txt_base64"])
        text = data[: 500 * 1024].decode("utf-8", "replace")
        robots = RobotsTxt.parse(data)
        peer = protego.Protego.parse(text)
        for case in site["cases"]:
            total += 1
            want = case["expected"] == "allowed"
            agent, url = case["user_agent"], case["url"]
            ours += robots.check(agent, url).allowed != want
            fork += matcher.is_allowed(text, agent, url) != want
            prot += peer.can_fetch(url, agent) != want
    print(f"\n### Exactness: {len(sites)} real files, {total:,} checks answered by Google's parser")
    print("| parser | disagreements with Google |")
    print("|---|---:|")
    print(f"| seoaudit | {ours:,} |")
    print(f"| fast-robotstxt 1.1.0 (fork) | {fork:,} ({fork / total:.1%}) |")
    print(f"| protego | {prot:,} ({prot / total:.1%}) |")
    return ours


# -- whole process -----------------------------------------------------------------------


def whole_process(files: dict[str, str], n_urls: int, runs: int) -> dict[str, float]:
    python = sys.executable
    seoaudit = str(Path(python).with_name("seoaudit"))
    work = Path(tempfile.mkdtemp(prefix="robots-bench-"))
    script = work / "protego_check.py"
    script.write_text(PROTEGO_SCRIPT)
    commands: dict[str, list[str]] = {
        'python -c "pass"': [python, "-c", "pass"],
        'python -c "import typer"': [python, "-c", "import typer"],
        "seoaudit --version": [seoaudit, "--version"],
        "seoaudit --help": [seoaudit, "--help"],
    }
    for label, text in files.items():
        robots = work / f"{label}.txt"
        robots.write_text(text)
        urls = work / f"{label}.urls"
        urls.write_text("\n".join(aimed_urls(text, n_urls, seed=5)) + "\n")
        commands[f"protego script, {label}"] = [python, str(script), str(robots), str(urls), AGENT]
        commands[f"seoaudit robots test -f json, {label}"] = [
            seoaudit, "robots", "test", str(robots), "--urls", str(urls), "-a", AGENT, "-f", "json"
        ]  # fmt: skip
        commands[f"seoaudit robots test (plain rows), {label}"] = [
            seoaudit, "robots", "test", str(robots), "--urls", str(urls), "-a", AGENT
        ]  # fmt: skip
    samples: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(runs):  # interleaved, so a burst of load hits every command alike
        for label, argv in commands.items():
            t = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, check=False)
            elapsed = time.perf_counter() - t
            if done.returncode != 0:
                raise BenchFailed(f"{label} exited {done.returncode}: {done.stderr[-300:]!r}")
            samples[label].append(elapsed * 1000)
    medians = {k: statistics.median(v) for k, v in samples.items()}
    print(f"\n### Whole process: median of {runs} interleaved runs, {n_urls:,} URLs per check run")
    print("| command | median ms | fastest ms |")
    print("|---|---:|---:|")
    for label in commands:
        print(f"| {label} | {medians[label]:,.0f} | {min(samples[label]):,.0f} |")
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=100_000, help="URLs per in-process table")
    parser.add_argument("--process-urls", type=int, default=5_000, help="URLs per process run")
    parser.add_argument("--runs", type=int, default=9, help="runs of each process command")
    args = parser.parse_args()
    try:
        import protego  # noqa: F401
        import robotstxt  # noqa: F401
    except ImportError as exc:
        print(f"FAILED: a peer is not installed ({exc}); pip install -e '.[test]'")
        return 1
    realistic, huge, docs = realistic_robots(200), huge_robots(), docs_site_robots()
    try:
        per_check("~200-rule realistic file", realistic, aimed_urls(realistic, args.urls))
        per_check("near 500 KiB", huge, aimed_urls(huge, args.urls))
        shape = per_check(
            "real-file shape: 30,000 rules under /html/", docs, aimed_urls(docs, args.urls),
            whole_file=True,
        )  # fmt: skip
        wrong = real_sites()
        times = whole_process(
            {"~200 rules": realistic, "near 500 KiB": huge}, args.process_urls, args.runs
        )
    except BenchFailed as exc:
        print(f"FAILED: {exc}")
        return 1
    typer_import = times['python -c "import typer"'] - times['python -c "pass"']
    small_ours = times["seoaudit robots test -f json, ~200 rules"]
    small_peer = times["protego script, ~200 rules"]
    big_ours = times["seoaudit robots test -f json, near 500 KiB"]
    big_peer = times["protego script, near 500 KiB"]
    version = times["seoaudit --version"] / times['python -c "import typer"']
    targets = [
        (
            f"robots test -f json, ~200 rules: {small_ours:,.0f} ms <= protego script "
            f"{small_peer:,.0f} ms + Typer's import {typer_import:,.0f} ms",
            small_ours <= small_peer + typer_import,
        ),
        (
            f"robots test -f json near 500 KiB: {big_peer / big_ours:.1f}x faster than the protego "
            "script (>= 5x)",
            big_peer >= 5 * big_ours,
        ),
        (
            f"per check, 30,000 rules under one prefix: {shape['ours'] / shape['protego']:.1f}x "
            "protego (>= 3x)",
            shape["ours"] >= 3 * shape["protego"],
        ),
        (f'seoaudit --version: {version:.2f}x python -c "import typer" (<= 1.5x)', version <= 1.5),
        (f"disagreements with Google's verdicts on real-sites.json.gz: {wrong} (0)", wrong == 0),
    ]
    print("\n### Targets (issue 18)")
    for text, met in targets:
        print(f"- {'met' if met else 'MISSED'}: {text}")
    return 0 if all(met for _, met in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
