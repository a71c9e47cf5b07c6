"""One simulated FreeSWITCH channel and the event bodies it produces.

An event about a channel is, in FreeSWITCH's order (switch_channel_event_set_data):

1. the common headers (Event-Name, Core-UUID, host, dates, calling file/function/line,
   Event-Sequence) and any event-specific ones that come first (Hangup-Cause of
   CHANNEL_HANGUP_COMPLETE, Bridge-A/B-Unique-ID);
2. the basic channel data (Channel-State … Answer-State, Hangup-Cause once hung up, the
   codec headers once media is up);
3. the caller profile as ``Caller-*`` and, once there is another leg, ``Other-Type`` and
   ``Other-Leg-*``;
4. the channel variables as ``variable_*`` (not for CHANNEL_STATE);
5. headers appended after the data (Application, Application-Data, …).

Variables behave like ``switch_channel_set_variable``: setting one moves it to the end,
setting an empty value deletes it.  Encoded lines are cached per variable so that an event
costs a string join, not a re-encoding of 200 values (the bench holds 2,000 calls).
"""
from __future__ import annotations

from dataclasses import dataclass

from .clock import gmt_stamp, local_stamp
from .encoding import header_value, json_string, json_value

#: Event-Calling-File / -Function / -Line-Number as FreeSWITCH 1.11.1 reports them.
CALLING = {
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", "626"),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", "2018"),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", "2949"),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", "2972"),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", "3848"),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", "3507"),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered", "3562"),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1689"),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "switch_ivr_multi_threaded_bridge", "1879"),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", "3447"),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c", "switch_core_session_reporting_state", "943"),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", "1002"),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", "1213"),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", "2409"),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", "1569"),
    "sofia::register": ("sofia_reg.c", "sofia_reg_handle_register_token", "2007"),
    "sofia::unregister": ("sofia_reg.c", "sofia_reg_handle_register_token", "2142"),
    "sofia::expire": ("sofia_reg.c", "sofia_reg_del_callback", "1278"),
}
_DEFAULT_CALLING = ("switch_channel.c", "switch_channel_event_set_data", "0")

#: Events that carry the channel variables (switch_channel_event_set_extended_data).
NO_VARIABLES = frozenset({"CHANNEL_STATE", "CHANNEL_CALLSTATE"})

#: Running-state numbers FreeSWITCH prints as Channel-State-Number.
STATE_NUMBER = {
    "CS_NEW": "0", "CS_INIT": "1", "CS_ROUTING": "2", "CS_SOFT_EXECUTE": "3", "CS_EXECUTE": "4",
    "CS_EXCHANGE_MEDIA": "5", "CS_PARK": "6", "CS_CONSUME_MEDIA": "7", "CS_HIBERNATE": "8",
    "CS_RESET": "9", "CS_HANGUP": "10", "CS_REPORTING": "11", "CS_DESTROY": "12",
}

_PROFILE_TIMES = (
    "Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time",
    "Channel-Progress-Time", "Channel-Progress-Media-Time", "Channel-Hangup-Time",
    "Channel-Transfer-Time", "Channel-Resurrect-Time", "Channel-Bridged-Time",
    "Channel-Last-Hold", "Channel-Hold-Accum",
)
_CODEC_HEADERS = (
    ("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
    ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
    ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "64000"),
)


def plain_lines(pairs) -> str:
    return "".join([f"{name}: {header_value(value)}\n" for name, value in pairs])


def json_fragments(pairs) -> list[str]:
    return [f"{json_string(name)}:{json_string(value)}" for name, value in pairs]


@dataclass(frozen=True)
class SwitchIdentity:
    """What every event says about the box it came from."""

    core_uuid: str
    hostname: str = "fakeswitch"
    ipv4: str = "192.0.2.2"
    ipv6: str = "fd00::2"
    switch_ip: str = "127.0.0.1"
    sip_port: str = "5060"

    def common(self) -> tuple[tuple[str, str], ...]:
        return (
            ("Core-UUID", self.core_uuid),
            ("FreeSWITCH-Hostname", self.hostname),
            ("FreeSWITCH-Switchname", self.hostname),
            ("FreeSWITCH-IPv4", self.ipv4),
            ("FreeSWITCH-IPv6", self.ipv6),
        )


