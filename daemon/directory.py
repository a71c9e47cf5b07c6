"""FreeSWITCH's user directory, answered from the loaded config for mod_xml_curl.

How FreeSWITCH asks (mod_xml_curl.c, xml_url_fetch; switch_xml.c): every directory
lookup is an HTTP POST of form fields `hostname`, `section=directory`,
`tag_name=domain`, `key_name=name`, `key_value=<domain>`, followed by the lookup's
own parameters: `key` (`id`, or `id:number-alias` split into one lookup per key by
switch_xml_locate_user_merged), `user`, `domain`, `ip`, and an `action` or `purpose`
saying who asks:

- `action=sip_auth` (mod_sofia, sofia_reg_parse_auth): REGISTER and INVITE digest
  auth; `user` is the phone's auth user name;
- `action=user_call` (mod_dptools, the `user/` endpoint): the `dial-string` param
  and the variables of the dialled user;
- `action=voicemail-lookup`, `message-count`, `web-vm` … (mod_voicemail);
- `purpose=gateways` (mod_sofia at profile start, `tag_name` empty: the whole
  section is wanted) and `purpose=network-list` (ACLs with `domain=`): the domain
  itself, no user.

FreeSWITCH then searches the returned document itself: the `<domain>` whose name
matches (case-insensitively), then a `<user>` under `<groups><group><users>` whose
`id` — or, for key `id`, whose `number-alias` — equals the requested user.
A `<section name="result"><result status="not found"/>` answer makes it try the next
binding and then the static XML files; any HTTP status other than 200 makes the
fetch fail the same way (logged as an error by mod_xml_curl).
"""
from __future__ import annotations

import base64
import binascii
import hmac
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional
from urllib.parse import parse_qsl

from config.models import Company, Department, Employee, is_loopback_address
from config.snapshot import Snapshot
from daemon.metrics import Metrics
from store.writer import first_line

log = logging.getLogger(__name__)

DIRECTORY_PATH = "/directory"
USER_CONTEXT = "callrouter"             # the dialplan context users' calls start in (daemon.fsconfig)
CONTENT_TYPE = "text/xml; charset=utf-8"
# Directory requests carry a few dozen short fields; anything far larger is not FreeSWITCH.
MAX_BODY_BYTES = 64 * 1024

# mod_dptools' user_call only reads the dial-string and the variables: it needs no
# secret, so the store (and its database) is not asked and bridging keeps working
# through a database outage.
CREDENTIAL_FREE_ACTIONS = frozenset({"user_call"})

A1For = Callable[[str], Optional[str]]
Handler = Callable[[dict], tuple[int, str, bytes]]


@dataclass(frozen=True)
class DirectoryRequest:
    """The fields of one mod_xml_curl request that decide the answer."""
    section: str = ""
    domain: str = ""        # the domain asked about; "" when the request names none
    user: str = ""          # "" for lookups of the domain itself
    action: str = ""
    purpose: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, str]) -> "DirectoryRequest":
        domain = form.get("domain", "")
        if not domain and form.get("tag_name") == "domain" and form.get("key_name") == "name":
            domain = form.get("key_value", "")
        return cls(section=form.get("section", ""), domain=domain.strip(), user=form.get("user", "").strip(),
                   action=form.get("action", ""), purpose=form.get("purpose", ""))


# --------------------------------------------------------------------------- documents

def not_found() -> bytes:
    """The answer that tells FreeSWITCH to look elsewhere (switch_xml_locate)."""
    document = ET.Element("document", type="freeswitch/xml")
    section = ET.SubElement(document, "section", name="result")
    ET.SubElement(section, "result", status="not found")
    return _serialize(document)


def domain_document(company: Company, users: Iterable[ET.Element] = ()) -> bytes:
    """The company's domain, with the given `<user>` elements (none for domain-wide lookups)."""
    document = ET.Element("document", type="freeswitch/xml")
    section = ET.SubElement(document, "section", name="directory")
    domain = ET.SubElement(section, "domain", name=company.domain)
    params = ET.SubElement(domain, "params")
    _param(params, "dial-string", dial_string("${dialed_user}"))
    variables = ET.SubElement(domain, "variables")
    _variable(variables, "user_context", USER_CONTEXT)
    group = ET.SubElement(ET.SubElement(domain, "groups"), "group", name="default")
    ET.SubElement(group, "users").extend(users)
    return _serialize(document)


