"""What FreeSWITCH does with a directory document once mod_xml_curl has fetched it.

Transcribed from switch_xml.c: switch_xml_locate (a `result`/`not found` answer means
"look elsewhere"), switch_xml_locate_user / find_user_in_tag (for key "id" a user
matches on id or number-alias, case-insensitively) and switch_xml_merge_user (group,
then domain params and variables fill in what the user lacks). And sofia_reg.c's
digest check against the a1-hash.
"""
from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class LocatedUser:
    id: str
    attributes: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)


def is_not_found(document: bytes) -> bool:
    root = ET.fromstring(document)
    result = root.find("section[@name='result']/result")
    return result is not None and (result.get("status") or "").lower() == "not found"


def locate_domain(document: bytes, domain: str) -> Optional[ET.Element]:
    if is_not_found(document):
        return None
    root = ET.fromstring(document)
    assert root.tag == "document" and root.get("type") == "freeswitch/xml"
    for section in root.findall("section"):
        if section.get("name") == "directory":
            for candidate in section.findall("domain"):
                if (candidate.get("name") or "").lower() == domain.lower():
                    return candidate
    return None


def locate_user(document: bytes, key: str, user: str, domain: str) -> Optional[LocatedUser]:
    found_domain = locate_domain(document, domain)
    if found_domain is None:
        return None
    for group in found_domain.findall("groups/group"):
        for candidate in group.findall("users/user"):
            if _matches(candidate, key, user):
                return _merged(candidate, group, found_domain)
    return None


def sofia_accepts(a1_hash: str, method: str, uri: str, nonce: str, response: str) -> bool:
    """sofia_reg_parse_auth without qop: md5(a1:nonce:md5(method:uri))."""
    expected = _md5(f"{a1_hash}:{nonce}:{_md5(f'{method}:{uri}')}")
    return expected == response.lower()


def phone_response(username: str, realm: str, password: str, method: str, uri: str, nonce: str) -> str:
    """What a SIP phone sends in Authorization: response= (RFC 2617 without qop)."""
    return _md5(f"{_md5(f'{username}:{realm}:{password}')}:{nonce}:{_md5(f'{method}:{uri}')}")


def _matches(candidate: ET.Element, key: str, user: str) -> bool:
    keys = [key, "number-alias"] if key == "id" else [key]
    return any((candidate.get(k) or "").lower() == user.lower() for k in keys if candidate.get(k) is not None)


def _merged(user: ET.Element, group: ET.Element, domain: ET.Element) -> LocatedUser:
    located = LocatedUser(user.get("id"), dict(user.attrib))
    for source in (user, group, domain):
        for param in source.findall("params/param"):
            located.params.setdefault(param.get("name"), param.get("value"))
        for variable in source.findall("variables/variable"):
            located.variables.setdefault(variable.get("name"), variable.get("value"))
    return located


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()
