"""CallSession over real loopback TCP: one test (or more) per greenswitch weak point it fixes."""
from __future__ import annotations

import time

import gevent
import pytest

from daemon.esl.errors import CommandTimeout, ProtocolError, SessionClosed
from daemon.esl.session import CallSession
from tests.esl import transcripts
from tests.esl.peer import pair, parse_command, reply

OUT_01A = "outbound_01a_bridge_fail_hangs_up_caller"
OUT_01B = "outbound_01b_bridge_failover_continue_on_fail"
OUT_06 = "outbound_06_busy_then_caller_cancels_during_ringing"


@pytest.fixture
def link():
    """(session, FreeSWITCH end) over loopback, the session's reader running."""
    ours, fs = pair()
    junk = []
    session = CallSession(ours, command_timeout=2.0, on_junk=junk.append)
    session.junk = junk
    session.start()
    yield session, fs
    session.close()
    fs.close()


def connected(link):
    session, fs = link
    waiter = gevent.spawn(session.connect)
    assert fs.command() == "connect"
    fs.send(transcripts.message(OUT_01B, b"CHANNEL_DATA"))
    waiter.get(timeout=2)
    return session, fs


def completion(app_uuid: str, disposition: str = "USER_BUSY", app: str = "bridge") -> bytes:
    body = transcripts.event_body(transcripts.message(OUT_06, b"CHANNEL_EXECUTE_COMPLETE", b"Application: bridge"))
    body = transcripts.with_header(body, "Application-UUID", app_uuid)
    body = transcripts.with_header(body, "Application", app)
    return transcripts.plain_event(transcripts.with_header(body, "variable_originate_disposition", disposition))


# --------------------------------------------------------------------------- 1. decode after split

def test_1_a_forged_line_in_the_callers_name_stays_in_the_name(link):
    session, fs = link
    name = "x%0ACaller-Destination-Number%3A%20203%0AEvent-Name%3A%20CHANNEL_HANGUP_COMPLETE"
    waiter = gevent.spawn(session.connect)
    fs.command()
    fs.send(transcripts.with_header(transcripts.message(OUT_01B, b"CHANNEL_DATA"), "Caller-Caller-ID-Name", name))
    data = waiter.get(timeout=2)
    assert data.get("Caller-Destination-Number") == "2000"
    assert data.get("Caller-Caller-ID-Name").startswith("x\nCaller-Destination-Number: 203")
    assert session.uuid == "d30d7c2d-ef58-4a98-94ac-da41e4ff6b22"
    assert not session.channel.gone.is_set()


# --------------------------------------------------------------------------- 2. sendall under a lock

def test_2_concurrent_large_commands_arrive_whole_and_unmixed(link):
    session, fs = link
    size = 4 << 20                     # far beyond the socket buffers: sendall has to block and resume
    writers = [gevent.spawn(session.submit, "api echo " + ch * size) for ch in "ab"]
    commands = [fs.command(timeout=10), fs.command(timeout=10)]
    gevent.joinall(writers, raise_error=True)
    assert sorted(c[len("api echo "):len("api echo ") + 1] for c in commands) == ["a", "b"]
    for command in commands:
        body = command[len("api echo "):]
        assert len(body) == size and body == body[0] * size


# --------------------------------------------------------------------------- 3. bounded waits

def test_3_a_command_without_reply_times_out(link):
    session, fs = link
    session.command_timeout = 0.2
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        session.send("api status")
    assert time.monotonic() - started < 1.5


def test_3_a_peer_that_stops_reading_cannot_block_a_write_forever(link):
    session, fs = link
    session.command_timeout = 0.3
    with pytest.raises(CommandTimeout):
        session.submit("api echo " + "x" * (64 << 20))       # FreeSWITCH's end never reads
    assert session.closed.is_set()


# --------------------------------------------------------------------------- 4. body apart

def test_4_a_background_job_result_is_the_body_not_part_of_a_header(link):
    session, fs = link
    jobs = []
    session.register_handle("BACKGROUND_JOB", jobs.append)
    fs.send(transcripts.message("inbound_01_auth_api_bgapi", b"BACKGROUND_JOB") + reply())
    session.send("api status")
    assert jobs[0].get("Job-Command") == "status"
    assert jobs[0].body.startswith("UP 0 years")


# --------------------------------------------------------------------------- 5. completion by Application-UUID

def test_5_a_completion_of_another_run_of_the_same_app_does_not_complete_ours(link):
    session, fs = connected(link)
    run = session.execute(("bridge", "user/1000@127.0.0.1"))[0]
    verb, headers = parse_command(fs.command())
    assert verb == "sendmsg"
    assert headers["execute-app-name"] == "bridge"
    assert headers["event-lock"] == "true"
    assert headers["Event-UUID"] == run.uuid
    fs.send(reply() + completion("2ddd653b-f272-4588-96cc-63ff48ec56c5", "USER_NOT_REGISTERED"))
    with pytest.raises(CommandTimeout):
        session.wait_done(run, 0.2)
    fs.send(completion(run.uuid, "NO_ANSWER"))
    assert session.wait_done(run, 2).get("variable_originate_disposition") == "NO_ANSWER"


def test_5_an_err_reply_fails_the_completion_at_once(link):
    session, fs = connected(link)
    run = session.execute(("nosuchapp", ""))[0]
    fs.command()
    fs.send(reply("-ERR invalid command"))
    with pytest.raises(Exception, match="-ERR"):
        session.wait_done(run, 2)


