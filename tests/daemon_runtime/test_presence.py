"""The presence view: what routing is told about devices and calls."""
from daemon.presence import PresenceView, Registration


def connected(*registrations) -> PresenceView:
    view = PresenceView()
    view.reset(registrations)
    return view


def test_before_any_connection_everyone_is_registered_and_idle():
    view = PresenceView()
    assert view.is_registered("anna") and not view.is_busy("anna")


def test_reset_lists_who_is_registered():
    view = connected(Registration("anna", "<sip:anna@10.0.0.5>", "c1"), "boris")
    assert view.is_registered("anna") and view.is_registered("boris")
    assert not view.is_registered("ivan")
    assert view.registered_logins == 2


def test_a_login_stays_registered_until_its_last_contact_goes():
    view = connected(Registration("anna", "<sip:anna@10.0.0.5>", "c1"))
    view.registered("anna", "<sip:anna@10.0.0.6>", "c2")
    view.unregistered("anna", "<sip:anna@10.0.0.5>", "c1")
    assert view.is_registered("anna")
    view.unregistered("anna", "", "c2")        # a closed TCP socket: only the call-id is known
    assert not view.is_registered("anna")


def test_refreshing_a_registration_does_not_count_a_second_contact():
    view = connected()
    for _ in range(3):
        view.registered("anna", "<sip:anna@10.0.0.5>", "c1")
    assert view.contacts("anna") == 1


def test_a_rebooted_phone_replaces_its_old_registration():
    """Same contact, new call-id: one device, and its unregister leaves nothing behind."""
    view = connected(Registration("anna", "<sip:anna@10.0.0.5>", "before-reboot"))
    view.registered("anna", "<sip:anna@10.0.0.5>", "after-reboot")
    assert view.contacts("anna") == 1
    view.unregistered("anna", "<sip:anna@10.0.0.5>", "after-reboot")
    assert not view.is_registered("anna")


def test_unregister_with_contact_star_drops_every_contact():
    view = connected(Registration("anna", "a", "c1"), Registration("anna", "b", "c2"))
    view.unregistered("anna", "*", "c3")
    assert not view.is_registered("anna")


def test_unregister_of_an_unknown_login_changes_nothing():
    view = connected("anna")
    view.unregistered("ivan", "x", "y")
    assert view.is_registered("anna") and not view.is_registered("ivan")


def test_a_login_is_busy_from_answer_to_hangup():
    view = connected("anna")
    view.channel_created("leg-1", "anna")
    assert not view.is_busy("anna")            # ringing is not busy
    view.channel_answered("leg-1", None)        # the login is known from the create
    assert view.is_busy("anna")
    view.channel_hung_up("leg-1")
    assert not view.is_busy("anna")


def test_two_calls_keep_a_login_busy_until_both_end():
    view = connected("anna")
    view.channel_answered("leg-1", "anna")
    view.channel_answered("leg-2", "anna")
    view.channel_answered("leg-2", "anna")      # a repeated answer counts once
    view.channel_hung_up("leg-1")
    assert view.is_busy("anna")
    view.channel_hung_up("leg-2")
    assert not view.is_busy("anna") and view.calls("anna") == 0


def test_hangup_of_a_channel_never_seen_answering_changes_nothing():
    view = connected("anna")
    view.channel_answered("leg-1", "anna")
    view.channel_hung_up("unknown-leg")
    view.channel_created("leg-2", None)
    view.channel_answered("leg-2", None)        # no login anywhere: not counted
    assert view.calls("anna") == 1


def test_when_the_link_drops_everyone_is_available_again():
    view = connected("anna")
    view.channel_answered("leg-1", "anna")
    view.disconnected()
    assert view.is_registered("ivan") and not view.is_busy("anna")
    assert not view.connected


def test_reset_after_a_reconnect_forgets_calls_of_the_old_link():
    """Their hangups may have happened while the link was down."""
    view = connected("anna")
    view.channel_answered("leg-1", "anna")
    view.disconnected()
    view.reset(["anna"])
    assert not view.is_busy("anna")


def test_listeners_are_told_of_each_change_to_what_routing_is_answered():
    view = PresenceView()
    told: list = []
    view.listeners.append(told.append)
    view.reset([Registration("anna", "<sip:anna@10.0.0.5>", "c1")])
    view.registered("anna", "<sip:anna@10.0.0.6>", "c2")        # a second contact: still registered
    view.registered("boris", "<sip:boris@10.0.0.7>", "c3")
    view.unregistered("anna", "", "c1")
    view.unregistered("anna", "", "c2")
    view.channel_created("u1", "boris")
    view.channel_answered("u1", None)
    view.channel_created("u2", "boris")
    view.channel_answered("u2", "boris")                         # already busy
    view.channel_hung_up("u1")
    view.channel_hung_up("u2")
    view.disconnected()
    assert told == [None, "boris", "anna", "boris", "boris", None]


def test_a_contact_is_one_device_whatever_display_name_it_is_listed_with():
    """The listing at connect gives `"" <uri>`; the phone's own REGISTER may name itself."""
    view = connected(Registration("anna", '"" <sip:anna@10.0.0.5:5060>', "c1"))
    view.registered("anna", '"Anna" <sip:anna@10.0.0.5:5060>', "c2")       # rebooted: a new call-id
    assert view.contacts("anna") == 1
    view.unregistered("anna", '"Anna" <sip:anna@10.0.0.5:5060>', "c2")
    assert not view.is_registered("anna")
