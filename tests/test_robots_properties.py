"""Invariants of the robots.txt engine (hypothesis), engine details beyond the vectors, and a
differential check against fast-robotstxt (a fork of Google's C++ parser with its own URL
handling, not Google's verdicts: those are in test_robots_scale.py) on plain paths, outside
the areas where the fork differs (percent-encoding, BOM)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seoaudit.robots_txt import RobotsTxt
from seoaudit.robots_txt.matching import path_of

SEGMENTS = st.sampled_from(["a", "b", "shop", "x1", "p", "q"])
PATTERN = st.builds(
    lambda parts, star, dollar: (
        "/" + "/".join(parts) + ("*" if star else "") + ("$" if dollar else "")
    ),
    st.lists(SEGMENTS, min_size=0, max_size=3),
    st.booleans(),
    st.booleans(),
)
RULE = st.tuples(st.sampled_from(["Allow", "Disallow"]), PATTERN)
AGENT = st.sampled_from(["googlebot", "bingbot", "*", "otherbot"])
GROUP = st.tuples(AGENT, st.lists(RULE, min_size=1, max_size=5))
PATH = st.builds(
    lambda parts, q: "/" + "/".join(parts) + q,
    st.lists(SEGMENTS, max_size=4),
    st.sampled_from(["", "?x=1"]),
)


def render(groups: list[tuple[str, list[tuple[str, str]]]]) -> bytes:
    out = []
    for agent, rules in groups:
        out.append(f"User-agent: {agent}")
        out += [f"{kind}: {pattern}" for kind, pattern in rules]
        out.append("")
    return "\n".join(out).encode()


def naive(groups: list[tuple[str, list[tuple[str, str]]]], token: str, path: str) -> bool:
    """The reference semantics, written the slow obvious way: merge the matching groups (or
    '*'), longest matching pattern wins, allow wins ties."""
    rules = [r for agent, rs in groups if agent == token for r in rs]
    if not any(agent == token for agent, _ in groups):
        rules = [r for agent, rs in groups if agent == "*" for r in rs]
    best_len, allowed = -1, True
    for kind, pattern in rules:
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = "".join(".*" if c == "*" else re.escape(c) for c in body) + (
            "$" if anchored else ""
        )
        if re.match(regex, path, re.DOTALL):
            length = len(pattern)
            if length > best_len or (length == best_len and kind == "Allow"):
                best_len, allowed = length, kind == "Allow"
    return allowed


@settings(max_examples=300, deadline=None)
@given(st.lists(GROUP, min_size=1, max_size=4), st.sampled_from(["googlebot", "bingbot"]), PATH)
def test_compiled_file_answers_like_a_naive_scan(groups, token, path):
    robots = RobotsTxt.parse(render(groups))
    index_shortcut = any("index.htm" in p for _, rs in groups for _, p in rs)
    if not index_shortcut:
        assert robots.check(token, "https://h" + path).allowed == naive(groups, token, path)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(GROUP, min_size=2, max_size=4),
    st.sampled_from(["googlebot", "bingbot"]),
    PATH,
    st.randoms(),
)
def test_group_order_does_not_matter(groups, token, path, rnd):
    shuffled = list(groups)
    rnd.shuffle(shuffled)
    url = "https://h" + path
    assert (
        RobotsTxt.parse(render(groups)).check(token, url).allowed
        == RobotsTxt.parse(render(shuffled)).check(token, url).allowed
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(GROUP, min_size=1, max_size=3), st.lists(RULE, min_size=1, max_size=4), PATH)
def test_a_group_for_another_agent_changes_nothing(groups, extra_rules, path):
    url = "https://h" + path
    before = RobotsTxt.parse(render(groups)).check("googlebot", url).allowed
    after = (
        RobotsTxt.parse(render([*groups, ("someotherbot", extra_rules)]))
        .check("googlebot", url)
        .allowed
    )
    assert before == after


@settings(max_examples=200, deadline=None)
@given(PATTERN, PATH)
def test_allow_wins_exact_ties(pattern, path):
    data = f"User-agent: *\nDisallow: {pattern}\nAllow: {pattern}\n".encode()
    assert RobotsTxt.parse(data).check("googlebot", "https://h" + path).allowed


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.text(max_size=40))
def test_any_bytes_parse_and_check_without_raising(data, path):
    RobotsTxt.parse(data).check("googlebot", "https://h/" + path)


def test_engine_details_google_documents():
    text = (
        "\ufeffuser-agent: *\r\nDisallow: /private\rdissalow: /typo\n"
        "Sitemap: https://h/sitemap.xml\nUser-agent: googlebot\nDisallow: /g\n"
        "Allow: /dir/index.html\nDisallow: /dir/\n"
    ).encode()
    robots = RobotsTxt.parse(text)
    assert not robots.check("bingbot", "https://h/private").allowed  # BOM + CR line endings
    assert not robots.check("bingbot", "https://h/typo").allowed  # Google accepts "dissalow"
    # googlebot has its own group, so the '*' rules do not apply to it
    assert robots.check("googlebot", "https://h/private").allowed
    assert not robots.check("Googlebot", "https://h/g").allowed  # tokens are case-insensitive
    assert robots.check("googlebot", "https://h/dir/").allowed  # the /index.html shortcut
    assert not robots.check("googlebot", "https://h/dir/other").allowed
    verdict = robots.check("bingbot", "https://h/private")
    assert verdict.line == 2 and verdict.rule.lower().startswith("disallow")
    assert [u for u, _ in robots.sitemaps] == ["https://h/sitemap.xml"]
    # a Sitemap line does not end a group: a and b share "Disallow: /"
    shared = RobotsTxt.parse(
        b"User-agent: a\nSitemap: https://h/s.xml\nUser-agent: b\nDisallow: /\n"
    )
    assert (
        not shared.check("a", "https://h/x").allowed
        and not shared.check("b", "https://h/x").allowed
    )


def test_oversized_file_names_the_rules_past_500_kib():
    head = "User-agent: *\n" + "".join(f"Disallow: /f/{i:06d}/\n" for i in range(26_000))
    data = (head + "Disallow: /lost/\n").encode()
    robots = RobotsTxt.parse(data)
    assert robots.truncated and len(data) > 500 * 1024
    assert any(r.value == "/lost/" for r in robots.lost_rules)
    assert robots.check("googlebot", "https://h/lost/").allowed  # Google never reads it


def test_bots_that_ignore_the_wildcard_group():
    robots = RobotsTxt.parse(b"User-agent: *\nDisallow: /\n")
    assert not robots.check("adsbot-google", "https://h/x").allowed
    assert robots.check("adsbot-google", "https://h/x", use_wildcard_group=False).allowed


def test_path_of_keeps_query_and_drops_fragment():
    assert path_of("https://h/a/b?x=1#frag") == "/a/b?x=1"
    assert path_of("https://h") == "/"


robotstxt = pytest.importorskip("robotstxt", reason="fast-robotstxt (test extra) is not installed")


@settings(max_examples=300, deadline=None)
@given(st.lists(GROUP, min_size=1, max_size=4), st.sampled_from(["googlebot", "bingbot"]), PATH)
def test_agrees_with_the_fast_robotstxt_fork_on_plain_paths(groups, token, path):
    data = render(groups)
    matcher = robotstxt.RobotsMatcher()
    assert RobotsTxt.parse(data).check(token, "https://h" + path).allowed == matcher.is_allowed(
        data.decode(), token, "https://h" + path
    )
