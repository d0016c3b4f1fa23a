"""Real server software on 127.0.0.1 for the tests: Debian's nginx, and Apache 2.4 with
ModSecurity and the OWASP Core Rule Set, configured the way operators configure them.

Our own scenario server is kinder than real servers (no msie padding, no leaky-bucket
limiter, no connection closed with 444, no CRS anomaly scoring), so verdicts are checked
here too. Each server gets its own prefix directory, listens on a free loopback port, is
bounded by the test's lifetime, and is stopped (and waited for) when the test ends.

Each case of tests/test_real_*.py is audited three times through the real CLI
(``audit_three_times``): the (rule, subject) sets and the exit code must be identical,
because a CI gate that flips on timing is worthless. The expected verdicts are the ones
Google's documented behaviour implies (crawler-facts §1.2, §3, §8); docs/real-servers.md
holds the table of every case and what seoaudit reports for it.

A missing binary skips the test with a reason; under ``.ci/run``
(SEOAUDIT_REQUIRE_NGINX / SEOAUDIT_REQUIRE_APACHE) it fails instead, because CI installs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from seoaudit.scenarios.templates import TEMPLATES

APACHE_MODULES = Path("/usr/lib/apache2/modules")
CRS_RULES = Path("/usr/share/modsecurity-crs/rules")
CRS_SETUP = Path("/etc/modsecurity/crs/crs-setup.conf")
MODSEC_RECOMMENDED = Path("/etc/modsecurity/modsecurity.conf-recommended")
VENDOR_PAGES = Path(__file__).parent / "data" / "vendor_pages"


def require_binary(name: str, *candidates: str, env: str) -> str:
    """Path of a server binary, or skip (fail under .ci/run, which sets ``env``) when it is
    not installed."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.path.exists(candidate) else None)
        if found:
            return found
    reason = f"{name} is not installed (Debian package; .ci/run installs it)"
    if os.environ.get(env):
        pytest.fail(f"{reason} — {env} is set, so this is an error")
    pytest.skip(reason)
    raise AssertionError("unreachable")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {seconds:g} s: {_tail(log)}")


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


# -- the site both servers serve -----------------------------------------------------------

SHOP_PATHS = [
    "/",
    "/about",
    *[f"/products/p{i:02d}" for i in range(1, 13)],
    *[f"/category/{c}" for c in ("shoes", "bags", "hats")],
    *[f"/blog/post-{i}" for i in range(1, 5)],
]
ROBOTS_TXT = "User-agent: *\nDisallow: /admin/\n\nSitemap: {origin}/sitemap.xml\n"


def _page_html(path: str, origin: str) -> str:
    links = [p for p in SHOP_PATHS if p != path][:8]
    _, body, _ = TEMPLATES["page"](
        {"title": f"Example Shop — {path}", "links": links, "paragraphs": 6},
        {"path": path, "origin": origin},
    )
    return body


def _sitemap(origin: str) -> str:
    _, body, _ = TEMPLATES["sitemap"]({"paths": SHOP_PATHS}, {"origin": origin})
    return body


def write_shop(root: Path, origin: str, *, robots: str | None = ROBOTS_TXT) -> None:
    """A static copy of a small shop: one HTML file per path (`try_files $uri $uri.html`)."""
    for path in SHOP_PATHS:
        target = root / ("index.html" if path == "/" else path.lstrip("/") + ".html")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_page_html(path, origin))
    (root / "sitemap.xml").write_text(_sitemap(origin))
    if robots is not None:
        (root / "robots.txt").write_text(robots.replace("{origin}", origin))


def vendor_page(name: str) -> str:
    """A real captured protection page from the corpus (tests/data/vendor_pages)."""
    return (VENDOR_PAGES / name).read_text(encoding="utf-8", errors="replace")


# -- nginx -----------------------------------------------------------------------------------

NGINX_MAIN = """\
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    log_format timed '$remote_addr - $remote_user [$time_local] "$request" $status '
                     '$body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
    access_log {prefix}/access.log timed;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    keepalive_timeout 65;
{http}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {root};
{server}
    }}
}}
"""


@dataclass
class RealServer:
    """A running server: its base URL, prefix directory and access log."""

    url: str
    prefix: Path
    process: subprocess.Popen[bytes]
    access_log: Path
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    def access_lines(self) -> list[str]:
        try:
            return self.access_log.read_text(errors="replace").splitlines()
        except OSError:
            return []


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@contextlib.contextmanager
def _running(
    command: list[str],
    *,
    check: list[str],
    config: str,
    prefix: Path,
    port: int,
    stop: int,
    env: dict[str, str] | None = None,
) -> Iterator[RealServer]:
    """Check the config with the server's own test flag, start it in its own session, wait
    for the port, and stop it (and wait for it) whatever the test does."""
    checked = subprocess.run(check, capture_output=True, text=True, env=env)
    if checked.returncode != 0:
        raise RuntimeError(f"{Path(check[0]).name} config test failed:\n{checked.stderr}\n{config}")
    log = prefix / "error.log"
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=env,
    )
    try:
        _wait_for_port(port, proc, log, 15)
        yield RealServer(f"http://localhost:{port}/", prefix, proc, prefix / "access.log", log)
    finally:
        _stop(proc, stop)


