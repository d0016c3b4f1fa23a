"""Importing this module registers every command group on the app.

One module per command group; each calls `app.command()` / `app.add_typer()` at import.
"""

from seoaudit.cli import (  # noqa: F401
    audit_cmd,
    bots_cmd,
    diff_cmd,
    gather_cmd,
    logs_cmd,
    policy_cmd,
    robots_cmd,
    rules_cmd,
)
