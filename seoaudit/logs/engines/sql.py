"""The logs pipeline as SQL, written once in DuckDB's dialect and transpiled by sqlglot.

Each text format becomes one SELECT over a relation of raw lines (`line`, `seq`) giving the
columns of `parsed`: `status_kind` ('ok', 'bad' or 'skip' for blank and W3C directive lines),
epoch microseconds, the offset the log wrote (minutes, so timestamps print as the Python
reader prints them), address, path, status, bytes, user-agent and, for bad lines, their first
200 characters. The aggregations in `queries` then read `parsed` joined with two small tables
Python fills: `ua_bot` (each distinct user-agent's bot) and `claims` (each distinct
(bot, address) pair's verdict). Every expression mirrors `seoaudit/logs/parse.py` line for line
so the engines and the Python reader give identical figures; see docs/internals.md for the
few inputs where they are documented to differ.

Combined/common lines take a fast path first: split on `"` and on spaces, with checks that
accept a line only when the reader's regex would capture exactly those pieces (no backslash,
five spaces in the head, a 3-digit status). Anything else goes through the full regex, so the
fast path changes speed, never answers.
"""

from __future__ import annotations

from functools import cache

import sqlglot

# Python's str.isspace() characters other than the plain space: `\S` in the reader's regex
# excludes all of them, RE2 and Java's `\S` only the ASCII ones.
_WS = r"\x{09}-\x{0d}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_NS = rf"[^ {_WS}]"  # \S
_QUOTED = r'[^"\\]*(?:\\.[^"\\]*)*'
_CLF_CORE = rf'^({_NS}+) {_NS}+ {_NS}+ \[([^\]]+)\] "({_QUOTED})" ([0-9]{{3}}) ([0-9]+|-)'
_CLF_AGENT = rf'(?: "({_QUOTED})" "({_QUOTED})")'
CLF_REGEX = _CLF_CORE + _CLF_AGENT + "?"
# parse_clf's tail rule: after a user-agent, nothing or whitespace; without one, no quote
CLF_WITH_AGENT = _CLF_CORE + _CLF_AGENT
CLF_AGENT_TAIL = _CLF_CORE + _CLF_AGENT + rf"(?:$|[ {_WS}])"
CLF_NO_AGENT_TAIL = _CLF_CORE + '[^"]*$'
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HUMAN_SQL = "browser or unknown"
OTHER_SQL = "other bot"


def lit(text: str) -> str:
    """A SQL string literal in DuckDB's syntax (sqlglot rewrites it for Spark)."""
    return "'" + text.replace("'", "''") + "'"


def _digits(expr: str, count: str = "+") -> str:
    """ASCII digits only (`translate` costs 10x a small regex in DuckDB)."""
    return f"regexp_matches({expr}, '^[0-9]{count}$')"


def _days_from_civil(y: str, m: str, d: str) -> str:
    """Days since 1970-01-01 for a proleptic Gregorian date, integer arithmetic only."""
    yy = f"({y} - CASE WHEN {m} <= 2 THEN 1 ELSE 0 END)"
    era = f"({yy} // 400)"
    yoe = f"({yy} - {era} * 400)"
    doy = f"((153 * ({m} + CASE WHEN {m} > 2 THEN -3 ELSE 9 END) + 2) // 5 + {d} - 1)"
    doe = f"({yoe} * 365 + {yoe} // 4 - {yoe} // 100 + {doy})"
    return f"({era} * 146097 + {doe} - 719468)"


