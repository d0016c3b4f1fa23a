"""Reporters: one module per output format, each rendering an ``AuditResult`` to text.

A format is a plug-in: a module in this package that defines ``REPORTER = Reporter(...)``.
Nothing else lists it (the same discovery as the rule catalog), so adding SARIF or HTML is
adding one file. Reporters never do I/O; the CLI writes what they return, atomically.
"""

from seoaudit.report.base import RenderOptions, Reporter, all_reporters, get_reporter

__all__ = ["RenderOptions", "Reporter", "all_reporters", "get_reporter"]
