"""The gather progress display: a Rich bar on stderr, only when stderr is a terminal.

The bar measures requests against the request plan (``gather/plan.py``), whose total is
revised once the site's size is known; the plan line itself is printed before the first
request whether or not there is a terminal (``plan_printer``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from seoaudit.gather.state import GatherStats

_REFRESH_S = 0.1


class GatherProgress:
    """Callable progress sink for ``gather()``; a context manager that cleans up the bar."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(file=sys.stderr)
        self._progress = Progress(
            TextColumn("[bold]{task.fields[phase]:<22}"),
            BarColumn(bar_width=24),
            TextColumn(
                "{task.fields[requests]}/{task.fields[planned]} requests · {task.fields[pages]} pages · "
                "{task.fields[rps]:.1f} req/s · {task.fields[errors]} errors"
            ),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self._task = self._progress.add_task(
            "gather",
            total=None,
            phase="starting",
            pages=0,
            requests=0,
            planned="?",
            rps=0.0,
            errors=0,
        )
        self._last = 0.0

    def __enter__(self) -> GatherProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def __call__(self, stats: GatherStats) -> None:
        now = time.monotonic()
        if now - self._last < _REFRESH_S:
            return
        self._last = now
        self._progress.update(
            self._task,
            total=max(stats.planned_requests, stats.requests) or None,
            completed=stats.requests,
            planned=f"~{max(stats.planned_requests, stats.requests)}",
            phase=stats.phase,
            pages=stats.pages,
            requests=stats.requests,
            rps=stats.current_rps,
            errors=stats.errors,
        )


def wants_progress(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


def plan_printer(console: Console, quiet: bool) -> Callable[[str], None] | None:
    """Where the plan line goes before the first request: stderr, unless ``--quiet``."""
    if quiet:
        return None

    def announce(line: str) -> None:
        console.print(line, highlight=False, markup=False)

    return announce
