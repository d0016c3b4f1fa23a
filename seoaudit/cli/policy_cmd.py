"""CLI commands: placeholder until its issue lands."""

from seoaudit.cli.main import app  # noqa: F401
