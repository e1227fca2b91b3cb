"""Benchmarks of the hotline. ``python -m bench.webhooks`` (or ``make bench``) is the entry point."""
