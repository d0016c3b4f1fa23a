"""Rules of the challenge family: one module per rule, each defining RULE."""