def test_5_a_line_break_in_an_argument_cannot_start_another_header(link):
    session, fs = connected(link)
    session.execute(("bridge", "{origination_caller_id_name=x\ncall-command: hangup}user/1000@127.0.0.1"))
    verb, headers = parse_command(fs.command())
    assert headers["call-command"] == "execute"
    assert headers["execute-app-arg"] == "{origination_caller_id_name=x call-command: hangup}user/1000@127.0.0.1"


# --------------------------------------------------------------------------- 6. nothing dropped at EOF

def test_6_events_sent_just_before_the_close_are_delivered(link):
    session, fs = connected(link)
    fs.send(transcripts.message(OUT_06, b"CHANNEL_HANGUP_COMPLETE")
            + transcripts.message(OUT_06, b"Content-Disposition: disconnect"))
    fs.close()
    assert session.closed.wait(2)
    assert session.channel.hangup_cause == "ORIGINATOR_CANCEL"
    assert session.channel.hung_up
    assert session.failure is None


# --------------------------------------------------------------------------- 7. no processor greenlet

def test_7_events_reach_the_waiting_call_while_its_command_is_pending(link):
    """A hangup arriving between a command and its reply wakes the call at once."""
    session, fs = connected(link)
    run = session.execute(("bridge", "user/1000@127.0.0.1"))[0]
    fs.command()
    fs.send(transcripts.message(OUT_06, b"Event-Name: CHANNEL_HANGUP\n"))
    assert session.channel.gone.wait(2)
    assert session.channel.hangup_cause == "ORIGINATOR_CANCEL"
    assert not run.reply.ready()


def test_7_a_handler_that_waits_for_freeswitch_fails_fast_instead_of_deadlocking(link):
    session, fs = connected(link)
    errors = []

    def blocking_handler(event):
        try:
            session.send("api uuid_break")
        except RuntimeError as exc:
            errors.append(exc)

    session.register_handle("CHANNEL_PARK", blocking_handler)
    run = session.execute(("bridge", "user/1000@127.0.0.1"))[0]
    fs.command()
    fs.send(transcripts.message(OUT_01A, b"CHANNEL_PARK") + reply() + completion(run.uuid))
    assert session.wait_done(run, 2).get("variable_originate_disposition") == "USER_BUSY"
    assert len(errors) == 1


def test_replies_pair_with_commands_not_with_the_events_in_between(link):
    session, fs = connected(link)
    waiter = gevent.spawn(session.send, "linger 5")
    fs.command()
    fs.send(transcripts.message(OUT_01A, b"CHANNEL_PARK") + reply("+OK will linger 5 seconds"))
    assert waiter.get(timeout=2).data == "+OK will linger 5 seconds"


# --------------------------------------------------------------------------- 8. malformed input

def test_8_a_block_without_content_type_is_skipped_and_counted(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "myevents")
    fs.command()
    fs.send(b"Event-Name: CHANNEL_HANGUP_COMPLETE\nCaller-Destination-Number: 203\n\n"
            b"no colon here\nContent-Type: command/reply\nReply-Text: +OK Events Enabled\n\n")
    assert waiter.get(timeout=2).data == "+OK Events Enabled"
    assert len(session.junk) == 1
    assert not session.channel.gone.is_set()


def test_8_an_unknown_content_type_is_skipped(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "myevents")
    fs.command()
    fs.send(b"Content-Type: text/event-xml\nContent-Length: 5\n\n<x/>\n" + reply())
    assert waiter.get(timeout=2).data == "+OK"
    assert len(session.junk) == 1


def test_8_an_undecodable_json_event_is_skipped(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "myevents json")
    fs.command()
    fs.send(b"Content-Length: 5\nContent-Type: text/event-json\n\n{\"a\":" + reply())
    assert waiter.get(timeout=2).data == "+OK"
    assert len(session.junk) == 1


def test_8_non_utf8_bytes_do_not_stop_the_reader(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "api status")
    fs.command()
    fs.send(b"Content-Type: api/response\nContent-Length: 4\n\n\xff\xfe\xfd\xfc")
    assert waiter.get(timeout=2).body == "\ufffd" * 4


@pytest.mark.parametrize("garbage", [
    b"Content-Type: api/response\nContent-Length: 99999999\n\n",
    b"Content-Type: api/response\nContent-Length: twelve\n\n",
])
def test_8_a_framing_error_closes_the_connection_and_wakes_the_waiter(link, garbage):
    session, fs = link
    waiter = gevent.spawn(session.send, "api status")
    fs.command()
    fs.send(garbage)
    with pytest.raises(ProtocolError):
        waiter.get(timeout=2)
    assert fs.closed_by_daemon(2)
    assert isinstance(session.failure, ProtocolError)


def test_8_a_frame_cut_by_eof_is_a_protocol_error(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "api status")
    fs.command()
    fs.send(b"Content-Type: api/response\nContent-Length: 100\n\nonly part")
    fs.close()
    with pytest.raises(ProtocolError):
        waiter.get(timeout=2)


def test_a_closed_connection_fails_waiters_and_later_commands(link):
    session, fs = link
    waiter = gevent.spawn(session.send, "api status")
    fs.command()
    fs.close()
    with pytest.raises(SessionClosed):
        waiter.get(timeout=2)
    with pytest.raises(SessionClosed):
        session.submit("myevents")


def test_hand_back_resumes_then_closes(link):
    session, fs = connected(link)
    session.hand_back()
    assert fs.closed_by_daemon(2)
    assert fs.command() == "resume"
