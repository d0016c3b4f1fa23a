"""Rules of the sitemaps family: one module per rule, each defining RULE."""
