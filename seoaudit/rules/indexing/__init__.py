"""Rules of the indexing family: one module per rule, each defining RULE."""
