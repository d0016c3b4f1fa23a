"""Network boundaries, secrets and interruptions: an auditor run from a CI runner that holds
credentials, pointed at a site nobody on the team controls.

Every test here runs real servers on 127.0.0.1. The "public" site is the same loopback server
reached by the name ``localhost``, which an injected resolver answers with a public address:
to the auditor it is a public site, so everything private it is lured towards must be refused.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from seoaudit.errors import UsageError
from seoaudit.gather.service import GatherOptions, gather
from seoaudit.registry import load_registry
from seoaudit.scenarios import ScenarioServer, load_scenario
from tests.conftest import seoaudit_child
from tests.gather_helpers import page, policy

PUBLIC_IP = "93.184.215.14"  # an ordinary public address; never contacted
DNS = {
    "localhost": [PUBLIC_IP],
    "intranet.example": ["10.0.0.7"],
    "metadata.example": ["169.254.169.254"],
    "mixed.example": [PUBLIC_IP, "192.168.1.10"],  # one private answer is enough to refuse
}


def fake_dns(host: str) -> list[str]:
    return DNS.get(host, [])


def public_name(server: ScenarioServer, origin: str = "main") -> str:
    """Serve ``origin`` under the name ``localhost`` so the injected resolver makes it public."""
    server.origins[origin] = server.origins[origin].replace("127.0.0.1", "localhost")
    return server.origins[origin] + "/"


def test_a_public_start_never_reaches_private_or_out_of_scope_addresses():
    internal = ScenarioServer(
        load_scenario({"name": "internal", "origins": {"main": {"routes": [page("/secret")]}}})
    ).start()
    try:
        port = internal.origins["main"].rsplit(":", 1)[1]
        lures = [
            f"http://127.0.0.1:{port}/secret",  # loopback, literal
            f"http://[::1]:{port}/secret",
            "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
            f"http://intranet.example:{port}/admin",  # in scope by policy, private by DNS
            "http://metadata.example/latest/meta-data/",
            "http://mixed.example/x",
            "http://10.1.2.3/router",
            "http://elsewhere.example/page",  # public but out of scope
            f"http://localhost:{port}/secret",  # DNS says public, the socket lands on loopback
        ]
        site = load_scenario(
            {
                "name": "public",
                "origins": {
                    "main": {
                        "routes": [
                            {
                                "path": "/robots.txt",
                                "response": {
                                    "template": "robots",
                                    "params": {
                                        "lines": [
                                            "User-agent: *",
                                            "Allow: /",
                                            "Sitemap: {origin}/sitemap.xml",
                                            f"Sitemap: http://127.0.0.1:{port}/sitemap.xml",
                                        ]
                                    },
                                },
                            },
                            page("/", ["/a", "/go-loopback", "/go-intranet", *lures]),
                            page("/a"),
                            {
                                "path": "/go-loopback",
                                "response": {"redirect": {"to": f"http://127.0.0.1:{port}/secret"}},
                            },
                            {
                                "path": "/go-intranet",
                                "response": {"redirect": {"to": lures[3]}},
                            },
                            {
                                "path": "/sitemap.xml",
                                "response": {"template": "sitemap", "params": {"urls": lures}},
                            },
                        ]
                    }
                },
            }
        )
        rules = policy(
            "crawl: {max_rps: 200, concurrency: 4, timeout_s: 3, max_time_s: 30}\n"
            "site: {hosts: [localhost, intranet.example, metadata.example, mixed.example, 127.0.0.1, '[::1]']}\n"
        )
        with ScenarioServer(site) as public:
            start = public_name(public)
            public_port = public.origins["main"].rsplit(":", 1)[1]
            options = GatherOptions(start_url=start, resolver=fake_dns,
                                    public_peers=frozenset({f"127.0.0.1:{public_port}"}))  # fmt: skip
            snap = gather(rules, load_registry(), options)
            served = public.requests
        assert internal.requests == [], "the internal server must never be contacted"
    finally:
        internal.stop()

    assert not any(w.startswith("private start") for w in snap.warnings)
    assert {r.path for r in served} >= {"/", "/a", "/robots.txt", "/sitemap.xml"}
    assert all(
        dict((k.lower(), v) for k, v in r.headers)["host"].startswith("localhost") for r in served
    )
    refused = {e.url: e.error.kind for e in snap.exchanges if e.error and e.status is None}
    for lure in (lures[0], lures[3], lures[4], lures[5]):  # in scope by policy: DNS decides
        assert refused.get(lure) == "private_address", (lure, refused.get(lure))
    for lure in (lures[1], lures[2], lures[6], lures[7]):  # out of scope: never even tried
        assert refused.get(lure) in (None, "private_address", "out_of_scope"), lure
    rebound = [e for e in snap.exchanges if e.url == lures[8]]
    assert rebound and all(e.error and e.error.kind == "private_address" and "refused at connect" in e.error.message
                           for e in rebound)  # fmt: skip
    private_kinds = Counter(e.error.kind for e in snap.exchanges if e.error and "intranet" in e.url)
    assert private_kinds and set(private_kinds) == {"private_address"}, private_kinds
    for e in snap.exchanges:
        if e.status is not None:
            assert e.url.startswith(start.rstrip("/")), e.url
    redirects = {
        e.url: e for e in snap.exchanges if e.url.endswith(("/go-loopback", "/go-intranet"))
    }
    assert redirects and all(
        e.error and e.error.kind in ("private_address", "out_of_scope") for e in redirects.values()
    )


def test_dns_rebinding_is_caught_at_connect_time():
    """The resolver the pre-flight check asks says "public"; the socket still lands on
    loopback. The connection itself is refused before a byte is sent."""
    internal = load_scenario({"name": "internal", "origins": {"main": {"routes": [page("/")]}}})
    with ScenarioServer(internal) as server:
        start = public_name(server)
        snap = gather(policy("crawl: {max_rps: 200, timeout_s: 3}\n"), load_registry(),
                      GatherOptions(start_url=start, resolver=fake_dns))  # fmt: skip
        assert server.requests == []
    kinds = {e.error.kind for e in snap.exchanges if e.error}
    assert kinds == {"private_address"} and not snap.complete
    assert any("refused at connect" in e.error.message for e in snap.exchanges if e.error)


def test_a_private_start_is_allowed_and_said_in_every_report(cli, tmp_path):
    site = load_scenario({"name": "p", "origins": {"main": {"routes": [page("/")]}}})
    rules = tmp_path / "rules.yaml"
    rules.write_text("crawl: {max_rps: 200, timeout_s: 3}\npaths: {must_index: ['/$']}\n")
    with ScenarioServer(site) as server:
        run = cli("audit", server.url, "--policy", str(rules), "-f", "terminal,markdown,html",
                  "-o", str(tmp_path / "out"), "--no-progress")  # fmt: skip
    assert run.code in (0, 1), run.stderr
    assert "private start" in run.stdout
    result = json.loads((tmp_path / "out" / "seoaudit.json").read_text())
    assert any(w.startswith("private start") for w in result["warnings"])
    for name in ("seoaudit.md", "seoaudit.html"):
        assert "private start" in (tmp_path / "out" / name).read_text(), name


SECRET = "Bearer s3cr3t-TOKEN/with+odd=chars"
SECRET_2 = "staging-cookie-9f8e7d"


def test_secrets_never_appear_in_snapshot_result_reports_or_output(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("STAGING_TOKEN", SECRET)
    site = load_scenario(
        {
            "name": "echo",
            "origins": {
                "main": {
                    "routes": [
                        {"path": "/robots.txt", "response": {"echo_headers": True, "content_type": "text/plain"}},
                        {"path": "/$", "response": {"echo_headers": True}},
                        {"path": "/echo", "response": {"echo_headers": True, "status": 403}},
                    ]
                }
            },
        }
    )  # fmt: skip
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "crawl: {max_rps: 200, timeout_s: 3, headers: {Authorization: '${STAGING_TOKEN}'}}\n"
        "paths: {must_index: ['/$', '/echo']}\n"
    )
    out = tmp_path / "out"
    with ScenarioServer(site) as server:
        run = cli("audit", server.url, "--policy", str(rules), "-H", f"Cookie: {SECRET_2}",
                  "-f", "terminal,json,sarif,junit,github,markdown,html", "-o", str(out),
                  "--save-snapshot", str(tmp_path / "snap.json"))  # fmt: skip
        sent = [dict((k.lower(), v) for k, v in r.headers) for r in server.requests]
    assert run.code in (0, 1), run.stderr
    assert any(h.get("authorization") == SECRET for h in sent), "the header is really sent"
    assert any(h.get("cookie") == SECRET_2 for h in sent)
    files = [tmp_path / "snap.json", *sorted(out.iterdir())]
    assert len(files) >= 7  # github annotations go to stdout
    texts = {str(f): f.read_text() for f in files} | {"stdout": run.stdout, "stderr": run.stderr}
    assert "[redacted]" in texts[str(tmp_path / "snap.json")], "the echo was recorded, redacted"
    for where, text in texts.items():
        for secret in (SECRET, SECRET_2, "s3cr3t-TOKEN", "s3cr3t-TOKEN%2Fwith"):
            assert secret not in text, f"{secret!r} leaked into {where}"
    rerender = cli("report", str(out / "seoaudit.json"), "-f", "markdown")
    assert "s3cr3t" not in rerender.stdout


def test_an_unset_secret_variable_is_a_policy_error_that_does_not_echo_values(cli, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("crawl: {headers: {Authorization: '${SEOAUDIT_TEST_UNSET_VAR}'}}\n")
    run = cli("audit", "http://127.0.0.1:9/", "--policy", str(rules))
    assert run.code == 2
    assert "SEOAUDIT_TEST_UNSET_VAR" in run.stderr and "rules.yaml:1" in run.stderr


# -- interruptions -------------------------------------------------------------------------


def _slow_site(tmp_path: Path) -> Path:
    links = [f"/slow{i}" for i in range(40)]
    routes = [
        {"path": "/robots.txt", "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}}},
        page("/", links),
        *({**page(p), "response": {**page(p)["response"], "delay_ms": 400}} for p in links),
    ]  # fmt: skip
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump({"name": "slow", "origins": {"main": {"routes": routes}}}))
    return path


def _audit_child(url: str, tmp_path: Path, *extra: str) -> subprocess.Popen[bytes]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "crawl: {max_rps: 50, concurrency: 2, timeout_s: 5, max_time_s: 60}\n"
        "paths: {must_index: ['/$']}\nrate: {min_rps: 2, probe_max_rps: 20}\n"
    )
    return subprocess.Popen(
        seoaudit_child("audit", url, "--policy", str(rules), "-f", "json",
                       "-o", str(tmp_path / "result.json"), "--no-progress", "-q", *extra),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


def _wait_for(condition: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)
    assert condition(), "the audit never reached the phase to interrupt"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_gathering_writes_the_partial_result_marked_incomplete(sig, tmp_path):
    with ScenarioServer(load_scenario(str(_slow_site(tmp_path)))) as server:
        proc = _audit_child(server.url, tmp_path)
        _wait_for(lambda: len(server.requests) >= 6)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err.decode()
    assert b"Traceback" not in err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["complete"] is False and "interrupted" in result["incomplete_reason"]
    assert result["stats"]["requests"] >= 1
    assert not list(tmp_path.glob(".result.json.*")), "no temp file left behind"


def test_sigterm_during_the_rate_probe_writes_the_partial_result(tmp_path):
    routes = [
        {"path": "/robots.txt", "response": {"template": "robots", "params": {"lines": ["User-agent: *", "Allow: /"]}}},
        page("/"),
    ]  # fmt: skip
    site = load_scenario({"name": "probe", "origins": {"main": {"routes": routes}}})
    with ScenarioServer(site) as server:
        proc = _audit_child(server.url, tmp_path, "--probe-rate")

        def probing() -> bool:
            counts = Counter((r.path, r.user_agent) for r in server.requests)
            return bool(counts) and max(counts.values()) >= 8

        _wait_for(probing)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err.decode()
    assert b"Traceback" not in err
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["complete"] is False and "interrupted" in result["incomplete_reason"]


def test_a_failed_write_keeps_the_previous_good_file(tmp_path, monkeypatch):
    from seoaudit import atomic

    target = tmp_path / "result.json"
    target.write_text('{"good": true}')

    def full_disk(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full_disk)
    with pytest.raises(UsageError, match="No space left on device"):
        atomic.write_atomic(target, "{" * 10_000)
    assert target.read_text() == '{"good": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"], "temp file cleaned up"


def test_an_unwritable_output_is_a_clear_error_before_any_request(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    site = load_scenario({"name": "p", "origins": {"main": {"routes": [page("/")]}}})
    with ScenarioServer(site) as server:
        run = cli("audit", server.url, "-f", "json", "-o", str(blocker / "sub" / "r.json"))
    assert run.code in (2, 3), run.stderr
    assert "cannot write" in run.stderr and "Traceback" not in run.stderr