@contextlib.contextmanager
def nginx(
    server: str,
    *,
    http: str = "",
    robots: str | None = ROBOTS_TXT,
    files: dict[str, str] | None = None,
) -> Iterator[RealServer]:
    """Debian's nginx with a generated config: ``server`` goes inside the server block
    (root is the shop), ``http`` at http level (maps, limit_req_zone), ``files`` are extra
    files under the prefix (vendor pages for ``error_page``)."""
    binary = require_binary("nginx", "/usr/sbin/nginx", env="SEOAUDIT_REQUIRE_NGINX")
    with tempfile.TemporaryDirectory(prefix="seoaudit-nginx-") as tmp:
        prefix = Path(tmp)
        for sub in ("tmp", "site", "pages"):
            (prefix / sub).mkdir()
        port = free_port()
        origin = f"http://localhost:{port}"
        write_shop(prefix / "site", origin, robots=robots)
        for name, text in (files or {}).items():
            target = prefix / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        conf = NGINX_MAIN.format(
            prefix=prefix,
            port=port,
            root=prefix / "site",
            user="user root;" if os.geteuid() == 0 else "",
            http=textwrap.indent(http.replace("{prefix}", str(prefix)), "    "),
            server=textwrap.indent(server.replace("{prefix}", str(prefix)), "        "),
        )
        (prefix / "nginx.conf").write_text(conf)
        with _running(
            [binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            check=[binary, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
            config=conf,
            prefix=prefix,
            port=port,
            stop=signal.SIGQUIT,  # nginx's graceful shutdown
        ) as running:
            yield running


# -- Apache + ModSecurity + OWASP CRS ----------------------------------------------------------

APACHE_MAIN = """\
ServerRoot {prefix}
PidFile {prefix}/httpd.pid
Listen 127.0.0.1:{port}
ServerName localhost
{user}
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule authz_host_module {mods}/mod_authz_host.so
LoadModule mime_module {mods}/mod_mime.so
LoadModule dir_module {mods}/mod_dir.so
LoadModule headers_module {mods}/mod_headers.so
LoadModule unique_id_module {mods}/mod_unique_id.so
LoadModule rewrite_module {mods}/mod_rewrite.so
LoadModule security2_module {mods}/mod_security2.so
TypesConfig /etc/mime.types
ErrorLog {prefix}/error.log
LogLevel warn
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\" %D" timed
CustomLog {prefix}/access.log timed
DocumentRoot {root}
DirectoryIndex index.html
<Directory {root}>
    Require all granted
    Options FollowSymLinks
    AllowOverride None
    RewriteEngine On
    RewriteCond %{{REQUEST_FILENAME}} !-f
    RewriteCond %{{REQUEST_FILENAME}}.html -f
    RewriteRule ^(.+)$ $1.html [L]
</Directory>
<IfModule security2_module>
    SecDataDir {prefix}/modsec-data
    SecTmpDir {prefix}/modsec-tmp
    Include {prefix}/modsecurity.conf
    Include {prefix}/crs-setup.conf
    {crs_local}
    Include {crs}/*.conf
</IfModule>
"""


@contextlib.contextmanager
def apache_modsecurity(*, paranoia_level: int = 1, crs_local: str = "") -> Iterator[RealServer]:
    """Apache 2.4 with ModSecurity 2 in blocking mode and the OWASP CRS, as Debian ships it.

    The operator's steps: copy modsecurity.conf-recommended to modsecurity.conf and set
    ``SecRuleEngine On`` (the shipped default is DetectionOnly), include Debian's
    crs-setup.conf and the rules, and optionally raise the paranoia level."""
    binary = require_binary("apache2", "/usr/sbin/apache2", env="SEOAUDIT_REQUIRE_APACHE")
    for needed in (APACHE_MODULES / "mod_security2.so", CRS_RULES, CRS_SETUP, MODSEC_RECOMMENDED):
        if not needed.exists():  # skips / fails with the missing path named
            require_binary(str(needed), env="SEOAUDIT_REQUIRE_APACHE")
    with tempfile.TemporaryDirectory(prefix="seoaudit-apache-") as tmp:
        prefix = Path(tmp)
        prefix.chmod(0o755)  # the worker runs as www-data when started as root
        for sub in ("site", "modsec-data", "modsec-tmp", "logs"):
            (prefix / sub).mkdir(mode=0o777)
            (prefix / sub).chmod(0o777)
        port = free_port()
        origin = f"http://localhost:{port}"
        write_shop(prefix / "site", origin)
        recommended = MODSEC_RECOMMENDED.read_text()
        recommended = recommended.replace(
            "SecRuleEngine DetectionOnly", "SecRuleEngine On"
        ).replace("/var/log/apache2/modsec_audit.log", str(prefix / "modsec_audit.log"))
        (prefix / "modsecurity.conf").write_text(recommended)
        shutil.copy(MODSEC_RECOMMENDED.parent / "unicode.mapping", prefix / "unicode.mapping")
        setup = CRS_SETUP.read_text()
        if paranoia_level > 1:
            setup += (
                '\nSecAction "id:900000,phase:1,nolog,pass,t:none,'
                f'setvar:tx.paranoia_level={paranoia_level}"\n'
            )
        (prefix / "crs-setup.conf").write_text(setup)
        conf = APACHE_MAIN.format(
            prefix=prefix,
            port=port,
            mods=APACHE_MODULES,
            root=prefix / "site",
            crs=CRS_RULES,
            crs_local=crs_local,
            user="User www-data\nGroup www-data" if os.geteuid() == 0 else "",
        )
        (prefix / "httpd.conf").write_text(conf)
        env = {**os.environ, "APACHE_RUN_DIR": str(prefix), "APACHE_LOCK_DIR": str(prefix)}
        with _running(
            [binary, "-f", str(prefix / "httpd.conf"), "-DFOREGROUND"],
            check=[binary, "-t", "-f", str(prefix / "httpd.conf")],
            config=conf,
            prefix=prefix,
            port=port,
            stop=signal.SIGTERM,
            env=env,
        ) as running:
            yield running


# -- auditing a real server through the CLI ---------------------------------------------------

# Fast but polite enough for a local server: 20 req/s, a small sample, rate.min_rps 4 (so
# calm re-checks are 0.3 s apart). Three required/wanted bots and the three controls.
POLICY = """\
version: 1
bots:
  required: [googlebot, bingbot]
  wanted: [{wanted}]
  blocked: []
{custom}
paths:
  must_index: ["/$", "/products/*", "/category/*", "/blog/*"]
  must_not_index: []
crawl: {{{crawl}}}
rate: {{{rate}}}
robots: {{require_sitemap: true}}
"""
CRAWL = (
    "max_rps: 20, concurrency: 4, sample_per_bot: 6, max_pages: 30, timeout_s: 5, max_time_s: 120"
)
RATE = "min_rps: 4"
# Rate-limit cases: everything scaled up (rate.min_rps 16, 80 req/s) so a limit well below and
# well above the needed rate is seen in a few seconds; fewer pages and agents.
LIMIT_CRAWL = (
    "max_rps: 80, concurrency: 4, sample_per_bot: 4, max_pages: 10, timeout_s: 5, max_time_s: 120"
)
LIMIT_RATE = "min_rps: 16"
SHOP = "location / { try_files $uri $uri.html $uri/ =404; }"
BOT_MAP = 'map $http_user_agent $crawler_rule {{ default 0; "~*({agents})" 1; }}'
VENDOR_LOCATION = "location /__vendor/ {{ internal; root {{prefix}}/pages; {headers} }}"


@dataclass
class Audit:
    """One audit's exit code and result JSON, with the views the tests compare."""

    code: int
    result: dict[str, Any]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.result["findings"]

    def keys(self) -> set[tuple[str, str | None, str | None, str | None]]:
        return {
            (f["rule"], f["subject"]["host"], _path(f["subject"]["url"]), f["subject"]["bot"])
            for f in self.findings
        }

    def errors(self) -> set[tuple[str, str | None, str | None]]:
        return {
            (f["rule"], _path(f["subject"]["url"]), f["subject"]["bot"])
            for f in self.findings
            if f["severity"] == "error" and not f["waived"]
        }

    def rules_for(self, bot: str) -> set[str]:
        return {f["rule"] for f in self.findings if f["subject"]["bot"] == bot}

    def rules(self, severity: str | None = None) -> set[str]:
        return {f["rule"] for f in self.findings if severity in (None, f["severity"])}

    def of(self, rule: str) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["rule"] == rule]


def _path(url: str | None) -> str | None:
    if url is None:
        return None
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def make_audit(cli: Any, tmp_path: Path) -> Any:
    """Audit a URL with the test policy through the real CLI (the ``audit`` fixture)."""

    def run(
        url: str,
        *,
        custom: str = "",
        wanted: list[str] | None = None,
        crawl: str = CRAWL,
        rate: str = RATE,
    ) -> Audit:
        policy = tmp_path / "rules.yaml"
        bots = ", ".join(wanted if wanted is not None else ["perplexitybot"])
        policy.write_text(POLICY.format(custom=custom, wanted=bots, crawl=crawl, rate=rate))
        out = tmp_path / "result.json"
        outcome = cli("audit", url, "--policy", str(policy), "-f", "json", "-o", str(out),
                      "--no-progress", "--quiet")  # fmt: skip
        return Audit(outcome.code, json.loads(out.read_text()))

    return run


def audit_three_times(audit, url: str, **kwargs: Any) -> Audit:
    """Three audits of the same server: identical findings and exit code, or the test fails."""
    runs = [audit(url, **kwargs) for _ in range(3)]
    first = runs[0]
    for other in runs[1:]:
        assert other.keys() == first.keys(), (
            f"findings differ between runs:\n only first: {sorted(first.keys() - other.keys())}"
            f"\n only later: {sorted(other.keys() - first.keys())}"
        )
        assert other.code == first.code
    return first
