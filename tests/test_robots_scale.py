"""The robots.txt engine stays exact under its optimisations, and its per-check work stays small
however many rules share a prefix.

- every check of ../shared/conformance/robots/real-sites.json.gz (300 real files, verdicts
  from Google's parser built from source) must agree;
- the indexed matcher against a naive scan of every rule, on rule sets built to stress it:
  many rules under one prefix, stars and dollars anywhere, allow/disallow ties;
- ``path_of``'s shortcut for http(s) URLs against Google's step-by-step algorithm;
- the work of one check (index lookups, rules tried) does not grow with the number of rules
  under the path's prefix: counted, not timed, so it holds on a loaded machine.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from seoaudit.robots_txt import RobotsTxt
from seoaudit.robots_txt.matching import Rule, RuleIndex, path_of, path_params_query
from tests.conftest import require_shared


def test_every_real_site_check_agrees_with_googles_parser():
    path = require_shared("conformance", "robots", "real-sites.json.gz")
    sites = json.loads(gzip.decompress(path.read_bytes()))
    checked, wrong = 0, []
    for site in sites:
        robots = RobotsTxt.parse(base64.b64decode(site["robots_txt_base64"]))
        for case in site["cases"]:
            checked += 1
            got = (
                "allowed" if robots.check(case["user_agent"], case["url"]).allowed else "disallowed"
            )
            if got != case["expected"]:
                wrong.append(f"{site['site']} {case['user_agent']} {case['url']}: {got}")
    assert checked >= 17_000
    assert not wrong, f"{len(wrong)} disagreements with Google's parser:\n" + "\n".join(wrong[:40])


@functools.cache
def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """A robots.txt pattern as a regex, compiled once: the scale tests use 1,000 patterns,
    more than `re`'s own cache holds, and recompiling them was most of their CPU."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = "".join(".*" if c == "*" else re.escape(c) for c in body) + ("\\Z" if anchored else "")
    return re.compile(regex, re.DOTALL)


def naive_decide(rules: list[tuple[bool, str]], path: str) -> bool:
    """Google's rule, the slow obvious way: longest matching pattern wins, allow on ties."""
    best, allowed = 0, True
    for allow, pattern in rules:
        longer = len(pattern) > best or (len(pattern) == best and allow)
        if pattern and longer and _pattern_regex(pattern).match(path):
            best, allowed = len(pattern), allow
    return allowed


CHARS = st.sampled_from([*"/ab*$?=.-x", "/html/", "/html/a", "index.html"])
PATTERN = st.lists(CHARS, min_size=0, max_size=6).map(lambda parts: "/" + "".join(parts))
PATH = st.lists(st.sampled_from([*"/ab$?=.-x*", "/html/", "html", "/html/a/b"]), max_size=8).map(
    lambda parts: "/" + "".join(parts)
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.booleans(), PATTERN), min_size=1, max_size=40), PATH)
def test_index_answers_like_a_naive_scan(rules, path):
    index = RuleIndex(
        [Rule(allow, pattern, i + 1, pattern, ("*",)) for i, (allow, pattern) in enumerate(rules)]
    )
    decided = index.decide(path)
    assert (True if decided is None else decided.allow) == naive_decide(rules, path)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from(["/html/p-{}.html", "/html/p-{}/", "/html/*-{}.pdf$", "/html/p-{}*x"]),
)
def test_thousands_of_rules_under_one_prefix_stay_exact(i, shape):
    rules = [(n % 7 != 0, shape.format(n)) for n in range(0, 3_000, 3)]
    index = RuleIndex([Rule(allow, p, n + 1, p, ("*",)) for n, (allow, p) in enumerate(rules)])
    for path in (
        f"/html/p-{i}.html",
        f"/html/p-{i}/x",
        f"/html/a-{i}.pdf",
        f"/html/p-{i}yx",
        "/html/",
    ):
        decided = index.decide(path)
        assert (True if decided is None else decided.allow) == naive_decide(rules, path), path


URL = st.builds(
    lambda scheme, host, rest: scheme + host + rest,
    st.sampled_from(["http://", "https://", "HTTP://", "//", "", "ftp://", "https:/"]),
    st.text(alphabet="ab.:@#?;/", max_size=8),
    st.text(alphabet="ab/?;#=%*$", max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(URL)
def test_path_of_shortcut_matches_googles_algorithm(url):
    assert path_of(url) == path_params_query(url)


class CountingDict(dict):
    lookups = 0

    def get(self, key, default=None):
        CountingDict.lookups += 1
        return super().get(key, default)


def _work(rule_count: int, path: str) -> int:
    rules = [
        Rule(False, f"/html/doc-{n}/page-{n}.html", n + 1, "", ("*",)) for n in range(rule_count)
    ]
    rules += [Rule(True, "/html/", 1, "", ("*",)), Rule(False, "/html/*-9.pdf$", 2, "", ("*",))]
    index = RuleIndex(rules)
    index._buckets = CountingDict(index._buckets)
    CountingDict.lookups = 0
    index.decide(path)
    return CountingDict.lookups


def test_work_per_check_does_not_grow_with_rules_under_one_prefix():
    path = "/html/doc-17/page-17.html?from=search"
    small, large = _work(300, path), _work(30_000, path)
    assert large <= small + 2  # a few more distinct prefix lengths, never more rules scanned
    assert large <= len(path)
