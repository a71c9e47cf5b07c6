"""FreeSWITCH configuration generated from the admin's file (`callrouter deploy freeswitch`).

The output mirrors FreeSWITCH's conf directory (/etc/freeswitch on Debian packages):

- `dialplan/callrouter.xml` — the `callrouter` context, the `user_context` the
  directory gives every employee: feature codes, extensions, department and company
  numbers go to the daemon's outbound socket, with a plain-dialplan fallback;
  emergency and outside numbers go out through the trunk.
- `dialplan/public/50_callrouter_numbers.xml` — company numbers as the trunk presents
  them (with or without +, national prefix) transferred into that context as E.164.
- `autoload_configs/event_socket.conf.xml`, `autoload_configs/xml_curl.conf.xml`.
- `sip_profiles/external/<gateway>.xml` — the trunk, a placeholder to fill in.
- `README.md` — where each file goes, and what to tune.

Same input, same bytes: nothing here reads the clock or depends on dict order.
"""
from __future__ import annotations

import ipaddress
import os
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence

import phonenumbers

from config.models import DEFAULT_REGION, EMERGENCY_NUMBERS, Company, Department
from config.snapshot import Snapshot
from daemon.directory import DIRECTORY_PATH, USER_CONTEXT

CONTEXT = USER_CONTEXT
# How long the fallback rings an employee's phones before voicemail when no daemon
# took the call (the employee's own rules live in the daemon, which is not there).
FALLBACK_RING_SECONDS = 30
# FreeSWITCH's default (switch.conf.xml) and what we recommend: a call with a mobile
# leg is 2-3 sessions (caller, desk phone/softphone, mobile), so 30 sessions/s is
# only 10-15 new calls/s.
DEFAULT_SESSIONS_PER_SECOND = 30
RECOMMENDED_SESSIONS_PER_SECOND = 100
SECRET_FILES = frozenset({"autoload_configs/event_socket.conf.xml", "autoload_configs/xml_curl.conf.xml"})
_HOSTPORT = re.compile(r"[^\s:]+:\d{1,5}")


class FsConfigError(ValueError):
    """The config cannot be turned into a FreeSWITCH configuration as it stands."""


@dataclass(frozen=True)
class Action:
    application: str
    data: str = ""


@dataclass(frozen=True)
class Extension:
    name: str
    expression: str                  # PCRE on destination_number
    actions: tuple[Action, ...]
    comment: str = ""


@dataclass(frozen=True)
class NumberGroup:
    """Company numbers of one country, for matching them as trunks present them."""
    country_code: str                # "7"
    national_prefix: str             # "8" for Russia; "" where the plan has none
    national_numbers: tuple[str, ...]   # national significant numbers, sorted

    def formats_expression(self, with_plus: bool) -> str:
        """`^(?:\\+?7|8)?(4951234567|…)$`: E.164 with or without +, national prefix, bare."""
        leads = [("\\+?" if with_plus else "") + self.country_code]
        if self.national_prefix:
            leads.append(re.escape(self.national_prefix))
        return f"^(?:{'|'.join(leads)})?({'|'.join(self.national_numbers)})$"


# --------------------------------------------------------------------------- entry points

def generate(snapshot: Snapshot, daemons: Sequence[str] = (), directory_url: Optional[str] = None) -> dict[str, bytes]:
    """Every generated file, by path relative to FreeSWITCH's conf directory."""
    settings = snapshot.file
    daemons = Daemons(check_daemons(daemons) or (socket_address(settings.daemon.listen),),
                      settings.daemon.socket_mode)
    url = directory_url or default_directory_url(settings.daemon.directory_address)
    check_no_collisions(snapshot)
    files = {
        f"dialplan/{CONTEXT}.xml": dialplan_context(snapshot, daemons),
        "dialplan/public/50_callrouter_numbers.xml": public_numbers(snapshot.company),
        "autoload_configs/event_socket.conf.xml": event_socket_conf(settings.freeswitch.host, settings.freeswitch.port,
                                                                    settings.freeswitch.password),
        "autoload_configs/xml_curl.conf.xml": xml_curl_conf(url, settings.daemon.directory_auth),
        f"sip_profiles/external/{snapshot.company.gateway}.xml": gateway_placeholder(snapshot.company),
        "README.md": notes(snapshot, daemons, url).encode("utf-8"),
    }
    return dict(sorted(files.items()))


