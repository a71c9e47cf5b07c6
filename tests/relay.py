"""Byte relays of the test helpers that stand between two real sockets."""
from __future__ import annotations

import socket


def copy(src: socket.socket, dst: socket.socket) -> None:
    """What `src` sends, to `dst`, until `src` ends or either side fails (gevent or plain sockets)."""
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
