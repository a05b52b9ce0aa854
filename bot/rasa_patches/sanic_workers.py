"""Sanic workers that each listen on their own socket, so the kernel shares connections out evenly.

With ``SANIC_WORKERS`` above 1, Sanic 21.12 binds one listening socket and forks the workers,
which all accept from it. asyncio accepts every waiting connection at once when it wakes
(``_accept_connection`` loops up to the backlog), so when patients' connections arrive together,
one worker takes most of them. Connections stay open (HTTP keep-alive), and so does the
imbalance: in the benchmark at 50 conversations one worker held 35 connections and the other
15, and the busy one's queue set the slowest replies while the other core idled.

Here the main process reserves the address with ``SO_REUSEPORT`` but does not listen on it, and
each worker binds its own listening socket to that address. Linux then hands each new connection
to one of the workers' sockets by a hash of its addresses, independently of which worker woke
first. A worker that is not running has no socket in the group, so no connection waits for it.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, Dict, Tuple

_INSTALLED: Dict[str, Callable[..., Any]] = {}


def _bound(family: int, address: Tuple[str, int]) -> socket.socket:
    """A TCP socket bound to ``address`` with ``SO_REUSEPORT``: Linux lets sockets share a port
    only when every one of them sets it, so the main process's and the workers' are made alike."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def reserve_address(host: str, port: int, *, backlog: int = 100) -> socket.socket:
    """Sanic's ``bind_socket`` for the main process: bound with ``SO_REUSEPORT``, not listening.

    A port that another program holds still fails here, in the main process, with Sanic's
    "Address already in use", before any worker starts. ``backlog`` is taken for the same
    signature and used by each worker's own socket.
    """
    return _bound(socket.AF_INET6 if ":" in host else socket.AF_INET, (host, port))


def own_socket(shared: socket.socket) -> socket.socket:
    """A socket of this worker's own, bound with ``SO_REUSEPORT`` to the shared one's address
    (asyncio starts listening on it when the server starts)."""
    return _bound(shared.family, shared.getsockname()[:2])


def _serve(**settings: Any) -> Any:
    """Sanic's ``serve`` for one process; a worker of several gets a socket of its own."""
    shared = settings.get("sock")
    if (settings.get("run_multiple") and shared is not None
            and shared.family in (socket.AF_INET, socket.AF_INET6)):
        settings["sock"] = own_socket(shared)
    return _INSTALLED["serve"](**settings)


def install() -> None:
    """Use :func:`reserve_address` and per-worker sockets in Sanic's process runner. Once."""
    import sanic.server.runners as runners

    if "serve" in _INSTALLED:
        return
    _INSTALLED["serve"] = runners.serve
    runners.serve = _serve  # type: ignore[assignment]  # same call, any keyword arguments
    runners.bind_socket = reserve_address