def write_tree(files: Mapping[str, bytes], out_dir: Path) -> list[Path]:
    """Write the files under `out_dir`; the ones holding passwords readable by owner and group only."""
    written = []
    for relative, content in files.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        _write(path, content, 0o640 if relative in SECRET_FILES else 0o644)
        written.append(path)
    return written


def _write(path: Path, content: bytes, mode: int) -> None:
    """Set the mode before the content goes in: a secret never sits in a readable file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(fd, mode)
        file.write(content)


def check_daemons(daemons: Iterable[str]) -> tuple[str, ...]:
    """The daemons' outbound addresses, in order, without duplicates."""
    unique: list[str] = []
    for address in daemons:
        if not _HOSTPORT.fullmatch(address):
            raise FsConfigError(f"a daemon address is HOST:PORT, not {address!r}")
        if address not in unique:
            unique.append(address)
    return tuple(unique)


def socket_address(listen: str) -> str:
    """Where FreeSWITCH connects for a daemon listening on `listen` (a wildcard means this host)."""
    host, _, port = listen.rpartition(":")
    return f"{'127.0.0.1' if host in ('0.0.0.0', '*') else host}:{port}"


def default_directory_url(http: str) -> str:
    return f"http://{socket_address(http)}{DIRECTORY_PATH}"


def check_no_collisions(snapshot: Snapshot) -> None:
    """Refuse a company number that, as dialled inside the company, is an internal number."""
    internal = set(snapshot.by_extension) | set(snapshot.department_by_extension) | set(feature_codes(snapshot))
    for group in number_groups(snapshot.company.numbers):
        for national in group.national_numbers:
            for dialled in (national, group.country_code + national, group.national_prefix + national):
                if dialled in internal:
                    raise FsConfigError(f"company number +{group.country_code}{national} dialled as {dialled} "
                                        f"is also an internal number")


# --------------------------------------------------------------------------- dialplan

def dialplan_context(snapshot: Snapshot, daemons: Daemons) -> bytes:
    company = snapshot.company
    extensions = [emergency_extension(company), feature_extension(snapshot, daemons)]
    extensions += employee_extensions(snapshot, daemons)
    extensions += [department_extension(d, company.domain, daemons) for d in _by_number(snapshot.departments.values())]
    extensions += number_extensions(snapshot, daemons)
    extensions += outbound_extensions(company)
    include = ET.Element("include")
    include.append(ET.Comment(f" Generated by `callrouter deploy freeswitch` for {company.domain}: do not edit, "
                              f"regenerate. "))
    context = ET.SubElement(include, "context", name=CONTEXT)
    for extension in extensions:
        _render_extension(context, extension)
    return _serialize(include)


def public_numbers(company: Company) -> bytes:
    """Trunk calls to company numbers, into the callrouter context as E.164.

    Files in dialplan/public/ are included inside the stock `public` context
    (conf/dialplan/public.xml: X-PRE-PROCESS include "public/*.xml"), the context of
    the external profile that trunks reach.
    """
    include = ET.Element("include")
    include.append(ET.Comment(" Company numbers as the trunk presents them (+7…, 7…, 8…, 495…) -> E.164 in the "
                              f"{CONTEXT} context. Generated by `callrouter deploy freeswitch`. "))
    for group in number_groups(company.numbers):
        _render_extension(include, Extension(
            name=f"callrouter_numbers_{group.country_code}",
            expression=group.formats_expression(with_plus=True),
            actions=(Action("transfer", f"+{group.country_code}$1 XML {CONTEXT}"),)))
    return _serialize(include)


