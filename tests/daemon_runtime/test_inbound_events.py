"""Events and listings of a real FreeSWITCH 1.11 turned into presence.

The channel events and listings are the bytes captured in ../shared/esl-transcripts
(domain 127.0.0.1, users 1000 and 1001); sofia::* events are built with the headers
mod_sofia 1.11 puts in them.
"""
import pytest

from daemon.inbound_events import apply_event, channel_login, profile_names, registrations
from daemon.presence import PresenceView, Registration
from tests.daemon_runtime import transcripts

DOMAIN = "127.0.0.1"
CALL = "inbound_05_events_json_during_call"
REGS = "inbound_06_sofia_status_reg_and_sofia_contact"
# The same call captured twice, subscribed plain (what the link asks for) and JSON.
CALLS = {"plain": lambda: transcripts.plain_events("inbound_04_events_plain_during_call"),
         "json": lambda: transcripts.json_events(CALL)}


def json_event(**headers) -> dict:
    """An event as FreeSWITCH spells its keys: Unique_ID -> Unique-ID, call_id -> call-id."""
    return {k if k.startswith("variable_") else k.replace("_", "-"): v for k, v in headers.items()}


def sofia(subclass: str, **headers) -> dict:
    return json_event(Event_Name="CUSTOM", Event_Subclass=f"sofia::{subclass}", **headers)


@pytest.mark.parametrize("events", CALLS.values(), ids=CALLS.keys())
def test_a_real_call_makes_both_parties_busy_until_they_hang_up(events):
    """1001 calls 1000: B-leg by dialed_user, A-leg by the authenticated caller."""
    view = PresenceView()
    view.reset(["1000", "1001"])
    seen = []
    for event in events():
        apply_event(view, event, DOMAIN)
        seen.append((event.get("Event-Name"), view.is_busy("1000"), view.is_busy("1001")))
    assert seen == [
        ("CHANNEL_CREATE", False, False),
        ("CHANNEL_CREATE", False, False),
        ("CHANNEL_ANSWER", True, False),        # B-leg: the phone of 1000 answered
        ("CHANNEL_ANSWER", True, True),         # A-leg: 1001 is connected
        ("BACKGROUND_JOB", True, True),
        ("CHANNEL_HANGUP_COMPLETE", True, False),
        ("CHANNEL_HANGUP_COMPLETE", False, False),
    ]


@pytest.mark.parametrize("events", CALLS.values(), ids=CALLS.keys())
def test_the_a_leg_counts_for_the_caller_although_it_carries_the_dialled_user(events):
    a_leg_answer = [e for e in events() if e.get("Event-Name") == "CHANNEL_ANSWER"
                    and e.get("Call-Direction") == "inbound"][0]
    assert a_leg_answer.get("variable_dialed_user") == "1000"
    assert channel_login(a_leg_answer, DOMAIN) == "1001"


@pytest.mark.parametrize("events", CALLS.values(), ids=CALLS.keys())
def test_channels_of_another_domain_belong_to_nobody(events):
    for event in events():
        if event.get("Event-Name").startswith("CHANNEL_"):
            assert channel_login(event, "example.com") is None


def test_a_trunk_call_without_digest_auth_is_nobody():
    trunk = json_event(Event_Name="CHANNEL_CREATE", Unique_ID="u1", Call_Direction="inbound",
                       variable_sip_from_user="+74951234567", variable_sip_from_host="198.51.100.7")
    assert channel_login(trunk, "example.com") is None


def test_profiles_come_from_sofia_status_without_aliases():
    assert profile_names(transcripts.api_body(REGS, "sofia status").decode()) == ["internal"]


def test_every_contact_is_loaded_from_xmlstatus():
    body = transcripts.api_body(REGS, "sofia xmlstatus profile internal reg")
    found = list(registrations(body, DOMAIN, chunk=100))      # small chunks: parsed incrementally
    assert found == [
        Registration("1000", '"" <sip:1000@127.0.0.1:5080>', "1-21562@127.0.0.1"),
        Registration("1000", '"" <sip:1000@127.0.0.1:5081>', "1-21563@127.0.0.1"),
    ]
    assert list(registrations(body, "example.com")) == []


def test_an_empty_listing_and_a_broken_one_give_nothing():
    assert list(registrations(b'<?xml version="1.0"?>\n<profile><registrations></registrations></profile>',
                              DOMAIN)) == []
    assert list(registrations(b"-ERR sofia Command not found!\n", DOMAIN)) == []


@pytest.fixture
def loaded() -> PresenceView:
    view = PresenceView()
    view.reset(registrations(transcripts.api_body(REGS, "sofia xmlstatus profile internal reg"), DOMAIN))
    return view


def test_unregistering_one_of_two_contacts_keeps_the_login_registered(loaded):
    apply_event(loaded, sofia("unregister", from_user="1000", from_host=DOMAIN,
                              contact='"" <sip:1000@127.0.0.1:5080>', call_id="1-21562@127.0.0.1",
                              expires="0"), DOMAIN)
    assert loaded.is_registered("1000")
    apply_event(loaded, sofia("expire", user="1000", host=DOMAIN, realm=DOMAIN,
                              contact='"" <sip:1000@127.0.0.1:5081>', call_id="1-21563@127.0.0.1"), DOMAIN)
    assert not loaded.is_registered("1000")


def test_register_adds_a_login(loaded):
    apply_event(loaded, sofia("register", from_user="1001", from_host=DOMAIN,
                              contact='"" <sip:1001@127.0.0.1:5090>', call_id="x-1", expires="3600"), DOMAIN)
    assert loaded.is_registered("1001") and loaded.contacts("1001") == 1


def test_registrations_of_another_domain_are_ignored(loaded):
    apply_event(loaded, sofia("register", from_user="1001", from_host="other.example",
                              contact="<sip:1001@10.0.0.9>", call_id="x-2", expires="3600"), DOMAIN)
    assert not loaded.is_registered("1001")


def test_user_names_are_logins_in_lower_case(loaded):
    apply_event(loaded, sofia("register", from_user="Anna.Smirnova", from_host="127.0.0.1",
                              contact="<sip:anna@10.0.0.9>", call_id="x-3", expires="3600"), DOMAIN)
    assert loaded.is_registered("anna.smirnova")
