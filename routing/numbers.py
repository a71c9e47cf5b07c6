"""Recognising a company number (DID) however it was dialled.

A DID is stored in E.164 ("+74951234567").  Callers and carriers present it as
"84951234567", "74951234567", "+7 (495) 123-45-67", "4951234567", "0074951234567"…
The provider's help page says: a company number reaches its employee or department
however it is dialled: +7, 7 or 8 in front, with or without the area code's
parentheses, spaces and dashes.

A number dialled is the company number when its cleaned form is one of the forms
phonenumbers (region RU) reads as that number (`dialled_forms`).  Parsing each call
with phonenumbers costs ~30 µs, so the speed layer lists every form once per
snapshot (routing.fast.index) and a call only looks the cleaned digits up.
"""
from __future__ import annotations

from typing import Iterable, Optional

import phonenumbers

DEFAULT_REGION = "RU"

# Punctuation people and carriers put in numbers; none of it changes the number.
_PUNCTUATION = str.maketrans("", "", " -().\u00a0")

# International call prefixes that may stand for "+" (ITU "00", Russia's old "810").
_INTERNATIONAL_PREFIXES = ("00", "810")


def clean(dialled: str) -> str:
    """The dialled string without spaces, dashes, dots and parentheses."""
    return dialled.translate(_PUNCTUATION)


def dialled_forms(e164: str, region: str = DEFAULT_REGION) -> frozenset[str]:
    """Every cleaned form of `e164` that phonenumbers would read as that number in `region`."""
    number = phonenumbers.parse(e164, None)
    digits = e164.lstrip("+")
    forms = {e164, digits}
    forms.update(prefix + digits for prefix in _INTERNATIONAL_PREFIXES)
    if phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.national_significant_number(number)
        forms.add(national)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if metadata is not None and metadata.national_prefix:
            forms.add(metadata.national_prefix + national)
    return frozenset(form for form in forms if _reads_as(form, e164, region))


def _reads_as(form: str, e164: str, region: str) -> bool:
    """Keep only the forms phonenumbers itself normalises to `e164` (the reference)."""
    try:
        parsed = phonenumbers.parse(form, region)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164


def company_number(dialled: str, numbers: Iterable[str], region: str = DEFAULT_REGION) -> Optional[str]:
    """The company number (E.164, one of `numbers`) that `dialled` is, or None.

    A form reads as one number only, so it is enough to read the dialled string
    once and check that its cleaned form is one of that number's dialled forms."""
    cleaned = clean(dialled)
    try:
        e164 = phonenumbers.format_number(phonenumbers.parse(cleaned, region), phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        return None
    return e164 if e164 in numbers and cleaned in dialled_forms(e164, region) else None