class HeadRenderer:
    """The common event headers, with the parts that do not change per event pre-rendered."""

    def __init__(self, identity: SwitchIdentity) -> None:
        self._identity_plain = plain_lines(identity.common())
        self._identity_json = json_fragments(identity.common())
        self._dates: dict[int, tuple[str, list[str]]] = {}

    def _date(self, epoch_us: int) -> tuple[str, list[str]]:
        second = epoch_us // 1_000_000
        cached = self._dates.get(second)
        if cached is None:
            if len(self._dates) > 64:
                self._dates.clear()
            pairs = (("Event-Date-Local", local_stamp(epoch_us)), ("Event-Date-GMT", gmt_stamp(epoch_us)))
            cached = self._dates[second] = (plain_lines(pairs), json_fragments(pairs))
        return cached

    @staticmethod
    def _calling(name: str, subclass: str | None) -> tuple[str, str, str]:
        return CALLING.get(subclass or name, _DEFAULT_CALLING)

    def plain(self, name: str, subclass: str | None, sequence: int, epoch_us: int, first) -> str:
        start = f"Event-Subclass: {header_value(subclass)}\n" if subclass else ""
        file, function, line = self._calling(name, subclass)
        return (f"{start}Event-Name: {name}\n{self._identity_plain}{self._date(epoch_us)[0]}"
                f"Event-Date-Timestamp: {epoch_us}\nEvent-Calling-File: {file}\n"
                f"Event-Calling-Function: {function}\nEvent-Calling-Line-Number: {line}\n"
                f"Event-Sequence: {sequence}\n" + (plain_lines(first) if first else ""))

    def json(self, name: str, subclass: str | None, sequence: int, epoch_us: int, first) -> list[str]:
        out = [f'"Event-Subclass":{json_string(subclass)}'] if subclass else []
        out.append(f'"Event-Name":{json_string(name)}')
        out.extend(self._identity_json)
        out.extend(self._date(epoch_us)[1])
        file, function, line = self._calling(name, subclass)
        out.extend((f'"Event-Date-Timestamp":"{epoch_us}"', f'"Event-Calling-File":"{file}"',
                    f'"Event-Calling-Function":"{function}"', f'"Event-Calling-Line-Number":"{line}"',
                    f'"Event-Sequence":"{sequence}"'))
        out.extend(json_fragments(first))
        return out


class CallerProfile:
    """A caller profile (switch_caller_profile_event_set_data), with its timestamps.

    ``rev`` changes with every update; rendered blocks are cached per revision.
    """

    __slots__ = ("fields", "times", "callee", "rev", "_rendered")

    def __init__(self, fields: dict[str, str], created_us: int) -> None:
        self.fields = fields
        self.callee: tuple[str, str] | None = None
        self.times = dict.fromkeys(_PROFILE_TIMES, "0")
        self.times["Profile-Created-Time"] = self.times["Channel-Created-Time"] = str(created_us)
        self.rev = 0
        self._rendered: dict[tuple, tuple[int, object]] = {}

    def stamp(self, key: str, epoch_us: int) -> None:
        """Record when something happened (Channel-Answered-Time, …), once."""
        if self.times[key] == "0":
            self.times[key] = str(epoch_us)
            self.rev += 1

    def set_callee(self, name: str, number: str) -> None:
        self.callee = (name, number)
        self.rev += 1

    def pairs(self, prefix: str, with_index: bool = True, zero_times: bool = False) -> list[tuple[str, str]]:
        f = self.fields
        out = [(f"{prefix}-{key}", f[key]) for key in (
            "Direction", "Logical-Direction", "Username", "Dialplan", "Caller-ID-Name",
            "Caller-ID-Number", "Orig-Caller-ID-Name", "Orig-Caller-ID-Number")]
        if self.callee:
            out.append((f"{prefix}-Callee-ID-Name", self.callee[0]))
            out.append((f"{prefix}-Callee-ID-Number", self.callee[1]))
        out.extend((f"{prefix}-{key}", f[key]) for key in (
            "Network-Addr", "ANI", "Destination-Number", "Unique-ID", "Source", "Context", "Channel-Name"))
        if with_index:
            out.append((f"{prefix}-Profile-Index", "1"))
        out.extend((f"{prefix}-{key}", "0" if zero_times else value) for key, value in self.times.items())
        out.extend(((f"{prefix}-Screen-Bit", "true"), (f"{prefix}-Privacy-Hide-Name", "false"),
                    (f"{prefix}-Privacy-Hide-Number", "false")))
        return out

    def drop_caches(self) -> None:
        self._rendered.clear()

    def rendered(self, fmt: str, prefix: str, with_index: bool = True, zero_times: bool = False):
        """The block as plain text or JSON fragments, cached until the profile changes."""
        key = (fmt, prefix, with_index, zero_times)
        cached = self._rendered.get(key)
        if cached is None or cached[0] != self.rev:
            pairs = self.pairs(prefix, with_index, zero_times)
            cached = self._rendered[key] = (self.rev, plain_lines(pairs) if fmt == "plain" else json_fragments(pairs))
        return cached[1]



