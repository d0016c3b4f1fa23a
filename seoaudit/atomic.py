"""Atomic file writes: a report is either the old good file or the new complete one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from seoaudit.errors import UsageError


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it.

    Raises UsageError with a plain message on any OS error (full disk, no permission).
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp_name: str | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
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
