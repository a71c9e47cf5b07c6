"""Decoding FreeSWITCH's messages: values one at a time, bodies apart, both event formats."""
from __future__ import annotations

import pytest

from daemon.esl.event import Event
from daemon.esl.frames import FrameParser
from tests.esl import transcripts

OUT_01B = "outbound_01b_bridge_failover_continue_on_fail"
OUT_06 = "outbound_06_busy_then_caller_cancels_during_ringing"
OUT_03 = "outbound_03_myevents_json_linger_timeout"


def events(name: str, conn: str = "c") -> list[Event]:
    frames = FrameParser().feed(b"".join(transcripts.messages(name, conn)))
    return [Event.from_frame(f) for f in frames]


def bridge_completions(name: str) -> list[Event]:
    return [e for e in events(name) if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "bridge"]


def test_connect_reply_text_is_url_decoded():
    connect = events(OUT_01B)[0]
    assert connect.content_type == "command/reply"
    assert connect.get("Reply-Text") == "+OK\n"
    assert connect.get("Caller-Destination-Number") == "2000"
    assert connect.get("Channel-Name") == "sofia/internal/1001@127.0.0.1"
    assert connect.get("Socket-Mode") == "async"


def test_replies_keep_plus_signs():
    replies = [e.data for e in events(OUT_06) if e.content_type == "command/reply"]
    assert replies[1:4] == ["+OK Events Enabled", "+OK will linger 5 seconds", "+OK"]


def test_bridge_dispositions_come_from_each_bridges_own_completion():
    got = [(e.get("variable_originate_disposition"), e.get("variable_DIALSTATUS"), e.get("Application-UUID"))
           for e in bridge_completions(OUT_01B)]
    assert got == [
        ("USER_NOT_REGISTERED", "USER_NOT_REGISTERED", "2ddd653b-f272-4588-96cc-63ff48ec56c5"),
        ("ALLOTTED_TIMEOUT", "ALLOTTED_TIMEOUT", "37f7ba40-b8d6-46a4-bf72-509bab82536f"),
        ("NO_ANSWER", "NOANSWER", "8e08ef41-d6c7-4cda-94ed-d5017ad7f48f"),
        ("SUCCESS", "SUCCESS", "06d3265e-813e-44aa-97b3-1d136fa4e0a0"),
    ]
    assert [(e.get("variable_originate_disposition"), e.get("variable_DIALSTATUS"))
            for e in bridge_completions(OUT_06)] == [("USER_BUSY", "BUSY"), ("ORIGINATOR_CANCEL", "CANCEL")]


def test_application_data_is_decoded_value_by_value():
    first = bridge_completions(OUT_01B)[1]
    assert first.get("Application-Data") == "[leg_delay_start=2,leg_timeout=6]sofia/internal/sip:1@127.0.0.1:5070"


