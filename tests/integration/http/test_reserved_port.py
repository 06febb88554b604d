"""``serve --workers N``: each worker listens on its own socket on a reserved port, so the
kernel spreads connections over them; a port somebody else holds is refused, not shared."""

from __future__ import annotations

import select
import socket

import pytest

from paygate_http.process.server import bind_socket, reserve_port


def test_a_port_in_use_is_refused_not_shared() -> None:
    taken = bind_socket("127.0.0.1", 0)
    reserved = reserve_port("127.0.0.1", 0)
    worker = bind_socket("127.0.0.1", reserved.getsockname()[1], reuse_port=True)
    try:
        for port in (taken.getsockname()[1], reserved.getsockname()[1]):
            with pytest.raises(OSError, match="in use"):
                reserve_port("127.0.0.1", port)
    finally:
        for sock in (taken, worker, reserved):
            sock.close()


def test_connections_are_spread_over_the_workers_sockets() -> None:
    reserved = reserve_port("127.0.0.1", 0)
    port = reserved.getsockname()[1]
    workers = [bind_socket("127.0.0.1", port, reuse_port=True) for _ in range(2)]
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
    try:
        accepted = [0, 0]
        while sum(accepted) < len(clients):
            ready, _, _ = select.select(workers, [], [], 5)
            assert ready, "a connection was never offered to a worker"
            for sock in ready:
                connection, _ = sock.accept()
                connection.close()
                accepted[workers.index(sock)] += 1
        assert min(accepted) > 0, accepted  # all 32 on one socket: p = 2 ** -31
    finally:
        for sock in (*clients, *workers, reserved):
            sock.close()