class Daemons(tuple):
    """The daemons' outbound addresses, in order, and the socket mode they all run
    (`daemon.socket_mode`): what every `socket` action of the dialplan needs."""

    def __new__(cls, addresses: Iterable[str], mode: str = "sync") -> "Daemons":
        daemons = super().__new__(cls, addresses)
        daemons.mode = mode
        return daemons


def socket_actions(daemons: Daemons) -> tuple[Action, ...]:
    """Hand the call to the first daemon that answers.

    FreeSWITCH's `socket` application takes a single host:port (mod_event_socket.c,
    socket_function: argv[0] split at its last ':'), no failover list. When nothing
    listens, it logs "Socket Error!" and returns at once, and the dialplan goes on with
    its next action: one socket action per daemon is the failover.

    Sync mode (`socket ADDR full`, the default): FreeSWITCH runs the daemon's commands
    in the channel's own thread, at the dialplan's speed.  When a daemon closes the
    socket the application returns and the dialplan goes on (once a bridge it started
    has ended, outbound_07d2).  `socket_resume=true` must NOT be set: with it the
    channel is left in CS_RESET and the caller never gets a final response (07d).
    Async mode (`socket ADDR async full`): the channel parks while the daemon works,
    and only `socket_resume=true` lets a call the daemon hands back go on; without it
    the caller stays parked (outbound_04a).
    """
    if daemons.mode == "async":
        return (Action("set", "socket_resume=true"),
                *(Action("socket", f"{address} async full") for address in daemons))
    return tuple(Action("socket", f"{address} full") for address in daemons)


def emergency_extension(company: Company) -> Extension:
    numbers = "|".join(sorted(EMERGENCY_NUMBERS, key=lambda n: (len(n), n)))
    return Extension(
        name="callrouter_emergency", expression=f"^({numbers})$",
        comment=" Emergency numbers go straight to the trunk, never through the daemon. ",
        actions=(Action("set", "hangup_after_bridge=true"),
                 Action("bridge", f"sofia/gateway/{company.gateway}/$1")))


def feature_codes(snapshot: Snapshot) -> tuple[str, ...]:
    codes = snapshot.file.features
    return (codes.forward_to_mobile_on, codes.forward_to_mobile_off, codes.dnd_on, codes.dnd_off)


def feature_extension(snapshot: Snapshot, daemons: Daemons) -> Extension:
    codes = "|".join(_literal(code) for code in feature_codes(snapshot))
    return Extension(
        name="callrouter_features", expression=f"^({codes})$",
        comment=" Feature codes (forward to mobile, do not disturb): the daemon keeps them in the store. ",
        actions=(*socket_actions(daemons), Action("hangup", "SERVICE_UNAVAILABLE")))


def employee_extensions(snapshot: Snapshot, daemons: Daemons) -> list[Extension]:
    numbers = sorted(snapshot.by_extension, key=_numeric)
    if not numbers:
        return []
    return [Extension(
        name="callrouter_employees", expression=f"^({'|'.join(numbers)})$",
        comment=" Employees' extensions. After the socket actions: no daemon took the call, "
                "ring the desk phone and softphone, then voicemail. ",
        actions=(*socket_actions(daemons),
                 *employee_fallback("$1", snapshot.company.domain)))]


def employee_fallback(number: str, domain: str) -> tuple[Action, ...]:
    """Ring the employee's registered devices, then their voicemail.

    `voicemail` only pre-answers (183) on its own: answer first. mod_voicemail finds
    the box by extension through the directory's number-alias.
    """
    return (Action("set", "continue_on_fail=true"),
            Action("set", "hangup_after_bridge=true"),
            Action("set", f"call_timeout={FALLBACK_RING_SECONDS}"),
            Action("bridge", f"user/{number}@{domain}"),
            Action("answer"),
            Action("voicemail", f"default {domain} {number}"),
            Action("hangup"))


