"""Per-worker listening sockets (bot.rasa_patches.sanic_workers), on real loopback sockets."""

from __future__ import annotations

import errno
import socket
from typing import Any, Dict, Iterator, List

import pytest

from bot.rasa_patches import sanic_workers


@pytest.fixture
def reserved() -> Iterator[socket.socket]:
    sock = sanic_workers.reserve_address("127.0.0.1", 0)
    yield sock
    sock.close()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=2)


def test_the_reserved_address_takes_no_connections(reserved: socket.socket) -> None:
    port = reserved.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        _connect(port)


def test_a_port_held_by_another_program_fails_in_the_main_process() -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        with pytest.raises(OSError) as failure:
            sanic_workers.reserve_address("127.0.0.1", holder.getsockname()[1])
        assert failure.value.errno == errno.EADDRINUSE
    finally:
        holder.close()


def test_workers_sockets_share_the_port_and_each_gets_connections(
    reserved: socket.socket,
) -> None:
    port = reserved.getsockname()[1]
    workers = [sanic_workers.own_socket(reserved) for _ in range(2)]
    clients: List[socket.socket] = []
    try:
        for worker in workers:
            assert worker.getsockname() == reserved.getsockname()
            worker.listen()
            worker.setblocking(False)
        clients = [_connect(port) for _ in range(64)]
        accepted = []
        for worker in workers:
            count = 0
            while True:
                try:
                    worker.accept()[0].close()
                except BlockingIOError:
                    break
                count += 1
            accepted.append(count)
        # The kernel spreads connections by a hash of their addresses: all 64 on one socket
        # would happen about once in 10**19 runs.
        assert sum(accepted) == 64 and min(accepted) > 0, accepted
    finally:
        for sock in workers + clients:
            sock.close()


def test_only_a_worker_of_several_gets_a_socket_of_its_own(
    reserved: socket.socket, monkeypatch: pytest.MonkeyPatch,
) -> None:
    served: List[Dict[str, Any]] = []
    monkeypatch.setitem(sanic_workers._INSTALLED, "serve", lambda **s: served.append(s))
    sanic_workers._serve(sock=reserved, run_multiple=True)
    sanic_workers._serve(sock=reserved, run_multiple=False)
    own = served[0]["sock"]
    try:
        assert own is not reserved and own.getsockname() == reserved.getsockname()
        assert own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert served[1]["sock"] is reserved  # one process: Sanic's socket as it is
    finally:
        own.close()


def test_install_replaces_sanics_runner_functions_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import sanic.server.runners as runners

    monkeypatch.setattr(sanic_workers, "_INSTALLED", {})
    original = runners.serve
    monkeypatch.setattr(runners, "serve", original)
    monkeypatch.setattr(runners, "bind_socket", runners.bind_socket)
    sanic_workers.install()
    sanic_workers.install()
    assert runners.serve is sanic_workers._serve
    assert runners.bind_socket is sanic_workers.reserve_address
    assert sanic_workers._INSTALLED["serve"] is original