def _valid_date(y: str, m: str, d: str) -> str:
    leap = f"(({y} % 4 = 0 AND {y} % 100 <> 0) OR {y} % 400 = 0)"
    dim = (
        f"CASE WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN {m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    return f"({y} BETWEEN 1 AND 9999 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {dim})"


def clf_time_stage(t: str, source: str, keep: str) -> str:
    """Adds `t_valid`, `t_us`, `t_tz` for the CLF time text column `t`, as parse_clf_time:
    fixed positions (0:2 day, 3:6 month, 7:11 year, 12:14, 15:17, 18:20 clock, 21:26 offset),
    impossible dates rejected. Two layers, so each piece is cut and cast once per row."""

    def part(start: int, length: int) -> str:
        return f"substr({t}, {start}, {length})"

    pieces = {"c_d": part(1, 2), "c_y": part(8, 4), "c_h": part(13, 2), "c_mi": part(16, 2),
              "c_s": part(19, 2), "c_oh": part(23, 2), "c_om": part(25, 2)}  # fmt: skip
    month = "CASE " + " ".join(
        f"WHEN {part(4, 3)} = '{name}' THEN {i}" for i, name in enumerate(_MONTHS, 1)
    ) + " END"  # fmt: skip
    layout = "'(?s)^[0-9]{2}.{5}[0-9]{4}.[0-9]{2}.[0-9]{2}.[0-9]{2}..[0-9]{4}'"
    digits = f"regexp_matches({t}, {layout})"
    casts = ", ".join(f"TRY_CAST({p} AS BIGINT) AS {name}" for name, p in pieces.items())
    layer = (
        f"SELECT {keep}, {casts}, {month} AS c_m, "
        f"CASE WHEN {part(22, 1)} = '-' THEN -1 ELSE 1 END AS c_sign, "
        f"COALESCE({digits}, FALSE) AS c_digits FROM {source}"
    )
    off = "(c_oh * 60 + c_om)"
    valid = (
        f"(c_digits AND c_m IS NOT NULL AND {_valid_date('c_y', 'c_m', 'c_d')} AND c_h < 24 "
        f"AND c_mi < 60 AND c_s < 60 AND {off} < 1440)"
    )
    seconds = (
        f"({_days_from_civil('c_y', 'c_m', 'c_d')} * 86400 + c_h * 3600 + c_mi * 60 + c_s "
        f"- c_sign * {off} * 60)"
    )
    return (
        f"SELECT {keep}, t_valid, CASE WHEN t_valid THEN {seconds} * 1000000 END AS t_us, "
        f"CASE WHEN t_valid THEN c_sign * {off} END AS t_tz FROM "
        f"(SELECT *, COALESCE({valid}, FALSE) AS t_valid FROM ({layer}) AS tl0) AS tl1"
    )


def _unescape(expr: str) -> str:
    return f"replace(replace({expr}, '\\\"', '\"'), '\\\\\\\\', '\\\\')"


def _path_of(request: str) -> str:
    """`GET /a HTTP/1.1` → `/a`, as parse_clf's partition calls do (`/a` alone stays `/a`)."""
    sp = f"strpos({request}, ' ')"
    rest = f"substr({request}, {sp} + 1)"
    return (
        f"CASE WHEN {sp} = 0 THEN {request} WHEN {rest} = '' THEN substr({request}, 1, {sp} - 1) "
        f"ELSE split_part({rest}, ' ', 1) END"
    )


def clf_select(source: str) -> str:
    """combined/common lines of `source` (columns line, seq) → parsed columns.

    The lists from the splits are read into scalar columns in the layer that makes them:
    carrying list columns through later layers costs more than the parsing."""
    ws_class = f"'[{_WS}]'"
    split_quotes = (
        "SELECT line, seq, p[1] AS head, p[2] AS f_req, p[3] AS mid, p[5] AS f_sep, "
        "CASE WHEN array_length(p) >= 7 THEN p[6] ELSE '' END AS f_ua, array_length(p) AS np, "
        "CASE WHEN array_length(p) = 7 THEN substr(p[7], 1, 1) WHEN p[7] = '' THEN '\"' "
        "ELSE substr(p[7], 1, 1) END AS f_tail "
        f"FROM (SELECT line, seq, string_split(line, '\"') AS p FROM {source}) AS s0"
    )
    split_spaces = (
        "SELECT line, seq, head, f_req, f_sep, f_ua, np, f_tail, hs[1] AS h1, hs[2] AS h2, hs[3] AS h3, "
        "hs[4] AS h4, hs[5] AS h5, hs[6] AS h6, array_length(hs) AS nh, sb[1] AS b1, sb[2] AS b2, "
        "sb[3] AS b3, sb[4] AS b4, array_length(sb) AS nb FROM (SELECT *, string_split(head, ' ') AS hs, "
        f"string_split(mid, ' ') AS sb FROM ({split_quotes}) AS s1) AS s2"
    )
    fast = (
        "(NOT contains(line, '\\') AND nh = 6 AND h1 <> '' AND h2 <> '' "
        "AND h3 <> '' AND starts_with(h4, '[') AND ends_with(h5, ']') AND h6 = '' "
        f"AND NOT regexp_matches(h1 || h2 || h3, {ws_class}) AND strpos(ftime, ']') = 0 "
        f"AND b1 = '' AND {_digits('b2', '{3}')} "
        f"AND (b3 = '-' OR {_digits('b3')}) AND ("
        "(np >= 7 AND f_sep = ' ' AND nb = 4 AND b4 = '' "
        f"AND (f_tail = '' OR regexp_matches(f_tail, '[ {_WS}]'))) "
        "OR (np = 3 AND nb = 3)))"
    )
    rx = lit(CLF_REGEX)
    inner = (
        "SELECT *, substr(h4, 2) || ' ' || substr(h5, 1, length(h5) - 1) AS ftime "
        f"FROM ({split_spaces}) AS s1b"
    )
    pick = (
        "SELECT line, seq, fast, "
        f"CASE WHEN fast THEN TRUE ELSE regexp_matches(line, {rx}) AND CASE WHEN "
        f"regexp_matches(line, {lit(CLF_WITH_AGENT)}) THEN regexp_matches(line, {lit(CLF_AGENT_TAIL)}) "
        f"ELSE regexp_matches(line, {lit(CLF_NO_AGENT_TAIL)}) END END AS matched, "
        f"CASE WHEN fast THEN h1 ELSE regexp_extract(line, {rx}, 1) END AS ip, "
        f"CASE WHEN fast THEN ftime ELSE regexp_extract(line, {rx}, 2) END AS ctime, "
        f"CASE WHEN fast THEN f_req ELSE {_unescape(f'regexp_extract(line, {rx}, 3)')} END AS request, "
        f"CASE WHEN fast THEN b2 ELSE regexp_extract(line, {rx}, 4) END AS status_text, "
        f"CASE WHEN fast THEN b3 ELSE regexp_extract(line, {rx}, 5) END AS bytes_text, "
        f"CASE WHEN fast THEN f_ua ELSE {_unescape(f'regexp_extract(line, {rx}, 7)')} END AS ua "
        f"FROM (SELECT *, {fast} AS fast FROM ({inner}) AS s2b) AS s3"
    )
    keep = "line, seq, matched, ip, ctime, request, status_text, bytes_text, ua"
    timed = clf_time_stage("ctime", f"({pick}) AS s4", keep)
    blank = "(line IS NULL OR trim(line) = '')"
    return (
        "SELECT seq, "
        f"CASE WHEN {blank} THEN 'skip' WHEN matched AND t_valid THEN 'ok' ELSE 'bad' END AS status_kind, "
        f"t_us AS epoch_us, t_tz AS tz_min, ip, {_path_of('request')} AS path, "
        "TRY_CAST(status_text AS BIGINT) AS status, "
        "CASE WHEN bytes_text = '-' THEN 0 ELSE TRY_CAST(bytes_text AS BIGINT) END AS bytes, ua, "
        f"CASE WHEN NOT ({blank}) AND NOT (matched AND t_valid) THEN substr(line, 1, 200) END AS bad_text "
        f"FROM ({timed}) AS s5"
    )


PARSED_COLUMNS = (
    "seq", "status_kind", "epoch_us", "tz_min", "ip", "path", "status", "bytes", "ua", "bad_text",
)  # fmt: skip


@cache
def to_spark(sql: str) -> str:
    """The DuckDB-dialect SQL as Spark SQL (sqlglot), cached: the same text is sent per file."""
    out = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    # functions sqlglot passes through by name: their Spark spellings
    return out.replace("ROUND_EVEN(", "BROUND(").replace("URL_DECODE(", "TRY_URL_DECODE(")


def dialect(sql: str, name: str) -> str:
    return sql if name == "duckdb" else to_spark(sql)


_ISO = (
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?)?"
    r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)


