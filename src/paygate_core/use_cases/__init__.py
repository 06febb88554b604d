"""The application service layer: one plain function per use case.

Each takes its command and the ports it needs explicitly, runs in one unit of work, and
raises domain errors carrying the contract's codes. ``paygate_core.gateway.Paygate`` binds
the ports once for callers that prefer an object.
"""
