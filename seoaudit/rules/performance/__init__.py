"""Rules of the performance family: one module per rule, each defining RULE."""
