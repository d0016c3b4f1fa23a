"""The aggregation, once: SQL over `parsed` and `ua_bot`, then over the `grouped` it makes.

Every query is DuckDB-dialect text; `seoaudit.logs.engines.sql.dialect` transpiles it for
Spark. The one big query is `grouped_select`: every request line once, grouped per file ×
kind × bot × address (crawlers only) × minute × status × robots.txt, with the counts, the
earliest and latest time, conflict samples and must-index visits of each group. Nothing
after it reads a line again: the verdicts (from the distinct (bot, address) pairs, decided
in Python) join the small `grouped` table, and `assemble.py` fills the `LogAnalysis` the
Python reader fills. No figure depends on the order of lines (samples are the earliest by
time), so a parallel reader that does not keep line order gives the same report.
"""

from __future__ import annotations

from seoaudit.logs.engines.sql import HUMAN_SQL, OTHER_SQL, like_pattern, lit

CONFLICT_STATUS = "(status IN (401, 403, 429) OR status >= 500)"
ROBOTS = "(path = '/robots.txt' OR starts_with(path, '/robots.txt?'))"


def smallest(expr: str, n: int, where: str, dialect: str) -> str:
    """The `n` smallest values of `expr` where `where` holds, as a list (Spark: all of them,
    sorted; the caller keeps `n`)."""
    if dialect == "spark":
        return f"list_sort(list({expr}) FILTER (WHERE {where}))"
    return f"min({expr}, {n}) FILTER (WHERE {where})"


def grouped_select(
    source: str,
    *,
    samples: int,
    must_index: tuple[str, ...] = (),
    required: tuple[str, ...] = (),
    dialect: str = "duckdb",
    bots_stored: bool = False,
) -> str:
    """`source` (the columns of `parsed`: file_idx, status_kind, epoch_us, tz_min, ip, path,
    status, bytes, ua, bad_text) joined with `ua_bot` → the `grouped` rows.

    Kind 'odd' rows (lines a fast reader left to the Python reader) are grouped by their
    text; 'bad' rows only counted. With `bots_stored`, `ua` already holds each row's bot."""
    bot = "q.ua" if bots_stored else "u.bot"
    join = "" if bots_stored else " LEFT JOIN ua_bot AS u ON q.ua = u.ua"
    crawler = f"{bot} NOT IN ({lit(HUMAN_SQL)}, {lit(OTHER_SQL)})"
    ok = "q.status_kind = 'ok'"
    flags = "".join(
        f", max(CASE WHEN q.path LIKE {lit(like_pattern(p))} ESCAPE '\\' THEN 1 ELSE 0 END) "
        f"FILTER (WHERE {ok} AND {bot} IN ({', '.join(lit(b) for b in required)}) "
        f"AND q.status >= 200 AND q.status < 400) AS m{i}"
        for i, p in enumerate(must_index if required else ())
    )
    sample = smallest(
        "struct_pack(e := q.epoch_us, z := q.tz_min, p := q.path)",
        samples,
        f"{ok} AND {crawler} AND {CONFLICT_STATUS.replace('status', 'q.status')}",
        dialect,
    )
    return (
        f"SELECT q.file_idx AS file_idx, q.status_kind AS kind, {bot} AS bot, "
        f"CASE WHEN {ok} AND {bot} <> {lit(HUMAN_SQL)} THEN q.ip END AS ip, "
        "q.epoch_us // 60000000 AS minute, q.status AS status, "
        f"{ROBOTS.replace('path', 'q.path')} AS robots, "
        "CASE WHEN q.status_kind = 'odd' THEN q.bad_text END AS text, "
        "count(*) AS n, sum(q.bytes) AS b, "
        "min(struct_pack(e := q.epoch_us, z := q.tz_min)) AS first_key, "
        "max(struct_pack(e := q.epoch_us, z := q.tz_min)) AS last_key, "
        f"{sample} AS samples{flags} "
        f"FROM {source} AS q{join} WHERE q.status_kind <> 'skip' "
        f"GROUP BY q.file_idx, q.status_kind, {bot}, "
        f"CASE WHEN {ok} AND {bot} <> {lit(HUMAN_SQL)} THEN q.ip END, q.epoch_us // 60000000, "
        f"q.status, {ROBOTS.replace('path', 'q.path')}, "
        "CASE WHEN q.status_kind = 'odd' THEN q.bad_text END"
    )


DISTINCT_AGENTS = "SELECT DISTINCT ua FROM parsed WHERE status_kind = 'ok'"

CLAIMS = (
    "SELECT DISTINCT bot, ip FROM grouped WHERE kind = 'ok' "
    f"AND bot NOT IN ({lit(HUMAN_SQL)}, {lit(OTHER_SQL)})"
)

# `grouped` with each crawler group's verdict
_VERDICTS = (
    f"SELECT g.*, CASE WHEN g.bot = {lit(HUMAN_SQL)} THEN '' "
    f"WHEN g.bot = {lit(OTHER_SQL)} THEN 'unverifiable' ELSE c.verdict END AS verdict "
    "FROM grouped AS g LEFT JOIN claims AS c ON c.bot = g.bot AND c.ip = g.ip "
    "WHERE g.kind = 'ok'"
)

TOTALS = "SELECT kind, sum(n) AS n FROM grouped WHERE kind IN ('ok', 'bad') GROUP BY kind"

ODD_LINES = (
    "SELECT file_idx, text, sum(n) AS n FROM grouped WHERE kind = 'odd' "
    "GROUP BY file_idx, text ORDER BY file_idx, text"
)

CUBE = (
    "SELECT bot, verdict, minute, status, robots, sum(n) AS n, sum(b) AS b "
    f"FROM ({_VERDICTS}) AS v GROUP BY bot, verdict, minute, status, robots"
)

WINDOW = (
    "SELECT f.e, f.z, l.e, l.z FROM (SELECT min(first_key) AS f, max(last_key) AS l "
    "FROM grouped WHERE kind = 'ok') AS w"
)

# requests per address of each crawler group (the report names the busiest, once the
# lines left to the Python reader are counted too)
ADDRESSES = (
    f"SELECT bot, verdict, ip, sum(n) AS n FROM ({_VERDICTS}) AS v "
    f"WHERE bot <> {lit(HUMAN_SQL)} GROUP BY bot, verdict, ip"
)

CONFLICTS = (
    "SELECT bot, robots, status, ip, n, first_key.e, first_key.z, last_key.e, last_key.z, "
    f"samples FROM ({_VERDICTS}) AS v WHERE verdict = 'verified' AND {CONFLICT_STATUS}"
)

MALFORMED_FIRST = (
    "SELECT file_idx, seq, bad_text FROM parsed WHERE status_kind = 'bad' "
    "ORDER BY file_idx, seq LIMIT {limit}"
)
# physical line number of a sampled malformed line: lines of its file up to it
LINE_NUMBERS = (
    "SELECT m.file_idx, m.seq, count(*) AS line_no FROM samples AS m JOIN parsed AS q "
    "ON q.file_idx = m.file_idx AND q.seq <= m.seq GROUP BY m.file_idx, m.seq"
)


def must_index_query(patterns: tuple[str, ...], required: tuple[str, ...]) -> str | None:
    """Per required bot: 1 where a verified 2xx/3xx request matched each pattern."""
    if not patterns or not required:
        return None
    columns = ", ".join(f"max(m{i}) AS m{i}" for i in range(len(patterns)))
    return f"SELECT bot, {columns} FROM ({_VERDICTS}) AS v WHERE verdict = 'verified' GROUP BY bot"
