"""What the inbound ESL connection reads, turned into presence updates.

Pure functions over events (anything with `get(name)`: the link's plain
`daemon.esl.event.Event`, or the dict of an `event json` body) and over the
bodies of the listings loaded at connect.
Only logins of the company's SIP domain count: the same FreeSWITCH may serve
other domains, and trunk calls carry outside numbers.
"""
from __future__ import annotations

import logging
from typing import Iterator, Mapping, Optional
from xml.etree import ElementTree

from daemon.presence import PresenceView, Registration

log = logging.getLogger(__name__)

# JSON, as the design asks: one json.loads per event, no URL-decoding of ~170 headers.
# (The link reads plain events too, lazily: the five or six headers presence needs are
# found where they lie, ~15 µs for a 7.5 KB channel event against ~33 µs for json.loads;
# ~60 µs per call in all, so the subscription stays as specified.)
SUBSCRIPTION = ("event json CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE "
                "CUSTOM sofia::register sofia::unregister sofia::expire")

Event = Mapping[str, object]           # what apply_event reads: only its `get`


def apply_event(presence: PresenceView, event: Event, domain: str) -> None:
    """Update `presence` from one event; events of other domains change nothing."""
    name = event.get("Event-Name")
    if name == "CUSTOM":
        _apply_registration(presence, event, domain)
        return
    uuid = text(event, "Unique-ID")
    if not uuid:
        return
    if name == "CHANNEL_CREATE":
        presence.channel_created(uuid, channel_login(event, domain))
    elif name == "CHANNEL_ANSWER":
        presence.channel_answered(uuid, channel_login(event, domain))
    elif name == "CHANNEL_HANGUP_COMPLETE":
        presence.channel_hung_up(uuid)


# Where each sofia event names the user and domain: register/unregister describe
# the REGISTER request, expire the row being dropped (`realm` only since 1.10).
_USER_AND_HOST = {
    "sofia::register": ("from-user", "from-host"),
    "sofia::unregister": ("from-user", "from-host"),
    "sofia::expire": ("user", "host"),
}


def _apply_registration(presence: PresenceView, event: Event, domain: str) -> None:
    subclass = event.get("Event-Subclass")
    keys = _USER_AND_HOST.get(subclass)
    if keys is None:
        return
    login = login_of(text(event, keys[0]), text(event, keys[1]) or text(event, "realm"), domain)
    if login is None:
        return
    contact, call_id = text(event, "contact"), text(event, "call-id")
    if subclass == "sofia::register":
        presence.registered(login, contact, call_id)
    else:
        presence.unregistered(login, contact, call_id)


def channel_login(event: Event, domain: str) -> Optional[str]:
    """The company login a channel belongs to, or None (trunks, other domains).

    Calls FreeSWITCH places to a phone (`Call-Direction: outbound`, made by the
    `user/` endpoint) carry `variable_dialed_user`/`_domain`.  Calls from a phone
    (`inbound`) are identified by the digest-authenticated user when there is one,
    else by the From user and host.  The direction matters: after a bridge the
    A-leg carries the dialled user too.
    """
    if event.get("Call-Direction") == "outbound":
        return login_of(text(event, "variable_dialed_user"), text(event, "variable_dialed_domain"), domain)
    user = text(event, "variable_sip_auth_username")
    if user:
        return login_of(user, text(event, "variable_sip_auth_realm"), domain)
    return login_of(text(event, "variable_sip_from_user") or text(event, "Caller-Username"),
                    text(event, "variable_sip_from_host"), domain)


def login_of(user: str, host: str, domain: str) -> Optional[str]:
    """The SIP user name is the login, provided the domain is the company's."""
    if not user or host.lower() != domain.lower():
        return None
    return user.lower()


def text(event: Event, key: str) -> str:
    """A header's value as text: "" when absent, not text, or FreeSWITCH's `_undef_`."""
    value = event.get(key)
    if not isinstance(value, str) or value == "_undef_":
        return ""
    return value


# --------------------------------------------------------------------------- listings

def profile_names(sofia_status: str) -> list[str]:
    """SIP profiles in the body of `api sofia status` (aliases and gateways skipped).

    Rows are tab-separated `Name  Type  Data  State`, padded with spaces.
    """
    names = []
    for line in sofia_status.splitlines():
        columns = [c.strip() for c in line.split("\t")]
        if len(columns) >= 2 and columns[1] == "profile":
            names.append(columns[0])
    return names


def registrations(xmlstatus: bytes, domain: str, chunk: int = 65536) -> Iterator[Registration]:
    """Registrations of the company's domain in `api sofia xmlstatus profile NAME reg`.

    Unlike `show registrations`, which keeps one row per user, this lists every
    contact with its call-id, so later unregisters of one contact match.  The body
    is parsed incrementally (a company of 10,000 phones lists megabytes), so the
    caller can yield to other greenlets between registrations.
    """
    parser = ElementTree.XMLPullParser(events=("end",))
    try:
        for start in range(0, len(xmlstatus), chunk):
            parser.feed(xmlstatus[start:start + chunk])
            yield from _registrations_parsed(parser, domain)
        parser.close()
        yield from _registrations_parsed(parser, domain)
    except ElementTree.ParseError as exc:
        log.warning("unreadable registration listing from FreeSWITCH (%s)", exc)


def _registrations_parsed(parser: ElementTree.XMLPullParser, domain: str) -> Iterator[Registration]:
    for _, element in parser.read_events():
        if element.tag != "registration":
            continue
        user, _, host = (element.findtext("user") or "").partition("@")
        login = login_of(user, host, domain)
        if login is not None:
            yield Registration(login, element.findtext("contact") or "", element.findtext("call-id") or "")
        element.clear()