def user_element(employee: Employee, company: Company, a1_hash: Optional[str]) -> ET.Element:
    """One employee as a directory `<user>`: the login is the id, the extension its alias.

    The a1-hash is md5(login:domain:password), so phones must authenticate with the
    login (an auth user name of "201" would need md5(201:domain:password)). Without a
    hash the user can still be dialled but never register (`sip-forbid-register`).
    """
    user = ET.Element("user", {"id": employee.login, "number-alias": employee.extension})
    params = ET.SubElement(user, "params")
    if a1_hash is not None:
        _param(params, "a1-hash", a1_hash)
    else:
        _param(params, "sip-forbid-register", "true")
    _param(params, "dial-string", dial_string(employee.login))
    variables = ET.SubElement(user, "variables")
    _variable(variables, "user_context", USER_CONTEXT)
    _variable(variables, "effective_caller_id_name", employee.name)
    _variable(variables, "effective_caller_id_number", employee.extension)
    if company.caller_id:
        _variable(variables, "outbound_caller_id_name", company.name)
        _variable(variables, "outbound_caller_id_number", company.caller_id)
    return user


def mailbox_element(department: Department) -> ET.Element:
    """A department's voicemail box as a `<user>` that can never register.

    mod_voicemail only records into a box it finds in the directory (voicemail_leave_main:
    "Can't find user" otherwise), and a department's box is its extension.
    """
    user = ET.Element("user", {"id": department.extension})
    _param(ET.SubElement(user, "params"), "sip-forbid-register", "true")
    variables = ET.SubElement(user, "variables")
    _variable(variables, "user_context", USER_CONTEXT)
    _variable(variables, "effective_caller_id_name", department.name)
    _variable(variables, "effective_caller_id_number", department.extension)
    return user


def dial_string(user: str) -> str:
    """FreeSWITCH's stock dial-string, with the registered user name made explicit.

    `user/201@domain` sets ${dialed_user} to "201" (mod_dptools, user_outgoing_channel),
    but phones register as the login, and sofia_contact() looks registrations up by
    that name: a user-level dial-string naming the login makes both forms ring.
    """
    return ("{^^:sip_invite_domain=${dialed_domain}:presence_id=" + user + "@${dialed_domain}}"
            "${sofia_contact(*/" + user + "@${dialed_domain})}")


def _param(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "param", name=name, value=value)


def _variable(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "variable", name=name, value=value)


