"""The byte streams captured from a real FreeSWITCH 1.11 (see transcripts/README.md).

Each `transcripts/<name>.jsonl` line is one write: `dir` is "fs->client",
"client->fs" or "note", `conn` names the connection, `data` holds the bytes.
Every fs->client record is exactly one ESL message.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DIR = Path(__file__).parent / "transcripts"
FROM_FS = "fs->client"


def names() -> list[str]:
    return sorted(path.stem for path in DIR.glob("*.jsonl"))


@lru_cache(maxsize=None)
def records(name: str) -> tuple[dict, ...]:
    with open(DIR / f"{name}.jsonl", encoding="utf-8") as lines:
        return tuple(json.loads(line) for line in lines)


def messages(name: str, conn: str = "c") -> list[bytes]:
    """FreeSWITCH's messages on one connection, in order, as bytes."""
    return [r["data"].encode("utf-8") for r in records(name) if r["dir"] == FROM_FS and r["conn"] == conn]


def connections(name: str) -> list[str]:
    seen: dict[str, None] = {}
    for r in records(name):
        if r["dir"] == FROM_FS:
            seen.setdefault(r["conn"])
    return list(seen)


def streams() -> list[tuple[str, str, bytes]]:
    """(transcript, connection, every byte FreeSWITCH sent on it) for all transcripts."""
    return [(name, conn, b"".join(messages(name, conn))) for name in names() for conn in connections(name)]


def message(name: str, *needles: bytes, conn: str = "c", nth: int = 0) -> bytes:
    """The nth message of a transcript containing every needle."""
    found = [m for m in messages(name, conn) if all(n in m for n in needles)]
    return found[nth]


def event_body(framed: bytes) -> bytes:
    """The event inside a `text/event-plain` message (what follows its outer header block)."""
    return framed.split(b"\n\n", 1)[1]


def plain_event(body: bytes) -> bytes:
    """Frame an event body the way FreeSWITCH does: Content-Length first."""
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n" % len(body) + body


def with_header(block: bytes, name: str, value: str) -> bytes:
    """`block` with the value of its first `name: ` line replaced by `value` (already encoded)."""
    prefix = f"{name}: ".encode()
    start = 0 if block.startswith(prefix) else block.index(b"\n" + prefix) + 1
    end = block.index(b"\n", start)
    return block[:start] + prefix + value.encode() + block[end:]