def department_extension(department: Department, domain: str, daemons: Daemons) -> Extension:
    return Extension(
        name=f"callrouter_department_{department.extension}", expression=f"^{department.extension}$",
        comment=f" Department {_comment_safe(department.name)}. Without a daemon: all members at once "
                f"for the department's timeout, then the call ends. ",
        actions=(*socket_actions(daemons), *department_fallback(department, domain)))


def department_fallback(department: Department, domain: str) -> tuple[Action, ...]:
    actions = [Action("set", "continue_on_fail=true"), Action("set", "hangup_after_bridge=true")]
    if department.members:
        actions += [Action("set", f"call_timeout={department.timeout}"),
                    Action("bridge", ",".join(f"user/{login}@{domain}" for login in department.members))]
    return (*actions, Action("hangup", "NO_ANSWER"))


def number_extensions(snapshot: Snapshot, daemons: Daemons) -> list[Extension]:
    """One extension per company number in E.164, then one per country for other formats."""
    company = snapshot.company
    extensions = []
    for did in sorted(company.numbers):
        target = company.numbers[did]
        extensions.append(Extension(
            name=f"callrouter_number_{did.lstrip('+')}", expression=f"^{_literal(did)}$",
            comment=f" Company number {did} -> {target.kind} {_comment_safe(target.value)}. ",
            actions=(*socket_actions(daemons), *_number_fallback(snapshot, target.kind, target.value))))
    for group in number_groups(company.numbers):
        # No '+' here: the E.164 form is matched above, and a '+' form matching this
        # expression again after the transfer would loop.
        extensions.append(Extension(
            name=f"callrouter_number_formats_{group.country_code}", expression=group.formats_expression(with_plus=False),
            comment=" Company numbers dialled in national or international format, as E.164. ",
            actions=(Action("transfer", f"+{group.country_code}$1 XML {CONTEXT}"),)))
    return extensions


def _number_fallback(snapshot: Snapshot, kind: str, value: str) -> tuple[Action, ...]:
    if kind == "employee":
        return employee_fallback(snapshot.by_login[value].extension, snapshot.company.domain)
    return department_fallback(snapshot.departments[value], snapshot.company.domain)


def outbound_extensions(company: Company) -> list[Extension]:
    """Outside numbers through the trunk: E.164, and the national format of the company's country."""
    caller_id = ()
    if company.caller_id:
        caller_id = (Action("set", f"effective_caller_id_number={company.caller_id}"),)
    bridge = (Action("set", "hangup_after_bridge=true"), *caller_id)
    gateway = f"sofia/gateway/{company.gateway}"
    region = _company_region(company)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    extensions = [Extension(name="callrouter_outbound_e164", expression=r"^\+([1-9]\d{6,14})$",
                            comment=" Outside numbers go out through the trunk, never through the daemon. ",
                            actions=(*bridge, Action("bridge", f"{gateway}/+$1")))]
    prefix = metadata.national_prefix if metadata is not None else None
    if prefix:
        lengths = sorted(set(metadata.fixed_line.possible_length) | set(metadata.mobile.possible_length))
        digits = f"{lengths[0]}" if lengths[0] == lengths[-1] else f"{lengths[0]},{lengths[-1]}"
        extensions.append(Extension(
            name="callrouter_outbound_national",
            expression=f"^{re.escape(prefix)}(\\d{{{digits}}})$",
            actions=(*bridge, Action("bridge", f"{gateway}/+{metadata.country_code}$1"))))
    return extensions


def number_groups(numbers: Iterable[str]) -> list[NumberGroup]:
    national: dict[tuple[str, str], set[str]] = defaultdict(set)
    for did in numbers:
        parsed = phonenumbers.parse(did)
        region = phonenumbers.region_code_for_number(parsed)
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region) if region else None
        prefix = (metadata.national_prefix or "") if metadata is not None else ""
        national[(str(parsed.country_code), prefix)].add(phonenumbers.national_significant_number(parsed))
    return [NumberGroup(cc, prefix, tuple(sorted(nsns))) for (cc, prefix), nsns in sorted(national.items())]


