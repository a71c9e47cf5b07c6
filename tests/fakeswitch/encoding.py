"""Byte formats of FreeSWITCH's event socket: URL-encoding of header values and framing.

Everything here mirrors what FreeSWITCH 1.11 puts on the wire (see
``tests/esl/transcripts/README.md`` (a copy of ../shared/esl-transcripts/README.md)):

* header values of plain events are URL-encoded with FreeSWITCH's own table, which is
  narrower than ``urllib.parse.quote``: ``/ , ( ) ! * $ ' ~`` stay literal;
* an existing valid ``%XX`` is copied as is (``switch_url_encode`` does not double-encode),
  so ``%0A`` typed by a caller reaches the client as ``%0A``;
* api/response is ``Content-Type`` then ``Content-Length``; events are ``Content-Length``
  then ``Content-Type``; command/reply has no length and no body.
"""
from __future__ import annotations

import re
from json.encoder import encode_basestring

#: What switch_url_encode escapes: control bytes, space, non-ASCII and ``#%&+:;<=>?@[\]^`{|}"``
#: — except a ``%`` that starts a valid ``%XX``, which is copied as is.
_UNSAFE = re.compile(r'%(?![0-9A-Fa-f]{2})|[\x00-\x20#&+:;<=>?@\[\\\]^`{|}"\x80-\U0010ffff]+')

UNDEF = "_undef_"

GOODBYE_BODY = b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"


def _escape(match: re.Match) -> str:
    return "".join(f"%{byte:02X}" for byte in match.group().encode("utf-8"))


def url_encode(value: str) -> str:
    """Encode one header value the way switch_url_encode does (uppercase %XX of UTF-8)."""
    return _UNSAFE.sub(_escape, value)


#: Encoded values by raw value: most (template variables, states, causes, times of the
#: current second) repeat from event to event.  Cleared when it grows past the bound.
_ENCODED: dict[str, str] = {"": UNDEF}
_ENCODED_MAX = 200_000


def header_value(value: str) -> str:
    """A plain-event header value: URL-encoded, ``_undef_`` when empty."""
    try:
        return _ENCODED[value]
    except KeyError:
        if len(_ENCODED) > _ENCODED_MAX:
            _ENCODED.clear()
            _ENCODED[""] = UNDEF
        encoded = _ENCODED[value] = _UNSAFE.sub(_escape, value)
        return encoded


def json_string(value: str) -> str:
    """A JSON string as cJSON prints it: UTF-8 kept, only quotes, backslash, controls escaped."""
    return encode_basestring(value)


def json_value(value: str) -> str:
    """A variable's JSON value: FreeSWITCH ``ARRAY::a|:b`` values become real arrays."""
    if value.startswith("ARRAY::"):
        return "[" + ",".join(json_string(item) for item in value[7:].split("|:")) + "]"
    return json_string(value)


def command_reply(reply_text: str, *extra: tuple[str, str]) -> bytes:
    """A command/reply: no Content-Length, no body, the result in Reply-Text."""
    lines = ["Content-Type: command/reply", f"Reply-Text: {reply_text}"]
    lines.extend(f"{name}: {value}" for name, value in extra)
    return ("\n".join(lines) + "\n\n").encode("utf-8")


def api_response(body: str) -> bytes:
    """An api/response: Content-Type first, then Content-Length, then the exact body."""
    data = body.encode("utf-8")
    return b"Content-Type: api/response\nContent-Length: %d\n\n" % len(data) + data


def event_message(body: bytes, content_type: str) -> bytes:
    """An event: Content-Length first, then Content-Type, then the serialized event."""
    return b"Content-Length: %d\nContent-Type: %s\n\n" % (len(body), content_type.encode()) + body


def inbound_goodbye() -> bytes:
    """The notice FreeSWITCH writes before closing an inbound connection (exit, bad password)."""
    return (
        b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n" % len(GOODBYE_BODY)
        + GOODBYE_BODY
    )


def outbound_goodbye(uuid: str) -> bytes:
    """The final notice of an outbound session; the socket is closed right after it."""
    return (
        b"Content-Type: text/disconnect-notice\nControlled-Session-UUID: %s\n"
        b"Content-Disposition: disconnect\nContent-Length: %d\n\n" % (uuid.encode(), len(GOODBYE_BODY))
        + GOODBYE_BODY
    )


def linger_notice(uuid: str, channel_name: str, linger_time: int) -> bytes:
    """The notice sent when a lingering channel hangs up.

    Its Channel-Name is NOT URL-encoded, unlike every event header: a caller-controlled
    name reaches the client raw (``-1`` is the Linger-Time of a plain ``linger``).
    """
    return (
        "Content-Type: text/disconnect-notice\n"
        f"Controlled-Session-UUID: {uuid}\n"
        "Content-Disposition: linger\n"
        f"Channel-Name: {channel_name}\n"
        f"Linger-Time: {linger_time}\n"
        "Content-Length: 0\n\n"
    ).encode("utf-8")
