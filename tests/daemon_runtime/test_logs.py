"""Log lines: one per record, key=value, grep-able by call uuid."""
import io
import logging
import re

import pytest

from daemon import logs


@pytest.fixture
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.setup("info", stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_call_line_carries_its_uuid(captured):
    logging.getLogger("daemon.outbound").warning("bridge failed: %s", "USER_BUSY", extra={"uuid": "4a0e-1"})
    line = captured.getvalue()
    assert re.fullmatch(r'time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=warning logger=daemon.outbound '
                        r'msg="bridge failed: USER_BUSY" uuid=4a0e-1\n', line)


def test_a_traceback_stays_on_one_line(captured):
    try:
        raise ValueError('bad "value"')
    except ValueError:
        logging.getLogger("x").exception("failed")
    lines = captured.getvalue().splitlines()
    assert len(lines) == 1
    assert 'exc="Traceback (most recent call last):\\n' in lines[0]
    assert 'ValueError: bad \\"value\\""' in lines[0]


def test_the_level_filters(captured):
    logging.getLogger("x").debug("hidden")
    assert captured.getvalue() == ""