def _company_region(company: Company) -> str:
    for number in (company.caller_id, *sorted(company.numbers)):
        if number:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
            if region:
                return region
    return DEFAULT_REGION


def _literal(text: str) -> str:
    """`text` as a PCRE literal, escaping only what PCRE treats as special (`*21` -> `\\*21`)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _by_number(departments: Iterable[Department]) -> list[Department]:
    return sorted(departments, key=lambda d: _numeric(d.extension))


def _numeric(number: str) -> tuple[int, str]:
    return len(number), number


def _render_extension(parent: ET.Element, extension: Extension) -> None:
    if extension.comment:
        parent.append(ET.Comment(extension.comment))
    element = ET.SubElement(parent, "extension", name=extension.name)
    condition = ET.SubElement(element, "condition", field="destination_number", expression=extension.expression)
    for action in extension.actions:
        attributes = {"application": action.application}
        if action.data:
            attributes["data"] = action.data
        ET.SubElement(condition, "action", attributes)


# --------------------------------------------------------------------------- modules

def event_socket_conf(host: str, port: int, password: str) -> bytes:
    """mod_event_socket: listen where the daemon's inbound connection goes, with its password."""
    listen_ip = "127.0.0.1" if host == "localhost" else host
    configuration = ET.Element("configuration", name="event_socket.conf", description="Socket Client")
    settings = ET.SubElement(configuration, "settings")
    _conf_param(settings, "nat-map", "false")
    _conf_param(settings, "listen-ip", listen_ip)
    _conf_param(settings, "listen-port", str(port))
    _conf_param(settings, "password", password)
    if _is_loopback(listen_ip):
        _conf_param(settings, "apply-inbound-acl", "loopback.auto")
    else:
        settings.append(ET.Comment(" Not on loopback: add an ACL that lists the daemons' addresses, e.g. "
                                   "<param name=\"apply-inbound-acl\" value=\"callrouter\"/> "))
    return _serialize(configuration)


def xml_curl_conf(url: str, basic_auth: Optional[tuple[str, str]]) -> bytes:
    """mod_xml_curl: only the directory section is fetched from the daemon.

    A failed or non-200 fetch makes FreeSWITCH fall back to its static XML, so a
    daemon that is down refuses registrations rather than hanging them: the short
    timeout bounds how long a REGISTER can wait.
    """
    configuration = ET.Element("configuration", name="xml_curl.conf", description="cURL XML Gateway")
    binding = ET.SubElement(ET.SubElement(configuration, "bindings"), "binding", name="callrouter_directory")
    ET.SubElement(binding, "param", name="gateway-url", value=url, bindings="directory")
    if basic_auth is not None:
        _conf_param(binding, "gateway-credentials", f"{basic_auth[0]}:{basic_auth[1]}")
        _conf_param(binding, "auth-scheme", "basic")
    _conf_param(binding, "timeout", "5")
    return _serialize(configuration)


def gateway_placeholder(company: Company) -> bytes:
    """The trunk's sofia gateway, named as the config names it, for the admin to fill in.

    Files in sip_profiles/external/ are included inside the external profile's
    <gateways> (conf/sip_profiles/external.xml).
    """
    include = ET.Element("include")
    include.append(ET.Comment(
        f" The trunk that mobile legs and outside calls use (company.gateway = {company.gateway}). Fill in what your "
        "provider gave you, then: fs_cli -x 'sofia profile external rescan' and "
        f"fs_cli -x 'sofia status gateway {company.gateway}'. "))
    gateway = ET.SubElement(include, "gateway", name=company.gateway)
    _conf_param(gateway, "realm", "sip.provider.invalid")
    _conf_param(gateway, "username", "CHANGE-ME")
    _conf_param(gateway, "password", "CHANGE-ME")
    gateway.append(ET.Comment(" true if the provider wants a REGISTER; many trunks authenticate by IP instead "))
    _conf_param(gateway, "register", "false")
    gateway.append(ET.Comment(" Put our caller ID in From (the number mobile legs show), not the username. "))
    _conf_param(gateway, "caller-id-in-from", "true")
    gateway.append(ET.Comment(" Calls from the trunk start in the public context (see dialplan/public/). "))
    _conf_param(gateway, "context", "public")
    return _serialize(include)


