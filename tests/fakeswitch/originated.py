"""``originate`` of a leg through a gateway, and the inline application it runs.

What FreeSWITCH 1.11 does for ``originate {vars}sofia/gateway/<gw>/<number> '&app(args)'``
(mod_commands originate_function, switch_ivr_originate):

* the arguments are split on spaces, single quotes keeping ``'&app(a b c)'`` whole;
* ``origination_uuid`` names the new channel; CHANNEL_CREATE fires at once, then
  CHANNEL_PROGRESS when the far end rings;
* the command returns when the leg is answered (``+OK <uuid>\\n``) or failed
  (``-ERR <cause>\\n``, the channel's CHANNEL_HANGUP / CHANNEL_HANGUP_COMPLETE first);
  with ``bgapi`` that text is the BACKGROUND_JOB's body;
* after the answer the leg runs the one inline application and then hangs up by
  itself (NORMAL_CLEARING), unless the far end hung up first.

The ring/answer/timeout decision is the bridge model's (originate.py); the far end
is the directory's mobile. A test reaches the call through ``sw.originated`` (or
``sw.wait_originated()``) to press DTMF on the mobile or hang it up.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event
from gevent.queue import Empty, Queue

from .channel import CallerProfile, Channel
from .dialstring import DialString
from .originate import SUCCESS, originate

if TYPE_CHECKING:  # pragma: no cover
    from .switch import FakeSwitch

log = logging.getLogger(__name__)

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def app_and_args(text: str) -> tuple[str, str]:
    """mod_commands: `&name(args)` is cut at the FIRST `)`, then split at the first `(`.

    FreeSWITCH v1.11.1 mod_commands.c originate_function: `strchr(app_name, ')')` then
    `strchr(app_name, '(')` (the same in v1.10.12 and v1.11.2)."""
    name = text[1:].split(")", 1)[0]
    app, _, arg = name.partition("(")
    return app, arg

def split_args(text: str) -> list[str]:
    """switch_separate_string on spaces: single quotes group and are removed.

    (v1.11.1 switch_utils.c separate_string_blank_delim, cleanup_separated_string.)  A
    backslash stays unless it escapes a quote, a backslash or n/r/t/s, so `\\d+` and `\\,`
    reach the application as sent; those escapes are not simulated."""
    out, current, quoted, started = [], [], False, False
    for ch in text:
        if ch == "'":
            quoted = not quoted
            started = True
        elif ch == " " and not quoted:
            if started:
                out.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        out.append("".join(current))
    return out


class OriginatedCall:
    """One originated leg: its channel, the mobile's keypad, and how it ended."""

    def __init__(self, sw: "FakeSwitch", ds: DialString, uuid: str, app: str, app_args: str) -> None:
        self.sw = sw
        self.ds = ds
        self.leg = ds.legs()[0][1]
        self.uuid = uuid
        self.app, self.app_args = app, app_args
        self.number = self.leg.endpoint.target
        self.gateway = self.leg.endpoint.gateway
        self.caller_id = ds.var(self.leg, "origination_caller_id_number", "") or ""
        self.keys: Queue = Queue()
        self.answered = Event()
        self.ended = Event()
        self.hangup_cause = ""
        self.collected: str | None = None
        self._far_hangup = Event()
        self.channel = self._make_channel()

    # -- what a test does --------------------------------------------------------------

    def press(self, digits: str) -> None:
        """The mobile's user keys DTMF (queued if the prompt has not started yet)."""
        for digit in digits:
            self.keys.put(digit)

    def hang_up(self) -> None:
        """The mobile's user hangs up."""
        self._far_hangup.set()
        self.keys.put(None)

    def wait(self, timeout: float | None = None) -> bool:
        return self.ended.wait(timeout)

    # -- the switch side ---------------------------------------------------------------

    def _make_channel(self) -> Channel:
        created = self.sw.clock.epoch_us()
        name = f"sofia/gateway/{self.gateway}/{self.number}"
        cid = self.caller_id or "0000000000"
        profile = CallerProfile({
            "Direction": "outbound", "Logical-Direction": "outbound", "Username": "", "Dialplan": "XML",
            "Caller-ID-Name": self.ds.var(self.leg, "origination_caller_id_name", "") or cid,
            "Caller-ID-Number": cid, "Orig-Caller-ID-Name": cid, "Orig-Caller-ID-Number": cid,
            "Network-Addr": "", "ANI": cid, "Destination-Number": self.number, "Unique-ID": self.uuid,
            "Source": "src/switch_ivr_originate.c", "Context": "default", "Channel-Name": name,
        }, created)
        variables = {"direction": "outbound", "is_outbound": "true", "uuid": self.uuid,
                     "session_id": str(self.sw.stats.total + 1), "sip_gateway_name": self.gateway,
                     "sip_profile_name": "external", "sip_to_user": self.number,
                     "origination_uuid": self.uuid, "originate_early_media": "false"}
        for key, value in self.ds.variables.items():
            variables.setdefault(key, value)
        return Channel(uuid=self.uuid, name=name, direction="outbound", profile=profile, variables=variables,
                       presence_id="", call_uuid=self.uuid)

    def run(self) -> str:
        """The originate itself, in the caller's greenlet: the api/response body."""
        sw, ch = self.sw, self.channel
        sw.stats.next_session()
        sw.channel_created(ch)
        ch.state = ch.running = "CS_INIT"
        sw.bus.fire(ch, "CHANNEL_CREATE")
        behaviour = sw.directory.behaviour(self.leg)
        result = originate(self.ds, [behaviour], phase=0.5)
        outcome = result.legs[0]
        started = sw.clock.now()
        if outcome.ring is not None:
            sw.clock.sleep(outcome.ring)
            ch.call_state = "RINGING"
            ch.profile.stamp("Channel-Progress-Time", sw.clock.epoch_us())
            sw.bus.fire(ch, "CHANNEL_PROGRESS")
        sw.clock.sleep(result.end - (sw.clock.now() - started))
        if result.disposition != SUCCESS:
            self._hangup(outcome.outcome or result.disposition)
            return f"-ERR {result.disposition}\n"
        ch.call_state = "ACTIVE"
        ch.answer_state = "answered"
        ch.state = ch.running = "CS_EXECUTE"
        ch.media = True
        ch.profile.stamp("Channel-Answered-Time", sw.clock.epoch_us())
        ch.set("endpoint_disposition", "ANSWER")
        sw.bus.fire(ch, "CHANNEL_ANSWER")
        self.answered.set()
        gevent.spawn(self._run_app)
        return f"+OK {self.uuid}\n"

    def _run_app(self) -> None:
        """The inline application; its data's ${variables} expanded when it runs, as FreeSWITCH does."""
        ch = self.channel
        name = self.app
        arg = _VARIABLE.sub(lambda m: ch.get(m.group(1)) or "", self.app_args)
        app_uuid = f"{self.uuid[:8]}-app"
        ch.set("current_application", name)
        ch.set("current_application_data", arg)
        head = (("Application", name),) + ((("Application-Data", arg),) if arg else ())
        self.sw.bus.fire(ch, "CHANNEL_EXECUTE", tail=head + (("Application-UUID", app_uuid),))
        if name == "play_and_get_digits":
            self._play_and_get_digits(arg)
        elif name == "park":
            self._far_hangup.wait()
        self.sw.bus.fire(ch, "CHANNEL_EXECUTE_COMPLETE",
                         tail=head + (("Application-Response", "_none_"), ("Application-UUID", app_uuid)))
        self._hangup("NORMAL_CLEARING")

    def _play_and_get_digits(self, arg: str) -> None:
        """mod_dptools play_and_get_digits: <min> <max> <tries> <timeout> <terminators> <file>
        <invalid_file> [<var_name> [<regexp> [<digit_timeout>]]]; the prompt is assumed to
        take a second; the result goes to var_name (and is empty when nothing valid came)."""
        words = arg.split()
        try:
            low, high, tries, timeout = (int(w) for w in words[:4])
        except ValueError:
            return
        terminators = words[4] if len(words) > 4 else ""
        var = words[7] if len(words) > 7 else ""
        regexp = words[8] if len(words) > 8 else ""
        digit_timeout = int(words[9]) / 1000 if len(words) > 9 else timeout / 1000
        for _ in range(max(tries, 1)):
            digits = self._collect(high, terminators, 1.0 + timeout / 1000, digit_timeout)
            if digits is None:                                    # the far end hung up
                return
            if len(digits) >= low and digits and (not regexp or re.fullmatch(regexp, digits)):
                self.collected = digits
                if var:
                    self.channel.set(var, digits)
                self.channel.set("read_result", "success")
                return
        self.channel.set("read_result", "timeout")

    def _collect(self, high: int, terminators: str, first_wait: float, digit_wait: float) -> str | None:
        digits = ""
        wait = first_wait
        while len(digits) < high:
            try:
                key = self.keys.get(timeout=self.sw.clock.real(wait))
            except Empty:
                return digits
            if key is None:
                return None
            if key in terminators:
                return digits
            digits += key
            wait = digit_wait
        return digits

    def _hangup(self, cause: str) -> None:
        ch, sw = self.channel, self.sw
        ch.mark_hangup(cause, sw.clock.epoch_us())
        ch.call_state = "HANGUP"
        ch.state = "CS_HANGUP"
        ch.set("hangup_cause", cause)
        sw.bus.fire(ch, "CHANNEL_HANGUP", first=(("Hangup-Cause", cause),))
        ch.state = ch.running = "CS_REPORTING"
        sw.bus.fire(ch, "CHANNEL_HANGUP_COMPLETE", first=(("Hangup-Cause", cause),))
        sw.channel_destroyed(ch)
        self.hangup_cause = cause
        self.ended.set()


def originate_through_gateway(sw: "FakeSwitch", args: str) -> str | None:
    """``originate`` of one ``sofia/gateway/`` leg with an inline ``&app``; None for anything else."""
    from .dialstring import DialStringError, parse
    words = split_args(args)
    if len(words) < 2:
        return None
    try:
        ds = parse(words[0])
    except DialStringError:
        return None
    legs = ds.legs()
    if len(legs) != 1 or legs[0][1].endpoint.kind != "gateway" or not words[1].startswith("&"):
        return None
    app, arg = app_and_args(words[1])
    uuid = ds.var(legs[0][1], "origination_uuid", "") or ""
    if not uuid:
        import uuid as uuidlib
        uuid = str(uuidlib.uuid4())
    call = OriginatedCall(sw, ds, uuid, app, arg)
    sw.originated.append(call)
    sw.originated_event.set()
    return call.run()
