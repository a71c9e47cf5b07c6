"""Incremental ESL framing: bytes in, frames out, no I/O.

FreeSWITCH frames every message the same way: a header block of `Name: value`
lines ended by an empty line, then, when the block carries `Content-Length`,
exactly that many bytes of body (nothing after it, often no trailing newline).
The boundary never depends on the content type, so the parser only looks at
two headers, and only as bytes:

* `Content-Length` is where the next frame starts.  A value that is not plain
  digits, or a frame (header block or body) larger than `max_frame`, means the
  stream can no longer be trusted: `ProtocolError`, and the caller drops the
  connection.  FreeSWITCH's largest frames are events of ~13 KiB, so the 1 MiB
  default bounds memory per connection without ever cutting a real one.
* `Content-Type` only labels the frame.  Blocks without one are kept as frames
  with an empty label: FreeSWITCH writes the channel name of a linger notice
  unencoded, so a caller whose name holds line breaks can end that notice early
  and leave a label-less block behind.  The reader skips such junk and goes on.

Everything else (decoding values, event bodies, JSON) is `daemon.esl.event`'s job,
done lazily for the few headers a call needs.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

from daemon.esl.errors import ProtocolError

MAX_FRAME = 1 << 20
_BLOCK_END = b"\n\n"


class Frame(NamedTuple):
    content_type: str          # "" when the block had none
    head: bytes                # the header block, without its terminating empty line
    body: bytes                # Content-Length bytes, or b""


def header_value(head: bytes, name: bytes, end: Optional[int] = None) -> Optional[bytes]:
    """The raw value of the first line `name: value` in `head[:end]`, or None.

    Values inside FreeSWITCH's header blocks are URL-encoded, so a line start is
    always a real line start: searching for `\\n<name>: ` is the same as splitting
    the block into lines, without building the list (or copying the block).
    """
    if end is None:
        end = len(head)
    prefix = name + b": "
    if head.startswith(prefix, 0, end):
        start = len(prefix)
    else:
        found = head.find(b"\n" + prefix, 0, end)
        if found < 0:
            return None
        start = found + 1 + len(prefix)
    stop = head.find(b"\n", start, end)
    return head[start:end] if stop < 0 else head[start:stop]


class FrameParser:
    """Feed it TCP segments as they come; it returns the frames they complete.

    Segment boundaries never change the result: a frame is emitted once its last
    byte has arrived, whatever the cuts.
    """

    def __init__(self, max_frame: int = MAX_FRAME):
        self.max_frame = max_frame
        self._buf = bytearray()
        self._pending: Optional[tuple[str, bytes, int]] = None   # head parsed, body awaited
        self._scanned = 0       # bytes of an unfinished header block already searched for its end

    @property
    def buffered(self) -> int:
        """Bytes received that do not yet form a whole frame (a truncated frame at EOF)."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data` (in order); the rest is kept for the next segment.

        The usual segment holds whole messages (~120 KB of events per call): it is
        parsed where it lies, and only an unfinished frame at its end is copied
        into the buffer, where the following segments then accumulate.
        """
        source = data
        if self._buf:
            self._buf += data
            source = self._buf
        with memoryview(source) as view:
            frames, used = self._frames(source, view)
        if source is data:
            self._buf += memoryview(data)[used:]
        else:
            del self._buf[:used]
        return frames

    def _frames(self, buf, view: memoryview) -> tuple[list[Frame], int]:
        """The whole frames in `buf` from its start, and how many bytes they took."""
        frames: list[Frame] = []
        pos = 0
        while True:
            if self._pending is None:
                pos = _skip_blank_lines(buf, pos)
                end = buf.find(_BLOCK_END, max(pos, pos + self._scanned - 1))
                if end < 0:
                    self._scanned = len(buf) - pos
                    if self._scanned > self.max_frame:
                        raise ProtocolError(f"header block longer than {self.max_frame} bytes")
                    return frames, pos
                head = bytes(view[pos:end])
                pos = end + 2
                self._scanned = 0
                self._pending = (_content_type(head), head, self._content_length(head))
            content_type, head, length = self._pending
            if len(buf) - pos < length:
                return frames, pos
            body = bytes(view[pos:pos + length]) if length else b""
            pos += length
            self._pending = None
            frames.append(Frame(content_type, head, body))

    def _content_length(self, head: bytes) -> int:
        raw = header_value(head, b"Content-Length")
        if raw is None:
            return 0
        if not raw.isdigit():
            raise ProtocolError(f"Content-Length {raw[:40]!r} is not a number")
        if len(raw) > 9 or int(raw) + len(head) > self.max_frame:
            raise ProtocolError(f"frame of {raw[:40].decode('ascii')} bytes exceeds {self.max_frame}")
        return int(raw)


def _skip_blank_lines(buf, pos: int) -> int:
    """Stray empty lines between frames carry nothing (FreeSWITCH sends none)."""
    while pos < len(buf) and buf[pos] == 0x0A:
        pos += 1
    return pos


def _content_type(head: bytes) -> str:
    raw = header_value(head, b"Content-Type")
    return "" if raw is None else raw.strip().decode("ascii", "replace")
