"""Why an ESL conversation could not go on."""
from __future__ import annotations

from greenswitch.esl import OutboundSessionHasGoneAway


class ESLError(Exception):
    """Base of the errors of this package."""


class ProtocolError(ESLError):
    """The byte stream broke ESL framing; the connection must be dropped."""


class CommandTimeout(ESLError):
    """FreeSWITCH did not reply (or take our bytes) within the command timeout."""


class CommandFailed(ESLError):
    """FreeSWITCH answered a command with `-ERR ...`."""


class SessionClosed(ESLError, OutboundSessionHasGoneAway):
    """The connection is gone; also greenswitch's "session has gone away"."""
