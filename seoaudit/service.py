"""The audit service the CLI is a thin layer over: policy → gather → evaluate → gate → outputs.

Every entry point (``audit``, ``evaluate``, ``report``, ``demo``) ends in ``deliver``, so
outputs, the gate and exit codes behave the same whichever stage the result came from.
Files are written atomically; the JSON result is always written when any file is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seoaudit.atomic import write_atomic, write_atomic_stream
from seoaudit.errors import UsageError
from seoaudit.report import RenderOptions, get_reporter
from seoaudit.result import AuditResult, gate_counts
from seoaudit.snapshot import Snapshot

FAIL_ON = ("error", "warning", "info", "never")


@dataclass
class OutputRequest:
    formats: list[str] = field(default_factory=lambda: ["terminal"])
    output: Path | None = None
    fail_on: str = "error"
    baseline: Path | None = None
    robots_file: str | None = None
    quiet: bool = False
    width: int = 100
    color: bool = False
    source_root: str | None = None  # file locations in CI formats are relative to this
    working_dir: str | None = None  # where relative --policy/--robots-file paths were given
    details: bool = False  # terminal: every change in full (evidence, steps, config)
    fail_on_slo: bool = False  # a breached visibility SLO fails the gate (exit 1)


@dataclass
class Delivered:
    result: AuditResult
    exit_code: int
    written: list[Path] = field(default_factory=list)
    stdout: str = ""


def parse_formats(values: list[str] | None) -> list[str]:
    """``-f sarif -f junit`` and ``-f sarif,junit`` both work; names are checked early."""
    formats: list[str] = []
    for value in values or ["terminal"]:
        for name in value.split(","):
            name = name.strip().lower()
            if name and name not in formats:
                get_reporter(name)  # raises UsageError with the valid names
                formats.append(name)
    return formats or ["terminal"]


def apply_gate(
    result: AuditResult, fail_on: str, baseline: Path | None, fail_on_slo: bool = False
) -> frozenset[str]:
    """Set ``result.gate``; returns the fingerprints of the findings that count toward it."""
    if fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    new_only = None
    if baseline is not None:
        from seoaudit.baseline import site_key

        old = load_result(baseline)
        if site_key(old.site) != site_key(result.site):
            result.warnings.append(
                f"the baseline {baseline} audited {site_key(old.site)}, not "
                f"{site_key(result.site)}: every finding counts as new"
            )
        elif not old.complete:
            result.warnings.append(
                f"the baseline {baseline} is an incomplete audit: findings it did not check "
                "count as new"
            )
        known = {f.fingerprint for f in old.findings}
        new_only = {f.fingerprint for f in result.findings if f.fingerprint not in known}
        result.gate.baseline = str(baseline)
    result.gate.fail_on = fail_on  # type: ignore[assignment]
    result.gate.counted = gate_counts(result.findings, fail_on, new_only)
    result.gate.fail_on_slo = fail_on_slo
    result.gate.slo_breached = list((result.slo or {}).get("breached", [])) if fail_on_slo else []
    result.gate.failed = result.gate.counted > 0 or bool(result.gate.slo_breached)
    return frozenset(f.fingerprint for f in result.findings if gate_counts([f], fail_on, new_only))


def load_result(path: Path) -> AuditResult:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: file not found") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    _not_a_snapshot(text, path)
    return AuditResult.from_json(text, source=str(path))


def _not_a_snapshot(text: bytes, path: Path) -> None:
    """A snapshot passed where a result is expected: say which command reads it.

    Keys are matched with their quotes and colon, which page text inside the JSON (escaped
    as ``\\"``) can never produce.
    """
    if b'"exchanges":' in text and b'"profiles":' in text and b'"findings":' not in text:
        raise UsageError(
            f"{path} is a snapshot (from `seoaudit gather`), not a result: judge it with "
            f"`seoaudit evaluate {path} --policy rules.yaml`"
        )


def _not_a_result(text: bytes, path: Path) -> None:
    if b'"findings":' in text and b'"gate":' in text and b'"exchanges":' not in text:
        raise UsageError(
            f"{path} is a result (from `seoaudit audit` or `evaluate`), not a snapshot: "
            f"re-render it with `seoaudit report {path}`"
        )


def load_snapshot(path: Path) -> Snapshot:
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{path}: file not found") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
    _not_a_result(text, path)
    return Snapshot.from_json(text, source=str(path))


def _targets(request: OutputRequest) -> list[tuple[str, Path | None]]:
    """(format, file or None for stdout) per format."""
    formats = request.formats
    out = request.output
    if out is None:
        files = [f for f in formats if f != "terminal"]
        if len(files) > 1:
            raise UsageError("several file formats need --output DIR")
        return [(f, None) for f in formats]
    if len(formats) == 1 and (out.suffix or not out.is_dir()) and not str(out).endswith("/"):
        fmt = formats[0]
        targets: list[tuple[str, Path | None]] = [(fmt, out)]
        if fmt != "json":
            targets.append(("json", out.with_name(out.stem + ".result.json")))
        return targets
    directory = out
    targets = [
        (f, None if f == "terminal" else directory / f"seoaudit.{get_reporter(f).extension}")
        for f in formats
    ]
    if "json" not in formats:
        targets.append(("json", directory / "seoaudit.json"))
    return targets


def append_step_summary(path: Path, result: AuditResult) -> None:
    """GitHub's job summary is one file the whole job appends to; a failure only warns."""
    text = get_reporter("markdown").render(result, RenderOptions())
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text + "\n")
    except OSError as exc:
        sys.stderr.write(f"warning: could not append the GitHub step summary: {exc.strerror}\n")


