"""The reports as a person reads them: evidence in words, "fix first" on top, each
explanation said once, a terminal report that fits a screen, a golden Markdown report, and
the HTML report looked at in headless Chromium at 1280 px and on a 390 px phone.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from seoaudit.report import RenderOptions, get_reporter
from seoaudit.report.client import fix_first, groups, shared_notes
from seoaudit.report.evidence import display, render_evidence
from seoaudit.result import AuditResult, Evidence
from tests.conftest import REPO_ROOT

GOLDEN = REPO_ROOT / "tests" / "golden"
SITE = "http://shop.example:8080/"


@pytest.fixture(scope="module")
def result() -> AuditResult:
    return AuditResult.from_json((GOLDEN / "demo_result.json").read_text())


def render(result: AuditResult, fmt: str, **options: object) -> str:
    return get_reporter(fmt).render(result, RenderOptions(**options))  # type: ignore[arg-type]


# -- evidence for people -----------------------------------------------------------------------


def test_an_exchange_reads_as_request_then_response():
    ev = Evidence(
        kind="exchange", role="bot", profile="bot:perplexitybot", method="GET",
        url=SITE + "products/p01", status=403, title="Just a moment...",
        headers=["cf-mitigated: challenge", "Server: cloudflare"],
        signals=["header cf-mitigated: challenge", 'body marker "<title>Just a moment...</title>"'],
    )  # fmt: skip
    view = render_evidence(ev, SITE)
    assert view.headline.startswith(
        "GET /products/p01 as perplexitybot → 403 · cf-mitigated: challenge · title 'Just a moment...'"
    )
    assert "header Server: cloudflare" in view.details


def test_errors_are_named_by_what_happened():
    reset = Evidence(kind="exchange", url=SITE + "p", profile="bot:googlebot", error="reset",
                     error_kind="reset", error_message="ReadError: ", bytes=0, status=None)  # fmt: skip
    assert (
        render_evidence(reset, SITE).headline
        == "GET /p as googlebot → connection reset after 0 bytes"
    )
    timeout = Evidence(kind="exchange", url=SITE + "p", error_kind="timeout", elapsed_ms=10012.0)
    assert "→ no answer within 10 s" in render_evidence(timeout, SITE).headline
    refused = Evidence(
        kind="exchange", url=SITE, error="ConnectError: All connection attempts failed"
    )
    assert render_evidence(refused, SITE).headline.endswith(
        "ConnectError: All connection attempts failed"
    )


def test_robots_lines_are_quoted_with_their_number():
    ev = Evidence(
        kind="robots_line",
        origin=SITE.rstrip("/"),
        profile="bot:googlebot",
        line=12,
        rule="Disallow: /blog/post-8",
        line_text="disallow:/blog/post-8   # old",
        group=["Googlebot"],
    )
    view = render_evidence(ev, SITE)
    assert view.quote == ["  12 | disallow:/blog/post-8 # old"]
    assert "line 12 decides (group User-agent: Googlebot)" in view.headline
    missing = render_evidence(Evidence(kind="robots_line", status=404, profile="bot:gptbot"), SITE)
    assert "404: no robots.txt, so everything is allowed" in missing.headline


def test_site_entities_are_decoded_for_reading_and_still_escaped_in_html(result):
    assert display("Reference&#32;&#35;18&#46;2f3c1702") == "Reference #18.2f3c1702"
    data = json.loads(result.to_json())
    first = data["findings"][0]
    first["evidence"] = [
        {"kind": "exchange", "url": SITE, "status": 403, "title": "&lt;script&gt;x&#40;1&#41;"}
    ]
    evil = AuditResult.model_validate(data)
    page = render(evil, "html")
    assert "&lt;script&gt;x(1)" in page and "<script>x" not in page
    assert "\\<script\\>x(1)" in render(evil, "markdown")
    assert "title '<script>x(1)'" in render(evil, "terminal", details=True)


def test_no_report_shows_a_python_repr_or_raw_entities(result):
    for fmt in ("markdown", "html"):
        text = render(result, fmt)
        assert "{'kind'" not in text and "'exchange_id'" not in text
        assert "&#46;" not in text.replace("&amp;#46;", "")  # Akamai's encoded marker is decoded
    details = render(result, "terminal", details=True, width=100)
    assert (
        "&#" not in details
        and "ReadError: )" not in details.split("Every change", 1)[1].split("What", 1)[0]
    )
    assert "connection reset after 0 bytes" in details


def test_fixes_that_carry_a_block_keep_it_as_code(result):
    md = render(result, "markdown")
    assert "```robotstxt\nUser-agent: gptbot\nDisallow: /\n```" in md
    assert "Add to robots.txt: User-agent" not in md
    html = render(result, "html")
    assert "<pre data-lang='robotstxt'><code>User-agent: gptbot\nDisallow: /</code></pre>" in html


# -- fix first, said once ----------------------------------------------------------------------


def test_fix_first_opens_every_report_with_owner_and_action(result):
    chosen = fix_first(groups(result))
    assert len(chosen) == 5
    assert [c.first.severity for c in chosen] == ["error"] * 5
    assert chosen[0].first.rule == "RB001" and chosen[0].must_index == 62  # the whole host, halted
    summaries = [c.first.fix.summary for c in chosen]
    md, html = render(result, "markdown"), render(result, "html")
    term = render(result, "terminal", width=100)
    for text, later in (
        (md, "## Executive summary"),
        (html, 'id="summary"'),
        (term, "Shared scoreboard"),
    ):
        head = text[: text.index(later)]
        assert "Fix first" in head
        for summary in summaries:
            assert summary[:40] in head.replace("\n          ", " ")
    first_screen = "\n".join(term.splitlines()[:24])
    assert "Fix first" in first_screen and "Infra" in first_screen and "Shared" in first_screen


def test_repeated_explanations_are_said_once(result):
    notes = shared_notes(groups(result))
    assert notes.verify and notes.steps
    needs = [g for g in groups(result) if g.first.verify == notes.verify[0]]
    assert len(needs) >= 4  # CH001..CH004 share it: before, the paragraph was printed each time
    verify = "requests come from our IP, not the operator"  # a plain fragment of it
    assert verify in notes.verify[0]
    keep = "Keep the challenge for unverified agents claiming to be crawlers"
    for text in (render(result, "markdown"), render(result, "html"),
                 render(result, "terminal", width=300, details=True)):  # fmt: skip
        assert text.count(verify) == 1 and text.count(keep) == 1


def test_the_terminal_report_fits_a_screen_and_details_hold_the_rest(result):
    text = render(result, "terminal", width=100)
    lines = text.splitlines()
    assert len(lines) <= 45 and max(len(line) for line in lines) <= 100
    assert "--details" in lines[-1]
    narrow = render(result, "terminal", width=80).splitlines()
    # 80 columns wrap the longer KPI lines; 54 = 52 + the sections KPI (issue 14), wrapped
    assert len(narrow) <= 54 and max(len(line) for line in narrow) <= 80
    details = render(result, "terminal", width=100, details=True)
    for label in ("Evidence", "Where", "Gives up", "Still stops", "(cf.client.bot)", "Said once"):
        assert label in details
    assert len(details.splitlines()) > 4 * len(lines)


def test_golden_markdown_report(result):
    text = render(result, "markdown")
    golden = GOLDEN / "demo_report.md"
    if os.environ.get("SEOAUDIT_UPDATE_GOLDEN") or not golden.exists():
        golden.write_text(text)
    assert text == golden.read_text()


# -- the HTML report in a real browser ---------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEASURE = """<script>
addEventListener('load', () => {
  const w = document.documentElement.clientWidth, over = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1 && !el.closest('pre')) over.push(el.tagName + '.' + el.className);
  }
  const evidence = [...document.querySelectorAll('ul.evidence > li, pre')];
  const report = {width: w, scroll: document.documentElement.scrollWidth, overflowing: over.slice(0, 5),
    evidence: evidence.length, minFont: Math.min(...evidence.map(e => parseFloat(getComputedStyle(e).fontSize))),
    boxesInside: evidence.every(e => e.getBoundingClientRect().right <= w + 1)};
  parent.postMessage(JSON.stringify(report), '*');
});
</script>"""


def _flags(tmp_path: Path) -> list[str]:
    return [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip


@pytest.mark.skipif(
    not CHROMIUM and not os.environ.get("SEOAUDIT_REQUIRE_CHROMIUM"),
    reason="headless Chromium is not installed (.ci/run installs Debian's chromium)",
)
@pytest.mark.parametrize("width", [1280, 390])
def test_html_report_at_desktop_and_phone_width_in_chromium(result, tmp_path, width):
    """The page is framed at exactly `width` px (headless windows have a minimum width)."""
    assert CHROMIUM, "SEOAUDIT_REQUIRE_CHROMIUM is set but chromium is missing"
    page = render(result, "html")
    (tmp_path / "report.html").write_text(page)
    (tmp_path / "measured.html").write_text(page.replace("</body>", MEASURE + "</body>"))
    host = (
        "<!doctype html><html><body style='margin:0'><iframe src='{src}' style='width:{w}px;"
        "height:2400px;border:0;display:block'></iframe><pre id='out'>waiting</pre><script>"
        "addEventListener('message', e => {{ document.getElementById('out').textContent = e.data; }});"
        "</script></body></html>"
    )
    (tmp_path / "host.html").write_text(host.format(src="measured.html", w=width))
    (tmp_path / "shot.html").write_text(host.format(src="report.html", w=width))
    dom = subprocess.run(
        [*_flags(tmp_path), "--window-size=1400,900", "--virtual-time-budget=10000", "--dump-dom",
         (tmp_path / "host.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r"<pre id=\"out\">(\{.*?\})</pre>", dom.stdout)
    assert found, dom.stdout[-500:] + dom.stderr[-500:]
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["width"] <= width and measured["scroll"] <= measured["width"], measured
    assert measured["overflowing"] == [], measured
    assert measured["evidence"] > 20 and measured["boxesInside"] and measured["minFont"] >= 12
    png = tmp_path / f"report-{width}.png"
    subprocess.run(
        [*_flags(tmp_path), f"--window-size={width},2400", f"--screenshot={png}",
         (tmp_path / "shot.html").as_uri()],
        capture_output=True, timeout=120,
    )  # fmt: skip
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    assert struct.unpack(">II", data[16:24])[0] == width
    if os.environ.get("SEOAUDIT_KEEP_RENDER"):
        shutil.copy(png, Path(os.environ["SEOAUDIT_KEEP_RENDER"]) / png.name)


def test_every_human_report_gives_coverage_by_section(result):
    sentence = "perplexitybot is challenged on 1 of 10 sections: /products/*"
    row = next(r for r in result.scoreboard["bots"] if r["bot"] == "perplexitybot")
    assert row["sections"]["summary"] == sentence
    assert sentence.replace("*", "\\*") in render(result, "markdown")
    assert sentence in render(result, "html")
    details = render(result, "terminal", width=120, details=True)
    assert "Coverage by section" in details and sentence in details