class Channel:
    """State, caller profile and variables of one channel."""

    def __init__(self, *, uuid: str, name: str, direction: str, profile: CallerProfile,
                 variables: dict[str, str], presence_id: str, call_uuid: str) -> None:
        self.uuid = uuid
        self.name = name
        self.direction = direction
        self.profile = profile
        self.presence_id = presence_id
        self.call_uuid = call_uuid
        self.state = "CS_INIT"
        self.running = "CS_INIT"
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hangup_cause: str | None = None
        self.media = False
        self.other: tuple[str, CallerProfile] | None = None
        self._vars = variables
        self._plain: dict[str, str | None] | None = None
        self._json: dict[str, str | None] | None = None
        self._plain_dirty: list[str] = []
        self._json_dirty: list[str] = []
        self._state_cache: tuple[tuple, str | None, list[str] | None] = ((), None, None)

    # -- variables ---------------------------------------------------------------------

    def get(self, name: str, default: str | None = None) -> str | None:
        return self._vars.get(name, default)

    @property
    def variables(self) -> dict[str, str]:
        return self._vars

    def set(self, name: str, value: str | None) -> None:
        """switch_channel_set_variable: the variable moves to the end; empty deletes it.

        Rendered lines are refreshed lazily at the next event, so a burst of sets (a hangup's
        CDR variables) costs dictionary updates only.
        """
        variables = self._vars
        if name in variables:
            del variables[name]
            if self._plain is not None:
                del self._plain[name]
            if self._json is not None:
                del self._json[name]
        if value:
            variables[name] = value
            self._mark(name)

    def push(self, name: str, value: str) -> None:
        """Add a value to a multi-valued variable in place (``ARRAY::a|:b``)."""
        old = self._vars.get(name)
        if old is None:
            self.set(name, value)
            return
        items = old[7:].split("|:") if old.startswith("ARRAY::") else [old]
        items.append(value)
        self._vars[name] = "ARRAY::" + "|:".join(items)
        self._mark(name)

    def _mark(self, name: str) -> None:
        if self._plain is not None:
            self._plain[name] = None
            self._plain_dirty.append(name)
        if self._json is not None:
            self._json[name] = None
            self._json_dirty.append(name)

    def drop_caches(self) -> None:
        """Forget rendered text (rebuilt at the next event): held calls stay small."""
        self._plain = self._json = None
        self._plain_dirty.clear()
        self._json_dirty.clear()
        self._state_cache = ((), None, None)
        self.profile.drop_caches()
        if self.other:
            self.other[1].drop_caches()

    # -- state -------------------------------------------------------------------------

    def mark_hangup(self, cause: str, epoch_us: int) -> None:
        self.hangup_cause = cause
        self.answer_state = "hangup"
        self.running = "CS_HANGUP"
        self.profile.stamp("Channel-Hangup-Time", epoch_us)

    @property
    def up(self) -> bool:
        return self.hangup_cause is None

    # -- rendering ---------------------------------------------------------------------

    def state_pairs(self) -> list[tuple[str, str]]:
        """The basic channel data (switch_channel_event_set_basic_data) before the profiles."""
        out = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", STATE_NUMBER[self.running]),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.direction == "inbound" else "false"),
            ("Channel-Presence-ID", self.presence_id),
            ("Channel-Call-UUID", self.call_uuid),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.media:
            out.extend(_CODEC_HEADERS)
        return out

    def block_pairs(self) -> list[tuple[str, str]]:
        """Basic channel data, caller profile and other leg, as (name, raw value)."""
        out = self.state_pairs()
        out.extend(self.profile.pairs("Caller"))
        if self.other:
            other_type, other_profile = self.other
            out.append(("Other-Type", other_type))
            out.extend(other_profile.pairs("Other-Leg", with_index=False, zero_times=True))
        return out

    def _state_rendered(self, fmt: str):
        key = (self.state, self.call_state, self.running, self.answer_state, self.hangup_cause, self.media,
               self.name, self.call_uuid)
        cached_key, plain, json = self._state_cache
        if cached_key != key:
            plain = json = None
        if fmt == "plain" and plain is None:
            plain = plain_lines(self.state_pairs())
        elif fmt == "json" and json is None:
            json = json_fragments(self.state_pairs())
        self._state_cache = (key, plain, json)
        return plain if fmt == "plain" else json

    def plain_block(self) -> str:
        text = self._state_rendered("plain") + self.profile.rendered("plain", "Caller")
        if self.other:
            other_type, other_profile = self.other
            text += f"Other-Type: {other_type}\n" + other_profile.rendered("plain", "Other-Leg", False, True)
        return text

    def json_block(self) -> list[str]:
        frags = self._state_rendered("json") + self.profile.rendered("json", "Caller")
        if self.other:
            other_type, other_profile = self.other
            frags.append(f'"Other-Type":{json_string(other_type)}')
            frags.extend(other_profile.rendered("json", "Other-Leg", False, True))
        return frags

    def plain_variables(self) -> str:
        variables, plain = self._vars, self._plain
        if plain is None:
            plain = self._plain = {name: f"variable_{name}: {header_value(value)}\n" for name, value in variables.items()}
        elif self._plain_dirty:
            for name in self._plain_dirty:
                if name in variables and plain.get(name) is None:
                    plain[name] = f"variable_{name}: {header_value(variables[name])}\n"
            self._plain_dirty.clear()
        return "".join(plain.values())

    def json_variables(self) -> list[str]:
        variables, frags = self._vars, self._json
        if frags is None:
            frags = self._json = {
                name: f"{json_string('variable_' + name)}:{json_value(value)}" for name, value in variables.items()
            }
        elif self._json_dirty:
            for name in self._json_dirty:
                if name in variables and frags.get(name) is None:
                    frags[name] = f"{json_string('variable_' + name)}:{json_value(variables[name])}"
            self._json_dirty.clear()
        return list(frags.values())


