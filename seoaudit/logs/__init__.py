"""Server access logs: what real, verified crawlers got, and how much load crawlers are."""
