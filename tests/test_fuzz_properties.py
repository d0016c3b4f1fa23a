"""Arbitrary input never escapes as anything but a result or the project's own error type.

The robots parser and the classifier have their own never-raise properties
(tests/test_robots_properties.py, tests/test_analysis.py); this module covers the policy
loader and the sitemap parser, and runs the atheris harness under fuzz/ for a bounded time.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seoaudit.errors import PolicyError
from seoaudit.gather.sitemaps import parse_sitemap
from seoaudit.policy import load_policy, parse_policy_text
from seoaudit.policy.model import Policy
from seoaudit.web.classify import classify_response
from tests.conftest import REPO_ROOT

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

KEYS = st.sampled_from(
    ["site", "bots", "paths", "crawl", "robots", "rate", "indexing", "performance", "rules",
     "waivers", "required", "wanted", "blocked", "must_index", "max_rps", "hosts", "start",
     "custom", "expires", "reason", "rule", "severity", "headers", "fail_on", "typo_key"]
)  # fmt: skip
SCALARS = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=20) | st.dates().map(str) | st.sampled_from(["googlebot", "/$", "error", "${HOME}", "${NOPE_UNSET}"])
)  # fmt: skip
POLICY_SHAPED = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=20,
)


def _policy_or_policy_error(text: str) -> None:
    try:
        result = parse_policy_text(text, "fuzz.yaml")
    except PolicyError as exc:
        assert exc.problems, "a PolicyError names at least one problem"
        for problem in exc.problems:
            assert str(problem).startswith("fuzz.yaml"), str(problem)
        return
    assert isinstance(result, Policy)


@SETTINGS
@given(st.dictionaries(KEYS, POLICY_SHAPED, max_size=6))
def test_policy_shaped_yaml_gives_a_policy_or_a_policy_error(data):
    _policy_or_policy_error(yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(st.text(max_size=400))
def test_arbitrary_text_gives_a_policy_or_a_policy_error(text):
    _policy_or_policy_error(text)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_on_disk_give_a_policy_or_a_policy_error(tmp_path, data):
    path = tmp_path / "rules.yaml"
    path.write_bytes(data)
    try:
        assert isinstance(load_policy(path), Policy)
    except PolicyError as exc:
        assert exc.problems


SITEMAP_PARTS = st.sampled_from(
    ['<?xml version="1.0"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
     "</urlset>", "<sitemapindex>", "</sitemapindex>", "<url>", "</url>", "<sitemap>",
     "</sitemap>", "<loc>", "</loc>", "https://h/a", "/relative", "javascript:x", "&amp;", "&bogus;",
     "<![CDATA[https://h/c]]>", "<lastmod>2026-13-45</lastmod>", "<!DOCTYPE x [<!ENTITY e 'x'>]>",
     "&e;", "\x00", "\ufeff", "<rss><channel><item><link>https://h/r</link></item></channel></rss>"]
)  # fmt: skip


@SETTINGS
@given(st.lists(SITEMAP_PARTS | st.text(max_size=20), max_size=30), st.booleans())
def test_sitemap_shaped_xml_always_parses_to_a_result(parts, compress):
    data = "".join(parts).encode("utf-8", "surrogatepass")
    if compress:
        data = gzip.compress(data)
    parsed = parse_sitemap(data, url="https://h/sitemap.xml")
    assert all(isinstance(u, str) for u in parsed.urls)


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([None, True, False]))
def test_arbitrary_bytes_as_a_sitemap_give_a_result(data, gz):
    parsed = parse_sitemap(data, url="https://h/s.xml", gzip=gz)
    assert parsed is not None


@SETTINGS
@given(st.integers(100, 599) | st.none(), st.binary(max_size=400))
def test_arbitrary_body_bytes_classify(status, body):
    classify_response(status, [("content-type", "text/html")], body.decode("utf-8", "replace"))


def test_atheris_harness_runs_for_a_bounded_time(tmp_path):
    if importlib.util.find_spec("atheris") is None:
        pytest.skip("atheris is not installed for this Python (pip install -e '.[test]')")
    harness = REPO_ROOT / "fuzz" / "robots_fuzz.py"
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "fuzz" / "corpus", corpus)  # libFuzzer adds to it
    proc = subprocess.run(
        [sys.executable, str(harness), "-runs=3000", "-max_total_time=60", "-max_len=4096",
         "-len_control=0", "-rss_limit_mb=1024", f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=180, cwd=REPO_ROOT,
    )  # fmt: skip
    output = proc.stderr[-3000:]
    assert proc.returncode == 0, output
    assert "Done 3000 runs" in output or "DONE" in output, output