def _serialize(document: ET.Element) -> bytes:
    ET.indent(document, space="  ")
    text = ET.tostring(document, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- decision

class CredentialsUnavailable(Exception):
    """The store could not say whether an employee has a SIP password."""


def answer(request: DirectoryRequest, snapshot: Snapshot, a1_for: A1For) -> bytes:
    """The XML document for one directory request.

    An employee, by login or extension; a department's mailbox, by its extension
    (never for sip_auth); the bare domain for lookups that name no user; else not found.
    """
    company = snapshot.company
    if request.section != "directory":
        return not_found()
    if request.purpose == "gateways" and not request.domain:
        return domain_document(company)
    if request.domain.lower() != company.domain.lower():
        return not_found()
    if not request.user:
        return domain_document(company)
    employee = find_employee(snapshot, request.user)
    if employee is not None:
        return _employee_document(request, employee, company, a1_for)
    department = snapshot.department_by_extension.get(request.user)
    if department is None or request.action == "sip_auth":
        return not_found()
    return domain_document(company, [mailbox_element(department)])


def _employee_document(request: DirectoryRequest, employee: Employee, company: Company, a1_for: A1For) -> bytes:
    a1_hash = None
    if request.action not in CREDENTIAL_FREE_ACTIONS:
        a1_hash = _a1(a1_for, employee.login)
        if a1_hash is None and request.action == "sip_auth":
            log.info("directory: %s has no SIP password yet, registration refused", employee.login)
            return not_found()
    return domain_document(company, [user_element(employee, company, a1_hash)])


def find_employee(snapshot: Snapshot, user: str) -> Optional[Employee]:
    """By login (as FreeSWITCH compares: case-insensitively), else by extension."""
    return snapshot.by_login.get(user.lower()) or snapshot.by_extension.get(user)


def _a1(a1_for: A1For, login: str) -> Optional[str]:
    try:
        return a1_for(login)
    except Exception as exc:        # the store's failure must not become a 200 without a secret
        raise CredentialsUnavailable(login) from exc


# --------------------------------------------------------------------------- HTTP

def make_directory_handler(snapshot: Callable[[], Snapshot], a1_for: A1For,
                           basic_auth: Optional[tuple[str, str]] = None, *,
                           metrics: Optional[Metrics] = None) -> Handler:
    """The `/directory` route: `handler(environ) -> (status, content_type, body)`.

    `snapshot` is called per request, so a reload is seen at once, credentials
    included: without `basic_auth`, the loaded config's daemon.directory_user /
    directory_password apply. With credentials, a request without them gets 401 and
    no directory data; without any configured, only this host is answered (403 to
    others), whatever address the listener was bound to.
    """
    requests = (metrics or Metrics()).directory_requests_total
    if basic_auth is None and snapshot().file.daemon.directory_auth is None:
        log.warning("the SIP directory has no credentials: only this host is answered. "
                    "`callrouter deploy freeswitch` generates them")

    def handle(environ: dict) -> tuple[int, str, bytes]:
        peer = environ.get("REMOTE_ADDR", "?")
        current = snapshot()
        expected = basic_auth if basic_auth is not None else current.file.daemon.directory_auth
        if expected is not None and not authorized(environ.get("HTTP_AUTHORIZATION", ""), expected):
            requests.labels("unauthorized").inc()
            log.warning("directory: request from %s without valid credentials, refused", peer)
            return 401, "text/plain; charset=utf-8", b"authentication required\n"
        if expected is None and not is_loopback_address(peer):
            requests.labels("unauthorized").inc()
            log.warning("directory: request from %s refused: without credentials only this host is answered", peer)
            return 403, "text/plain; charset=utf-8", b"set daemon.directory_user and directory_password\n"
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "POST"):
            return 405, "text/plain; charset=utf-8", b"use POST\n"
        try:
            form = read_form(environ)
        except ValueError as exc:
            return 413, "text/plain; charset=utf-8", f"{exc}\n".encode()
        request = DirectoryRequest.from_form(form)
        try:
            body, result = answer_counted(request, current, a1_for)
        except CredentialsUnavailable as exc:
            requests.labels("unavailable").inc()
            log.error("directory: credentials of %s unavailable (asked by %s): %s", exc.args[0], peer,
                      first_line(exc.__cause__))
            return 503, "text/plain; charset=utf-8", b"credentials unavailable\n"
        requests.labels(result).inc()
        if result == "unknown_user":
            log.warning("directory: unknown user %r@%r (action %r) asked by %s for %s", request.user, request.domain,
                        request.action or request.purpose, peer, form.get("ip", "?"))
        log.debug("directory: user=%r domain=%r action=%r purpose=%r -> %s, %d bytes",
                  request.user, request.domain, request.action, request.purpose, result, len(body))
        return 200, CONTENT_TYPE, body
    return handle


def answer_counted(request: DirectoryRequest, snapshot: Snapshot, a1_for: A1For) -> tuple[bytes, str]:
    """`answer()`, with how the request is counted."""
    body = answer(request, snapshot, a1_for)
    if not request.user or request.section != "directory":
        return body, "other"
    known = (request.domain.lower() == snapshot.company.domain.lower()
             and (find_employee(snapshot, request.user) is not None
                  or (request.action != "sip_auth" and request.user in snapshot.department_by_extension)))
    if not known:
        return body, "unknown_user"
    if request.action == "sip_auth" and b"a1-hash" not in body:
        return body, "no_password"
    return body, "served"


def read_form(environ: dict) -> dict[str, str]:
    """The request's fields: the POST body (mod_xml_curl's default) and the query string
    (its `method`=GET style); the first value of a repeated field wins."""
    fields = parse_qsl(_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
    fields += parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    form: dict[str, str] = {}
    for name, value in fields:
        form.setdefault(name, value)
    return form


def _body(environ: dict) -> bytes:
    if environ.get("REQUEST_METHOD") != "POST":
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ValueError("bad Content-Length") from None
    if length > MAX_BODY_BYTES:
        raise ValueError(f"request body over {MAX_BODY_BYTES} bytes")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def authorized(header: str, expected: tuple[str, str]) -> bool:
    """Whether an `Authorization: Basic …` header carries the expected user and password.

    Both parts are always compared, in constant time, so the answer's timing says
    nothing about how much of either matched.
    """
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    user, colon, password = decoded.partition(b":")
    user_ok = hmac.compare_digest(user, expected[0].encode("utf-8"))
    password_ok = hmac.compare_digest(password, expected[1].encode("utf-8"))
    return bool(colon) and user_ok and password_ok
