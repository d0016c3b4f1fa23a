"""Streaming access-log reading: combined/common, JSON lines (Cloudflare, Caddy, nginx JSON),
W3C extended (IIS, IIS Advanced Logging, CloudFront, Incapsula exports), AWS ALB.

Lines are read one at a time, so memory stays flat whatever the file size. A line that
cannot be parsed is yielded as `Malformed` (counted and sampled by the caller), never fatal,
and never guessed at: a combined line whose quoted user-agent is cut off is malformed, not a
request from nobody. Only a file where no format fits at all is a `LogFormatError`, naming
the file and line. Timestamps are parsed by hand: `datetime.strptime` costs more than the
rest of a line. Response times, where the log has them, become `origin_us` (see timing.py).
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
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from seoaudit.errors import SeoauditError
from seoaudit.logs.timing import JSON_TIMING_FIELDS, to_us, unit_for_name

FORMATS = ("combined", "common", "json", "w3c", "alb")
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
    "duration": "OriginResponseDurationMs|EdgeTimeToFirstByteMs",
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
# Caddy's default JSON access log (logger http.log.access): nested request, header lists
CADDY_FIELDS = {
    "time": "ts", "ip": "request.client_ip|request.remote_ip", "host": "request.host",
    "method": "request.method", "path": "request.uri", "status": "status", "bytes": "size",
    "ua": "request.headers.User-Agent", "referer": "request.headers.Referer",
    "duration": "duration:s",
}  # fmt: skip
PRESETS = {
    "cloudflare": CLOUDFLARE_FIELDS, "caddy": CADDY_FIELDS, "cloudfront": CLOUDFRONT_FIELDS,
    "alb": ALB_FIELDS,
}  # fmt: skip
LOGICAL_FIELDS = (
    "time", "ip", "host", "method", "path", "status", "bytes", "ua", "referer", "duration",
)  # fmt: skip
TIME_UNITS = ("s", "ms", "us", "ns")
_JSON_GUESS = {
    "time": (
        "time",
        "timestamp",
        "@timestamp",
        "ts",
        "EdgeStartTimestamp",
        "time_iso8601",
        "time_local",
        "date",
        "msec",
    ),
    "ip": ("ip", "remote_addr", "client_ip", "ClientIP", "clientip", "c-ip"),
    "host": ("host", "ClientRequestHost", "http_host", "vhost"),
    "method": ("method", "request_method", "ClientRequestMethod", "verb"),
    "path": ("path", "uri", "request_uri", "url", "ClientRequestURI"),
    "status": ("status", "status_code", "EdgeResponseStatus", "code"),
    "bytes": ("bytes", "body_bytes_sent", "bytes_sent", "size", "EdgeResponseBytes"),
    "ua": ("ua", "user_agent", "http_user_agent", "userAgent", "ClientRequestUserAgent", "agent"),
    "referer": ("referer", "http_referer", "referrer", "ClientRequestReferer"),
    "duration": tuple(name for name, _ in JSON_TIMING_FIELDS),
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
    origin_us: int | None = None  # origin response time, microseconds
    timing: str = ""  # the field origin_us was read from


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
        if text.count(".") == 1 and text.replace(".", "", 1).isdigit():  # nginx $msec
            return _parse_any_time(float(text))
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return parse_clf_time(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\") if "\\" in text else text


_COMMA_GAP, _COLON_GAP = re.compile(r"\s*,\s*"), re.compile(r"\s+:\s+")
_UPSTREAM_KEYS = frozenset(("urt", "upstream_response_time", "upstream_time", "ut"))
_REQUEST_KEYS = frozenset(("rt", "request_time", "reqtime"))
_MICROS_KEYS = frozenset(("d", "us", "duration_us", "time_us"))


def _trailing_timing(rest: str) -> tuple[int | None, str]:
    """Response time from the fields after the user-agent.

    `urt=`/`upstream_response_time=` (nginx, origin time) beats `rt=`/`request_time=`; a bare
    decimal number is nginx `$request_time` (seconds), a bare integer Apache `%D`
    (microseconds). Apache `%T` (whole seconds) cannot be told from `%D`: log `%D`.
    """
    upstream: int | None = None
    request: int | None = None
    bare: tuple[int | None, str] = (None, "")
    if "," in rest or " : " in rest:  # nginx: `0.500, 0.510` (retries), `0.1 : 0.2` (redirects)
        rest = _COLON_GAP.sub(":", _COMMA_GAP.sub(",", rest))
    for token in rest.split():
        key, sep, value = token.partition("=")
        if sep:
            key = key.lower()
            value = value.strip('"')
            if key in _UPSTREAM_KEYS:
                upstream = to_us(value, "s") if upstream is None else upstream
            elif key in _REQUEST_KEYS:
                request = to_us(value, "s") if request is None else request
            elif key in _MICROS_KEYS and bare[1] == "":
                bare = (to_us(value, "us"), "%D")
            continue
        if bare[1] or request is not None:
            continue
        text = token.strip('"').rstrip(",")
        if text.isdigit():
            bare = (int(text), "%D")
        elif text.count(".") == 1 and text.replace(".", "", 1).isdigit():
            bare = (to_us(text, "s"), "request_time")
    if upstream is not None:
        return upstream, "upstream_response_time"
    if request is not None:
        return request, "request_time"
    return bare


def parse_clf(line: str, line_no: int = 0) -> LogRecord | None:
    """nginx/Apache combined or common format; trailing fields may carry the response time.

    A quoted field that is not closed (a cut-off user-agent), or text glued to a closing
    quote, makes the line malformed: the user-agent cannot be known, so it is not guessed.
    """
    match = _CLF.match(line)
    if match is None:
        return None
    ip, stamp, request, status, size, referer, agent = match.groups()
    when = parse_clf_time(stamp)
    if when is None:
        return None
    origin_us, timing = None, ""
    end = match.end()
    if end < len(line):
        rest = line[end:]
        if agent is None:
            if '"' in rest:
                return None  # referer/user-agent present but not parseable
        elif not rest[0].isspace():
            return None  # `"...Googlebot" x"`: a stray quote inside the user-agent
        else:
            origin_us, timing = _trailing_timing(rest)
    if "\\" in request:
        request = _unescape(request)
    method, _, rest_request = request.partition(" ")
    path = rest_request.partition(" ")[0] if rest_request else method
    if not rest_request:
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
        origin_us,
        timing,
    )


def parse_field_mapping(spec: str) -> dict[str, str]:
    """`time=ts,ip=request.client_ip,ua=agent,duration=resp_ms:ms` → {logical name: JSON field}.

    Dotted paths reach into nested objects; `a|b` takes the first present; `duration` may end
    in `:s`, `:ms`, `:us` or `:ns` (default: from the name, seconds otherwise).
    """
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
        if name == "duration" and ":" in field:
            unit = field.rsplit(":", 1)[1]
            if unit not in TIME_UNITS:
                raise ValueError(
                    f"--fields: duration unit {unit!r} is not one of {', '.join(TIME_UNITS)}"
                )
        mapping[name] = field
    return mapping


def _lookup(data: dict[str, Any], path: str) -> Any:
    """A field by name, else by dotted path; a list (Caddy's header values) gives its first item."""
    value = data.get(path)
    if value is None and "." in path:
        node: Any = data
        for key in path.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(key)
            if node is None:
                return None
        value = node
    if isinstance(value, list):
        return value[0] if value else None
    return value


class JsonFields:
    """A field mapping compiled once per file: each logical field's candidate paths."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.paths = {
            name: [p for p in mapping.get(name, name).split("|") if p] for name in LOGICAL_FIELDS
        }
        spec = mapping.get("duration", "")
        self.durations: list[tuple[str, str]] = []
        for alternative in spec.split("|") if spec else ():
            path, _, unit = alternative.partition(":")
            self.durations.append((path, unit or unit_for_name(path.rsplit(".", 1)[-1])))

    def get(self, data: dict[str, Any], name: str) -> Any:
        for path in self.paths[name]:
            value = _lookup(data, path)
            if value is not None:
                return value
        return None

    def duration(self, data: dict[str, Any]) -> tuple[int | None, str]:
        for path, unit in self.durations:
            value = _lookup(data, path)
            us = to_us(value, unit)
            if us is not None:
                return us, path
        return None, ""


def guess_json_mapping(sample: dict[str, object]) -> dict[str, str]:
    if isinstance(sample.get("request"), dict) and "ts" in sample:
        return dict(CADDY_FIELDS)
    mapping = {
        name: next(c for c in candidates if c in sample)
        for name, candidates in _JSON_GUESS.items()
        if name != "duration" and any(c in sample for c in candidates)
    }
    timed = [f"{name}:{unit}" for name, unit in JSON_TIMING_FIELDS if name in sample]
    if timed:
        mapping["duration"] = "|".join(timed)
    return mapping


NOT_ACCESS = object()  # a server's own message in its JSON log (Caddy start-up lines)


def parse_json(
    line: str, mapping: dict[str, str] | JsonFields, line_no: int = 0
) -> LogRecord | object | None:
    """One JSON object; `NOT_ACCESS` for a server message (has `level` and `msg`, no client)."""
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    fields = mapping if isinstance(mapping, JsonFields) else JsonFields(mapping)
    ip = fields.get(data, "ip")
    if ip is None and "msg" in data and "level" in data:
        return NOT_ACCESS
    when = _parse_any_time(fields.get(data, "time"))
    if when is None or ip is None:
        return None
    try:
        status_code = int(fields.get(data, "status"))
        size = int(fields.get(data, "bytes") or 0)
    except (TypeError, ValueError, OverflowError):
        return None
    origin_us, timing = fields.duration(data)
    return LogRecord(
        line_no=line_no,
        time=when,
        ip=str(ip),
        method=str(fields.get(data, "method") or ""),
        path=str(fields.get(data, "path") or ""),
        status=status_code,
        bytes_sent=size,
        user_agent=str(fields.get(data, "ua") or ""),
        host=str(fields.get(data, "host") or ""),
        referer=str(fields.get(data, "referer") or ""),
        origin_us=origin_us,
        timing=timing,
    )


_W3C_VALUE = re.compile(r'"((?:[^"]|"")*)"|(\S+)')
# W3C timing columns in order of preference, with their unit ("auto": IIS ms, CloudFront s)
_W3C_TIMING = (
    ("time-to-first-byte", "s"),
    ("timetakenms", "ms"),
    ("time-taken", "auto"),
)


def split_w3c(line: str) -> tuple[list[str], bool]:
    """Values of one W3C line: tab-separated (CloudFront), or space-separated with optional
    `"quoted values"` (IIS Advanced Logging, Incapsula; `""` is a literal quote)."""
    if "\t" in line:
        return line.split("\t"), False
    if '"' not in line:
        return line.split(), False
    values = []
    for quoted, bare in _W3C_VALUE.findall(line):
        values.append(bare if bare else quoted.replace('""', '"'))
    return values, True


def parse_w3c(line: str, columns: list[str], line_no: int = 0) -> LogRecord | None:
    """W3C extended log line, with the columns of the latest `#Fields:` header.

    `date-local`/`time-local` (IIS Advanced Logging) carry no offset: read as UTC.
    `time-taken` is milliseconds in IIS and seconds in CloudFront: a value with a decimal
    point is read as seconds, a whole number as milliseconds.
    """
    values, quoted = split_w3c(line)
    if len(values) != len(columns):
        return None
    row = dict(zip(columns, values, strict=True))

    def get(*names: str) -> str:
        for name in names:
            value = row.get(name)
            if value is not None and value != "-":
                return value
        return ""

    date, clock = get("date", "date-local"), get("time", "time-local")
    try:
        when = dt.datetime.fromisoformat(f"{date}T{clock}")
        when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
        status = int(get("sc-status"))
        size = int(get("sc-bytes") or 0)
    except ValueError:
        return None
    path = get("cs-uri-stem", "cs-uri")
    query = get("cs-uri-query")
    agent = get("cs(User-Agent)", "cs(user-agent)")
    if not quoted:
        agent = (
            unquote(unquote(agent)).replace("+", " ") if "%" in agent else agent.replace("+", " ")
        )
    origin_us, timing = None, ""
    lowered = {name.lower(): name for name in columns}
    for name, unit in _W3C_TIMING:
        column = lowered.get(name)
        if column is None:
            continue
        value = get(column)
        if unit == "auto":
            unit = "s" if "." in value else "ms"
        origin_us = to_us(value, unit)
        if origin_us is not None:
            timing = column
            break
    return LogRecord(
        line_no=line_no,
        time=when,
        ip=get("c-ip"),
        method=get("cs-method"),
        path=f"{path}?{query}" if query else path,
        status=status,
        bytes_sent=size,
        user_agent=agent,
        host=get("cs(Host)", "cs-host", "x-host-header"),
        referer=get("cs(Referer)"),
        origin_us=origin_us,
        timing=timing,
    )


# AWS Application Load Balancer access log: type time elb client:port target:port
# request_processing_time target_processing_time response_processing_time elb_status_code
# target_status_code received_bytes sent_bytes "request" "user_agent" ... (more fields follow)
_ALB = re.compile(
    r"(?:https?|h2|wss?|grpcs) (?P<time>\d{4}-\d\d-\d\dT\S+) \S+ (?P<client>\S+) \S+ "
    r"(?P<request_t>-?[\d.]+) (?P<target_t>-?[\d.]+) -?[\d.]+ (?P<status>\d{3}|-) \S+ \d+ "
    rf'(?P<bytes>\d+) "(?P<request>{_QUOTED})" "(?P<ua>{_QUOTED})"(?: |$)'
)


def parse_alb(line: str, line_no: int = 0) -> LogRecord | None:
    """One ALB access-log line; `target_processing_time` (-1 when no target answered) is the
    origin time. The status is the load balancer's (what the client, the crawler, got)."""
    match = _ALB.match(line)
    if match is None or match["status"] == "-":
        return None
    try:
        when = dt.datetime.fromisoformat(match["time"].replace("Z", "+00:00"))
    except ValueError:
        return None
    ip = match["client"].rsplit(":", 1)[0]  # always client:port, IPv6 too
    method, _, rest = _unescape(match["request"]).partition(" ")
    url = rest.rsplit(" ", 1)[0] if " " in rest else rest
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    target = float(match["target_t"])
    return LogRecord(
        line_no=line_no,
        time=when if when.tzinfo else when.replace(tzinfo=dt.UTC),
        ip=ip.strip("[]"),
        method=method,
        path=path,
        status=int(match["status"]),
        bytes_sent=int(match["bytes"]),
        user_agent=_unescape(match["ua"]),
        host=parts.hostname or "",
        origin_us=None if target < 0 else to_us(match["target_t"], "s"),
        timing="" if target < 0 else "target_processing_time",
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
    if sum(1 for _, line in data if _ALB.match(line)) * 2 > len(data):
        return "alb"
    matches = [_CLF.match(line) for _, line in data]
    parsed = [m for m in matches if m is not None and parse_clf_time(m["time"]) is not None]
    if len(parsed) * 2 > len(data):
        return "combined" if any(m["ua"] is not None for m in parsed) else "common"
    line_no, text = data[0]
    raise LogFormatError(
        f"{name}:{line_no}: not a recognised access-log format (tried combined, common, "
        f"JSON lines, W3C extended, AWS ALB): {text[:120]!r}"
    )


@dataclass
class ReadInfo:
    """What a reader found out about one file: its format, the preset guessed, timing seen."""

    format: str = ""
    preset: str = ""  # "caddy" when guessed from a Caddy log


def iter_records(
    path: str,
    fmt: str = "auto",
    *,
    fields: str | None = None,
    preset: str | None = None,
    info: ReadInfo | None = None,
) -> Iterator[LogRecord | Malformed]:
    """Every line of one log as a record or a malformed line, in file order."""
    mapping = dict(PRESETS[preset]) if preset else {}
    if fields:
        mapping.update(parse_field_mapping(fields))
    info = info if info is not None else ReadInfo()
    info.preset = preset or ""
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
        info.format = kind
        if kind == "json" and not preset:
            guessed = _guess_from_sample(sample)
            if guessed == CADDY_FIELDS:
                info.preset = "caddy"
            mapping = {**guessed, **mapping}
        json_fields = JsonFields(mapping) if kind == "json" else None
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
            elif kind == "alb":
                record = parse_alb(text, number)
            elif kind == "json":
                record = parse_json(text, json_fields, number)  # type: ignore[arg-type]
                if record is NOT_ACCESS:
                    continue
            else:
                record = parse_w3c(text, columns, number) if columns else None
            yield record if record is not None else Malformed(number, text[:200])  # type: ignore[misc]


def _guess_from_sample(sample: list[tuple[int, str]]) -> dict[str, str]:
    first: dict[str, str] | None = None
    for _, line in sample:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            guessed = guess_json_mapping(data)
            if guessed == CADDY_FIELDS or "ip" in guessed:
                return guessed
            first = guessed if first is None else first
    return first or {}
