"""Taking a test database away and bringing it back, for real.

PostgreSQL: the store connects through a TCP proxy on loopback; `down()` cuts every
connection and answers new ones by closing them, as a restarting server does;
`blackhole()` keeps every connection open and accepts new ones but forwards nothing,
as a server or a network that drops packets does (nothing is refused, nothing answers).
SQLite: another connection holds the write lock, as a stuck process would; writers
fail with "database is locked" once their busy timeout runs out.
"""
from __future__ import annotations

import socket
import sqlite3
import threading

from sqlalchemy.engine import make_url



class TcpProxy:
    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.is_up = True
        self.blackholed = False
        self._held: list[socket.socket] = []          # accepted while blackholed, never answered
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def down(self) -> None:
        with self._lock:
            self.is_up = False
            for s in self._open:
                _cut(s)
            self._open.clear()

    def up(self) -> None:
        """New connections work again (ones caught in a blackhole stay stuck, as after a real one)."""
        self.is_up = True
        self.blackholed = False

    def blackhole(self) -> None:
        self.blackholed = True

    def close(self) -> None:
        self.down()
        for s in self._held:
            _cut(s)
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.is_up:
                _cut(client)
                continue
            if self.blackholed:
                self._held.append(client)
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self._open.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                if not self.blackholed:         # swallowed: the peer never hears of it
                    dst.sendall(data)
        except OSError:
            pass
        _cut(src)
        _cut(dst)


def _cut(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


class FlakyPostgres:
    def __init__(self, url: str):
        real = make_url(url)
        self.proxy = TcpProxy((real.host, real.port or 5432))
        self.url = real.set(port=self.proxy.port).render_as_string(hide_password=False)

    def down(self) -> None:
        self.proxy.down()

    def up(self) -> None:
        self.proxy.up()

    def blackhole(self) -> None:
        self.proxy.blackhole()

    def close(self) -> None:
        self.proxy.close()


class LockedSqlite:
    def __init__(self, url: str):
        self.url = url
        self.path = make_url(url).database
        self._holder: sqlite3.Connection | None = None

    def down(self) -> None:
        self._holder = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._holder.execute("BEGIN EXCLUSIVE")

    def up(self) -> None:
        if self._holder is not None:
            self._holder.execute("ROLLBACK")
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        self.up()