class EventData:
    """One fired event, serialized lazily into the formats its listeners asked for.

    The channel part is captured at fire time, because the channel keeps changing:
    rendered at once from the channel's caches when the listeners' formats are known, or
    kept as a raw snapshot for a listener that picks its format later (``snapshot``).
    """

    __slots__ = ("name", "subclass", "uuid", "sequence", "epoch_us", "first", "tail", "body", "_heads",
                 "_chan_plain", "_chan_json", "_snapshot", "_plain", "_json")

    def __init__(self, heads: HeadRenderer, name: str, *, sequence: int, epoch_us: int, uuid: str | None = None,
                 subclass: str | None = None, first=(), tail=(), body: str | None = None,
                 chan_plain: str | None = "", chan_json: list[str] | None = None,
                 snapshot: tuple[list, dict] | None = None) -> None:
        self._heads = heads
        self.name = name
        self.subclass = subclass
        self.uuid = uuid
        self.sequence = sequence
        self.epoch_us = epoch_us
        self.first = first
        self.tail = tail
        self.body = body
        self._chan_plain = chan_plain
        self._chan_json = [] if chan_json is None and snapshot is None else chan_json
        self._snapshot = snapshot
        self._plain: bytes | None = None
        self._json: bytes | None = None

    def _channel_plain(self) -> str:
        if self._chan_plain is None:
            pairs, variables = self._snapshot
            self._chan_plain = plain_lines(pairs) + "".join(
                [f"variable_{n}: {header_value(v)}\n" for n, v in variables.items()])
        return self._chan_plain

    def _channel_json(self) -> list[str]:
        if self._chan_json is None:
            pairs, variables = self._snapshot
            self._chan_json = json_fragments(pairs) + [
                f"{json_string('variable_' + n)}:{json_value(v)}" for n, v in variables.items()]
        return self._chan_json

    def plain(self) -> bytes:
        if self._plain is None:
            text = (self._heads.plain(self.name, self.subclass, self.sequence, self.epoch_us, self.first)
                    + self._channel_plain() + plain_lines(self.tail))
            if self.body is None:
                self._plain = (text + "\n").encode("utf-8")
            else:
                body = self.body.encode("utf-8")
                self._plain = (text + f"Content-Length: {len(body)}\n\n").encode("utf-8") + body
        return self._plain

    def json(self) -> bytes:
        if self._json is None:
            frags = self._heads.json(self.name, self.subclass, self.sequence, self.epoch_us, self.first)
            frags.extend(self._channel_json())
            frags.extend(json_fragments(self.tail))
            if self.body is not None:
                frags.append(f'"Content-Length":"{len(self.body.encode("utf-8"))}"')
                frags.append(f'"_body":{json_string(self.body)}')
            self._json = ("{" + ",".join(frags) + "}").encode("utf-8")
        return self._json


