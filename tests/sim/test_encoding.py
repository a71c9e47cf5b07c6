"""FreeSWITCH's value encoding and message framing (README: "Plain events", "Framing")."""
from __future__ import annotations

import json

import pytest

from tests.fakeswitch.encoding import (api_response, command_reply, header_value, inbound_goodbye, json_value,
                                       linger_notice, url_encode)


@pytest.mark.parametrize("raw, encoded", [
    ("sofia/internal/1001@127.0.0.1", "sofia/internal/1001%40127.0.0.1"),
    ("Thu, 26 Nov 2026 21:39:05 GMT", "Thu,%2026%20Nov%202026%2021%3A39%3A05%20GMT"),
    ("fd00::2", "fd00%3A%3A2"),
    ("+OK\n", "%2BOK%0A"),
    ("tone_stream://%(1000,0,440)", "tone_stream%3A//%25(1000,0,440)"),   # % not followed by hex
    ("x%0ACaller-Destination-Number: 203", "x%0ACaller-Destination-Number%3A%20203"),  # %0A kept
    ("/ , ( ) ! * $ ' ~", "/%20,%20(%20)%20!%20*%20$%20'%20~"),
    ('\r\n #%&+:;<=>?@[\\]^`{|}"', "%0D%0A%20%23%25%26%2B%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D%22"),
    ("Иван", "%D0%98%D0%B2%D0%B0%D0%BD"),
    ("tab\there", "tab%09here"),
])
def test_values_are_encoded_with_freeswitchs_table(raw, encoded):
    assert url_encode(raw) == encoded


def test_an_empty_value_is_sent_as_undef():
    assert header_value("") == "_undef_"


def test_array_variables_become_json_arrays_and_the_rest_strings():
    assert json.loads(json_value("ARRAY::2000|:2000")) == ["2000", "2000"]
    assert json.loads(json_value("1234")) == "1234"


def test_command_reply_has_no_length_and_api_response_has_it_second():
    assert command_reply("+OK accepted") == b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"
    assert api_response("false") == b"Content-Type: api/response\nContent-Length: 5\n\nfalse"


def test_disconnect_notices():
    assert inbound_goodbye() == (b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
                                 b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n")
    notice = linger_notice("u-1", "sofia/internal/x%0AEvent-Name: CHANNEL_HANGUP@h", -1)
    assert b"Channel-Name: sofia/internal/x%0AEvent-Name: CHANNEL_HANGUP@h\nLinger-Time: -1\n" in notice
    assert notice.endswith(b"Content-Length: 0\n\n")
