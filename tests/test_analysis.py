"""Pure analysis: classification against the scenario server's vendor pages, directives, rate-limit headers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from seoaudit.analysis.directives import directives_for_bot
from seoaudit.analysis.ratelimit import parse_rate_limit
from seoaudit.scenarios import ScenarioServer, load_scenario
from seoaudit.web.classify import classify_response
from seoaudit.web.headers import parse_retry_after

VENDOR_TEMPLATES = {
    "cloudflare_challenge": ("challenge", "Cloudflare"),
    "cloudflare_block": ("block", "Cloudflare"),
    "akamai_block": ("block", "Akamai"),
    "aws_waf_challenge": ("challenge", "AWS WAF"),
    "aws_waf_captcha": ("challenge", "AWS WAF"),
    "datadome": (None, "DataDome"),
    "perimeterx": ("challenge", "HUMAN (PerimeterX)"),  # px-captcha: press and hold
    "sucuri": ("block", "Sucuri"),
    "imperva": ("block", "Imperva"),  # "Request unsuccessful" iframe: asks nothing
    "recaptcha": ("challenge", "reCAPTCHA"),
}


@pytest.fixture(scope="module")
def vendor_server():
    routes = [
        {"path": f"/{name}/{status}$", "response": {"status": status, "template": name}}
        for name in VENDOR_TEMPLATES
        for status in (200, 403, 503)
    ]
    with ScenarioServer(
        load_scenario({"name": "vendors", "origins": {"main": {"routes": routes}}})
    ) as server:
        yield server


@pytest.mark.parametrize("status", [200, 403, 503])
@pytest.mark.parametrize("template", list(VENDOR_TEMPLATES))
def test_vendor_pages_are_classified_by_markers_whatever_the_status(
    vendor_server, template, status
):
    response = httpx.get(f"{vendor_server.url}{template}/{status}", timeout=5)
    result = classify_response(response.status_code, list(response.headers.items()), response.text)
    kind, vendor = VENDOR_TEMPLATES[template]
    assert result.kind in ("challenge", "block") if kind is None else result.kind == kind, result
    assert result.vendor == vendor, result
    assert result.signals


def test_plain_statuses_without_markers():
    assert classify_response(403, [], "Forbidden").kind == "block"
    assert classify_response(429, [], "slow down").kind == "rate_limited"
    assert classify_response(503, [("Retry-After", "30")], "maintenance").kind == "rate_limited"
    assert classify_response(503, [], "down").kind == "error"
    assert classify_response(404, [], "nope").kind == "not_found"
    assert (
        classify_response(200, [("Server", "cloudflare"), ("CF-RAY", "x")], "<html>hi</html>").kind
        == "ok"
    )


def test_soft_block_compares_with_the_browser():
    soft = classify_response(
        200, [], "<p>Sorry</p>", text_length=10, control_status=200, control_text_length=2000
    )
    assert soft.kind == "soft_block"
    normal = classify_response(
        200, [], "<p>…</p>", text_length=1800, control_status=200, control_text_length=2000
    )
    assert normal.kind == "ok"


def test_directives_generic_and_bot_specific():
    google = directives_for_bot([("robots", "index"), ("googlebot", "noindex")], [], "googlebot")
    assert google.noindex and "meta name=googlebot" in google.describe()
    bing = directives_for_bot([("robots", "index"), ("googlebot", "noindex")], [], "bingbot")
    assert not bing.noindex
    header = directives_for_bot(
        [], ["googlebot: noindex, nofollow", "bingbot: noarchive"], "googlebot"
    )
    assert header.noindex and header.nofollow
    assert not directives_for_bot([], ["googlebot: noindex"], "bingbot").noindex
    assert directives_for_bot([], ["none"], "bingbot").noindex


def test_unavailable_after_colon_is_not_a_user_agent_prefix():
    past = directives_for_bot([], ["unavailable_after: 25 Jun 2010 15:00:00 GMT"], "googlebot")
    assert past.noindex
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    assert not directives_for_bot([], [f"unavailable_after: {future}"], "googlebot").noindex


def test_retry_after_both_forms():
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480 - 60) == pytest.approx(
        60
    )
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_rate_limit_header_families():
    ietf = parse_rate_limit([("RateLimit-Policy", '"burst";q=100;w=60, "daily";q=1000;w=86400'),
                             ("RateLimit", '"burst";r=50;t=30')])  # fmt: skip
    assert ietf.source.startswith("RateLimit (IETF") and ietf.remaining == 50 and ietf.reset_s == 30
    assert ietf.quota_rps == pytest.approx(1000 / 86400)  # the tightest policy binds
    old = parse_rate_limit(
        [("RateLimit-Limit", "10"), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "20")]
    )
    assert old.limit == 10 and old.reset_s == 20
    legacy = parse_rate_limit(
        [("X-RateLimit-Limit", "60"), ("X-RateLimit-Reset", "2000000100")], now=2000000000
    )
    assert legacy.reset_s == pytest.approx(100) and legacy.source == "X-RateLimit-*"
    assert not parse_rate_limit([("RateLimit-Policy", "garbage;;;=")]).found


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["RateLimit", "RateLimit-Policy", "X-RateLimit-Reset",
                                            "X-RateLimit-Limit", "Retry-After", "RateLimit-Limit"]),
                          st.text(max_size=40)), max_size=5))  # fmt: skip
def test_rate_limit_parsing_never_raises(headers):
    parse_rate_limit(headers)
    for _, value in headers:
        parse_retry_after(value)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40)), max_size=4),
       st.lists(st.text(max_size=60), max_size=4), st.text(max_size=12))  # fmt: skip
def test_directives_never_raise(meta, headers, token):
    directives_for_bot(meta, headers, token or "googlebot").describe()


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=100, max_value=599) | st.none(),
       st.lists(st.tuples(st.text(max_size=20), st.text(max_size=40)), max_size=5), st.text(max_size=300))  # fmt: skip
def test_classification_never_raises(status, headers, body):
    classify_response(status, headers, body)


VENDOR_PAGES = Path(__file__).parent / "data" / "vendor_pages"
CORPUS = yaml.safe_load((VENDOR_PAGES / "sources.yaml").read_text())


@pytest.mark.parametrize("status", [200, 202, 403, 429, 503])
@pytest.mark.parametrize("entry", CORPUS, ids=[e["file"] for e in CORPUS])
def test_real_captured_vendor_pages_are_recognised_whatever_the_status(entry, status):
    """The real pages (tests/data/vendor_pages, sources in sources.yaml): the kind comes from
    what the page asks of the client, the vendor from its markers, never from the status."""
    body = (VENDOR_PAGES / entry["file"]).read_text(encoding="utf-8", errors="replace")
    result = classify_response(status, [("Content-Type", "text/html")], body)
    assert (result.kind, result.vendor) == (entry["kind"], entry["vendor"]), result.signals
    if entry["kind"] == "challenge":
        assert result.asks


def test_a_real_page_with_a_captcha_contact_form_is_not_a_challenge():
    text = "<p>" + "Our shop sells sturdy, repairable goods with free returns. " * 60 + "</p>"
    page = (
        f"<html><head><title>Contact us</title></head><body>{text}"
        '<form><div class="g-recaptcha" data-sitekey="x"></div></form>'
        '<script src="https://www.google.com/recaptcha/api.js"></script></body></html>'
    )
    assert classify_response(200, [("Content-Type", "text/html")], page).kind == "ok"


def test_retry_after_of_unicode_digits_is_no_value_for_the_fetcher_either():
    from seoaudit.web.headers import parse_retry_after as shared

    assert shared("²") is None and shared("١٢٠") is None and shared("120") == 120