def iso_time_columns(text: str, *, force_utc: bool = False) -> tuple[str, str, str]:
    """(valid, epoch µs, offset minutes) of an ISO 8601 text as `datetime.fromisoformat` reads
    it after `replace("Z", "+00:00")`: a naive time is UTC; fractions are cut to microseconds."""
    rx = lit(_ISO)

    def g(i: int) -> str:
        return f"regexp_extract({text}, {rx}, {i})"

    def num(i: int) -> str:
        return f"COALESCE(TRY_CAST(NULLIF({g(i)}, '') AS BIGINT), 0)"

    y, m, d = (f"TRY_CAST({g(i)} AS BIGINT)" for i in (1, 2, 3))
    hh, mi, ss = num(4), num(5), num(6)
    frac = f"TRY_CAST(rpad(substr({g(7)}, 1, 6), 6, '0') AS BIGINT)"
    off = g(8)
    off_min = (
        f"CASE WHEN {off} IN ('', 'Z') THEN 0 ELSE "
        f"(CASE WHEN substr({off}, 1, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(TRY_CAST(substr({off}, 2, 2) AS BIGINT) * 60 + "
        f"COALESCE(TRY_CAST(NULLIF(substr(replace({off}, ':', ''), 4, 2), '') AS BIGINT), 0)) END"
    )
    if force_utc:
        off_min = "0"
    valid = (
        f"(regexp_matches({text}, {rx}) AND {_valid_date(y, m, d)} AND {hh} < 24 AND {mi} < 60 "
        f"AND {ss} < 60 AND abs({off_min}) < 1440)"
    )
    seconds = (
        f"({_days_from_civil(y, m, d)} * 86400 + {hh} * 3600 + {mi} * 60 + {ss} - ({off_min}) * 60)"
    )
    return (
        valid,
        f"CASE WHEN {valid} THEN {seconds} * 1000000 + COALESCE({frac}, 0) END",
        f"CASE WHEN {valid} THEN {off_min} END",
    )


