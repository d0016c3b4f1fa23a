"""Rules of the robots family: one module per rule, each defining RULE."""
