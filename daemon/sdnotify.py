"""systemd's notify protocol (Type=notify / notify-reload), without a dependency.

systemd passes a unix datagram socket in NOTIFY_SOCKET; each state is one
datagram such as ``READY=1``.  A name starting with "@" is in the abstract
namespace.  Outside systemd the variable is unset and nothing is sent.
"""
from __future__ import annotations

import logging
import os
import socket
import time
from typing import Mapping, Optional

log = logging.getLogger(__name__)

READY = "READY=1"
STOPPING = "STOPPING=1"


def reloading() -> str:
    """RELOADING=1 must carry CLOCK_MONOTONIC in µs for Type=notify-reload (systemd 253+)."""
    return f"RELOADING=1\nMONOTONIC_USEC={time.monotonic_ns() // 1000}"


def notify(state: str, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Send `state` to systemd if it is listening; never raises."""
    path = (environ if environ is not None else os.environ).get("NOTIFY_SOCKET")
    if not path:
        return False
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as exc:
        log.warning("cannot notify systemd at %s (%s)", path, exc)
        return False
    return True
