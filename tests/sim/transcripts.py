"""Reading the reference transcripts (``tests/esl/transcripts/*.jsonl``) and
comparing a simulator run with them.

A transcript is a list of steps per connection: what the client sent, and FreeSWITCH's
messages, split by the same framing as :class:`~tests.sim.rawpeer.RawPeer` uses.  The
comparison looks at structure, not at values that change from run to run:

* the sequence of message *kinds* — Content-Type, Event-Name, Reply-Text, and the
  Content-Disposition of disconnect notices — with UUIDs removed from Reply-Text;
* per message kind, the header names in order, outside the ``variable_*`` block;
* framing: Content-Length equals the body length, whether a body ends in a newline.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from tests.esl.transcripts import DIR as TRANSCRIPTS

from .rawpeer import Message

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Step:
    conn: str            # connection label in the transcript ("c", "outbound", "inbound-monitor")
    kind: str            # "send" | "recv" | "note"
    data: bytes = b""
    message: Message | None = None
    text: str = ""


def _split(stream: bytes) -> tuple[list[Message], bytes]:
    out = []
    while True:
        end = stream.find(b"\n\n")
        if end < 0:
            return out, stream
        block = stream[:end].decode()
        headers = [tuple(line.split(": ", 1)) if ": " in line else (line, "") for line in block.split("\n")]
        length = dict(headers).get("Content-Length")
        need = end + 2 + (int(length) if length else 0)
        if len(stream) < need:
            return out, stream
        out.append(Message(headers, stream[end + 2:need], stream[:need]))
        stream = stream[need:]


def load(name: str) -> list[Step]:
    """Every step of ``raw/<name>.jsonl`` in file order (messages once complete)."""
    steps: list[Step] = []
    pending: dict[str, bytes] = {}
    for line in (TRANSCRIPTS / f"{name}.jsonl").read_text().splitlines():
        row = json.loads(line)
        conn = row["conn"]
        if row["dir"] == "note":
            steps.append(Step(conn, "note", text=row["text"]))
        elif row["dir"] == "client->fs":
            steps.append(Step(conn, "send", data=row["data"].encode()))
        else:
            messages, rest = _split(pending.get(conn, b"") + row["data"].encode())
            pending[conn] = rest
            steps.extend(Step(conn, "recv", message=m) for m in messages)
    return steps


def connection(steps: list[Step], conn: str) -> list[Step]:
    return [step for step in steps if step.conn == conn]


def received(steps: list[Step]) -> list[Message]:
    return [step.message for step in steps if step.kind == "recv"]


def kind(message: Message) -> tuple[str, ...]:
    """What a message is, without the values that change per run."""
    content_type = message.content_type
    if content_type == "command/reply":
        reply = _UUID.sub("<uuid>", message.get("Reply-Text", ""))
        if message.get("Event-Name"):
            return ("command/reply", reply, message.get("Event-Name"))
        return ("command/reply", reply)
    if content_type in ("text/event-plain", "text/event-json"):
        return (content_type, message.event_name or "")
    if content_type == "text/disconnect-notice":
        return (content_type, message.get("Content-Disposition") or "")
    return (content_type,)


def kinds(messages: list[Message]) -> list[tuple[str, ...]]:
    return [kind(m) for m in messages]


def header_names(message: Message) -> list[str]:
    """Header names of a message (of the event inside it) with the variables left out."""
    names = [name for name, _ in (message.event or message.headers)]
    return [name for name in names if not name.startswith("variable_")]


def variable_names(message: Message) -> list[str]:
    return [name for name, _ in message.event if name.startswith("variable_")]


def framing_problems(message: Message) -> list[str]:
    """Violations of the framing rules in the README (empty list when none)."""
    problems = []
    length = message.get("Content-Length")
    names = [name for name, _ in message.headers]
    if length is not None and int(length) != len(message.body):
        problems.append(f"Content-Length {length} != body {len(message.body)}")
    if message.content_type == "api/response" and names[:2] != ["Content-Type", "Content-Length"]:
        problems.append(f"api/response header order {names}")
    if message.content_type.startswith("text/event-") and names != ["Content-Length", "Content-Type"]:
        problems.append(f"event header order {names}")
    if message.content_type == "command/reply" and length is not None:
        problems.append("command/reply with a Content-Length")
    if message.content_type == "text/event-json" and message.body.endswith(b"\n"):
        problems.append("JSON event ends in a newline")
    return problems
