"""The crawl's dedup set: exact membership by hash, a few bytes a URL."""

from __future__ import annotations

import tracemalloc

from seoaudit.gather.url_set import UrlSet


def test_add_says_whether_the_url_was_new_and_membership_holds_across_growth():
    urls = [f"https://shop.example/p/{i}.html" for i in range(5000)]
    seen = UrlSet()
    assert [seen.add(u) for u in urls] == [True] * len(urls)
    assert len(seen) == len(urls)
    assert all(u in seen for u in urls)
    assert not any(seen.add(u) for u in urls)
    assert len(seen) == len(urls)
    assert "https://shop.example/p/5000.html" not in seen
    assert "" not in seen and seen.add("") and "" in seen


def test_a_hundred_thousand_urls_take_a_fraction_of_a_set_of_strings():
    urls = [f"https://shop.example/products/{i}/details.html" for i in range(100_000)]
    tracemalloc.start()
    try:
        seen = UrlSet()
        for url in urls:
            seen.add(url)
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 3_000_000  # a set[str] of these holds ~13 MB
    assert len(seen) == 100_000
