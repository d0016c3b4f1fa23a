"""The gather phases, one module each, run in this order by ``gather/service.py``:
robots, sitemaps, discovery, samples, rechecks, rate_probe. Each is ``run(state, fetcher)``."""
