"""Issue 19: the Python reader, DuckDB and Spark give identical reports on every format.

Real-shaped samples: nginx combined with trailing timing fields, escaped quotes, nginx's
`\\x22` escapes, an unterminated user-agent quote, IPv6 and non-UTC offsets; Apache common;
nginx `escape=json` lines; Cloudflare Logpush, CloudFront real-time and ALB field names (JSON
lines, and Parquet for the log-lake case); CloudFront W3C (tabs, URL-encoded agents) and IIS
W3C (spaces, `+` for space, a second `#Fields:` header); gzip, zstd and a directory of rotated
logs. The Spark half skips locally without Java or pyspark, and fails under `.ci/run`
(SEOAUDIT_REQUIRE_SPARK=1).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import zstandard

from seoaudit.errors import UsageError
from seoaudit.logs import engines
from seoaudit.logs.engines import AUTO_ENGINE_BYTES, analyse, choose_engine
from seoaudit.logs.inputs import expand_inputs
from seoaudit.logs.synthetic import BINGBOT_UA, BROWSER_UA, GOOGLEBOT_UA, GPTBOT_UA, generate
from seoaudit.logs.verify import Verifier
from seoaudit.registry import load_registry

G = "66.249.66.{}"  # inside the shipped Googlebot ranges
SPOOF = "203.0.113.{}"
HUMAN = "198.51.100.{}"
REQUIRED = ("googlebot",)
MUST_INDEX = ("/$", "/products/*", "/never-visited", "/blog/*.html$", "/a_b%")

NGINX_ODD = [
    f'{G.format(1)} - - [10/Oct/2026:13:55:36 +0200] "GET /robots.txt HTTP/1.1" 503 0 "-" "{GOOGLEBOT_UA}" 0.012 0.010',
    f'{G.format(2)} - - [10/Oct/2026:13:55:37 +0200] "GET /products/x?ref=1 HTTP/1.1" 403 12 "-" "{GOOGLEBOT_UA}"',
    f'{G.format(2)} - - [10/Oct/2026:13:55:38 +0200] "GET /blog/a.html HTTP/2.0" 200 4312 "https://x/" "{GOOGLEBOT_UA}"',
    f'{SPOOF.format(9)} - - [10/Oct/2026:13:55:39 +0200] "GET / HTTP/1.1" 403 0 "-" "{GOOGLEBOT_UA}"',
    '2001:db8::1 - - [10/Oct/2026:13:55:40 +0200] "GET /a_b%25 HTTP/1.1" 200 5 "-" "curl/8.5.0"',
    f'{HUMAN.format(3)} - - [10/Oct/2026:13:55:41 +0200] "GET /q?x=\\"y\\" HTTP/1.1" 200 7 "-" "Mozilla/5.0 \\"quoted\\" agent"',
    f'{HUMAN.format(4)} - - [10/Oct/2026:13:55:42 +0200] "GET /x22 HTTP/1.1" 200 7 "-" "Mozilla/5.0 \\x22nginx-escaped\\x22"',
    f'{G.format(3)} - - [10/Oct/2026:13:55:43 +0200] "GET /cut HTTP/1.1" 200 7 "-" "Mozilla/5.0 (compatible; Googlebot/2.1',
    f'{G.format(4)} - alice [10/Oct/2026:08:55:44 -0500] "GET /products/y HTTP/1.1" 429 0 "-" "{GOOGLEBOT_UA}" "-"',
    f'{HUMAN.format(5)} - - [31/Feb/2026:13:55:45 +0200] "GET / HTTP/1.1" 200 1 "-" "{BROWSER_UA}"',
    f'{HUMAN.format(6)} - - [10/Oct/2026:13:55:46 +0200] "PROPFIND" 400 0 "-" "-"',
    f'{HUMAN.format(7)} - - [10/Oct/2026:13:55:47 +0200] "GET /nobytes HTTP/1.1" 304 - "-" "{BINGBOT_UA}"',
    "",
    "   ",
    "# a comment line is malformed in combined logs",
    f'{HUMAN.format(8)}\t- - [10/Oct/2026:13:55:48 +0200] "GET / HTTP/1.1" 200 1 "-" "{GPTBOT_UA}"',
    f'{HUMAN.format(9)} - - [10/Oct/2026:13:55:49 +0200] "GET / HTTP/1.1" 200 12abc',
    f'{G.format(5)} - - [10/Oct/2026:13:55:50 +0200] "GET / HTTP/1.1" 200 100 "-" "{GOOGLEBOT_UA}" extra "quoted" fields',
]

# what the one-pass DuckDB reader must hand to the Python reader whole: every odd line above
# but the impossible date (which sends a file to the full parse), and lines longer than what
# DuckDB keeps of a refused line (10,000 characters) or reads at all (1 MiB)
NGINX_FAST = [line for line in NGINX_ODD if "31/Feb" not in line] + [
    f'{G.format(6)} - - [10/Oct/2026:13:55:51 +0200] "GET /{"x" * 12_000} HTTP/1.1" 200 9 "-" "{GOOGLEBOT_UA}" "a"b"',
    f'{G.format(7)} - - [10/Oct/2026:13:55:52 +0200] "GET /huge HTTP/1.1" 403 9 "-" "{GOOGLEBOT_UA} {"y" * 1_100_000}"',
    f'{G.format(8)} - bob [10/Oct/2026:13:55:53 +0200] "GET /user HTTP/1.1" 500 9 "-" "{GOOGLEBOT_UA}"',
    f' - - [10/Oct/2026:13:55:54 +0200] "GET /no-address HTTP/1.1" 200 9 "-" "{GOOGLEBOT_UA}"',
]


def _combined(n: int, seed: int) -> list[str]:
    lines, _ = generate(n, seed=seed, malformed_every=97)
    return list(lines)


def _write(path: Path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _json_lines(n: int) -> list[str]:
    """nginx `log_format json escape=json` with $time_iso8601, status and bytes as strings."""
    out = []
    for i in range(n):
        ua = GOOGLEBOT_UA if i % 3 == 0 else BROWSER_UA
        ip = (
            G.format(i % 30 + 1)
            if i % 6 == 0
            else (SPOOF.format(i % 40 + 1) if i % 3 == 0 else HUMAN.format(i % 200 + 1))
        )
        status = ("200", "403", "429", "503", "304")[i % 5]
        offset = ("+01:00", "Z", "-05:30")[i % 3]
        out.append(json.dumps({"time": f"2026-11-01T10:{i // 60 % 60:02d}:{i % 60:02d}{offset}", "remote_addr": ip,
                               "request_uri": ("/", "/products/a", "/robots.txt", "/blog/x.html")[i % 4],
                               "status": status, "body_bytes_sent": str(i * 7), "http_user_agent": ua}))  # fmt: skip
    out += ['{"time": "2026-11-01T10:00:00Z", "remote_addr": null, "status": 200}', "not json at all",
            "[1, 2, 3]", '{"time": "yesterday", "remote_addr": "1.2.3.4", "status": 200}',
            '{"time": 1793527200.25, "remote_addr": "66.249.66.9", "status": 200.0, "body_bytes_sent": null, '
            f'"http_user_agent": "{GOOGLEBOT_UA}", "request_uri": "/"}}',
            '{"time": "1793527201", "remote_addr": 12345, "status": " 404 ", "body_bytes_sent": 0}']  # fmt: skip
    return out


def _cloudflare(n: int) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        google = i % 4 == 0
        rows.append({
            "ClientIP": G.format(i % 30 + 1) if google and i % 8 == 0 else (SPOOF.format(3) if google else HUMAN.format(i % 100)),
            "ClientRequestHost": "shop.example", "ClientRequestMethod": "GET",
            "ClientRequestURI": ("/", "/products/a", "/robots.txt", "/checkout")[i % 4],
            "EdgeResponseStatus": (200, 403, 429, 503, 200)[i % 5], "EdgeResponseBytes": 100 + i,
            "ClientRequestUserAgent": GOOGLEBOT_UA if google else BROWSER_UA,
            "EdgeStartTimestamp": 1_793_527_200_000_000_000 + i * 1_234_567_891,
        })  # fmt: skip
    return rows


CLOUDFRONT_W3C = [
    "#Version: 1.0",
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query time-taken",
    *(
        f"2026-11-01\t10:00:{i:02d}\tFRA56-C1\t{512 + i}\t{G.format(i % 30 + 1) if i % 2 else HUMAN.format(i)}\tGET\td1.cloudfront.net\t"
        f"{('/p', '/robots.txt', '/products/z')[i % 3]}\t{(200, 403, 503)[i % 3]}\t-\t"
        f"{'Mozilla/5.0%20(compatible;%20Googlebot/2.1;%20+http://www.google.com/bot.html)' if i % 2 else 'Mozilla/5.0%2520(X11)'}\t"
        f"{'q=1' if i % 4 == 0 else '-'}\t0.00{i % 10}"
        for i in range(40)
    ),
    "2026-11-01\t10:01:00\tFRA56-C1\tnot-a-number\t1.2.3.4\tGET\th\t/\t200\t-\tUA\t-\t0.1",
    "2026-11-01\t10:01:01\ttoo\tfew",
]
IIS_W3C = [
    "#Software: Microsoft Internet Information Services 10.0",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken",
    *(
        f"2026-11-02 08:{i:02d}:00 10.0.0.1 GET /products/{i} - 443 - {G.format(i % 30 + 1)} "
        f"Mozilla/5.0+(compatible;+Googlebot/2.1;++http://www.google.com/bot.html) {(200, 401, 500)[i % 3]} 0 0 15"
        for i in range(30)
    ),
    "#Fields: date time c-ip cs-method cs-uri-stem sc-status sc-bytes cs(User-Agent)",
    *(
        f"2026-11-02 09:{i:02d}:00 {HUMAN.format(i)} GET /after-restart {(200, 404)[i % 2]} {i * 3} Mozilla/5.0+(Windows+NT+10.0)"
        for i in range(20)
    ),
    "2026-11-02 09:59:00 1.2.3.4 GET /bad-status abc 1 UA",
]


def _fixtures(tmp: Path) -> dict[str, tuple[list[str], dict[str, Any]]]:
    """name -> (paths, options); every file real-shaped, most with planted conflicts."""
    tmp.mkdir(parents=True, exist_ok=True)
    nginx = _write(tmp / "nginx.log", NGINX_ODD + _combined(3000, 1) + NGINX_ODD)
    one_pass = _write(tmp / "nginx-fast.log", NGINX_FAST + _combined(3000, 7) + NGINX_FAST)
    common = _write(tmp / "apache-common.log", [
        f'{HUMAN.format(i % 50)} - frank [01/Nov/2026:0{i % 10}:00:{i % 60:02d} +0000] "GET /{i % 7} HTTP/1.0" {(200, 404, 500)[i % 3]} {"-" if i % 5 == 0 else i}'
        for i in range(500)
    ] + ["garbage"])  # fmt: skip
    gz = tmp / "access.log.2.gz"
    gz.write_bytes(gzip.compress(("\n".join(_combined(2000, 2)) + "\n").encode()))
    zst = tmp / "access.log.3.zst"
    zst.write_bytes(
        zstandard.ZstdCompressor().compress(("\n".join(_combined(2000, 3)) + "\n").encode())
    )
    rotated = tmp / "rotated"
    rotated.mkdir(exist_ok=True)
    _write(rotated / "access.log", _combined(1500, 4))
    _write(rotated / "access.log.1", _combined(1500, 5))
    (rotated / "access.log.2.gz").write_bytes(
        gzip.compress(("\n".join(_combined(1500, 6)) + "\n").encode())
    )
    jsonl = _write(tmp / "nginx-json.log", _json_lines(1200))
    cloudfront = _write(tmp / "cloudfront.log", CLOUDFRONT_W3C)
    iis = _write(tmp / "u_ex261102.log", IIS_W3C)
    cf_rows = _cloudflare(1500)
    logpush = _write(tmp / "logpush.json", [json.dumps(r) for r in cf_rows] + ["{truncated"])
    realtime = _write(tmp / "cf-realtime.json", [json.dumps({
        "timestamp": 1_793_527_200 + i, "c-ip": G.format(i % 30 + 1) if i % 3 else HUMAN.format(i % 9),
        "cs-method": "GET", "cs-uri-stem": ("/", "/robots.txt")[i % 2], "sc-status": (200, 403, 502)[i % 3],
        "sc-bytes": i, "cs-user-agent": GOOGLEBOT_UA if i % 3 else BROWSER_UA, "cs-host": "d.cloudfront.net"})
        for i in range(300)])  # fmt: skip
    alb = _write(tmp / "alb.json", [json.dumps({
        "time": f"2026-11-03T01:02:{i % 60:02d}.{i:06d}Z", "client_ip": G.format(i % 30 + 1) if i % 2 else SPOOF.format(1),
        "request_verb": "GET", "request_url": ("/robots.txt", "/products/a", "/")[i % 3],
        "elb_status_code": (200, 429, 503, 403)[i % 4], "sent_bytes": i * 11, "user_agent": GOOGLEBOT_UA,
        "domain_name": "shop.example"}) for i in range(300)])  # fmt: skip
    return {
        "nginx combined (odd lines)": ([nginx], {}),
        "nginx combined, one pass (odd and long lines)": ([one_pass], {}),
        "apache common": ([common], {}),
        "gzip and zstd": ([str(gz), str(zst)], {}),
        "directory of rotated logs": ([str(rotated)], {}),
        "glob of rotated logs": ([str(rotated / "access.log*")], {}),
        "nginx json": ([jsonl], {}),
        "cloudfront w3c": ([cloudfront], {}),
        "iis w3c, two headers": ([iis], {}),
        "cloudflare logpush json": ([logpush], {"preset": "cloudflare"}),
        "cloudfront real-time json": ([realtime], {"preset": "cloudfront"}),
        "alb json": ([alb], {"preset": "alb"}),
    }


def _report(paths: list[str], engine: str, **options: Any) -> dict[str, Any]:
    report = analyse(
        paths,
        Verifier(load_registry()),
        engine=engine,
        required=REQUIRED,
        must_index=MUST_INDEX,
        **options,
    )
    assert report["engine"]["name"] == engine and report["engine"]["lines"] == report["lines"]
    report.pop("engine")
    return report


# The engines do not read origin time yet (issue 17's timing fields): the crawl-safety
# verdict and the timing field per file are the Python reader's alone for now.
TIMING_KEYS = ("safety", "timing_fields")


def _assert_same(got: dict[str, Any], want: dict[str, Any], label: str) -> None:
    for key in TIMING_KEYS:
        got.pop(key, None)
        want.pop(key, None)
    for key in want:
        assert got[key] == want[key], f"{label}: {key} differs"
    assert got.keys() == want.keys()


@pytest.fixture(scope="module")
def fixtures(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[list[str], dict[str, Any]]]:
    return _fixtures(tmp_path_factory.mktemp("engines"))


def test_fixtures_are_real_shaped_and_plant_what_they_claim(fixtures):
    """The samples hold what the agreement tests rely on: conflicts, malformed lines, formats."""
    for name, (paths, options) in fixtures.items():
        report = _report(paths, "python", **options)
        assert report["requests"] > 0, name
        if name not in ("apache common", "iis w3c, two headers"):
            assert report["conflicts"], name
    nginx = _report(fixtures["nginx combined (odd lines)"][0], "python")
    assert nginx["malformed"]["count"] > 30 and len(nginx["malformed"]["samples"]) == 5
    assert {"robots_txt_server_error", "blocked", "rate_limited"} <= {
        c["kind"] for c in nginx["conflicts"]
    }
    assert nginx["window"]["start"] == "2026-10-10T13:55:36+02:00" and nginx["must_index_unvisited"]
    iis = _report(fixtures["iis w3c, two headers"][0], "python")
    assert iis["requests"] == 50 and iis["malformed"]["count"] == 1
    assert len(expand_inputs([fixtures["directory of rotated logs"][0][0]])) == 3


@pytest.mark.parametrize(
    "name",
    [
        "nginx combined (odd lines)", "nginx combined, one pass (odd and long lines)",
        "apache common", "gzip and zstd", "directory of rotated logs", "glob of rotated logs",
        "nginx json", "cloudfront w3c", "iis w3c, two headers",
        "cloudflare logpush json", "cloudfront real-time json", "alb json",
    ],
)  # fmt: skip
def test_duckdb_report_equals_the_python_readers(fixtures, name):
    paths, options = fixtures[name]
    _assert_same(_report(paths, "duckdb", **options), _report(paths, "python", **options), name)


def test_duckdb_reads_combined_logs_in_one_pass_unless_a_line_forbids_it(fixtures):
    """The odd and long lines go to the Python reader and the file stays on the fast path;
    an impossible date sends its file to the full parse, and the report says so."""
    for name, full in (("nginx combined, one pass (odd and long lines)", {}),
                       ("nginx combined (odd lines)", {"nginx.log": "a time or status"})):  # fmt: skip
        paths, options = fixtures[name]
        report = analyse(paths, Verifier(load_registry()), engine="duckdb", **options)
        notes = {Path(k).name: why for k, why in report["engine"]["full_parse"].items()}
        assert notes.keys() == full.keys()
        assert all(notes[k].startswith(why) for k, why in full.items())
        assert report["malformed"]["count"] > 0 and report["requests"] > 2900


def _parquet_from(json_path: str, out: Path) -> str:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_json({json.dumps(json_path)}, format='newline_delimited', "
        f"ignore_errors=true) WHERE ClientIP IS NOT NULL) TO {json.dumps(str(out))} (FORMAT parquet)"
    )
    con.close()
    return str(out)


def test_parquet_log_lake_matches_the_same_rows_as_json_lines(fixtures, tmp_path):
    """Logpush Parquet (int64 ns timestamps) gives the JSON-lines report, minus the bad line."""
    jsonl = fixtures["cloudflare logpush json"][0][0]
    parquet = _parquet_from(jsonl, tmp_path / "logpush.parquet")
    clean = _write(tmp_path / "logpush-clean.json", Path(jsonl).read_text().splitlines()[:-1])
    got = _report([parquet], "duckdb", preset="cloudflare")
    want = _report([clean], "python", preset="cloudflare")
    got["files"], want["files"] = [], []
    got["formats"], want["formats"] = list(got["formats"].values()), list(want["formats"].values())
    assert got["formats"] == ["parquet (cloudflare)"] and want["formats"] == ["json (cloudflare)"]
    got["formats"] = want["formats"]
    _assert_same(got, want, "parquet")
    assert choose_engine("auto", expand_inputs([parquet]))[0] == "duckdb"


def test_engine_choice_by_input_and_size(fixtures, tmp_path):
    small = expand_inputs(fixtures["nginx combined (odd lines)"][0])
    assert choose_engine("auto", small) == ("python", choose_engine("auto", small)[1])
    assert choose_engine("auto", expand_inputs(["-"]))[0] == "python"
    big = tmp_path / "big.log"
    with big.open("wb") as fh:
        fh.truncate(AUTO_ENGINE_BYTES + 1)
    assert choose_engine("auto", expand_inputs([str(big)]))[0] == "duckdb"


def test_cli_reads_a_quoted_glob_of_rotated_gzip_logs(cli, fixtures, tmp_path):
    """`seoaudit logs 'logs/*.gz'` just works, and the report says which engine ran."""
    logs = tmp_path / "logs"
    logs.mkdir()
    for i in range(3):
        (logs / f"access.log.{i + 1}.gz").write_bytes(
            gzip.compress(("\n".join(_combined(800, 10 + i)) + "\n").encode())
        )
    run = cli("logs", str(logs / "*.gz"), "--engine", "duckdb", "-f", "json")
    report = json.loads(run.stdout)
    assert run.code in (0, 1) and report["engine"]["name"] == "duckdb"
    assert report["lines"] == 2400 and len(report["files"]) == 3
    assert report["engine"]["lines"] == 2400 and report["engine"]["seconds"] > 0
    terminal = cli("logs", str(logs), "--fail-on", "never")
    assert terminal.code == 0 and "2,400 lines" in terminal.stdout and "engine" in terminal.stdout
    nothing = cli("logs", str(logs / "*.zip"))
    assert (
        nothing.code == 2
        and "no file matches" in nothing.stderr
        and "Traceback" not in nothing.stderr
    )
    bad = cli("logs", str(logs), "--engine", "bigquery")
    assert bad.code == 2 and "--engine must be one of" in bad.stderr


ISSUE_17_SAMPLES = Path(__file__).parent / "data" / "logs"
SQL_READS = (
    "apache_timed.log",
    "cloudflare.jsonl",
    "cloudfront.log",
    "iis_w3c.log",
    "nginx_json.log",
    "nginx_timed.log",
)
PYTHON_ONLY = ("alb.log", "caddy.log", "iis_advanced.log", "incapsula_w3c.log")


@pytest.mark.parametrize("name", SQL_READS)
def test_duckdb_equals_the_python_reader_on_issue_17_samples(name):
    path = [str(ISSUE_17_SAMPLES / name)]
    _assert_same(_report(path, "duckdb"), _report(path, "python"), name)


@pytest.mark.parametrize("name", PYTHON_ONLY)
def test_formats_the_sql_does_not_read_yet_fall_back_or_say_so(name, tmp_path, monkeypatch):
    """Past the auto threshold a format the SQL does not read stays on the Python reader.

    The threshold is lowered to 1 MiB here: what is checked is the choice, and reading 48 MiB
    in Python cost about 4 CPU-seconds per format (choose_engine reads the module's value)."""
    threshold = 1024 * 1024
    monkeypatch.setattr(engines, "AUTO_ENGINE_BYTES", threshold)
    path = str(ISSUE_17_SAMPLES / name)
    big = tmp_path / name
    text = Path(path).read_text()
    with big.open("w") as fh:  # past the auto threshold, so auto would pick DuckDB
        while fh.tell() < threshold:
            fh.write(text.split("\n", 1)[1] if fh.tell() and text.startswith("#") else text)
    report = analyse([str(big)], Verifier(load_registry()))
    assert report["engine"]["name"] == "python" and "Python reader only" in report["engine"]["why"]
    with pytest.raises(UsageError, match=r"does not read .* yet; use --engine python"):
        analyse([path], Verifier(load_registry()), engine="duckdb")