def epoch_number_us(value: str) -> str:
    """Unix seconds, ms, µs or ns (a DOUBLE) → µs, as `_parse_any_time`: divide by 1000 while
    above 1e11, then `datetime.fromtimestamp` rounding (half to even on the fraction)."""
    s = f"CAST({value} AS DOUBLE)"
    for _ in range(4):
        s = f"(CASE WHEN {s} > 100000000000.0 THEN {s} / 1000.0 ELSE {s} END)"
    return (
        f"CASE WHEN {s} >= 0 AND {s} < 253402300800.0 THEN CAST(floor({s}) AS BIGINT) * 1000000 "
        f"+ CAST(round_even(({s} - floor({s})) * 1000000.0, 0) AS BIGINT) END"
    )


# JSON access is the one place the dialects differ in kind, not spelling: DuckDB's JSON type
# against Spark 4's VARIANT. Both give each value's JSON type, mapped to DuckDB's names.
def jdoc(line: str, dialect: str) -> str:
    if dialect == "spark":
        return (
            f"CASE WHEN schema_of_variant(try_parse_json({line})) LIKE 'OBJECT%' "
            f"THEN try_parse_json({line}) END"
        )
    return f"CASE WHEN json_valid({line}) AND json_type(CAST({line} AS JSON)) = 'OBJECT' THEN CAST({line} AS JSON) END"


def jget(doc: str, key: str, dialect: str) -> str:
    if dialect == "spark":
        path = "$['" + key.replace("'", "\\'") + "']"
        return f"variant_get({doc}, {lit(path)}, 'variant')"
    path = '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"json_extract({doc}, {lit(path)})"


def jtype(v: str, dialect: str) -> str:
    if dialect == "spark":
        s = f"schema_of_variant({v})"
        return (
            f"CASE WHEN {v} IS NULL THEN NULL WHEN {s} IN ('BIGINT', 'INT', 'SMALLINT', 'TINYINT') "
            f"THEN 'BIGINT' WHEN {s} LIKE 'DECIMAL%' OR {s} IN ('DOUBLE', 'FLOAT') THEN 'DOUBLE' "
            f"WHEN {s} = 'STRING' THEN 'VARCHAR' WHEN {s} = 'BOOLEAN' THEN 'BOOLEAN' "
            f"WHEN {s} = 'VOID' THEN 'NULL' WHEN {s} LIKE 'OBJECT%' THEN 'OBJECT' "
            f"WHEN {s} LIKE 'ARRAY%' THEN 'ARRAY' ELSE 'OTHER' END"
        )
    return f"json_type({v})"


def jtext(v: str, dialect: str) -> str:
    if dialect == "spark":
        return f"variant_get({v}, '$', 'string')"
    return f"json_extract_string({v}, '$')"


_INT_TEXT = r"^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$"


def _json_int(v: str, t: str, *, falsy_zero: bool, dialect: str) -> str:
    """`int(value)` (or `int(value or 0)`) of a JSON value: NULL where Python raises."""
    text = jtext(v, dialect)
    as_text = f"TRY_CAST(replace(trim({text}), '_', '') AS BIGINT)"
    cases = [
        f"WHEN {t} IN ('BIGINT', 'UBIGINT') THEN TRY_CAST({text} AS BIGINT)",
        f"WHEN {t} = 'DOUBLE' THEN TRY_CAST(CASE WHEN CAST({text} AS DOUBLE) >= 0 THEN "
        f"floor(CAST({text} AS DOUBLE)) ELSE ceil(CAST({text} AS DOUBLE)) END AS BIGINT)",
        f"WHEN {t} = 'BOOLEAN' THEN CASE WHEN {text} = 'true' THEN 1 ELSE 0 END",
        f"WHEN {t} = 'VARCHAR' AND regexp_matches({text}, {lit(_INT_TEXT)}) THEN {as_text}",
    ]
    if falsy_zero:
        cases.insert(0, f"WHEN {t} IS NULL OR {t} = 'NULL' OR {text} = '' THEN 0")
        cases.insert(1, f"WHEN {t} IN ('ARRAY', 'OBJECT') AND {text} IN ('[]', '{{}}') THEN 0")
    return "CASE " + " ".join(cases) + " END"


