"""Rules of the ratelimit family: one module per rule, each defining RULE."""
