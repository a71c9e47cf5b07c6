"""One ESL message, decoded the way FreeSWITCH encodes it, and only when asked.

greenswitch's `ESLEvent` URL-decodes the whole message and then splits it into
lines, so a value holding `%0A` (FreeSWITCH passes a caller's `%XX` through
untouched) becomes extra header lines: a caller named
`x%0AEvent-Name:%20CHANNEL_HANGUP_COMPLETE` could forge headers.  It also glues a
body onto the last header.  Here a message is split first and each value is
decoded on its own (`unquote`, never `unquote_plus`: FreeSWITCH sends `+` as
`%2B`), and the body stays apart in `Event.body`.

A call needs five or six of the ~170 headers of each event, so plain events keep
their raw bytes and `get()` finds one header by searching them; `headers` builds
the full dictionary only for callers that want it.

Value conventions, the same for plain and JSON events:
* an empty value (`_undef_` in plain events) reads as "";
* a multi-value variable reads as FreeSWITCH's plain form `ARRAY::a|:b`, and
  `get_list()` gives its items (a JSON event sends a real array);
* a header sent twice (`Hangup-Cause` after a hangup) reads as its first value,
  `get_all()` gives every copy.
"""
from __future__ import annotations

import json
from typing import Optional, Union
from urllib.parse import unquote

from daemon.esl.frames import Frame, header_value

UNDEF = "_undef_"
ARRAY_PREFIX = "ARRAY::"
ARRAY_SEPARATOR = "|:"

PLAIN = "text/event-plain"
JSON = "text/event-json"


def _decode(raw: bytes) -> str:
    text = unquote(raw.decode("utf-8", "replace"))
    return "" if text == UNDEF else text


def _json_text(value: object) -> str:
    if isinstance(value, list):
        return ARRAY_PREFIX + ARRAY_SEPARATOR.join(str(v) for v in value)
    return "" if value is None or value == UNDEF else str(value)


class _Pairs(list):
    """A JSON object as its (key, value) pairs: FreeSWITCH repeats keys."""


def _plain_split(message: bytes) -> tuple[int, int]:
    """Where a plain event's header lines end and its own body starts.

    FreeSWITCH writes the headers, then `Content-Length: N`, an empty line and N
    bytes of body (BACKGROUND_JOB), or the headers and an empty line.  Searching
    for the first empty line costs more than the whole lookup of a header in a
    6 KiB event, so the split is computed from that Content-Length instead.
    """
    size = len(message)
    raw = header_value(message, b"Content-Length")
    if raw is not None and raw.isdigit() and int(raw) <= size - 2:
        cut = size - int(raw)
        if message[cut - 2:cut] == b"\n\n":
            return cut - 2, cut
    if raw is None and message.endswith(b"\n\n"):
        return size - 2, size
    end = message.find(b"\n\n")
    return (size, size) if end < 0 else (end, end + 2)


class Event:
    """A reply, an event or a notice: `content_type`, headers, `body`."""

    __slots__ = ("content_type", "_head", "_head_end", "_body", "_pairs", "_headers", "_name")

    def __init__(self, content_type: str, head: bytes = b"", body: Union[bytes, str] = b"",
                 pairs: Optional[list[tuple[str, object]]] = None, head_end: Optional[int] = None):
        self.content_type = content_type
        self._head = head                       # raw header lines (may run on into the body) ...
        self._head_end = len(head) if head_end is None else head_end    # ... up to here
        self._body = body
        self._pairs = pairs                     # JSON events: (key, value) in order, duplicates kept
        self._headers: Optional[dict[str, str]] = None
        self._name: Optional[str] = None        # Event-Name, read by every stage of the dispatch

    @classmethod
    def from_frame(cls, frame: Frame) -> "Event":
        """Decode a frame; raises ValueError for an event-json body that is not JSON."""
        if frame.content_type == PLAIN:
            head_end, body_start = _plain_split(frame.body)
            return cls(PLAIN, frame.body, frame.body[body_start:], head_end=head_end)
        if frame.content_type == JSON:
            pairs = json.loads(frame.body.decode("utf-8", "replace"), object_pairs_hook=_Pairs)
            if not isinstance(pairs, _Pairs):
                raise ValueError("an event-json body must be one JSON object")
            body = next((v for k, v in pairs if k == "_body"), "")
            return cls(JSON, b"", body if isinstance(body, str) else json.dumps(body), pairs)
        return cls(frame.content_type, frame.head, frame.body)

    # ------------------------------------------------------------------ headers

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """The first value of header `name`, decoded; `default` when absent."""
        if self._headers is not None:
            return self._headers.get(name, default)
        if self._pairs is not None:
            return self.headers.get(name, default)
        raw = header_value(self._head, name.encode("ascii"), self._head_end)
        return default if raw is None else _decode(raw)

    def get_all(self, name: str) -> list[str]:
        """Every value of header `name` in order (FreeSWITCH repeats a few)."""
        return [value for key, value in self._items() if key == name]

    def get_list(self, name: str) -> list[str]:
        """The items of a multi-value variable (`ARRAY::a|:b`); a plain value is one item."""
        if self._pairs is not None:
            for key, value in self._pairs:
                if key == name:
                    return [str(v) for v in value] if isinstance(value, list) else [_json_text(value)]
            return []
        value = self.get(name)
        if value is None:
            return []
        if value.startswith(ARRAY_PREFIX):
            return value[len(ARRAY_PREFIX):].split(ARRAY_SEPARATOR)
        return [value]

    @property
    def headers(self) -> dict[str, str]:
        """All headers, decoded, first value of each (built once, on first use)."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for key, value in self._items():
                headers.setdefault(key, value)
            self._headers = headers
        return self._headers

    def _items(self) -> list[tuple[str, str]]:
        if self._pairs is not None:
            return [(k, _json_text(v)) for k, v in self._pairs if k != "_body"]
        items = []
        for line in self._head[:self._head_end].split(b"\n"):
            key, sep, value = line.partition(b": ")
            if sep:
                items.append((key.decode("utf-8", "replace"), _decode(value)))
        return items

    # ------------------------------------------------------------------ shortcuts

    @property
    def name(self) -> str:
        """Event-Name ("" for replies and notices)."""
        if self._name is None:
            self._name = self.get("Event-Name") or ""
        return self._name

    @property
    def body(self) -> str:
        body = self._body
        return body.decode("utf-8", "replace") if isinstance(body, bytes) else body

    @property
    def data(self) -> str:
        """greenswitch's `event.data`: a reply's Reply-Text, otherwise the body."""
        if self.content_type == "command/reply":
            return self.get("Reply-Text") or ""
        return self.body

    def __repr__(self) -> str:
        return f"<Event {self.content_type} {self.name or self.get('Reply-Text') or ''}>"