def _conf_param(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, "param", name=name, value=value)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _comment_safe(text: str) -> str:
    """XML comments may not contain '--'."""
    return re.sub(r"-(?=-)", "- ", text)


def _serialize(root: ET.Element) -> bytes:
    """Indented XML, each element on its own line.

    FreeSWITCH's preprocessor drops every line that contains <include>, </include> or
    '<?' (switch_xml.c, preprocess), so nothing may share a line with them.
    """
    ET.indent(root, space="  ")
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- notes

SOCKET_MODE_NOTES = {
    "sync": ("`socket ADDR full` (synchronous, `daemon.socket_mode: sync`), without\n"
             "`socket_resume`: a call the daemon gives back, or a daemon that stops, lets the\n"
             "dialplan go on with its next action (once a bridge already ringing has ended)."),
    "async": ("`socket ADDR async full` (`daemon.socket_mode: async`), after\n"
              "`set socket_resume=true`: without it a call the daemon gives back stays parked."),
}


def notes(snapshot: Snapshot, daemons: Daemons, directory_url: str) -> str:
    company = snapshot.company
    daemon_list = "\n".join(f"  - `{address}`" for address in daemons)
    socket_mode_note = SOCKET_MODE_NOTES[daemons.mode]
    auth = ("with HTTP basic auth (daemon.directory_user/directory_password)"
            if snapshot.file.daemon.directory_auth else "without authentication (this host only)")
    return f"""# FreeSWITCH configuration for {company.name} ({company.domain})

Generated by `callrouter deploy freeswitch` from `{Path(snapshot.source).name}`.
Regenerate after changing employees, departments, numbers or feature codes, then
`fs_cli -x reloadxml`. Same input, same output: diff it before you copy it.

Copy into FreeSWITCH's conf directory (`/etc/freeswitch` for the Debian packages,
`/usr/local/freeswitch/conf` for a source build):

| file | what it does |
| --- | --- |
| `dialplan/{CONTEXT}.xml` | the `{CONTEXT}` context: every employee's `user_context` |
| `dialplan/public/50_callrouter_numbers.xml` | trunk calls to company numbers, into `{CONTEXT}` as E.164 |
| `autoload_configs/event_socket.conf.xml` | ESL on {snapshot.file.freeswitch.host}:{snapshot.file.freeswitch.port} for the daemon (holds the password) |
| `autoload_configs/xml_curl.conf.xml` | SIP accounts from `{directory_url}` {auth} |
| `sip_profiles/external/{company.gateway}.xml` | the trunk: a placeholder, fill it in |

Daemons, tried in this order (one `socket` action each: FreeSWITCH's socket
application takes a single address and returns at once when nothing listens):
{daemon_list}

Socket mode: {socket_mode_note}

When no daemon takes a call, the dialplan goes on: an extension rings the employee's
desk phone and softphone for {FALLBACK_RING_SECONDS} s then voicemail; a department
rings all its members at once for its timeout; feature codes fail with 503.

## sessions-per-second

FreeSWITCH accepts {DEFAULT_SESSIONS_PER_SECOND} new sessions per second by default
(`sessions-per-second` in `autoload_configs/switch.conf.xml`), and a call with a
mobile leg is 2-3 sessions (the caller, the office devices, the mobile), so the
default caps you at 10-15 new calls per second. Set

    <param name="sessions-per-second" value="{RECOMMENDED_SESSIONS_PER_SECOND}"/>

(about 3 x your peak new calls per second, and no less than {RECOMMENDED_SESSIONS_PER_SECOND}),
then restart FreeSWITCH: this setting is read at start only.
"""
