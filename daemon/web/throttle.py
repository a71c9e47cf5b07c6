"""How long a sign-in must wait after failed ones: the policy, without I/O.

Counted per login (as typed) and per client address, so an attacker can neither
spread guesses over many logins from one address nor over many addresses at one
login.  Past the free failures every failure doubles the wait, up to the lockout;
the wait ends by itself.
"""
from __future__ import annotations

from config.models import WebThrottle


def delay_after(failures: int, free: int, first_delay: float, lockout: float) -> float:
    """Seconds to block after the `failures`-th failure in a row (0 while still free)."""
    if failures < free:
        return 0.0
    return min(float(lockout), first_delay * 2.0 ** min(failures - free, 64))


def login_key(typed: str) -> str:
    return "login:" + typed.strip().lower()[:90]


def address_key(address: str) -> str:
    return "address:" + address[:90]


def login_delay(settings: WebThrottle):
    return lambda failures: delay_after(failures, settings.login_free_failures, settings.first_delay,
                                        settings.lockout)


def address_delay(settings: WebThrottle):
    return lambda failures: delay_after(failures, settings.address_free_failures, settings.first_delay,
                                        settings.lockout)
