"""seoaudit: find where uptime protections and search/AI crawler visibility collide."""

__version__ = "0.1.0"
