"""Who has a registered device and who is on a call, as FreeSWITCH last told us.

The inbound ESL connection (`daemon.inbound`) feeds this view; routing reads it
through the `routing.types.Presence` protocol.

While the link is down (never connected, or lost) the view knows nothing current,
so it answers "registered and idle" for everybody.  Ringing someone who turns out
to be unreachable costs little (FreeSWITCH fails a `user/` leg at once with
USER_NOT_REGISTERED and starts the delayed legs), whereas skipping people who are in
fact reachable loses calls.  The same bias guides the bookkeeping below: when in
doubt, keep a device counted as registered.

Every method is a few dict operations: the reader greenlet calls them for each
event and must never fall behind FreeSWITCH's event queue.

Whoever keeps what this view says between calls (routing.fast.live.LiveMasks) listens:
every change to an answer of `is_registered` or `is_busy` is told to `listeners`,
with the login, or None when anybody's may have changed (the link came or went).
"""
from __future__ import annotations

from typing import Callable, Iterable, NamedTuple, Optional, Union

WILDCARD_CONTACT = "*"     # REGISTER with "Contact: *" and Expires: 0 drops every contact

Listener = Callable[[Optional[str]], None]     # a login whose answers changed; None: anybody's


class Registration(NamedTuple):
    """One registered contact of a login.

    `call_id` identifies the registration when FreeSWITCH gives it (every sofia
    event does; an unregister after a TCP/WS socket closes carries nothing else);
    `contact` is the SIP contact as FreeSWITCH prints it.
    """
    login: str
    contact: str = ""
    call_id: str = ""


class PresenceView:
    """Implements `routing.types.Presence` from the inbound event stream."""

    def __init__(self) -> None:
        self.connected = False
        self._contacts: dict[str, list[tuple[str, str]]] = {}   # login -> [(call_id, contact)]
        self._logins_of_channels: dict[str, str] = {}           # uuid -> login, live channels
        self._answered: dict[str, str] = {}                     # uuid -> login, answered, not hung up
        self._busy: dict[str, int] = {}                         # login -> answered channels
        self.listeners: list[Listener] = []

    # ----------------------------------------------------------------- routing reads

    def is_registered(self, login: str) -> bool:
        return not self.connected or login in self._contacts

    def is_busy(self, login: str) -> bool:
        return self.connected and login in self._busy

    # ------------------------------------------------------------ the link's lifecycle

    def reset(self, registrations: Iterable[Union[Registration, str]]) -> None:
        """Start over from a listing taken at connect; the view is current again.

        Channels are forgotten: calls that were up before this connection are not
        listed reliably (`show channels` reads a database FreeSWITCH writes
        asynchronously, and a stale row would pin someone busy until the next
        reconnect), so their logins count as idle until they call again.
        A bare login string stands for one contact whose identity is unknown.
        """
        self._contacts.clear()
        self._logins_of_channels.clear()
        self._answered.clear()
        self._busy.clear()
        for item in registrations:
            reg = Registration(item) if isinstance(item, str) else item
            self._register(reg.login, reg.contact, reg.call_id)
        self.connected = True
        self._tell(None)

    def disconnected(self) -> None:
        """The link is gone: answer "available" until the next `reset`."""
        self.connected = False
        self._tell(None)

    def _tell(self, login: Optional[str]) -> None:
        for listener in self.listeners:
            listener(login)

    # ------------------------------------------------------------------ registrations

    def registered(self, login: str, contact: str = "", call_id: str = "") -> None:
        """A contact (re)registered.

        A registration from the same contact replaces an older one with another
        call-id (a rebooted phone): FreeSWITCH's `multiple-registrations=contact`
        mode does the same without telling anyone.
        """
        if self._register(login, contact, call_id) and self.connected:
            self._tell(login)

    def _register(self, login: str, contact: str, call_id: str) -> bool:
        """Note the contact; whether the login had none before."""
        first = login not in self._contacts
        entries = self._contacts.setdefault(login, [])
        entries[:] = [(cid, c) for cid, c in entries
                      if not _same(cid, c, call_id, contact)]
        entries.append((call_id, contact))
        return first

    def unregistered(self, login: str, contact: str = "", call_id: str = "") -> None:
        """A contact unregistered or expired (matched by call-id or by contact)."""
        entries = self._contacts.get(login)
        if entries is None:
            return
        if contact == WILDCARD_CONTACT:
            entries.clear()
        else:
            entries[:] = [(cid, c) for cid, c in entries
                          if not _same(cid, c, call_id, contact)]
        if not entries:
            del self._contacts[login]
            if self.connected:
                self._tell(login)

    @property
    def registered_logins(self) -> int:
        """How many logins have at least one registered contact."""
        return len(self._contacts)

    def contacts(self, login: str) -> int:
        """How many contacts of `login` are registered (0 while unknown)."""
        return len(self._contacts.get(login, ()))

    # ----------------------------------------------------------------------- channels

    def channel_created(self, uuid: str, login: Optional[str]) -> None:
        if login:
            self._logins_of_channels[uuid] = login

    def channel_answered(self, uuid: str, login: Optional[str]) -> None:
        """Count `login` busy from now until this channel hangs up (once per uuid)."""
        login = login or self._logins_of_channels.get(uuid)
        if not login or uuid in self._answered:
            return
        self._logins_of_channels[uuid] = login
        self._answered[uuid] = login
        calls = self._busy[login] = self._busy.get(login, 0) + 1
        if calls == 1 and self.connected:
            self._tell(login)

    def channel_hung_up(self, uuid: str, login: Optional[str] = None) -> None:
        """The channel is gone; the login it was counted for is the one it answered as."""
        self._logins_of_channels.pop(uuid, None)
        counted = self._answered.pop(uuid, None)
        if counted is None:
            return
        left = self._busy[counted] - 1
        if left:
            self._busy[counted] = left
        else:
            del self._busy[counted]
            if self.connected:
                self._tell(counted)

    def calls(self, login: str) -> int:
        """Answered channels of `login` not yet hung up."""
        return self._busy.get(login, 0)


def _same(call_id_a: str, contact_a: str, call_id_b: str, contact_b: str) -> bool:
    """Whether two registrations are one: same call-id, same contact URI, or both anonymous.

    The URI alone: FreeSWITCH lists a contact as `"" <sip:1000@127.0.0.1:5080>` (the
    transcript of `sofia status profile internal reg`) while a phone's REGISTER may
    carry a display name, and one device rebooted keeps its URI, not its call-id."""
    if not (call_id_a or contact_a):
        return not (call_id_b or contact_b)
    return bool((call_id_a and call_id_a == call_id_b) or (contact_a and _uri(contact_a) == _uri(contact_b)))


def _uri(contact: str) -> str:
    """`"Ivan" <sip:ivan@10.0.0.5:5060>` -> `sip:ivan@10.0.0.5:5060`; a bare URI as it is."""
    start = contact.find("<")
    if start < 0:
        return contact.strip()
    end = contact.find(">", start)
    return contact[start + 1:end if end > 0 else len(contact)]
