"""Streaming access-log reading: combined/common, JSON lines, W3C extended (CloudFront).

Lines are read one at a time, so memory stays flat whatever the file size. A line that
cannot be parsed is yielded as `Malformed` (counted and sampled by the caller), never fatal;
only a file where no format fits at all is a `LogFormatError`, naming the file and line.
Timestamps are parsed by hand: `datetime.strptime` costs more than the rest of a line.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO
from urllib.parse import unquote

from seoaudit.errors import SeoauditError

FORMATS = ("combined", "common", "json", "w3c")
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}  # fmt: skip
_TZ_CACHE: dict[str, dt.tzinfo] = {}
_SAMPLE_LINES = 20

# ip ident user [time] "request" status bytes ["referer" "user-agent" [anything]]
_QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'  # "unrolled loop": no per-character alternation
_CLF = re.compile(
    rf'(?P<ip>\S+) \S+ \S+ \[(?P<time>[^\]]+)\] "(?P<request>{_QUOTED})" '
    r"(?P<status>\d{3}) (?P<bytes>\d+|-)"
    rf'(?: "(?P<referer>{_QUOTED})" "(?P<ua>{_QUOTED})")?'
)

CLOUDFLARE_FIELDS = {
    "time": "EdgeStartTimestamp", "ip": "ClientIP", "host": "ClientRequestHost",
    "method": "ClientRequestMethod", "path": "ClientRequestURI", "status": "EdgeResponseStatus",
    "bytes": "EdgeResponseBytes", "ua": "ClientRequestUserAgent", "referer": "ClientRequestReferer",
}  # fmt: skip
# CDN log lakes (JSON lines or Parquet): CloudFront real-time log fields, and ALB fields as
# AWS's Athena table for ALB logs names them.
CLOUDFRONT_FIELDS = {
    "time": "timestamp", "ip": "c-ip", "host": "cs-host", "method": "cs-method",
    "path": "cs-uri-stem", "status": "sc-status", "bytes": "sc-bytes", "ua": "cs-user-agent",
    "referer": "cs-referer",
}  # fmt: skip
ALB_FIELDS = {
    "time": "time", "ip": "client_ip", "host": "domain_name", "method": "request_verb",
    "path": "request_url", "status": "elb_status_code", "bytes": "sent_bytes", "ua": "user_agent",
}  # fmt: skip
PRESETS = {"cloudflare": CLOUDFLARE_FIELDS, "cloudfront": CLOUDFRONT_FIELDS, "alb": ALB_FIELDS}
LOGICAL_FIELDS = ("time", "ip", "host", "method", "path", "status", "bytes", "ua", "referer")
_JSON_GUESS = {
    "time": ("time", "timestamp", "@timestamp", "ts", "EdgeStartTimestamp", "time_local", "date"),
    "ip": ("ip", "remote_addr", "client_ip", "ClientIP", "clientip", "c-ip"),
    "host": ("host", "ClientRequestHost", "http_host", "vhost"),
    "method": ("method", "request_method", "ClientRequestMethod", "verb"),
    "path": ("path", "uri", "request_uri", "url", "ClientRequestURI"),
    "status": ("status", "status_code", "EdgeResponseStatus", "code"),
    "bytes": ("bytes", "body_bytes_sent", "bytes_sent", "size", "EdgeResponseBytes"),
    "ua": ("ua", "user_agent", "http_user_agent", "userAgent", "ClientRequestUserAgent", "agent"),
    "referer": ("referer", "http_referer", "referrer", "ClientRequestReferer"),
}


class LogFormatError(SeoauditError):
    """The file is not an access log we can read (binary, or no known format fits)."""

    exit_code = 2


@dataclass(slots=True)
class LogRecord:
    line_no: int
    time: dt.datetime  # timezone-aware
    ip: str
    method: str
    path: str
    status: int
    bytes_sent: int
    user_agent: str
    host: str = ""
    referer: str = ""


@dataclass(slots=True)
class Malformed:
    line_no: int
    text: str  # the first 200 characters


def _tz(offset: str) -> dt.tzinfo:
    tz = _TZ_CACHE.get(offset)
    if tz is None:
        sign = -1 if offset[0] == "-" else 1
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        tz = dt.UTC if minutes == 0 else dt.timezone(sign * dt.timedelta(minutes=minutes))
        _TZ_CACHE[offset] = tz
    return tz


_LAST_TIME: list[tuple[str, dt.datetime | None]] = [("", None)]


def parse_clf_time(text: str) -> dt.datetime | None:
    """`10/Oct/2026:13:55:36 +0000` without strptime; busy logs repeat a second many times."""
    last = _LAST_TIME[0]
    if last[0] == text:
        return last[1]
    parsed = _parse_clf_time(text)
    _LAST_TIME[0] = (text, parsed)
    return parsed


def _parse_clf_time(text: str) -> dt.datetime | None:
    try:
        return dt.datetime(
            int(text[7:11]), _MONTHS[text[3:6]], int(text[0:2]),
            int(text[12:14]), int(text[15:17]), int(text[18:20]), tzinfo=_tz(text[21:26]),
        )  # fmt: skip
    except (KeyError, ValueError, IndexError):
        return None


def _parse_any_time(value: object) -> dt.datetime | None:
    """RFC 3339 strings, or Unix seconds / milliseconds / nanoseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        while seconds > 1e11:  # ms, µs or ns since the epoch
            seconds /= 1000
        try:
            return dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _parse_any_time(int(text))
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return parse_clf_time(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\") if "\\" in text else text


def parse_clf(line: str, line_no: int = 0) -> LogRecord | None:
    """nginx/Apache combined or common format (extra trailing fields are ignored)."""
    match = _CLF.match(line)
    if match is None:
        return None
    ip, stamp, request, status, size, referer, agent = match.groups()
    when = parse_clf_time(stamp)
    if when is None:
        return None
    if "\\" in request:
        request = _unescape(request)
    method, _, rest = request.partition(" ")
    path = rest.partition(" ")[0] if rest else method
    if not rest:
        method = ""
    return LogRecord(
        line_no,
        when,
        ip,
        method,
        path,
        int(status),
        0 if size == "-" else int(size),
        _unescape(agent) if agent and "\\" in agent else (agent or ""),
        "",
        _unescape(referer) if referer and "\\" in referer else (referer or ""),
    )


def parse_field_mapping(spec: str) -> dict[str, str]:
    """`time=ts,ip=remote_addr,ua=agent` → {logical name: JSON field}."""
    mapping: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, sep, field = part.partition("=")
        name, field = name.strip(), field.strip()
        if not sep or not field:
            raise ValueError(f"--fields: {part.strip()!r} is not name=field")
        if name not in LOGICAL_FIELDS:
            raise ValueError(
                f"--fields: unknown name {name!r} (known: {', '.join(LOGICAL_FIELDS)})"
            )
        mapping[name] = field
    return mapping


def guess_json_mapping(sample: dict[str, object]) -> dict[str, str]:
    return {
        name: next(c for c in candidates if c in sample)
        for name, candidates in _JSON_GUESS.items()
        if any(c in sample for c in candidates)
    }


def parse_json(line: str, mapping: dict[str, str], line_no: int = 0) -> LogRecord | None:
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    when = _parse_any_time(data.get(mapping.get("time", "time")))
    status = data.get(mapping.get("status", "status"))
    ip = data.get(mapping.get("ip", "ip"))
    if when is None or ip is None:
        return None
    try:
        status_code = int(status)  # type: ignore[arg-type]
        size = int(data.get(mapping.get("bytes", "bytes")) or 0)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return LogRecord(
        line_no=line_no,
        time=when,
        ip=str(ip),
        method=str(data.get(mapping.get("method", "method")) or ""),
        path=str(data.get(mapping.get("path", "path")) or ""),
        status=status_code,
        bytes_sent=size,
        user_agent=str(data.get(mapping.get("ua", "ua")) or ""),
        host=str(data.get(mapping.get("host", "host")) or ""),
        referer=str(data.get(mapping.get("referer", "referer")) or ""),
    )


def parse_w3c(line: str, columns: list[str], line_no: int = 0) -> LogRecord | None:
    """W3C extended log line, with the columns of the latest `#Fields:` header."""
    values = line.split("\t") if "\t" in line else line.split()
    if len(values) != len(columns):
        return None
    row = dict(zip(columns, values, strict=True))

    def get(*names: str) -> str:
        for name in names:
            value = row.get(name)
            if value is not None and value != "-":
                return value
        return ""

    date, clock = get("date"), get("time")
    try:
        when = dt.datetime.fromisoformat(f"{date}T{clock}").replace(tzinfo=dt.UTC)
        status = int(get("sc-status"))
        size = int(get("sc-bytes") or 0)
    except ValueError:
        return None
    path = get("cs-uri-stem", "cs-uri")
    query = get("cs-uri-query")
    return LogRecord(
        line_no=line_no,
        time=when,
        ip=get("c-ip"),
        method=get("cs-method"),
        path=f"{path}?{query}" if query else path,
        status=status,
        bytes_sent=size,
        user_agent=unquote(unquote(get("cs(User-Agent)"))).replace("+", " ")
        if "%" in get("cs(User-Agent)")
        else get("cs(User-Agent)").replace("+", " "),
        host=get("cs(Host)", "x-host-header"),
        referer=get("cs(Referer)"),
    )


def open_log(path: str) -> IO[str]:
    """`-` is stdin; gzip is recognised by its magic bytes, whatever the file is called."""
    if path == "-":
        raw: IO[bytes] = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else _text_to_bytes()
    else:
        try:
            raw = open(path, "rb")  # noqa: SIM115 - the caller closes the text wrapper
        except OSError as exc:
            raise LogFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    head = buffered.peek(4096)[:4096]
    if head[:2] == b"\x1f\x8b":
        buffered = io.BufferedReader(gzip.GzipFile(fileobj=buffered))  # type: ignore[arg-type]
    elif head[:4] == b"\x28\xb5\x2f\xfd":  # zstd (logrotate's compresscmd zstd)
        import zstandard

        reader = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
        buffered = io.BufferedReader(reader)  # type: ignore[arg-type]
    if head[:2] == b"\x1f\x8b" or head[:4] == b"\x28\xb5\x2f\xfd":
        try:
            head = buffered.peek(4096)[:4096]
        except Exception as exc:  # gzip: OSError/EOFError; zstandard: ZstdError
            raise LogFormatError(f"{path}: broken compressed file ({exc})") from exc
    if b"\x00" in head:
        raise LogFormatError(f"{path}: binary data, not an access log")
    return io.TextIOWrapper(buffered, encoding="utf-8", errors="replace", newline=None)


def _text_to_bytes() -> IO[bytes]:
    """stdin replaced by a text stream (tests, embedding): serve its text as UTF-8 bytes."""
    return io.BytesIO(sys.stdin.read().encode("utf-8"))


def detect_format(sample: list[tuple[int, str]], name: str = "log") -> str:
    """The format most of the sample parses as, or a LogFormatError naming the first line."""
    content = [(i, line) for i, line in sample if line.strip()]
    if not content:
        return "combined"
    if any(line.startswith(("#Version", "#Fields")) for _, line in content):
        return "w3c"
    data = [(i, line) for i, line in content if not line.startswith("#")]
    if not data:
        return "combined"
    if sum(1 for _, line in data if line.lstrip().startswith("{")) * 2 > len(data):
        return "json"
    matches = [_CLF.match(line) for _, line in data]
    parsed = [m for m in matches if m is not None and parse_clf_time(m["time"]) is not None]
    if len(parsed) * 2 > len(data):
        return "combined" if any(m["ua"] is not None for m in parsed) else "common"
    line_no, text = data[0]
    raise LogFormatError(
        f"{name}:{line_no}: not a recognised access-log format (tried combined, common, "
        f"JSON lines, W3C extended): {text[:120]!r}"
    )


def iter_records(
    path: str,
    fmt: str = "auto",
    *,
    fields: str | None = None,
    preset: str | None = None,
) -> Iterator[LogRecord | Malformed]:
    """Every line of one log as a record or a malformed line, in file order."""
    mapping = dict(PRESETS[preset]) if preset else {}
    if fields:
        mapping.update(parse_field_mapping(fields))
    stream = open_log(path)
    name = "stdin" if path == "-" else path
    with stream:
        sample: list[tuple[int, str]] = []
        line_no = 0
        for line in stream:
            line_no += 1
            sample.append((line_no, line.rstrip("\r\n")))
            if len(sample) >= _SAMPLE_LINES:
                break
        kind = fmt if fmt != "auto" else detect_format(sample, name)
        if kind == "json" and not mapping:
            mapping = _guess_from_sample(sample)
        columns: list[str] = []

        def lines() -> Iterator[tuple[int, str]]:
            yield from sample
            for number, text in enumerate(stream, line_no + 1):
                yield number, text.rstrip("\r\n")

        for number, text in lines():
            if not text.strip():
                continue
            if kind == "w3c" and text.startswith("#"):
                if text.startswith("#Fields:"):
                    columns = text[len("#Fields:") :].split()
                continue
            if kind in ("combined", "common"):
                record = parse_clf(text, number)
            elif kind == "json":
                record = parse_json(text, mapping, number)
            else:
                record = parse_w3c(text, columns, number) if columns else None
            yield record if record is not None else Malformed(number, text[:200])


def _guess_from_sample(sample: list[tuple[int, str]]) -> dict[str, str]:
    for _, line in sample:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return guess_json_mapping(data)
    return {}
