"""Benchmarks (not tests): `python -m bench <http|stats|webhooks> ...`. See README."""