def _json_str(v: str, t: str, dialect: str) -> str:
    """`str(value or "")` for the string and integer values logs hold."""
    text = jtext(v, dialect)
    return (
        f"CASE WHEN {t} IS NULL OR {t} = 'NULL' THEN '' "
        f"WHEN {t} IN ('BIGINT', 'UBIGINT', 'DOUBLE') AND CAST({text} AS DOUBLE) = 0 THEN '' "
        f"WHEN {t} = 'BOOLEAN' THEN CASE WHEN {text} = 'true' THEN 'True' ELSE '' END "
        f"ELSE {text} END"
    )


def json_select(mapping: dict[str, str], source: str, dialect: str = "duckdb") -> str:
    """JSON lines (and Parquet rows as JSON) → parsed columns, as parse_json."""
    names = ("time", "ip", "path", "status", "bytes", "ua")
    extracts = ", ".join(f"{jget('doc', mapping.get(n, n), dialect)} AS v_{n}" for n in names)
    typed = ", ".join(f"{jtype(f'v_{n}', dialect)} AS t_{n}" for n in names)
    docs = f"SELECT seq, line, {jdoc('line', dialect)} AS doc FROM {source} AS src"
    iso_valid, iso_us, iso_tz = iso_time_columns("tt")
    epoch_text = epoch_number_us("tt")
    epoch_num = epoch_number_us(jtext("v_time", dialect))
    digits = "regexp_matches(tt, '^[0-9]+$')"
    number = "t_time IN ('BIGINT', 'UBIGINT', 'DOUBLE')"
    time_us = (
        f"CASE WHEN {number} THEN {epoch_num} "
        f"WHEN t_time = 'VARCHAR' THEN CASE WHEN {digits} THEN {epoch_text} WHEN {iso_valid} THEN {iso_us} "
        "WHEN t_valid THEN t_us END END"
    )
    time_tz = (
        f"CASE WHEN {number} THEN 0 "
        f"WHEN t_time = 'VARCHAR' THEN CASE WHEN {digits} THEN 0 WHEN {iso_valid} THEN {iso_tz} "
        "WHEN t_valid THEN t_tz END END"
    )
    values = (
        f"SELECT seq, line, doc, v_time, t_time, trim({jtext('v_time', dialect)}) AS tt, "
        "CASE WHEN t_ip IS NULL OR t_ip = 'NULL' THEN NULL WHEN t_ip = 'BOOLEAN' THEN "
        f"CASE WHEN {jtext('v_ip', dialect)} = 'true' THEN 'True' ELSE 'False' END "
        f"ELSE {jtext('v_ip', dialect)} END AS ip, "
        f"{_json_str('v_path', 't_path', dialect)} AS path, "
        f"{_json_int('v_status', 't_status', falsy_zero=False, dialect=dialect)} AS status, "
        f"{_json_int('v_bytes', 't_bytes', falsy_zero=True, dialect=dialect)} AS bytes, "
        f"{_json_str('v_ua', 't_ua', dialect)} AS ua "
        f"FROM (SELECT *, {typed} FROM (SELECT seq, line, doc, {extracts} FROM ({docs}) AS d0) AS d1) AS d2"
    )
    timed = clf_time_stage(
        "tt", f"({values}) AS d3", "seq, line, doc, v_time, t_time, tt, ip, path, status, bytes, ua"
    )
    fields = (
        f"SELECT seq, line, doc, ip, path, status, bytes, ua, {time_us} AS epoch_us, "
        f"{time_tz} AS tz_min FROM ({timed}) AS d4"
    )
    good = "(doc IS NOT NULL AND epoch_us IS NOT NULL AND ip IS NOT NULL AND status IS NOT NULL AND bytes IS NOT NULL)"
    blank = "(line IS NULL OR trim(line) = '')"
    return (
        f"SELECT seq, CASE WHEN {blank} THEN 'skip' WHEN {good} THEN 'ok' ELSE 'bad' END AS status_kind, "
        "epoch_us, tz_min, ip, path, status, bytes, ua, "
        f"CASE WHEN NOT {blank} AND NOT {good} THEN substr(line, 1, 200) END AS bad_text FROM ({fields}) AS d5"
    )


