"""Event subscriptions and the bus that fans events out to ESL connections.

FreeSWITCH numbers every event it fires (Event-Sequence) whether anyone listens or not,
and delivers to each listener through its own queue.  Numbers are taken when an event is
created, so two events created in one order and delivered in the other reach the client
out of sequence — :meth:`EventBus.create` and :meth:`EventBus.deliver` are separate to let
the call flow reproduce that (a bridged call's B leg reports CHANNEL_HANGUP_COMPLETE with
a lower sequence number than the A leg, after it).
"""
from __future__ import annotations

import itertools
from typing import Protocol

from .channel import Channel, EventData, HeadRenderer, SwitchIdentity, channel_event
from .clock import SimClock
from .encoding import event_message

#: Subscription format of an outbound session that keeps events until ``myevents`` takes
#: effect; such events are rendered in both formats.
HOLD = "hold"


def serialize(event: EventData, fmt: str) -> bytes:
    """The framed event as it goes on the wire."""
    if fmt == "json":
        return event_message(event.json(), "text/event-json")
    return event_message(event.plain(), "text/event-plain")


class Listener(Protocol):
    subscription: "Subscription"

    def deliver_event(self, event: EventData, fmt: str) -> None:
        """Queue ``event`` for the client, serialized as ``fmt`` (``plain``/``json``/``hold``)."""


class Subscription:
    """What one connection asked for with ``event`` / ``myevents``."""

    def __init__(self) -> None:
        self.format: str | None = None
        self.all = False
        self.names: set[str] = set()
        self.subclasses: set[str] = set()
        self.uuid: str | None = None
        self.nixed: set[str] = set()          # ``nixevent`` after ``myevents``/``event ALL``

    @property
    def active(self) -> bool:
        return self.format is not None and (self.all or bool(self.names))

    def add(self, fmt: str, tokens: list[str]) -> None:
        """``event plain A B CUSTOM x::y``: names before CUSTOM, subclasses after it."""
        self.format = fmt
        custom = False
        for token in tokens:
            if custom:
                self.subclasses.add(token)
            elif token.upper() == "ALL":
                self.all = True
            elif token.upper() == "CUSTOM":
                custom = True
                self.names.add("CUSTOM")
            else:
                self.names.add(token.upper())

    def my_events(self, fmt: str, uuid: str) -> None:
        """``myevents``: every event type, for one channel only."""
        self.format = fmt
        self.all = True
        self.uuid = uuid

    def clear(self) -> None:
        self.__init__()

    def nix(self, tokens: list[str]) -> None:
        for token in tokens:
            self.names.discard(token.upper())
            self.nixed.add(token.upper())

    def add_filter(self, header: str, value: str) -> None:
        """``filter Unique-ID <uuid>`` narrows the subscription to one channel (outbound_07f1);
        the simulator honours that filter only, the one a call's listener uses."""
        if header.lower() == "unique-id" and value:
            self.uuid = value

    def wants(self, name: str, subclass: str | None, uuid: str | None) -> str | None:
        if self.format is None:
            return None
        if self.uuid is not None and uuid != self.uuid:
            return None
        if self.all:
            return None if name in self.nixed else self.format
        if name not in self.names:
            return None
        if name == "CUSTOM" and subclass and subclass not in self.subclasses:
            return None
        return self.format


class EventBus:
    """Creates numbered events and delivers them to the listening connections."""

    def __init__(self, identity: SwitchIdentity, clock: SimClock, first_sequence: int = 1) -> None:
        self.identity = identity
        self.heads = HeadRenderer(identity)
        self.clock = clock
        self._sequence = itertools.count(first_sequence)
        self._global: list[Listener] = []
        self._by_uuid: dict[str, list[Listener]] = {}
        self._keys: dict[Listener, str | None] = {}

    # -- registry ----------------------------------------------------------------------

    def attach(self, listener: Listener) -> None:
        """(Re)register after the listener's subscription changed."""
        self.detach(listener)
        sub = listener.subscription
        if not sub.active:
            return
        self._keys[listener] = sub.uuid
        if sub.uuid is None:
            self._global.append(listener)
        else:
            self._by_uuid.setdefault(sub.uuid, []).append(listener)

    def detach(self, listener: Listener) -> None:
        if listener not in self._keys:
            return
        uuid = self._keys.pop(listener)
        if uuid is None:
            self._global.remove(listener)
            return
        listeners = self._by_uuid[uuid]
        listeners.remove(listener)
        if not listeners:
            del self._by_uuid[uuid]

    def next_sequence(self) -> int:
        return next(self._sequence)

    def _targets(self, name: str, subclass: str | None, uuid: str | None) -> list[tuple[Listener, str]]:
        out = []
        candidates = self._global + self._by_uuid.get(uuid, []) if uuid else self._global
        for listener in candidates:
            fmt = listener.subscription.wants(name, subclass, uuid)
            if fmt:
                out.append((listener, fmt))
        return out

    # -- firing ------------------------------------------------------------------------

    @property
    def has_global_listeners(self) -> bool:
        """Is anyone subscribed beyond single channels (B legs only matter to them)?"""
        return bool(self._global)

    def wants(self, name: str, uuid: str | None) -> bool:
        """Does anyone listen for this channel event (to skip preparing what nobody reads)?"""
        return bool(self._targets(name, None, uuid))

    def create(self, channel: Channel, name: str, first=(), tail=(),
               keep: bool = False) -> tuple[EventData, list] | None:
        """Number a channel event and snapshot it for its current listeners.

        None when nobody listens, unless ``keep``: then the event is built in both formats
        for a listener that will only subscribe later (the outbound backlog).
        """
        sequence = self.next_sequence()
        targets = self._targets(name, None, channel.uuid)
        if not targets and not keep:
            return None
        formats = {fmt for _, fmt in targets}
        event = channel_event(self.heads, channel, name, sequence, self.clock.epoch_us(), first=first, tail=tail,
                              plain="plain" in formats, json="json" in formats, snapshot=keep or HOLD in formats)
        return event, targets

    @staticmethod
    def deliver(created: tuple[EventData, list] | None) -> None:
        if created is None:
            return
        event, targets = created
        for listener, fmt in targets:
            listener.deliver_event(event, fmt)

    def fire(self, channel: Channel, name: str, first=(), tail=()) -> None:
        self.deliver(self.create(channel, name, first, tail))

    def fire_plain_event(self, name: str, headers: list[tuple[str, str]], subclass: str | None = None,
                         body: str | None = None) -> None:
        """A non-channel event (BACKGROUND_JOB, CUSTOM sofia::register, …)."""
        sequence = self.next_sequence()
        targets = self._targets(name, subclass, None)
        if not targets:
            return
        event = EventData(self.heads, name, sequence=sequence, epoch_us=self.clock.epoch_us(), subclass=subclass,
                          tail=tuple(headers), body=body)
        self.deliver((event, targets))
