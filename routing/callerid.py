"""What a mobile leg shows the person being called («Номер на мобильном»), and where that is said.

The provider's help page says:

    A call forwarded to your mobile shows the caller's number, or the company's
    number if the company chooses so (`mobile_caller_id: company`).  A colleague's
    call always shows the company's number (an extension means nothing on the
    mobile network).  With `diversion`, the company number the call came in on is
    sent as the Diversion header, so that the operator accepts a caller ID that is
    not the company's own.

The caller's own number is what every leg shows anyway (FreeSWITCH copies the
A-leg's caller ID to the legs it originates), so when a mobile leg is to show it, it
goes call-wide in the bridge's `{...}`.  The company's number must reach the mobile
legs only, as the desk phones keep showing a colleague's extension, so it goes in
the mobile legs' own `[...]`, with the Diversion header.  Each leg's string then
depends on the company's settings and the number dialled, never on who calls, and
is memoised across calls.
"""
from __future__ import annotations

import re
from typing import Optional

from routing import dialstring

_NOT_DIGITS = re.compile(r"[^0-9]")


def own_number(caller: str, internal: bool, shown: str) -> Optional[str]:
    """The caller's own number when mobile legs are to show it, else None (they show
    the company's): the company may ask for its own number, and an internal caller's
    extension means nothing on the public network.  Only digits and a leading "+"
    are kept: the caller ID comes from the network and ends up in a dial string.
    `shown` is the company's `mobile_caller_id` (caller | company)."""
    if shown == "company" or internal:
        return None
    if caller.isascii() and (caller.isdigit() or caller[:1] == "+" and caller[1:].isdigit()):
        return caller                        # the usual case, with nothing to strip
    digits = _NOT_DIGITS.sub("", caller)
    if not digits:
        return None
    return "+" + digits if caller.lstrip().startswith("+") else digits


def call_variables(own: Optional[str]) -> str:
    """Call-wide variables of a bridge with a mobile leg: the caller's own number
    (own_number's digits and "+" need no escaping)."""
    return "origination_caller_id_number=" + own if own is not None else ""


def mobile_leg_variables(own: Optional[str], did: Optional[str], company_caller_id: Optional[str],
                         diversion: bool) -> str:
    """Variables on every mobile leg: the company's number when that is what mobile
    legs show, and with `company.diversion` a Diversion header naming the company
    number the call came in on (else the company's caller ID), so the operator
    accepts a caller ID that is not ours."""
    company_id = company_caller_id if own is None else None
    header = (did or company_caller_id) if diversion else None
    if company_id is None and header is None:
        return ""
    return dialstring.mobile_variables(company_id, header)