def parse_select(
    kind: str,
    mapping: dict[str, str],
    source: str,
    headers: list[tuple[int, str]],
    dialect: str = "duckdb",
) -> str:
    """The SELECT that parses one file of `kind` from `source` (columns line, seq)."""
    if kind in ("combined", "common"):
        return clf_select(source)
    if kind in ("json", "parquet"):
        return json_select(mapping, source, dialect)
    if kind == "w3c":
        return w3c_select(source, headers)
    raise ValueError(kind)


def w3c_select(source: str, headers: list[tuple[int, str]]) -> str:
    """W3C extended lines → parsed columns, each with the columns of the latest `#Fields:`
    line before it (as parse_w3c: tab-separated when the line has a tab, else whitespace)."""
    segments = [(seq, text[len("#Fields:") :].split()) for seq, text in headers]
    ws = f"[ {_WS}]"
    parts = (
        "CASE WHEN contains(line, '\t') THEN string_split(line, '\t') ELSE "
        f"string_split_regex(regexp_replace(line, '^{ws}+|{ws}+$', '', 'g'), '{ws}+') END"
    )

    def segment_case(per_segment: list[str], default: str = "NULL") -> str:
        whens = " ".join(
            f"WHEN seg = {i} THEN {expr}" for i, expr in enumerate(per_segment) if expr != default
        )
        return f"CASE {whens} ELSE {default} END" if whens else default

    def get(*names: str) -> str:
        per = []
        for _, columns in segments:
            picks = []
            for name in names:
                if name in columns:
                    index = len(columns) - columns[::-1].index(name)  # dict(zip()): the last wins
                    picks.append(f"NULLIF(parts[{index}], '-')")
            picks.append("''")
            per.append(f"COALESCE({', '.join(picks)})" if len(picks) > 1 else "''")
        return segment_case(per, "''")

    seg = "CASE " + " ".join(
        f"WHEN seq > {seq} THEN {i}" for i, (seq, _) in reversed(list(enumerate(segments)))
    ) + " ELSE -1 END" if segments else "-1"  # fmt: skip
    width = segment_case([str(len(columns)) for _, columns in segments])
    iso_valid, iso_us, _ = iso_time_columns("stamp", force_utc=True)
    int_text = lit(_INT_TEXT)
    ua = "ua_raw"
    decoded = f"replace(CASE WHEN contains({ua}, '%') THEN url_decode(url_decode({ua})) ELSE {ua} END, '+', ' ')"
    fields = (
        f"SELECT seq, line, seg, array_length(parts) = {width} AS fits, "
        f"{get('date')} || 'T' || {get('time')} AS stamp, {get('sc-status')} AS status_text, "
        f"{get('sc-bytes')} AS bytes_text, {get('c-ip')} AS ip, {get('cs-uri-stem', 'cs-uri')} AS stem, "
        f"{get('cs-uri-query')} AS query, {get('cs(User-Agent)')} AS ua_raw "
        f"FROM (SELECT seq, line, {seg} AS seg, {parts} AS parts FROM {source} AS src) AS w0"
    )
    good = (
        f"(seg >= 0 AND fits AND {iso_valid} AND regexp_matches(status_text, {int_text}) "
        f"AND (bytes_text = '' OR regexp_matches(bytes_text, {int_text})))"
    )
    skip = "(line IS NULL OR trim(line) = '' OR starts_with(line, '#'))"
    return (
        f"SELECT seq, CASE WHEN {skip} THEN 'skip' WHEN {good} THEN 'ok' ELSE 'bad' END AS status_kind, "
        f"{iso_us} AS epoch_us, 0 AS tz_min, ip, "
        "CASE WHEN query <> '' THEN stem || '?' || query ELSE stem END AS path, "
        "TRY_CAST(replace(trim(status_text), '_', '') AS BIGINT) AS status, "
        "CASE WHEN bytes_text = '' THEN 0 ELSE TRY_CAST(replace(trim(bytes_text), '_', '') AS BIGINT) END AS bytes, "
        f"{decoded} AS ua, CASE WHEN NOT {skip} AND NOT {good} THEN substr(line, 1, 200) END AS bad_text "
        f"FROM ({fields}) AS w1"
    )


