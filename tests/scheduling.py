"""The order in which xdist's ``--dist loadfile`` hands files to workers.

xdist queues files by their number of tests, so a file with one long test (the Spark
agreement test, one real-nginx probe) used to start last and end the run alone, minutes
after the other workers were idle. The files that hold a worker longest start first; the
rest follow by number of tests, as xdist would order them (``--no-loadscope-reorder`` in
pyproject.toml leaves this order as it is).
"""

from __future__ import annotations

from collections import Counter

import pytest

# Longest first, by the wall time each file held its worker (measured per test on the
# 2-core machine, issue 15); a file missing here only starts later, nothing else changes.
LONGEST_FILES = (
    "test_log_engines_spark.py",
    "test_hostile.py",
    "test_pipelines.py",
    "test_sections.py",
    "test_rate_probe.py",
    "test_real_nginx_maintenance.py",
    "test_rate_probe_retry.py",
    "test_real_nginx_probe.py",
    "test_real_nginx_limits.py",
    "test_real_nginx.py",
    "test_real_nginx_outages.py",
)


def _file_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_per_file = Counter(_file_of(item) for item in items)
    first_seen = {}
    for index, item in enumerate(items):
        first_seen.setdefault(_file_of(item), index)

    def rank(item: pytest.Item) -> tuple[int, int, int]:
        path = _file_of(item)
        name = path.rsplit("/", 1)[-1]
        long_rank = LONGEST_FILES.index(name) if name in LONGEST_FILES else len(LONGEST_FILES)
        return long_rank, -tests_per_file[path], first_seen[path]

    items.sort(key=rank)