def test_hangup_cause_sent_twice_reads_once_and_lists_twice():
    complete = next(e for e in events(OUT_06) if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert complete.get("Hangup-Cause") == "ORIGINATOR_CANCEL"
    assert complete.get_all("Hangup-Cause") == ["ORIGINATOR_CANCEL", "ORIGINATOR_CANCEL"]


def test_array_variables_read_the_same_in_plain_and_json():
    plain = next(e for e in events(OUT_01B) if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert plain.get_list("variable_originate_causes")[:2] == [
        "2dfccb71-ef04-4019-a640-2797fc218064;ALLOTTED_TIMEOUT", "40a1c93f-256c-45f7-be92-ca92fe6bd4a9;NO_ANSWER"]
    assert plain.get("variable_originate_causes").startswith("ARRAY::2dfccb71")
    as_json = next(e for e in events(OUT_03) if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert as_json.get_list("variable_originate_causes") == [
        "edc13f56-6fbc-4a23-89b2-cc7f637f3836;NONE", "edc13f56-6fbc-4a23-89b2-cc7f637f3836;NONE"]
    assert as_json.get("variable_originate_causes") == (
        "ARRAY::edc13f56-6fbc-4a23-89b2-cc7f637f3836;NONE|:edc13f56-6fbc-4a23-89b2-cc7f637f3836;NONE")


def test_json_events_keep_duplicate_keys_and_string_values():
    complete = next(e for e in events(OUT_03) if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert complete.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "NORMAL_CLEARING"]
    assert isinstance(complete.get("Event-Sequence"), str)
    bridge = [e for e in events(OUT_03) if e.name == "CHANNEL_EXECUTE_COMPLETE" and e.get("Application") == "bridge"]
    assert bridge[0].get("variable_originate_disposition") == "SUCCESS"


def test_bgapi_reply_carries_the_job_uuid():
    replies = [e for e in events("inbound_01_auth_api_bgapi")
               if e.content_type == "command/reply" and e.get("Job-UUID")]
    assert [r.get("Job-UUID") for r in replies] == [
        "1c09df51-57d1-46c8-981a-9635277e7f4d", "bf7c6607-4405-426b-a739-93cdcc346eb3",
        "11111111-2222-3333-4444-555555555555"]
    assert replies[0].data == "+OK Job-UUID: 1c09df51-57d1-46c8-981a-9635277e7f4d"


def test_background_job_body_stays_out_of_the_last_header():
    job = next(e for e in events("inbound_01_auth_api_bgapi") if e.name == "BACKGROUND_JOB")
    assert job.get("Job-UUID") == "bf7c6607-4405-426b-a739-93cdcc346eb3"
    assert job.get("Job-Command") == "status"
    assert job.headers["Content-Length"] == "337"
    assert job.body.startswith("UP 0 years") and job.body.endswith("8192K\n")
    assert len(job.body) == 337


def test_json_body_is_the_body():
    job = next(e for e in events("inbound_05_events_json_during_call") if e.name == "BACKGROUND_JOB")
    assert job.body.startswith("uuid,direction")
    assert "_body" not in job.headers


def test_disconnect_notices():
    notices = [e for e in events(OUT_06) if e.content_type == "text/disconnect-notice"]
    assert [n.get("Content-Disposition") for n in notices] == ["linger", "disconnect"]
    assert notices[0].get("Linger-Time") == "5"
    assert notices[0].get("Channel-Name") == "sofia/internal/1001@127.0.0.1"
    assert notices[1].body.startswith("Disconnected, goodbye.")


def test_an_encoded_newline_stays_inside_its_value():
    """greenswitch weak point 1: decoding before splitting lets a caller forge headers."""
    name = "x%0ACaller-Destination-Number%3A%20203%0AEvent-Name%3A%20CHANNEL_HANGUP_COMPLETE"
    connect = transcripts.message(OUT_01B, b"CHANNEL_DATA")
    forged = transcripts.with_header(connect, "Caller-Caller-ID-Name", name)
    event = Event.from_frame(FrameParser().feed(forged)[0])
    assert event.get("Caller-Caller-ID-Name") == (
        "x\nCaller-Destination-Number: 203\nEvent-Name: CHANNEL_HANGUP_COMPLETE")
    assert event.get("Caller-Destination-Number") == "2000"
    assert event.get("Event-Name") == "CHANNEL_DATA"
    assert event.headers["Caller-Destination-Number"] == "2000"
    assert event.get_all("Event-Name") == ["CHANNEL_DATA"]


def test_undef_reads_as_empty_and_plus_is_not_a_space():
    body = b"Event-Name: CUSTOM\nvariable_a: _undef_\nvariable_b: a+b%2Bc%20d\n\n"
    event = Event.from_frame(FrameParser().feed(transcripts.plain_event(body))[0])
    assert event.get("variable_a") == ""
    assert event.get("variable_b") == "a+b+c d"
    assert event.get("variable_missing", "none") == "none"


def test_non_utf8_values_decode_with_replacement():
    event = Event.from_frame(FrameParser().feed(b"Content-Type: command/reply\nReply-Text: +OK \xff%FF\n\n")[0])
    assert event.get("Reply-Text") == "+OK \ufffd\ufffd"


def test_json_that_is_not_an_object_is_refused():
    frame = FrameParser().feed(b"Content-Length: 7\nContent-Type: text/event-json\n\n[1,2,3]")[0]
    with pytest.raises(ValueError):
        Event.from_frame(frame)