def clf_csv_columns(kind: str, pieces: int = 7) -> list[str]:
    """The pieces of a combined (or common) line split at its quotes, as DuckDB's CSV reader
    splits them with `"` as the delimiter and no quoting (a quote never joins two lines).
    `pieces` past the seventh are fields logged after the user-agent (nginx's
    `"$http_x_forwarded_for"`, say)."""
    if kind == "common":
        return ["head", "req", "mid"]
    return ["head", "req", "mid", "ref", "sep", "ua", "tail"] + [
        f"x{i}" for i in range(8, max(pieces, 7) + 1)
    ]


def clf_fast_grouped(
    source: str,
    kind: str,
    pieces: int,
    file_idx: int,
    *,
    samples: int,
    must_index: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
) -> str:
    """One aggregating pass over quote-split combined/common rows (DuckDB only): per kind ×
    bot × (user-agent where not yet classified) × address (crawlers) × minute of the written
    time × status × robots.txt: counts, bytes, earliest/latest time text, conflict samples,
    must-index visits. Rows the checks do not vouch for are 'odd', grouped by their text.

    The checks accept a row only where the reader's regex captures exactly these pieces: no
    backslash in a quoted field, `ip ident user [time] ` as the head with single spaces and
    no other whitespace in the first three fields, a time of the usual 26 characters with
    whole seconds 00-59, a status and a byte count (digits or `-`) alone between single
    spaces, one space between the quoted fields, nothing glued to the last quote. Statuses
    and the minute part of times are checked once per distinct value afterwards
    (`fast_to_grouped`): a busy log repeats each of them millions of times. Per-row work is
    cheap string tests; a regex runs only on the rare unusual head."""
    columns = clf_csv_columns(kind, pieces)
    ns = f"[^ {_WS}]"
    # `ip - - [time] ` by string tests (whitespace in a crawler's address is checked once per
    # address afterwards; no server writes it in a browser's); any other head (a user name,
    # a host name) by the reader's own `\\S+ \\S+ \\S+ \\[`. Whole seconds 00-59 either way.
    usual_head = (
        "(hl > 34 AND strpos(head, ' ') = hl - 33 AND substr(head, hl - 33, 6) = ' - - [' "
        "AND ends_with(head, '] '))"
    )
    any_head = "^" + f"{ns}+ " * 3 + r"\[.{26}\] $"
    if kind == "common":
        bytes_text, ua, mid_rx = "substr(c.mid, 6)", "''", r"^ [0-9]{3} ([0-9]{1,18}|-)$"
    else:
        bytes_text, ua = "substr(c.mid, 6, length(c.mid) - 6)", "c.ua"
        mid_rx = r"^ [0-9]{3} ([0-9]{1,18}|-) $"
    # CASE, not OR: DuckDB evaluates every side of an OR, a CASE only the branch it takes
    checks = [
        f"CASE WHEN {usual_head} THEN TRUE ELSE regexp_matches(head, {lit(any_head)}) END",
        f"regexp_matches(mid, {lit(mid_rx)})",
        "NOT contains(request, '\\')",
    ]
    if kind != "common":
        ends = "WHEN tail = '' THEN TRUE " if len(columns) == 7 else ""
        checks += [
            "sep = ' '",
            "NOT contains(ref, '\\')",
            "NOT contains(agent, '\\')",
            f"CASE {ends}WHEN substr(tail, 1, 1) = ' ' THEN TRUE "
            f"ELSE regexp_matches(substr(tail, 1, 1), '[{_WS}]') END",
        ]
    passed = ", ".join(f"c.{n} AS {n}" for n in columns if n not in ("req", "ua"))
    split = (
        f"SELECT {passed}, c.req AS request, {ua} AS agent, u.bot AS bot, "
        "length(c.head) AS hl, split_part(c.head, ' ', 1) AS ip, "
        f"substr(c.mid, 2, 3) AS status_text, {bytes_text} AS bytes_text "
        f"FROM {source} AS c LEFT JOIN ua_bot AS u ON u.ua = {ua}"
    )
    # a browser's row is grouped by its second (checked once per distinct time), a crawler's
    # by its minute (its address splits the groups already): its seconds are checked here
    human = f"bot = {lit(HUMAN_SQL)}"
    checks.append(
        f"CASE WHEN {human} THEN TRUE ELSE substr(ct, 19, 1) BETWEEN '0' AND '5' "
        "AND substr(ct, 20, 1) BETWEEN '0' AND '9' END"
    )
    cut = f"SELECT *, substr(head, hl - 27, 26) AS ct FROM ({split}) AS r0"
    rows = f"SELECT *, ({' AND '.join(checks)}) AS fast, {file_idx} AS file_idx FROM ({cut}) AS r1"
    line = " || '\"' || ".join({"req": "request", "ua": "agent"}.get(n, n) for n in columns)
    path = _path_of("request")
    robots = (
        "CASE WHEN contains(request, '/robots.txt') THEN "
        f"({path} = '/robots.txt' OR starts_with({path}, '/robots.txt?')) ELSE FALSE END"
    )
    # statuses compared as text: three digits or the group is refused afterwards
    unsure = f"(bot IS NULL OR bot NOT IN ({lit(HUMAN_SQL)}, {lit(OTHER_SQL)}))"
    conflict = "(status_text IN ('401', '403', '429') OR status_text >= '500')"
    required_bots = ", ".join(lit(b) for b in required)
    flags = "".join(
        f", max(CASE WHEN fast AND (bot IS NULL OR bot IN ({required_bots})) "
        f"AND status_text BETWEEN '200' AND '399' AND {path} LIKE {lit(like_pattern(p))} "
        "ESCAPE '\\' THEN 1 ELSE 0 END) AS m" + str(i)
        for i, p in enumerate(must_index if required else ())
    )
    # an odd row's other keys are whatever its pieces held: its text sets it apart
    keys = [
        "file_idx",
        "fast",
        "bot",
        "CASE WHEN bot IS NULL THEN agent END AS ua",
        f"CASE WHEN bot IS NULL OR bot <> {lit(HUMAN_SQL)} THEN ip END AS ip",
        f"CASE WHEN {human} THEN ct ELSE substr(ct, 1, 18) || substr(ct, 21) END AS time_key",
        "status_text",
        f"{robots} AS robots",
        f"CASE WHEN NOT fast THEN {line} END AS text",
    ]
    return (
        f"SELECT {', '.join(keys)}, count(*) AS n, min(ct) AS first_ct, max(ct) AS last_ct, "
        "sum(CASE WHEN fast AND bytes_text <> '-' THEN CAST(bytes_text AS BIGINT) ELSE 0 END) AS b, "
        # a list, not min(x, n): its state is empty in the groups with no conflict (most)
        f"list(struct_pack(c := ct, p := {path})) FILTER (WHERE fast AND {unsure} AND {conflict}) "
        f"AS samples{flags} "
        f"FROM ({rows}) AS r GROUP BY ALL"
    )


