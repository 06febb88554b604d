"""Benchmarks (not tests): `python -m bench <http|stats|webhooks|pages> ...`. See README."""
