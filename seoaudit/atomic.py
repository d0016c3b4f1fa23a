"""Atomic file writes: a report is either the old good file or the new complete one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from seoaudit.errors import UsageError


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it.

    Raises UsageError with a plain message on any OS error (full disk, no permission).
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    write_atomic_stream(path, lambda fh: fh.write(payload), binary=True)


def write_atomic_stream(
    path: str | os.PathLike[str], write: Callable[[Any], object], *, binary: bool = False
) -> None:
    """``write_atomic`` for output too big to hold: ``write`` gets the open temp file (text,
    UTF-8, unless ``binary``) and writes it piece by piece; the rename happens after."""
    target = Path(path)
    tmp_name: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        # mkstemp makes the file 0600; a report is an ordinary file: keep the mode of the
        # file it replaces, else what the umask gives a new file (0644 under umask 022).
        os.fchmod(fd, _existing_mode(target) or (0o666 & ~_umask()))
        mode = "wb" if binary else "w"
        with os.fdopen(fd, mode, **({} if binary else {"encoding": "utf-8", "newline": ""})) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _existing_mode(target: Path) -> int | None:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return None


def _umask() -> int:
    """The process umask, read without changing it where the kernel reports it (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask
