"""Log inputs as operators keep them: globs, directories of rotated logs, gzip, zstd, Parquet.

`expand_inputs` turns the command line into an ordered list of files (a glob or directory in
name order, so `access.log.2.gz access.log.1.gz access.log` reads as the shell lists them),
each sniffed by its first bytes, never its name: gzip (1f 8b), zstd (28 b5 2f fd), Parquet
(`PAR1`), or plain text. Nothing is decompressed here beyond the magic bytes.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from seoaudit.logs.parse import LogFormatError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
PARQUET_MAGIC = b"PAR1"
_GLOB_CHARS = set("*?[")
# files a directory of logs holds that are not logs
_SKIP_SUFFIXES = (".md", ".txt.sig", ".sha256", ".crc", "_SUCCESS")


@dataclass(frozen=True, slots=True)
class LogInput:
    """One file to read: where it is, how it is compressed, and its size on disk."""

    path: str  # "-" for stdin
    compression: str = "none"  # none | gzip | zstd
    container: str = "text"  # text | parquet
    size: int = 0

    @property
    def name(self) -> str:
        return "stdin" if self.path == "-" else self.path

    @property
    def remote(self) -> bool:
        """A URI only a cluster engine reads (s3a://, gs://, abfss://, hdfs://, file://)."""
        return "://" in self.path


def remote_input(uri: str) -> LogInput:
    """A log-lake URI, not opened here: Parquet when it names .parquet files or a directory
    (a partition such as `.../date=2026-11-01/`), else text compressed as its suffix says."""
    bare = uri.rstrip("*")
    if ".parquet" in uri or bare.endswith("/"):
        return LogInput(uri, "none", "parquet")
    compression = (
        "gzip" if uri.endswith(".gz") else "zstd" if uri.endswith((".zst", ".zstd")) else "none"
    )
    return LogInput(uri, compression, "text")


def sniff(path: str) -> LogInput:
    """Compression and container from the first bytes; a clear error when unreadable."""
    if path == "-":
        return LogInput("-")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        size = os.path.getsize(path)
    except OSError as exc:
        raise LogFormatError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if head.startswith(GZIP_MAGIC):
        return LogInput(path, "gzip", "text", size)
    if head.startswith(ZSTD_MAGIC):
        return LogInput(path, "zstd", "text", size)
    if head.startswith(PARQUET_MAGIC):
        return LogInput(path, "none", "parquet", size)
    return LogInput(path, "none", "text", size)


def expand_inputs(args: list[str]) -> list[LogInput]:
    """Files named, globbed (quoted globs are expanded here) or found in directories."""
    found: list[LogInput] = []
    for arg in args:
        if arg == "-":
            found.append(LogInput("-"))
            continue
        if "://" in arg:
            found.append(remote_input(arg))
            continue
        if os.path.isdir(arg):
            names = sorted(
                str(p)
                for p in Path(arg).rglob("*")
                if p.is_file()
                and not p.name.startswith(".")
                and not p.name.endswith(_SKIP_SUFFIXES)
            )
            if not names:
                raise LogFormatError(f"{arg}: directory holds no files")
            found.extend(sniff(n) for n in names)
        elif _GLOB_CHARS & set(arg) and not os.path.exists(arg):
            names = sorted(n for n in glob.glob(arg, recursive=True) if os.path.isfile(n))
            if not names:
                raise LogFormatError(f"{arg}: no file matches")
            found.extend(sniff(n) for n in names)
        else:
            found.append(sniff(arg))
    return found
