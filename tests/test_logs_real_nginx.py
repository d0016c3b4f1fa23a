"""The timing field seoaudit tells operators to add, written by Debian's real nginx: the
advised `log_format` is valid config, and the log it writes (static files, and requests
proxied to an upstream, some of them retried) reads with exact counts and the origin time."""

from __future__ import annotations

import httpx

from seoaudit.logs.parse import LogRecord, ReadInfo, iter_records
from seoaudit.logs.synthetic import GOOGLEBOT_UA
from seoaudit.logs.timing import HOW_TO_ADD
from tests.realservers import nginx

ADVISED = HOW_TO_ADD["nginx"].replace("log_format timed", "log_format crawlsafe", 1)
SERVER = """\
access_log {prefix}/crawl.log crawlsafe;
location /up/ {
    rewrite ^/up/(.*)$ /$1 break;
    proxy_pass http://127.0.0.1:$server_port;
}
location / { try_files $uri $uri.html $uri/ =404; }"""


def test_the_advised_nginx_log_format_reads_with_origin_times():
    with nginx(SERVER, http=ADVISED) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for path in ("/", "/robots.txt", "/products/a"):
                client.get(path, headers={"User-Agent": GOOGLEBOT_UA})
            for path in ("/up/", "/up/robots.txt", "/up/products/a", "/up/products/b"):
                client.get(path, headers={"User-Agent": "Mozilla/5.0 (X11) Firefox/142.0"})
        log = server.prefix / "crawl.log"
        # proxied requests also reach the server itself (the upstream): 4 more lines
        info = ReadInfo()
        records = list(iter_records(str(log), info=info))
    assert info.format == "combined"
    assert len(records) == 3 + 4 + 4 and all(isinstance(r, LogRecord) for r in records)
    proxied = [r for r in records if r.timing == "upstream_response_time"]
    direct = [r for r in records if r.timing == "request_time"]
    assert len(proxied) == 4 and len(direct) == 7  # static answers have urt=-: request time
    assert all(r.origin_us is not None and r.origin_us >= 0 for r in records)
    assert sum("Googlebot" in r.user_agent for r in records) == 3