def fast_to_grouped(flags: int) -> str:
    """`fast_groups` (times and statuses as text) in the shape of `grouped`. The earliest
    time of each group is resolved in `seconds`; the group's other times differ from it
    only in their seconds (one minute text per group), so they are offsets from it."""

    def at(text: str) -> str:
        return (
            f"s.t_us + (CAST(substr({text}, 19, 2) AS BIGINT) "
            "- CAST(substr(g.first_ct, 19, 2) AS BIGINT)) * 1000000"
        )

    tz = "CAST(s.t_tz AS INTEGER)"
    columns = "".join(f", g.m{i}" for i in range(flags))
    return (
        "SELECT g.file_idx, CASE WHEN g.fast THEN 'ok' ELSE 'odd' END AS kind, g.bot, g.ip, "
        "s.t_us // 60000000 AS minute, CAST(g.status_text AS BIGINT) AS status, g.robots, "
        "g.text, g.n, g.b, "
        f"struct_pack(e := s.t_us, z := {tz}) AS first_key, "
        f"struct_pack(e := {at('g.last_ct')}, z := {tz}) AS last_key, "
        f"list_transform(g.samples, lambda x: struct_pack(e := {at('x.c')}, z := {tz}, p := x.p)) "
        f"AS samples{columns} FROM fast_groups AS g LEFT JOIN seconds AS s ON s.ct = g.first_ct "
        f"WHERE NOT g.fast OR (s.t_valid AND {VALID_STATUS.format('g.status_text')})"
    )


VALID_STATUS = "regexp_full_match({}, '[0-9]{{3}}')"


def seconds_select() -> str:
    """Each distinct time text of `fast_groups` → whether the reader accepts it (no `]`
    inside the brackets, and its time rules) and its instant."""
    stage = clf_time_stage(
        "ct", "(SELECT DISTINCT first_ct AS ct FROM fast_groups WHERE fast) AS k", "ct"
    )
    return (
        f"SELECT ct, t_valid AND NOT contains(ct, ']') AS t_valid, t_us, t_tz FROM ({stage}) AS s"
    )


def like_pattern(pattern: str) -> str:
    """A robots-style must_index pattern (`*` wildcard, `$` end) as a LIKE pattern."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    escaped = body.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return escaped if anchored else escaped + "%"
