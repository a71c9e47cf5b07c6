"""The recovery call: `bgapi originate` to an employee's mobile, the digits they key.

Each call has an inbound ESL connection of its own (config `freeswitch:`), so its
events never mix with another call's and nothing has to be multiplexed:

    auth <password>
    filter Unique-ID <uuid>               only this call's channel ...
    filter Job-UUID <job>                 ... and its originate's BACKGROUND_JOB
    event plain CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB
    bgapi originate {origination_uuid=<uuid>,...}sofia/gateway/<gw>/<mobile> '&play_and_get_digits(...)'
    Job-UUID: <job>

The channel's UUID is chosen here (`origination_uuid`), so the filter is in place
before the channel exists. The prompt travels as the channel variable
`recovery_prompt` in the `{...}` block (commas escaped with a backslash) and the application
reads `${recovery_prompt}`: mod_commands' originate ends `&app(...)`'s arguments at
the first `)` (FreeSWITCH v1.11.1 mod_commands.c originate_function, `strchr(app_name, ')')`),
which a tone_stream's `%(on,off,freq)` would cut short; the application's own arguments
hold no `)`, so its closing one is the first. `\\d+` arrives as sent: the originate's
argument split keeps a backslash before anything but a quote, a backslash or n/r/t/s
(switch_utils.c cleanup_separated_string). The originated leg runs one inline application,
play_and_get_digits, which stores the keyed digits in the channel variable
`recovery_code`; its CHANNEL_EXECUTE_COMPLETE carries them as
`variable_recovery_code` (every channel event carries the channel's variables). The
inline dialplan then ends and FreeSWITCH hangs the leg up. BACKGROUND_JOB says
`+OK <uuid>` once the mobile answered, or `-ERR <cause>` (NO_ANSWER, USER_BUSY,
...) when it never did.

The dial string has one leg only, built from the gateway's name and the mobile's
E.164 number (checked here again): nothing but that mobile can ring.
"""
from __future__ import annotations

import logging
import re
import uuid as uuidlib
from dataclasses import dataclass
from typing import Callable, Optional

import gevent
from gevent import socket

from config.models import FreeswitchSettings
from daemon.esl.event import Event
from daemon.esl.frames import FrameParser

log = logging.getLogger(__name__)

VARIABLE = "recovery_code"
DIGITS = 6
TRIES = 3                   # play_and_get_digits' own: the prompt again when nothing was keyed
KEY_TIMEOUT_MS = 10000      # after the prompt, before it plays again
DIGIT_TIMEOUT_MS = 5000     # between two digits
DEFAULT_TONE = "tone_stream://%(300,200,523);%(300,200,659);%(600,0,784)"
EVENTS = "CHANNEL_ANSWER CHANNEL_EXECUTE_COMPLETE CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB"
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_GATEWAY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_PROMPT = re.compile(r"^[^\s'(){},]+$")


class CallError(Exception):
    """The call could not be placed (FreeSWITCH unreachable, refused, a broken reply)."""


@dataclass(frozen=True)
class CallPlan:
    gateway: str
    number: str             # the mobile, E.164
    caller_id: str          # the company's number
    caller_name: str
    prompt: Optional[str]   # a file FreeSWITCH plays; None: DEFAULT_TONE
    ring_timeout: int
    uuid: str = ""

    def __post_init__(self):
        if not _GATEWAY.match(self.gateway):
            raise ValueError(f"gateway name {self.gateway!r} cannot be dialled")
        if not _NUMBER.match(self.number):
            raise ValueError("the mobile number is not digits")
        if self.caller_id and not _NUMBER.match(self.caller_id):
            raise ValueError("the caller ID is not digits")
        if self.prompt and not _PROMPT.match(self.prompt):
            raise ValueError("the prompt's path must not contain spaces, quotes, brackets or commas")

    def originate(self) -> str:
        """The `originate` arguments (golden-tested in tests/web/test_recovery_call.py)."""
        pairs = [f"origination_uuid={self.uuid}", "ignore_early_media=true",
                 f"originate_timeout={self.ring_timeout}"]
        if self.caller_id:
            pairs.append(f"origination_caller_id_number={self.caller_id}")
            name = re.sub(r"[^0-9A-Za-z .-]", "", self.caller_name)[:40].strip()
            if name:
                pairs.append(f"origination_caller_id_name='{name}'")
        pairs.append("recovery_prompt=" + (self.prompt or DEFAULT_TONE).replace(",", "\\,"))
        app = (f"play_and_get_digits({DIGITS} {DIGITS} {TRIES} {KEY_TIMEOUT_MS} # ${{recovery_prompt}} "
               f"silence_stream://250 {VARIABLE} \\d+ {DIGIT_TIMEOUT_MS})")
        return "{" + ",".join(pairs) + "}" + f"sofia/gateway/{self.gateway}/{self.number} '&{app}'"


