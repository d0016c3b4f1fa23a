"""What every layer reads about the web the same way: URLs, header values, what a response is.

Below the gatherers and the analysis alike, so neither imports the other (docs/internals.md).
"""
