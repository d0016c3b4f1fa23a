"""The command table: each top-level command, the module that defines it, and its one-line help.

Nothing here is imported until its command runs, so ``seoaudit --version`` and ``--help`` cost
Typer's own import and no more (issue 18). To add a command, write ``seoaudit/cli/<x>_cmd.py``
with ``app = command_app()`` and ``@app.command("x")`` (or ``app.add_typer(group, name="x")``),
then add one line below; ``tests/test_cli_basics.py`` checks that the help here matches the
command's own docstring.
"""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    module: str  # defines ``app``, a Typer holding this command (or group) under its name
    help: str  # the first line of the command's docstring, for ``seoaudit --help``


COMMANDS: dict[str, Entry] = {
    "audit": Entry(
        "seoaudit.cli.audit_cmd",
        "Audit a site: where do uptime protections and crawler visibility collide?",
    ),
    "gather": Entry(
        "seoaudit.cli.gather_cmd",
        "Gather robots.txt, sitemaps, pages and per-bot probes into a snapshot (JSON).",
    ),
    "evaluate": Entry(
        "seoaudit.cli.audit_cmd", "Judge a saved snapshot against a policy, offline."
    ),
    "report": Entry(
        "seoaudit.cli.audit_cmd",
        "Re-render a saved result in any format (no network). Exit code follows the gate.",
    ),
    "diff": Entry(
        "seoaudit.cli.diff_cmd",
        "Compare two audit results by finding fingerprint (stable across runs and ports).",
    ),
    "demo": Entry(
        "seoaudit.cli.audit_cmd",
        "Serve the demo shop on 127.0.0.1, audit it, and show the report (no network needed).",
    ),
    "robots": Entry(
        "seoaudit.cli.robots_cmd",
        "Test, lint and diff robots.txt files exactly as Google reads them.",
    ),
    "policy": Entry("seoaudit.cli.policy_cmd", "Validate and scaffold the policy (rules.yaml)."),
    "rules": Entry("seoaudit.cli.rules_cmd", "List the rules, or print one rule's docs."),
    "bots": Entry("seoaudit.cli.bots_cmd", "The crawler registry seoaudit ships."),
    "logs": Entry(
        "seoaudit.cli.logs_cmd",
        "Identify and verify crawlers in access logs; confirmed conflicts exit 1.",
    ),
    "trend": Entry(
        "seoaudit.cli.trend_cmd",
        "Show the shared scoreboard and SLOs over recorded runs, flagging regressions.",
    ),
}