def deliver(result: AuditResult, request: OutputRequest) -> Delivered:
    gating = apply_gate(result, request.fail_on, request.baseline, request.fail_on_slo)
    where = {
        "robots_file": request.robots_file,
        "source_root": request.source_root,
        "working_dir": request.working_dir,
        "gating": gating,
        "details": request.details,
    }
    options = RenderOptions(width=request.width, color=request.color, quiet=request.quiet, **where)
    written: list[Path] = []
    stdout_parts: list[str] = []
    for fmt, path in _targets(request):
        reporter = get_reporter(fmt)
        file_options = RenderOptions(width=request.width, **where)
        text = reporter.render(result, options if path is None else file_options)
        if path is None:
            stdout_parts.append(text)
        else:
            write_atomic(path, text)
            written.append(path)
            if fmt == "github":  # GitHub reads workflow commands only from the step's log
                stdout_parts.append(text)
    if request.output is not None and "terminal" not in request.formats:
        # a file run still says where the files went and what the gate decided
        from seoaudit.report.terminal import verdict_line

        if not request.quiet:
            stdout_parts.append("".join(f"wrote {p}\n" for p in written))
        stdout_parts.append(verdict_line(result) + "\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if "github" in request.formats and summary:
        append_step_summary(Path(summary), result)
    code = 3 if not result.complete else (1 if result.gate.failed else 0)
    return Delivered(result, code, written, "".join(stdout_parts))


@dataclass
class AuditRun:
    policy: Any
    registry: Any
    gather_options: Any
    policy_path: str | None = None
    progress: Callable[..., None] | None = None
    snapshot_path: Path | None = None


def gather_and_evaluate(run: AuditRun) -> AuditResult:
    from seoaudit.gather.service import gather
    from seoaudit.rules.engine import evaluate

    snapshot = gather(
        run.policy,
        run.registry,
        run.gather_options,
        progress=run.progress,
        policy_path=run.policy_path,
    )
    if run.snapshot_path is not None:
        write_atomic_stream(run.snapshot_path, snapshot.write_json)
    return evaluate(snapshot, run.policy, run.registry, policy_path=run.policy_path)


def emit(delivered: Delivered) -> None:
    if delivered.stdout:
        sys.stdout.write(delivered.stdout)
        sys.stdout.flush()
