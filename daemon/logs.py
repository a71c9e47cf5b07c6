"""One structured line per log record, on stderr.

    time=2026-11-26T21:39:03.120Z level=warning logger=daemon.inbound msg="..." uuid=4a0e…

Fields passed through `extra=` (for call-related lines at least `uuid`) follow as
key=value pairs, so `grep uuid=4a0e` finds every line of one call.  Values with
spaces, quotes or `=` are quoted; newlines (tracebacks) are escaped so a record
stays on one line.
"""
from __future__ import annotations

import logging
import sys
import time
from typing import IO, Optional

LEVELS = ("debug", "info", "warning", "error", "critical")

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = [
            ("time", _utc(record.created)),
            ("level", record.levelname.lower()),
            ("logger", record.name),
            ("msg", record.getMessage()),
        ]
        fields += [(k, v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")]
        if record.exc_info:
            fields.append(("exc", self.formatException(record.exc_info)))
        return " ".join(f"{key}={_value(value)}" for key, value in fields)


def setup(level: str = "info", stream: Optional[IO[str]] = None) -> None:
    """Route the root logger to `stream` (stderr) with the key=value format."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Alembic narrates every migration context at INFO; the store logs what matters.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))


def _utc(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


def _value(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\r\t\\'):
        return text
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"')
               .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))
    return f'"{escaped}"'
