"""The tests' one HTTP/1.1 client, on gevent sockets: it talks to the daemon's gevent
server from the same thread over real TCP (the standard library's would block the hub),
and to a daemon in another process as well."""
from __future__ import annotations

from typing import NamedTuple

from gevent import socket


class Response(NamedTuple):
    status: int
    headers: dict[str, str]         # names in lower case
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def text(self) -> str:
        return self.body.decode()


def get(address: tuple[str, int], path: str, method: str = "GET", timeout: float = 5.0) -> Response:
    return request(address, method, path, timeout=timeout)


def request(address: tuple[str, int], method: str, path: str, body: bytes = b"",
            headers: dict[str, str] | None = None, timeout: float = 5.0) -> Response:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {address[0]}:{address[1]}", "Connection: close",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(raw)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return _parse(b"".join(chunks))


def _parse(data: bytes) -> Response:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Response(int(status_line.split()[1]), headers, body)
