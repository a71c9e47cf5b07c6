"""A loopback port where connections are refused, for tests of an unreachable peer.

The port stays bound (never listening) while the test runs: connecting to it is
refused at once, and no other process can take it meanwhile. (A port found free,
released, then used later may be taken by anyone in between.) A server under test
binds port 0 itself and reports the port it got.
"""
from __future__ import annotations

import contextlib
import socket
from typing import Iterator


@contextlib.contextmanager
def refused_port(host: str = "127.0.0.1") -> Iterator[int]:
    with socket.socket() as held:
        held.bind((host, 0))
        yield held.getsockname()[1]