@dataclass(frozen=True)
class CallResult:
    outcome: str            # keyed | no_answer | hung_up | failed
    cause: str = ""
    digits: str = ""


class _Link:
    def __init__(self, sock):
        self.sock = sock
        self.parser = FrameParser()
        self.frames: list = []

    def send(self, text: str) -> None:
        self.sock.sendall(text.encode("utf-8") + b"\n\n")

    def next(self) -> Event:
        while not self.frames:
            data = self.sock.recv(65536)
            if not data:
                raise CallError("FreeSWITCH closed the connection")
            self.frames.extend(self.parser.feed(data))
        return Event.from_frame(self.frames.pop(0))

    def reply(self, text: str) -> str:
        """Send a command and return its Reply-Text (events before it are not expected: none subscribed)."""
        self.send(text)
        while True:
            event = self.next()
            if event.content_type == "command/reply":
                return event.get("Reply-Text") or ""
            if event.content_type == "text/disconnect-notice":
                raise CallError("FreeSWITCH said goodbye")


def place_call(settings: FreeswitchSettings, plan: CallPlan, on_answer: Callable[[], None],
               check: Callable[[str], bool], *, limit: float = 0.0) -> CallResult:
    """Call the mobile, hand the keyed digits to `check`, return how the call ended.

    `limit` bounds the whole call in seconds (default: ringing plus three prompts).
    """
    limit = limit or plan.ring_timeout + TRIES * (KEY_TIMEOUT_MS + 8 * DIGIT_TIMEOUT_MS) / 1000 + 30
    job = str(uuidlib.uuid4())
    try:
        sock = socket.create_connection((settings.host, settings.port), timeout=10)
    except OSError as exc:
        raise CallError(f"cannot reach FreeSWITCH at {settings.host}:{settings.port}: {exc}") from None
    try:
        with gevent.Timeout(limit, CallError(f"no end of the call within {limit:g} s")):
            link = _Link(sock)
            _handshake(link, settings.password, plan.uuid, job)
            reply = link.reply(f"bgapi originate {plan.originate()}\nJob-UUID: {job}")
            if not reply.startswith("+OK"):
                raise CallError(f"bgapi refused: {reply}")
            result = _follow(link, plan.uuid, job, on_answer, check)
            try:
                link.send("exit")
            except OSError:
                pass
            return result
    except OSError as exc:
        raise CallError(f"ESL connection failed: {exc}") from None
    finally:
        sock.close()


def _handshake(link: _Link, password: str, uuid: str, job: str) -> None:
    greeting = link.next()
    if greeting.content_type != "auth/request":
        raise CallError(f"not an event socket ({greeting.content_type or 'no Content-Type'})")
    if not link.reply(f"auth {password}").startswith("+OK"):
        raise CallError("FreeSWITCH refused the ESL password (freeswitch.password)")
    for command in (f"filter Unique-ID {uuid}", f"filter Job-UUID {job}", f"event plain {EVENTS}"):
        reply = link.reply(command)
        if not reply.startswith("+OK"):
            raise CallError(f"{command.split()[0]} refused: {reply}")


def _follow(link: _Link, uuid: str, job: str, on_answer: Callable[[], None],
            check: Callable[[str], bool]) -> CallResult:
    """Read the call's events until its channel is gone (or the originate failed)."""
    digits: Optional[str] = None
    answered = False
    while True:
        event = link.next()
        if event.content_type != "text/event-plain":
            continue
        name = event.name
        if name == "BACKGROUND_JOB" and event.get("Job-UUID") == job:
            body = event.body.strip()
            if body.startswith("-ERR"):
                cause = body[4:].strip() or "UNKNOWN"
                return CallResult(_unanswered(cause), cause)
            if not answered:
                answered = True
                on_answer()
        elif event.get("Unique-ID") != uuid:
            continue
        elif name == "CHANNEL_ANSWER" and not answered:
            answered = True
            on_answer()
        elif name == "CHANNEL_EXECUTE_COMPLETE" and event.get("Application") == "play_and_get_digits":
            digits = event.get(f"variable_{VARIABLE}") or ""
            if digits:
                check(digits)
        elif name == "CHANNEL_HANGUP_COMPLETE":
            cause = event.get("Hangup-Cause") or ""
            if digits:
                return CallResult("keyed", cause, digits)
            return CallResult("hung_up" if answered else _unanswered(cause), cause)


def _unanswered(cause: str) -> str:
    """no_answer when the mobile rang out; failed when it could not ring (busy, unreachable, gateway down)."""
    return "no_answer" if cause in ("NO_ANSWER", "ALLOTTED_TIMEOUT", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL") \
        else "failed"


def new_call_uuid() -> str:
    return str(uuidlib.uuid4())
