"""The aggregation, once: SQL over `parsed`, `ua_bot` and `claims`, run by any engine.

Every query is DuckDB-dialect text; `seoaudit.logs.engines.sql.dialect` transpiles it for
Spark. The results are small (per bot × verdict × minute × status, a few samples), and
`assemble.py` turns them into the same `LogAnalysis` the Python reader fills.
"""

from __future__ import annotations

from seoaudit.logs.engines.sql import HUMAN_SQL, OTHER_SQL, lit

DISTINCT_AGENTS = "SELECT DISTINCT ua FROM parsed WHERE status_kind = 'ok'"

CLAIMS = (
    "SELECT DISTINCT u.bot, q.ip FROM parsed AS q JOIN ua_bot AS u ON q.ua = u.ua "
    f"WHERE q.status_kind = 'ok' AND u.bot NOT IN ({lit(HUMAN_SQL)}, {lit(OTHER_SQL)})"
)

GOOD = (
    "SELECT q.file_idx, q.seq, q.epoch_us, q.tz_min, q.ip, q.path, q.status, q.bytes, u.bot, "
    f"CASE WHEN u.bot = {lit(HUMAN_SQL)} THEN '' WHEN u.bot = {lit(OTHER_SQL)} THEN 'unverifiable' "
    "ELSE c.verdict END AS verdict, split_part(q.path, '?', 1) = '/robots.txt' AS robots "
    "FROM parsed AS q JOIN ua_bot AS u ON q.ua = u.ua "
    "LEFT JOIN claims AS c ON c.bot = u.bot AND c.ip = q.ip WHERE q.status_kind = 'ok'"
)

TOTALS = (
    "SELECT status_kind, count(*) AS n, sum(bytes) AS b FROM parsed "
    "WHERE status_kind <> 'skip' GROUP BY status_kind"
)

# the cube: everything per-group and per-minute is a sum over it
CUBE = (
    "SELECT bot, verdict, epoch_us // 60000000 AS minute, status, robots, count(*) AS n, "
    f"sum(bytes) AS b FROM ({GOOD}) AS g GROUP BY bot, verdict, epoch_us // 60000000, status, robots"
)

FIRST_SEEN = f"SELECT epoch_us, tz_min FROM ({GOOD}) AS g ORDER BY epoch_us, file_idx, seq LIMIT 1"
LAST_SEEN = (
    f"SELECT epoch_us, tz_min FROM ({GOOD}) AS g ORDER BY epoch_us DESC, file_idx, seq LIMIT 1"
)

# the first `limit` distinct addresses of each (bot, verdict), in log order
FIRST_ADDRESSES = (
    "SELECT bot, verdict, ip FROM (SELECT bot, verdict, ip, row_number() OVER "
    "(PARTITION BY bot, verdict ORDER BY file_idx, s) AS rank_in_group FROM ("
    "SELECT bot, verdict, ip, file_idx, s, row_number() OVER "
    "(PARTITION BY bot, verdict, ip ORDER BY file_idx, s) AS first_of_ip FROM ("
    f"SELECT bot, verdict, ip, file_idx, min(seq) AS s FROM ({GOOD}) AS g "
    "GROUP BY bot, verdict, ip, file_idx) AS f) AS f2 WHERE first_of_ip = 1) AS f3 "
    "WHERE rank_in_group <= {limit}"
)

_CONFLICTS = (
    "SELECT bot, CASE WHEN robots THEN 'robots_txt_' ELSE '' END || CASE WHEN status IN (401, 403) "
    "THEN 'blocked' WHEN status = 429 THEN 'rate_limited' ELSE 'server_error' END AS kind, "
    f"status, file_idx, seq, epoch_us, tz_min, path, ip FROM ({GOOD}) AS g "
    "WHERE verdict = 'verified' AND (status IN (401, 403, 429) OR status >= 500)"
)
CONFLICT_STATUSES = (
    f"SELECT bot, kind, status, count(*) AS n FROM ({_CONFLICTS}) AS k GROUP BY bot, kind, status"
)
CONFLICT_SAMPLES = (
    "SELECT bot, kind, first_rank, last_rank, epoch_us, tz_min, path, status, ip FROM ("
    "SELECT *, row_number() OVER (PARTITION BY bot, kind ORDER BY file_idx, seq) AS first_rank, "
    "row_number() OVER (PARTITION BY bot, kind ORDER BY file_idx DESC, seq DESC) AS last_rank "
    f"FROM ({_CONFLICTS}) AS k) AS r WHERE first_rank <= {{limit}} OR last_rank = 1"
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


def like_pattern(pattern: str) -> str:
    """A robots-style must_index pattern (`*` wildcard, `$` end) as a LIKE pattern."""
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    escaped = body.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return escaped if anchored else escaped + "%"


def must_index_query(patterns: tuple[str, ...], required: tuple[str, ...]) -> str | None:
    """Per required bot: 1 where a verified 2xx/3xx request matched each pattern."""
    if not patterns or not required:
        return None
    columns = ", ".join(
        f"max(CASE WHEN path LIKE {lit(like_pattern(p))} ESCAPE '\\' THEN 1 ELSE 0 END) AS m{i}"
        for i, p in enumerate(patterns)
    )
    bots = ", ".join(lit(b) for b in required)
    return (
        f"SELECT bot, {columns} FROM ({GOOD}) AS g WHERE verdict = 'verified' AND bot IN ({bots}) "
        "AND status >= 200 AND status < 400 GROUP BY bot"
    )
