"""Adapters for the ports of ``paygate_core``: SQL persistence (``paygate_adapters.sql``),
security (bcrypt, JWT) and webhook delivery (aiohttp). Dependencies point inward only: the
adapters import the core, never the HTTP layer."""
