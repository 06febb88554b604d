"""The running process: the composition root (``create_app`` and its wiring), the
server, and the ``paygate`` command line with its demo."""
