"""The FakeSwitch facade: one simulated FreeSWITCH box for tests and the bench.

    sim = FakeSwitch(domain="pbx.romashka.local", password="ClueCon", scale=0.01)
    sim.start()
    sim.employee("ivan.petrov", answer_after=3)
    call = sim.place_call(("127.0.0.1", 8084), "201")
    assert call.wait(timeout=2)
    assert call.answered_by == "ivan.petrov"

``socket_mode="sync"`` runs the dialplan's socket application as ``socket ADDR full`` (the
project's default, see session.py), ``"async"`` as ``socket ADDR async full``.

Everything runs in gevent greenlets of the calling process; time is the scaled sim clock.
Randomness (which of FreeSWITCH's observed orderings a call shows, ring-timer phases) comes
from ``seed``, so a test run is repeatable; channel UUIDs are random, as a store shared
between runs needs.
"""
from __future__ import annotations

import logging
import os
import random
import uuid as uuidlib
from collections import deque
from dataclasses import dataclass

import gevent
import gevent.event

from . import api
from .call import CallFlow, CallOptions, SimCall
from .channel import Channel, SwitchIdentity
from .clock import SimClock
from .endpoints import Directory, Employee, Mobile, Registration
from .events import EventBus
from .inbound import InboundRequest, InboundServer
from .legs import PHONE_IP, CallerInfo
from .session import FIRST_REPLY_ORDERS, NOTICE_POSITIONS, Quirks
from .templates import DIRECTORY_USER_VARS

log = logging.getLogger(__name__)

REGISTER_EXPIRES = 3600


@dataclass
class Stats:
    """Session counters for ``status`` (every A and B leg is a session)."""

    total: int = 0
    current: int = 0
    peak: int = 0
    peak_rate: int = 0

    def next_session(self) -> int:
        self.total += 1
        self.current += 1
        self.peak = max(self.peak, self.current)
        return self.total


@dataclass
class ChannelRecord:
    channel: Channel
    created_at: float
    ended_at: float | None = None


