"""The frame parser replays every captured FreeSWITCH stream, whole and cut anywhere."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.esl.errors import ProtocolError
from daemon.esl.frames import Frame, FrameParser
from tests.esl import transcripts

STREAMS = transcripts.streams()
STREAM_IDS = [f"{name}:{conn}" for name, conn, _ in STREAMS]

# Messages per Content-Type, counted by hand from the .txt transcripts.
EXPECTED_TYPES = {
    ("inbound_01_auth_api_bgapi", "c"):
        {"auth/request": 1, "command/reply": 8, "api/response": 3, "text/event-plain": 2, "text/disconnect-notice": 1},
    ("inbound_02_auth_wrong_password", "c"):
        {"auth/request": 1, "command/reply": 1, "text/disconnect-notice": 1},
    ("inbound_03_command_before_auth", "c"):
        {"auth/request": 1, "command/reply": 4, "api/response": 1, "text/disconnect-notice": 1},
    ("inbound_04_events_plain_during_call", "c"):
        {"auth/request": 1, "command/reply": 4, "text/event-plain": 7, "text/disconnect-notice": 1},
    ("inbound_05_events_json_during_call", "c"):
        {"auth/request": 1, "command/reply": 4, "text/event-json": 7, "text/disconnect-notice": 1},
    ("inbound_06_sofia_status_reg_and_sofia_contact", "c"):
        {"auth/request": 1, "command/reply": 2, "api/response": 14, "text/disconnect-notice": 1},
    ("inbound_07_bgapi_and_api_error_bodies", "c"):
        {"auth/request": 1, "command/reply": 5, "text/event-plain": 2, "api/response": 6, "text/disconnect-notice": 1},
    ("outbound_01a_bridge_fail_hangs_up_caller", "c"):
        {"command/reply": 5, "api/response": 2, "text/event-plain": 9, "text/disconnect-notice": 1},
    ("outbound_01b_bridge_failover_continue_on_fail", "c"):
        {"command/reply": 8, "text/event-plain": 24, "api/response": 2, "text/disconnect-notice": 1},
    ("outbound_02_answer_playback_hangup_nolinger", "c"):
        {"command/reply": 5, "text/event-plain": 13, "text/disconnect-notice": 1},
    ("outbound_03_myevents_json_linger_timeout", "c"):
        {"command/reply": 4, "text/event-json": 14, "text/disconnect-notice": 2},
    ("outbound_04a_listener_closes_without_resume_call_stays_parked", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 4, "api/response": 2, "text/disconnect-notice": 1},
    ("outbound_04a_listener_closes_without_resume_call_stays_parked", "outbound"): {"command/reply": 1},
    ("outbound_04b_resume_then_close_dialplan_fallback", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 6, "text/disconnect-notice": 1},
    ("outbound_04b_resume_then_close_dialplan_fallback", "outbound"): {"command/reply": 2},
    ("outbound_05_listener_down_dialplan_fallback", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 6, "text/disconnect-notice": 1},
    ("outbound_06_busy_then_caller_cancels_during_ringing", "c"):
        {"command/reply": 6, "text/event-plain": 14, "text/disconnect-notice": 2},
    # the 07 files: counted from the `Content-Type:` lines of each connection in the .txt
    ("outbound_07a_sync_bridge_answered_caller_hangs_up", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 5, "text/disconnect-notice": 1},
    ("outbound_07a_sync_bridge_answered_caller_hangs_up", "outbound"):
        {"command/reply": 5, "text/event-plain": 10, "text/disconnect-notice": 2},
    ("outbound_07b_sync_leg_timeout_then_second_bridge", "outbound"):
        {"command/reply": 6, "text/event-plain": 12, "text/disconnect-notice": 2},
    ("outbound_07c_sync_caller_cancels_during_bridge", "outbound"):
        {"command/reply": 5, "text/event-plain": 6, "text/disconnect-notice": 2},
    ("outbound_07d2_sync_no_resume_listener_closes_while_ringing", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 23, "text/disconnect-notice": 1},
    ("outbound_07d2_sync_no_resume_listener_closes_while_ringing", "outbound"):
        {"command/reply": 3, "text/event-plain": 2},
    ("outbound_07d_sync_resume_listener_closes_while_ringing", "inbound-monitor"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 24, "api/response": 2, "text/disconnect-notice": 1},
    ("outbound_07d_sync_resume_listener_closes_while_ringing", "outbound"):
        {"command/reply": 3, "text/event-plain": 2},
    ("outbound_07e1_sync_uuid_break_caller_while_ringing", "inbound"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 6, "api/response": 1, "text/disconnect-notice": 1},
    ("outbound_07e1_sync_uuid_break_caller_while_ringing", "outbound"):
        {"command/reply": 6, "text/event-plain": 12, "text/disconnect-notice": 2},
    ("outbound_07e2_sync_uuid_kill_bleg_while_ringing", "inbound"):
        {"auth/request": 1, "command/reply": 3, "text/event-plain": 6, "api/response": 1, "text/disconnect-notice": 1},
    ("outbound_07e2_sync_uuid_kill_bleg_while_ringing", "outbound"):
        {"command/reply": 6, "text/event-plain": 12, "text/disconnect-notice": 2},
    ("outbound_07f1_sync_event_plain_and_filter_reduced_subscription", "outbound"):
        {"command/reply": 6, "text/event-plain": 2, "text/disconnect-notice": 2},
    ("outbound_07f2_sync_myevents_then_nixevent_reduced_subscription", "outbound"):
        {"command/reply": 6, "text/event-plain": 2, "text/disconnect-notice": 2},
    ("outbound_07g_async_event_plain_and_filter_reduced_subscription", "outbound"):
        {"command/reply": 6, "text/event-plain": 4, "text/disconnect-notice": 2},
    ("outbound_07h_async_myevents_same_call_as_07a", "outbound"):
        {"command/reply": 5, "text/event-plain": 15, "text/disconnect-notice": 2},
}


def parse_whole(data: bytes) -> list[Frame]:
    parser = FrameParser()
    frames = parser.feed(data)
    assert parser.buffered == 0
    return frames


def parse_in_pieces(data: bytes, cuts: list[int]) -> list[Frame]:
    parser = FrameParser()
    frames: list[Frame] = []
    start = 0
    for cut in sorted(set(cuts)) + [len(data)]:
        frames += parser.feed(data[start:cut])
        start = cut
    assert parser.buffered == 0
    return frames


def test_every_transcript_is_covered():
    assert {(name, conn) for name, conn, _ in STREAMS} == set(EXPECTED_TYPES)


@pytest.mark.parametrize("name, conn, data", STREAMS, ids=STREAM_IDS)
def test_each_message_is_one_frame_and_the_types_add_up(name, conn, data):
    frames = parse_whole(data)
    assert len(frames) == len(transcripts.messages(name, conn))
    assert Counter(f.content_type for f in frames) == EXPECTED_TYPES[(name, conn)]


@pytest.mark.parametrize("name, conn, data", STREAMS, ids=STREAM_IDS)
def test_one_frame_per_recorded_write(name, conn, data):
    parser = FrameParser()
    for message in transcripts.messages(name, conn):
        assert len(parser.feed(message)) == 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_segmentation_parses_like_the_whole_stream(data):
    name, conn, stream = data.draw(st.sampled_from(STREAMS), label="stream")
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=60), label="cuts")
    assert parse_in_pieces(stream, cuts) == parse_whole(stream)


@pytest.mark.parametrize("name, conn, data", STREAMS, ids=STREAM_IDS)
def test_byte_by_byte_near_every_boundary(name, conn, data):
    """Cuts right before, inside and after every `\\n\\n` and every body."""
    cuts, offset = [], 0
    for message in transcripts.messages(name, conn):
        head_end = message.index(b"\n\n")
        cuts += [offset + head_end - 1, offset + head_end, offset + head_end + 1, offset + head_end + 2,
                 offset + len(message) - 1, offset + len(message)]
        offset += len(message)
    assert parse_in_pieces(data, [c for c in cuts if 0 <= c <= len(data)]) == parse_whole(data)


def test_a_body_without_trailing_newline_does_not_swallow_the_next_header():
    data = transcripts.messages("outbound_01b_bridge_failover_continue_on_fail")
    contact = [f for f in parse_whole(b"".join(data)) if f.content_type == "api/response"]
    assert [f.body for f in contact] == [b"error/user_not_registered", b"sofia/internal/sip:1000@127.0.0.1:5080"]


def test_the_connect_reply_is_one_header_block_without_body():
    reply = parse_whole(transcripts.messages("outbound_01b_bridge_failover_continue_on_fail")[0])[0]
    assert reply.content_type == "command/reply"
    assert reply.body == b""
    assert reply.head.startswith(b"Event-Name: CHANNEL_DATA\n")
    assert reply.head.count(b"\n") > 150


# --------------------------------------------------------------------------- malformed input

def test_a_block_without_content_type_is_a_frame_with_an_empty_label():
    frames = parse_whole(b"Event-Name: CHANNEL_HANGUP_COMPLETE\nLinger-Time: -1\nContent-Length: 3\n\nabc"
                         b"Content-Type: command/reply\nReply-Text: +OK\n\n")
    assert [(f.content_type, f.body) for f in frames] == [("", b"abc"), ("command/reply", b"")]


def test_lines_without_colon_space_do_not_break_framing():
    frames = parse_whole(b"garbage line\nContent-Type: command/reply\nReply-Text: +OK\n\n")
    assert [f.content_type for f in frames] == ["command/reply"]


@pytest.mark.parametrize("value", [b"12x", b"-5", b" 12", b"0x10", b""])
def test_a_non_numeric_content_length_is_a_protocol_error(value):
    with pytest.raises(ProtocolError):
        FrameParser().feed(b"Content-Type: api/response\nContent-Length: " + value + b"\n\n")


def test_a_huge_content_length_is_a_protocol_error_before_any_body_arrives():
    with pytest.raises(ProtocolError):
        FrameParser().feed(b"Content-Type: api/response\nContent-Length: 99999999\n\n")


def test_a_header_block_that_never_ends_is_cut_at_the_frame_cap():
    parser = FrameParser(max_frame=4096)
    parser.feed(b"X-Filler: " + b"a" * 4000)
    with pytest.raises(ProtocolError):
        parser.feed(b"a" * 200)


def test_a_truncated_frame_stays_buffered():
    parser = FrameParser()
    assert parser.feed(b"Content-Type: api/response\nContent-Length: 10\n\nabc") == []
    assert parser.buffered == 3


def test_non_utf8_bytes_pass_through_framing():
    frames = parse_whole(b"Content-Type: api/response\nContent-Length: 4\n\n\xff\xfe\x00\x80")
    assert frames[0].body == b"\xff\xfe\x00\x80"