def channel_event(heads: HeadRenderer, channel: Channel, name: str, sequence: int, epoch_us: int, *,
                  first=(), tail=(), plain: bool = True, json: bool = False, snapshot: bool = False) -> EventData:
    """Capture ``channel`` into an event: the renderings asked for, or a raw ``snapshot``."""
    with_vars = name not in NO_VARIABLES
    if snapshot:
        variables = dict(channel.variables) if with_vars else {}
        return EventData(heads, name, sequence=sequence, epoch_us=epoch_us, uuid=channel.uuid, first=first,
                         tail=tail, chan_plain=None, chan_json=None, snapshot=(channel.block_pairs(), variables))
    chan_plain = ""
    chan_json: list[str] = []
    if plain:
        chan_plain = channel.plain_block() + (channel.plain_variables() if with_vars else "")
    if json:
        chan_json = channel.json_block() + (channel.json_variables() if with_vars else [])
    return EventData(heads, name, sequence=sequence, epoch_us=epoch_us, uuid=channel.uuid, first=first, tail=tail,
                     chan_plain=chan_plain, chan_json=chan_json)


def channel_data_reply(heads: HeadRenderer, channel: Channel, sequence: int, epoch_us: int,
                       socket_mode: str = "async") -> bytes:
    """The outbound ``connect`` reply: one header block, channel data first, no body.

    Every value is URL-encoded, including the reply's own ``Reply-Text: %2BOK%0A``.
    ``Socket-Mode`` is ``async`` or, for ``socket ADDR full``, ``static`` (outbound_07a).
    """
    return (heads.plain("CHANNEL_DATA", None, sequence, epoch_us, ())
            + channel.profile.rendered("plain", "Channel") + channel.plain_block() + channel.plain_variables()
            + f"Content-Type: command/reply\nReply-Text: %2BOK%0A\nSocket-Mode: {socket_mode}\nControl: full\n\n"
            ).encode("utf-8")
