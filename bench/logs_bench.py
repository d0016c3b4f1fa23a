"""`seoaudit logs` against GoAccess on the same generated combined log, in one run.

    python bench/logs_bench.py [--lines 2000000] [--small 200000]

Generates a realistic combined log (10% crawler lines: verified and spoofed Googlebot,
Bingbot, GPTBot; the rest browsers), then runs each tool as a child process on one core
and reads that child's own CPU time and peak RSS from wait4(). Prints lines per CPU-second
and peak RSS for a small and a large file, so flat memory shows as two equal figures.
GoAccess (Debian's `goaccess`) is skipped with a note when it is not installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seoaudit.logs.synthetic import generate


def write_log(path: Path, lines: int) -> None:
    generated, _ = generate(lines, malformed_every=10_000)
    with path.open("w") as fh:
        for line in generated:
            fh.write(line)
            fh.write("\n")


def measure(argv: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak RSS MB) of one child process."""
    import time

    started = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"}
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{argv[0]} failed: {err[-500:]}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def tools(log: Path, out: Path) -> dict[str, list[str]]:
    runs = {
        "seoaudit logs": [sys.executable, "-m", "seoaudit", "logs", str(log), "-f", "json",
                          "-o", str(out / "seoaudit.json")],
    }  # fmt: skip
    if shutil.which("goaccess"):
        runs["goaccess"] = ["goaccess", str(log), "--log-format=COMBINED", "--no-global-config",
                            "-o", str(out / "goaccess.json")]  # fmt: skip
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--small", type=int, default=200_000)
    args = parser.parse_args()
    if not shutil.which("goaccess"):
        print("note: goaccess is not installed (apt-get install goaccess); only seoaudit runs")
    print("| tool | log lines | lines per CPU-second | wall s | peak RSS MB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for size in (args.small, args.lines):
            log = out / f"access-{size}.log"
            write_log(log, size)
            for name, argv in tools(log, out).items():
                cpu, wall, rss = measure(argv)
                print(f"| {name} | {size:,} | {size / cpu:,.0f} | {wall:.1f} | {rss:.0f} |")
            log.unlink()


if __name__ == "__main__":
    main()