class FakeSwitch:
    def __init__(self, domain: str = "pbx.romashka.local", password: str = "ClueCon", scale: float = 0.01,
                 host: str = "127.0.0.1", port: int = 0, seed: int = 0, epoch: float | None = None,
                 hostname: str = "fakeswitch", quirks: Quirks | None = None,
                 fallback_dial: str | None = None, keep_traffic: bool = True,
                 strict_directory: bool = False, clock: SimClock | None = None,
                 socket_mode: str | None = None) -> None:
        self.domain = domain
        self.password = password
        self.clock = clock or SimClock(scale, epoch)
        self.identity = SwitchIdentity(core_uuid=str(uuidlib.uuid4()), hostname=hostname)
        self.bus = EventBus(self.identity, self.clock)
        self.directory = Directory(domain, strict=strict_directory)
        self.stats = Stats()
        self.calls: list[SimCall] = []
        self.log: list[InboundRequest] = []
        self.inbound = InboundServer(self, host, port)
        self._seed = seed
        self._quirks = quirks
        #: What the dialplan bridges when the socket application returns (None: it hangs up).
        self.fallback_dial = fallback_dial
        #: Keep every call's raw bytes and parsed commands (``call.sent``/``commands``);
        #: the bench turns it off to keep memory flat over thousands of calls.
        self.keep_traffic = keep_traffic
        #: How the dialplan's socket application runs: "async" (``socket ADDR async full``) or
        #: "sync" (``socket ADDR full``); place_call can choose per call.  Unset, it is
        #: $FAKESWITCH_SOCKET_MODE or "async": the bench's simulator processes take it from there.
        self.socket_mode = socket_mode or os.environ.get("FAKESWITCH_SOCKET_MODE") or "async"
        self._flows: dict[str, CallFlow] = {}
        #: Ringing or talking B legs by UUID, for ``uuid_kill`` (bridge.Bridge registers them).
        self.b_legs: dict[str, object] = {}
        #: Open outbound sessions (a lingering one outlives its call).
        self.sessions: set = set()
        #: Sound files this switch lacks (a stock install without its sound package lacks the
        #: ivr/ prompts): an answer-confirmation prompt named here drops the leg that answered.
        self.missing_sounds: set[str] = set()
        self._db: dict[str, ChannelRecord] = {}
        self._ended: deque[tuple[float, str]] = deque()
        self._registration_rng = random.Random(seed ^ 0x5EED)
        #: record_session failures (recorder.py): None, "unwritable" (every open fails), "empty".
        self.recording_failure: str | None = None
        #: Legs placed with ``originate`` through a gateway (originated.py), oldest first.
        self.originated: list = []
        self.originated_event = gevent.event.Event()

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> "FakeSwitch":
        self.inbound.start()
        return self

    def stop(self) -> None:
        """Shut down like FreeSWITCH: calls hung up, every socket closed."""
        self.inbound.stop()
        self.inbound.drop_all()
        self.hangup_all("SYSTEM_SHUTDOWN")
        self.wait_calls(1)
        for session in list(self.sessions):
            session.outbox.abort()

    def __enter__(self) -> "FakeSwitch":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def inbound_address(self) -> tuple[str, int]:
        return self.inbound.address

    def now(self) -> float:
        """Sim seconds since the simulator was created."""
        return self.clock.now()

    # -- inbound socket hooks ------------------------------------------------------------

    def drop_inbound(self) -> None:
        """Close every inbound ESL connection at once, like a FreeSWITCH restart."""
        self.inbound.drop_all()

    def set_inbound_available(self, available: bool) -> None:
        """False: refuse new inbound connections (nothing listens on the port)."""
        if available:
            self.inbound.start()
        else:
            self.inbound.stop()

    # -- devices -------------------------------------------------------------------------

    def employee(self, login: str, registered: bool = True, answer_after: float | None = None,
                 busy: bool = False, contacts: int = 1) -> Employee:
        employee = Employee(login, registered=registered, answer_after=answer_after, busy=busy, contacts=contacts)
        self.directory.employees[login] = employee
        if registered:
            self.register(login)
        elif self.directory.contacts(login):
            self.unregister(login)
        return employee

    def mobile(self, number: str, answer_after: float | None = None, busy: bool = False,
               reachable: bool = True, press_after: float | None = None, key: str = "1") -> Mobile:
        """``press_after``: with answer confirmation, the callee presses ``key`` this long
        after answering (None: never, as the mobile's own voicemail)."""
        mobile = Mobile(number, answer_after=answer_after, busy=busy, reachable=reachable,
                        press_after=press_after, key=key)
        self.directory.mobiles[number] = mobile
        return mobile

    def sip_device(self, uri: str, answer_after: float | None = None, busy: bool = False,
                   reachable: bool = True) -> Mobile:
        """A device dialled as ``sofia/<profile>/<uri>`` (e.g. ``sip:1@127.0.0.1:5076``)."""
        device = Mobile(uri, answer_after=answer_after, busy=busy, reachable=reachable)
        self.directory.sip_devices[uri] = device
        return device

    def register(self, login: str) -> None:
        """Register every contact of ``login`` (firing sofia::register for each)."""
        employee = self.directory.employees.setdefault(login, Employee(login))
        employee.registered = True
        expires_at = int(self.clock.epoch + self.clock.now()) + REGISTER_EXPIRES
        regs = []
        for n in range(max(employee.contacts, 1)):
            port = 5080 + n
            call_id = f"{self._registration_rng.getrandbits(32):08x}-{n}@{PHONE_IP}"
            regs.append(Registration(login, f"sip:{login}@{PHONE_IP}:{port}", call_id, PHONE_IP, port, expires_at))
        self.directory.registrations[login] = regs
        for reg in regs:
            self._fire_register(reg)

    def unregister(self, login: str, expired: bool = False) -> None:
        """Remove ``login``'s contacts: sofia::unregister, or sofia::expire when ``expired``."""
        regs = self.directory.registrations.pop(login, [])
        employee = self.directory.employees.get(login)
        if employee is not None:
            employee.registered = False
        for reg in regs:
            if expired:
                self._fire_expire(reg)
            else:
                self._fire_unregister(reg)

    def is_local_domain(self, domain: str) -> bool:
        return domain in ("", self.domain, self.identity.switch_ip)

    @property
    def profile_url(self) -> str:
        return f"sip:mod_sofia@{self.identity.switch_ip}:{self.identity.sip_port}"

    def _fire_register(self, reg: Registration) -> None:
        headers = [
            ("profile-name", "internal"), ("from-user", reg.login), ("from-host", self.domain),
            ("presence-hosts", f"{self.domain},{self.identity.ipv4}"), ("contact", f'"{reg.login}" <{reg.contact}>'),
            ("call-id", reg.call_id), ("rpid", "unknown"), ("status", "Registered(UDP)"),
            ("expires", str(REGISTER_EXPIRES)), ("to-user", reg.login), ("to-host", self.domain),
            ("network-ip", reg.network_ip), ("network-port", str(reg.network_port)), ("username", reg.login),
            ("realm", self.domain), ("user-agent", reg.user_agent),
            ("sip_number_alias", reg.login), ("sip_auth_username", reg.login), ("sip_auth_realm", self.domain),
            ("number_alias", reg.login), ("user_name", reg.login), ("domain_name", self.domain),
        ]
        headers.extend((name, value.format(login=reg.login)) for name, value in DIRECTORY_USER_VARS)
        self.bus.fire_plain_event("CUSTOM", headers, subclass="sofia::register")

    def _fire_unregister(self, reg: Registration) -> None:
        headers = [
            ("profile-name", "internal"), ("username", reg.login), ("from-user", reg.login),
            ("from-host", self.domain), ("contact", f'"{reg.login}" <{reg.contact}>'), ("call-id", reg.call_id),
            ("rpid", "unknown"), ("realm", self.domain), ("expires", "0"),
        ]
        self.bus.fire_plain_event("CUSTOM", headers, subclass="sofia::unregister")

    def _fire_expire(self, reg: Registration) -> None:
        headers = [
            ("profile-name", "internal"), ("call-id", reg.call_id), ("user", reg.login), ("host", self.domain),
            ("contact", f'"{reg.login}" <{reg.contact}>'), ("expires", str(reg.expires_at)),
            ("user-agent", reg.user_agent), ("realm", self.domain),
        ]
        self.bus.fire_plain_event("CUSTOM", headers, subclass="sofia::expire")

    # -- calls ---------------------------------------------------------------------------

    def place_call(self, daemon_address: tuple[str, int], destination: str, caller: str = "+74957654321",
                   caller_name: str = "", caller_hangs_up_after: float | None = None, talk_time: float | None = 1.0,
                   channel_overrides: dict | None = None, *, socket_resume: bool | None = None,
                   quirks: Quirks | None = None, connect_timeout: float = 5.0,
                   socket_mode: str | None = None) -> SimCall:
        """Send a call to ``destination`` through the daemon, as the dialplan's socket app does.

        ``caller`` is the SIP From user (an employee login makes it an internal call);
        ``caller_hangs_up_after`` counts sim seconds from now; ``talk_time`` sim seconds from
        the answer (None: until ``call.hangup()``/``hangup_all()``).  ``socket_resume``: whether
        the dialplan sets socket_resume=true before ``socket``; by default what the project's
        dialplan does for the mode (async: yes, so a closed socket is a fallback, not a parked
        call; sync: no, since it would leave the caller in CS_RESET).
        """
        mode = socket_mode or self.socket_mode
        if socket_resume is None:
            socket_resume = mode != "sync"
        index = len(self.calls)
        rng = random.Random(self._seed * 1_000_003 + index)
        quirks = quirks or self._quirks or Quirks(
            first_reply=rng.choice(FIRST_REPLY_ORDERS), notice_after=rng.choice(NOTICE_POSITIONS),
            linger_extra=round(rng.uniform(0.2, 0.9), 3), late_b_hangup_complete=rng.random() < 0.5)
        info = CallerInfo(caller, caller_name, destination, internal=caller in self.directory.employees,
                          domain=self.domain)
        call = SimCall(uuid=str(uuidlib.uuid4()), destination=destination, caller=caller, caller_name=caller_name,
                       started_at=self.clock.now())
        options = CallOptions(caller_hangs_up_after=caller_hangs_up_after, talk_time=talk_time,
                              socket_resume=socket_resume, connect_timeout=connect_timeout,
                              sync=mode == "sync")
        flow = CallFlow(self, call, tuple(daemon_address), info, options, quirks, rng, channel_overrides)
        call._flow = flow
        self.calls.append(call)
        self._flows[call.uuid] = flow
        gevent.spawn(flow.run)
        return call

    def outbound_session(self, uuid: str):
        """Call ``uuid``'s open outbound session, or None: ``.outbox.abort()`` cuts the daemon's
        connection (the call goes on as FreeSWITCH's would), ``.outbox.send(data)`` writes raw bytes."""
        return next((s for s in list(self.sessions) if s.flow.uuid == uuid and not s.outbox.closed), None)

    def hangup_all(self, cause: str | None = None) -> None:
        """Every caller hangs up (``cause=None``), or the switch hangs them up with ``cause``."""
        for flow in list(self._flows.values()):
            if cause is None:
                flow.caller_hangs_up()
            else:
                flow.switch_hangs_up(cause)

    def wait_calls(self, timeout: float | None = None) -> bool:
        """Wait until every call placed so far has ended."""
        with gevent.Timeout(timeout, False):
            for call in list(self.calls):
                call.wait()
            return True
        return False

    def call_finished(self, flow: CallFlow) -> None:
        self._flows.pop(flow.uuid, None)

    def wait_originated(self, count: int = 1, timeout: float = 5.0):
        """The ``count``-th leg placed with ``originate`` (waits up to ``timeout`` real seconds)."""
        with gevent.Timeout(timeout, AssertionError(f"no originate #{count} within {timeout} s")):
            while len(self.originated) < count:
                self.originated_event.clear()
                self.originated_event.wait()
        return self.originated[count - 1]

    # -- channels (api support) ----------------------------------------------------------

    def channel_created(self, channel: Channel) -> None:
        self._prune()
        self._db[channel.uuid] = ChannelRecord(channel, self.clock.now())

    def channel_destroyed(self, channel: Channel) -> None:
        record = self._db.get(channel.uuid)
        if record is not None and record.ended_at is None:
            record.ended_at = self.clock.now()
            self._ended.append((record.ended_at, channel.uuid))
            self.stats.current -= 1

    def _prune(self) -> None:
        """Forget channels ``show channels`` no longer lists (keeps memory flat in the bench)."""
        horizon = self.clock.now() - api.DB_DELETE_LAG
        while self._ended and self._ended[0][0] <= horizon:
            self._db.pop(self._ended.popleft()[1], None)

    def channel_db(self) -> list[ChannelRecord]:
        """What ``show channels`` sees: written late, removed late (see api.DB_*_LAG)."""
        self._prune()
        now = self.clock.now()
        return [record for record in self._db.values() if now >= record.created_at + api.DB_INSERT_LAG]

    def find_channel(self, uuid: str) -> Channel | None:
        record = self._db.get(uuid)
        if record is None or record.ended_at is not None:
            return None
        return record.channel

    def send_message(self, uuid: str, command) -> bool:
        """``sendmsg <uuid>`` on an inbound connection: act on a call's channel."""
        flow = self._flows.get(uuid)
        if flow is None:
            return False
        flow.on_sendmsg(command)
        return True

    def kill_channel(self, uuid: str, cause: str) -> bool:
        """uuid_kill: a caller's channel, or a B leg of a bridge (which ends that leg)."""
        flow = self._flows.get(uuid)
        if flow is None:
            bridge = self.b_legs.get(uuid)
            return bridge is not None and bridge.kill_leg(uuid, cause)
        if not flow.channel.up:
            return False
        flow.switch_hangs_up(cause)
        return True
