"""Passwords, kept only as hashes: argon2 for HTTP login, the SIP A1 for FreeSWITCH.

FreeSWITCH's digest auth accepts `a1-hash` = md5("login:domain:password") in place of
a password, so the directory can serve it without the store ever holding the
password. The A1 binds the SIP domain: after `company.domain` changes, every A1
is useless and each employee needs a new password (`callrouter employee passwd`).
The domain each A1 was made for is stored so that mismatch is reported, not
discovered by phones failing to register.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# No 0/O, 1/l/I: the password is read from a letter and typed into a phone.
PASSWORD_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 16        # ~93 bits: beyond online guessing and offline MD5 cracking of the A1
MIN_PASSWORD_LENGTH = 10

# argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, 3 passes): about a
# quarter of a second per login on a small server, which is the point.
DEFAULT_HASHER = PasswordHasher()


def generate_password(length: int = PASSWORD_LENGTH) -> str:
    """A random password with at least one lower case letter, upper case letter and digit."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.islower() for c in password) and any(c.isupper() for c in password) \
                and any(c.isdigit() for c in password):
            return password


def check_password_strength(password: str) -> None:
    """Refuse a given password too weak for a SIP account exposed to the internet."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if password.strip() != password or any(ord(c) < 32 for c in password):
        raise ValueError("a password must not start or end with spaces or contain control characters")


def sip_a1(login: str, domain: str, password: str) -> str:
    """The digest A1 hash FreeSWITCH accepts as `a1-hash` in the user directory."""
    return hashlib.md5(f"{login}:{domain}:{password}".encode("utf-8")).hexdigest()


def http_hash(password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> str:
    return hasher.hash(password)


def verify_http(password_hash: str, password: str, hasher: PasswordHasher = DEFAULT_HASHER) -> bool:
    """Check against the hash's own parameters (hashes made with older settings still verify)."""
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Credentials:
    """What the store keeps for one login (never the password itself)."""
    login: str
    password_hash: str = field(repr=False)
    sip_a1: str = field(repr=False)          # password-equivalent for SIP digest auth: never log it
    sip_domain: str
    updated_at: dt.datetime

    def usable_for(self, domain: str) -> bool:
        """False when the A1 was made for another SIP domain: the phone cannot register."""
        return self.sip_domain.lower() == domain.lower()


def credential_state(credentials: Optional[Credentials], domain: str) -> str:
    """`set`, `missing`, or `stale domain` (made for another SIP domain) — for listings and checks."""
    if credentials is None:
        return "missing"
    return "set" if credentials.usable_for(domain) else "stale domain"


def domain_change_warning(stale: dict[str, Credentials], domain: str, config: Optional[str] = None) -> str:
    """What to tell the admin about passwords made for another SIP domain ("" when none):
    for `callrouter employee list`, `callrouter check` and the daemon's start."""
    if not stale:
        return ""
    made_for = ", ".join(sorted({c.sip_domain for c in stale.values()}))
    return (f"the SIP passwords of {', '.join(sorted(stale))} were made for domain {made_for}, not {domain}: "
            f"their phones cannot register. The SIP hash includes the domain, so each needs a new password: "
            f"`callrouter employee passwd LOGIN --send{f' -c {config}' if config else ''}`")
