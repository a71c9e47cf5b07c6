"""A scripted stand-in for the daemon's outbound side, for behaviour tests of the simulator.

It speaks raw ESL through :class:`RawPeer`: the tests say what to send and wait for the
events they expect, so every assertion is about bytes the simulator really sent.
"""
from __future__ import annotations

from .rawpeer import DaemonStub, Message, RawPeer


class ScriptedSession:
    """One outbound connection from the simulator, driven step by step."""

    def __init__(self, peer: RawPeer) -> None:
        self.peer = peer
        self.messages: list[Message] = []

    def _read(self, predicate, timeout: float) -> list[Message]:
        got = self.peer.read_until(predicate, timeout)
        self.messages.extend(got)
        return got

    def command(self, text: str, timeout: float = 2.0) -> Message:
        """Send a command and return its reply (events before it are kept in ``messages``)."""
        self.peer.command(text)
        return self._read(lambda m: m.content_type in ("command/reply", "api/response"), timeout)[-1]

    def start(self, fmt: str = "plain", linger: str | None = "") -> Message:
        """connect, myevents[, linger]: returns the channel data."""
        data = self.command("connect")
        self.command("myevents" if fmt == "plain" else f"myevents {fmt}")
        if linger is not None:
            self.command(f"linger {linger}".strip())
        return data

    def execute(self, app: str, arg: str = "", **headers: str) -> Message:
        lines = ["sendmsg", "call-command: execute", f"execute-app-name: {app}"]
        if arg:
            lines.append(f"execute-app-arg: {arg}")
        lines.extend(f"{name.replace('_', '-')}: {value}" for name, value in headers.items())
        return self.command("\n".join(lines))

    def wait_event(self, name: str, application: str | None = None, timeout: float = 3.0) -> Message:
        def match(m: Message) -> bool:
            return m.event_name == name and (application is None or m.event_value("Application") == application)
        return self._read(match, timeout)[-1]

    def wait_notice(self, disposition: str, timeout: float = 3.0) -> Message:
        return self._read(lambda m: m.content_type == "text/disconnect-notice"
                          and m.get("Content-Disposition") == disposition, timeout)[-1]

    def rest(self, quiet: float = 0.2) -> list[Message]:
        got = self.peer.drain(quiet)
        self.messages.extend(got)
        return got

    def names(self) -> list[str]:
        """What arrived so far, as event names / reply texts / notice dispositions."""
        out = []
        for m in self.messages:
            if m.content_type.startswith("text/event"):
                out.append(m.event_name)
            elif m.content_type == "text/disconnect-notice":
                out.append(f"notice:{m.get('Content-Disposition')}")
            else:
                out.append(m.get("Reply-Text") or m.content_type)
        return out


class ScriptedDaemon:
    """Accepts the simulator's outbound connections."""

    def __init__(self) -> None:
        self.stub = DaemonStub()

    @property
    def address(self) -> tuple[str, int]:
        return self.stub.address

    def accept(self, timeout: float = 2.0) -> ScriptedSession:
        return ScriptedSession(self.stub.accept(timeout))

    def stop(self) -> None:
        self.stub.stop()
