import hashlib

import pytest
from sqlalchemy import text

from store.credentials import (PASSWORD_ALPHABET, check_password_strength, credential_state, generate_password,
                               sip_a1)

PASSWORD = "Zq7pWm3kTr9xBv2n"


def test_the_store_keeps_hashes_and_never_the_password(store):
    store.set_password("ivan.petrov", PASSWORD, "pbx.example.com")

    with store.engine.connect() as conn:
        dump = " ".join(str(v) for row in conn.execute(text("SELECT * FROM credentials")) for v in row)
    assert PASSWORD not in dump
    assert store.verify_password("ivan.petrov", PASSWORD)
    assert not store.verify_password("ivan.petrov", PASSWORD.lower())
    assert not store.verify_password("anna.smirnova", PASSWORD)


def test_the_sip_a1_is_what_freeswitch_digest_auth_expects(store):
    store.set_password("ivan.petrov", PASSWORD, "pbx.example.com")

    expected = hashlib.md5(f"ivan.petrov:pbx.example.com:{PASSWORD}".encode()).hexdigest()
    assert store.a1_for("ivan.petrov", "pbx.example.com") == expected == sip_a1("ivan.petrov", "pbx.example.com",
                                                                                 PASSWORD)


def test_after_the_domain_changes_the_old_a1_is_refused_and_reported(store, caplog):
    store.set_password("ivan.petrov", PASSWORD, "old.example.com")

    assert store.a1_for("ivan.petrov", "pbx.example.com") is None
    assert "callrouter employee passwd ivan.petrov" in caplog.text
    assert credential_state(store.credentials_for("ivan.petrov"), "pbx.example.com") == "stale domain"
    assert credential_state(store.credentials_for("anna.smirnova"), "pbx.example.com") == "missing"
    assert list(store.stale_credentials("pbx.example.com")) == ["ivan.petrov"]

    store.set_password("ivan.petrov", PASSWORD, "pbx.example.com")
    assert credential_state(store.credentials_for("ivan.petrov"), "pbx.example.com") == "set"
    assert store.stale_credentials("pbx.example.com") == {}


def test_a_new_password_replaces_the_old_one(store):
    store.set_password("ivan.petrov", PASSWORD, "pbx.example.com")
    store.set_password("ivan.petrov", "Other-Pass-42x", "pbx.example.com")

    assert not store.verify_password("ivan.petrov", PASSWORD)
    assert store.verify_password("ivan.petrov", "Other-Pass-42x")
    assert PASSWORD not in repr(store.credentials_for("ivan.petrov"))


def test_generated_passwords_are_long_unambiguous_and_different():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for p in passwords:
        assert len(p) == 16 and set(p) <= set(PASSWORD_ALPHABET)
        assert not set(p) & set("0O1lI")


@pytest.mark.parametrize("weak", ["short1A", " leading-space-pass", "tab\tinside-pass"])
def test_a_weak_given_password_is_refused(weak):
    with pytest.raises(ValueError):
        check_password_strength(weak)
