"""`seoaudit logs` on each engine (Python reader, DuckDB, Spark local) against GoAccess, one run.

    python bench/logs_bench.py [--sizes 2000000,20000000] [--skip spark]

Generates a realistic combined log per size (10% crawler lines: verified and spoofed
Googlebot, Bingbot, GPTBot; the rest browsers; one malformed line in 10,000), then runs each
tool as a child process on the same file. Each child's process tree is sampled from /proc
every 50 ms for peak RSS (the tree's sum: Spark's JVM counts) and CPU time; wait4() gives
the CPU time of the child and the children it reaped, and the larger of the two is printed.
Lines per second are lines over wall time. Any failed run prints FAILED and the bench exits
non-zero; a tool that is not installed is a failure too (pass --skip NAME to leave it out).
After each size the issue's targets are checked against that size's figures (met/MISSED;
a miss exits 1), and the DuckDB and Spark reports are compared with the Python reader's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seoaudit.logs.synthetic import generate

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def write_log(path: Path, lines: int) -> None:
    generated, _ = generate(lines, malformed_every=10_000)
    with path.open("w") as fh:
        for line in generated:
            fh.write(line)
            fh.write("\n")


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _sample(pid: int) -> tuple[int, dict[int, float]]:
    rss, cpu = 0, {}
    for member in _tree(pid):
        try:
            with open(f"/proc/{member}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            rss += int(fields[21]) * PAGE
            cpu[member] = (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, ValueError, IndexError):
            continue
    return rss, cpu


def measure(argv: list[str]) -> tuple[float, float, float]:
    """(CPU seconds, wall seconds, peak RSS MB) of one child and everything it starts."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"}
    )
    peak, cpu_seen, done = 0, {}, threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            rss, cpu = _sample(proc.pid)
            peak = max(peak, rss)
            for member, seconds in cpu.items():
                cpu_seen[member] = max(cpu_seen.get(member, 0.0), seconds)
            done.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - started
    done.set()
    watcher.join()
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: findings, a normal outcome
        cause = next(
            (line.strip() for line in err.splitlines() if "Error" in line or "Exception:" in line),
            err[-400:],
        )
        raise RuntimeError(f"{argv[0]} exited {os.waitstatus_to_exitcode(status)}: {cause[:400]}")
    cpu = max(usage.ru_utime + usage.ru_stime, sum(cpu_seen.values()))
    return cpu, wall, max(peak, usage.ru_maxrss * 1024) / 1e6


def tools(log: Path, out: Path) -> dict[str, list[str]]:
    def seoaudit(engine: str) -> list[str]:
        return [sys.executable, "-m", "seoaudit", "logs", str(log), "--engine", engine, "-f", "json",
                "-o", str(out / f"{engine}.json"), "--fail-on", "never"]  # fmt: skip

    return {
        "seoaudit logs --engine python": seoaudit("python"),
        "seoaudit logs --engine duckdb": seoaudit("duckdb"),
        "seoaudit logs --engine spark (local[*])": seoaudit("spark"),
        "goaccess": [
            "goaccess",
            str(log),
            "--log-format=COMBINED",
            "--no-global-config",
            "-o",
            str(out / "goaccess.json"),
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000000,20000000")
    parser.add_argument(
        "--skip", action="append", default=[], help="python, duckdb, spark or goaccess"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.1f}")
    print(
        "| tool | log lines | lines/s (wall) | CPU s | lines per CPU-second | wall s | peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    failed: list[str] = []
    targets: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for size in sizes:
            log = out / f"access-{size}.log"
            write_log(log, size)
            rates: dict[str, tuple[float, float]] = {}
            for name, argv in tools(log, out).items():
                if any(skip in name for skip in args.skip):
                    continue
                if name == "goaccess" and not shutil.which("goaccess"):
                    print(f"| {name} | {size:,} | FAILED: goaccess is not installed | | | | |")
                    failed.append(name)
                    continue
                try:
                    cpu, wall, rss = measure(argv)
                except RuntimeError as exc:
                    print(f"| {name} | {size:,} | FAILED: {exc} | | | | |")
                    failed.append(name)
                    continue
                rates[name] = (size / wall, rss)
                print(f"| {name} | {size:,} | {size / wall:,.0f} | {cpu:.1f} | {size / cpu:,.0f} | "
                      f"{wall:.1f} | {rss:,.0f} |", flush=True)  # fmt: skip
            targets += _targets(size, rates, out)
            log.unlink()
    if targets:
        print("\nTargets (issue 19, in this run):")
        for line in targets:
            print(f"- {line}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 1 if any(line.startswith("MISSED") for line in targets) else 0


def _targets(size: int, rates: dict[str, tuple[float, float]], out: Path) -> list[str]:
    """The issue's targets for the DuckDB engine at this size, from this run's figures only,
    and whether every engine's report equals the Python reader's."""
    lines = []
    duck = rates.get("seoaudit logs --engine duckdb")
    if duck is None:
        return lines
    for peer in ("seoaudit logs --engine python", "goaccess"):
        if peer in rates:
            ratio = duck[0] / rates[peer][0]
            verdict = "met" if ratio >= 10 else "MISSED"
            lines.append(f"{verdict}: {size:,} lines: DuckDB reads {ratio:.1f}x the lines per "
                         f"second of {peer.split(' --engine ')[-1]} (>= 10x)")  # fmt: skip
    verdict = "met" if duck[1] < 1000 else "MISSED"
    lines.append(f"{verdict}: {size:,} lines: DuckDB peak RSS {duck[1]:,.0f} MB (< 1,000 MB)")
    want = _report(out / "python.json")
    for engine in ("duckdb", "spark"):
        got = _report(out / f"{engine}.json")
        if want is not None and got is not None:
            same = "met" if got == want else "MISSED"
            lines.append(f"{same}: {size:,} lines: the {engine} report equals the Python reader's")
    return lines


def _report(path: Path) -> dict | None:
    """A report without what is meant to differ between engines (which ran, how long)."""
    if not path.exists():
        return None
    report = json.loads(path.read_text())
    for key in ("engine", "safety", "timing_fields"):
        report.pop(key, None)
    path.unlink()
    return report


if __name__ == "__main__":
    sys.exit(main())
