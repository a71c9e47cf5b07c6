"""The ``api`` / ``bgapi`` commands the simulator answers, with FreeSWITCH 1.11's bodies.

Bodies are byte-for-byte those of the transcripts (inbound_01, 06, 07): ``status`` and
``-ERR … Command not found!`` end in a newline, ``sofia_contact`` and ``uuid_exists`` do
not, ``show channels`` with no rows is ``\\n0 total.\\n``.

``show channels`` reads a view that lags like FreeSWITCH's asynchronously written core
database: a channel shows up :data:`DB_INSERT_LAG` sim seconds after it was created and
stays :data:`DB_DELETE_LAG` seconds after it hung up.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import gevent

from .clock import local_stamp
from .dialstring import DialStringError, parse

if TYPE_CHECKING:  # pragma: no cover
    from .switch import FakeSwitch

DB_INSERT_LAG = 0.5
DB_DELETE_LAG = 1.5

VERSION = "1.11.1-release"
SEPARATOR = "=" * 97

SHOW_CHANNELS_COLUMNS = (
    "uuid", "direction", "created", "created_epoch", "name", "state", "cid_name", "cid_num", "ip_addr", "dest",
    "application", "application_data", "dialplan", "context", "read_codec", "read_rate", "read_bit_rate",
    "write_codec", "write_rate", "write_bit_rate", "secure", "hostname", "presence_id", "presence_data",
    "accountcode", "callstate", "callee_name", "callee_num", "callee_direction", "call_uuid", "sent_callee_name",
    "sent_callee_num", "initial_cid_name", "initial_cid_num", "initial_ip_addr", "initial_dest", "initial_dialplan",
    "initial_context",
)
REGISTRATION_COLUMNS = ("reg_user", "realm", "token", "url", "expires", "network_ip", "network_port",
                        "network_proto", "hostname", "metadata")


def execute(sw: "FakeSwitch", line: str) -> str:
    """Run ``api <line>`` and return the api/response body."""
    command, _, args = line.strip().partition(" ")
    args = args.strip()
    handler = _HANDLERS.get(command.lower())
    if handler is None:
        return f"-ERR {command} Command not found!\n"
    return handler(sw, args)


def background_job(sw: "FakeSwitch", line: str, job_uuid: str) -> None:
    """``bgapi``: run the command in its own greenlet and fire BACKGROUND_JOB with the result."""

    def job() -> None:
        body = execute(sw, line)
        command, _, args = line.strip().partition(" ")
        headers = [("Job-UUID", job_uuid), ("Job-Command", command)]
        if args.strip():
            headers.append(("Job-Command-Arg", args.strip()))
        sw.bus.fire_plain_event("BACKGROUND_JOB", headers, body=body)

    gevent.spawn(job)


# -- commands ----------------------------------------------------------------------------


def _status(sw: "FakeSwitch", args: str) -> str:
    up = sw.clock.now()
    seconds = int(up)
    micros = int((up - seconds) * 1_000_000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    stats = sw.stats
    return (
        f"UP 0 years, {days} days, {hours} hours, {minutes} minutes, {secs} seconds, "
        f"{micros // 1000} milliseconds, {micros % 1000} microseconds\n"
        f"FreeSWITCH (Version {VERSION}  64bit) is ready\n"
        f"{stats.total} session(s) since startup\n"
        f"{stats.current} session(s) - peak {stats.peak}, last 5min {stats.peak} \n"
        f"0 session(s) per Sec out of max 30, peak {stats.peak_rate}, last 5min {stats.peak_rate} \n"
        "1000 session(s) max\n"
        "min idle cpu 0.00/99.00\n"
        "Current Stack Size/Max 240K/8192K\n"
    )


def _show(sw: "FakeSwitch", args: str) -> str:
    words = args.split()
    as_json = len(words) >= 3 and words[-2].lower() == "as" and words[-1].lower() == "json"
    what = words[0].lower() if words else ""
    if what == "channels":
        rows = [_channel_row(sw, record) for record in sw.channel_db()]
        return _table(SHOW_CHANNELS_COLUMNS, rows, as_json)
    if what == "registrations":
        rows = _registration_rows(sw)
        return _table(REGISTRATION_COLUMNS, rows, as_json)
    return "-USAGE: show <channels|registrations> [as json]\n"


def _table(columns, rows: list[tuple[str, ...]], as_json: bool) -> str:
    if as_json:
        if not rows:
            return '{"row_count": 0}\n'
        data = {"row_count": len(rows), "rows": [dict(zip(columns, row)) for row in rows]}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    if not rows:
        return "\n0 total.\n"
    lines = [",".join(columns)] + [",".join(row) for row in rows]
    return "\n".join(lines) + f"\n\n{len(rows)} total.\n"


def _channel_row(sw: "FakeSwitch", record) -> tuple[str, ...]:
    ch = record.channel
    profile = ch.profile.fields
    callee = ch.profile.callee or ("", "")
    app = ch.get("current_application", "") if ch.direction == "inbound" else ""
    app_data = ch.get("current_application_data", "") if ch.direction == "inbound" else ""
    created_us = int(ch.profile.times["Channel-Created-Time"])
    state = ch.state if ch.direction == "inbound" else ("CS_EXCHANGE_MEDIA" if ch.other and ch.media else ch.state)
    return (
        ch.uuid, ch.direction, local_stamp(created_us), str(created_us // 1_000_000), ch.name, state,
        profile["Caller-ID-Name"], profile["Caller-ID-Number"], profile["Network-Addr"],
        profile["Destination-Number"], app, app_data, "XML", profile["Context"],
        "PCMU" if ch.media else "", "8000" if ch.media else "", "64000" if ch.media else "",
        "PCMU" if ch.media else "", "8000" if ch.media else "", "64000" if ch.media else "", "",
        sw.identity.hostname, ch.presence_id, "", ch.get("accountcode", "") or "", ch.call_state,
        callee[0], callee[1], "SEND" if callee[0] else "", ch.call_uuid, callee[0], callee[1],
        profile["Orig-Caller-ID-Name"], profile["Orig-Caller-ID-Number"], profile["Network-Addr"],
        profile["Destination-Number"], "XML", profile["Context"],
    )


def _registration_rows(sw: "FakeSwitch") -> list[tuple[str, ...]]:
    """One row per user (the newest contact), as FreeSWITCH shows even with two contacts."""
    rows = []
    for login, regs in sw.directory.registrations.items():
        if not regs:
            continue
        reg = regs[-1]
        rows.append((login, sw.domain, reg.call_id, reg.sofia_url(), str(reg.expires_at), reg.network_ip,
                     str(reg.network_port), "udp", sw.identity.hostname, ""))
    return rows


def _sofia(sw: "FakeSwitch", args: str) -> str:
    words = args.split()
    if words == ["status"]:
        return _sofia_status(sw)
    if len(words) >= 4 and words[1] == "profile" and words[3] == "reg":
        if words[2] != "internal":
            return f"Invalid Profile {words[2]}!\n"
        return _sofia_reg_xml(sw) if words[0] == "xmlstatus" else _sofia_reg(sw)
    return "-ERR Usage: sofia status [profile <name> reg]\n"


def _sofia_status(sw: "FakeSwitch") -> str:
    rows = [
        f"{'Name':>25}\t{'Type':>7}\t{'Data':>42}\tState",
        SEPARATOR,
        f"{sw.domain:>25}\t{'alias':>7}\t{'internal':>42}\tALIASED",
        f"{'internal':>25}\t{'profile':>7}\t{sw.profile_url:>42}\tRUNNING ({sw.stats.current})",
        SEPARATOR,
        "1 profile 1 alias",
    ]
    return "\n".join(rows) + "\n"


def _registrations(sw: "FakeSwitch"):
    for login, regs in sw.directory.registrations.items():
        for reg in regs:
            yield login, reg


def _sofia_reg(sw: "FakeSwitch") -> str:
    parts = ["\nRegistrations:\n", SEPARATOR, "\n"]
    count = 0
    now = int(sw.clock.epoch + sw.clock.now())
    for login, reg in _registrations(sw):
        count += 1
        expires = local_stamp(reg.expires_at * 1_000_000)
        parts.append(
            f"Call-ID:    \t{reg.call_id}\n"
            f"User:       \t{login}@{sw.domain}\n"
            f'Contact:    \t"" <{reg.contact}>\n'
            f"Agent:      \t{reg.user_agent}\n"
            f"Status:     \tRegistered(UDP)(unknown) EXP({expires}) EXPSECS({max(reg.expires_at - now, 0)})\n"
            "Ping-Status:\tReachable\n"
            "Ping-Time:\t0.00\n"
            f"Host:       \t{sw.identity.hostname}\n"
            f"IP:         \t{reg.network_ip}\n"
            f"Port:       \t{reg.network_port}\n"
            f"Auth-User:  \t{login}\n"
            f"Auth-Realm: \t{sw.domain}\n"
            f"MWI-Account:\t{login}@{sw.domain}\n\n"
        )
    parts.append(f"Total items returned: {count}\n{SEPARATOR}\n")
    return "".join(parts)


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _sofia_reg_xml(sw: "FakeSwitch") -> str:
    now = int(sw.clock.epoch + sw.clock.now())
    parts = ['<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n']
    for login, reg in _registrations(sw):
        expires = local_stamp(reg.expires_at * 1_000_000)
        parts.append(
            "    <registration>\n"
            f"        <call-id>{reg.call_id}</call-id>\n"
            f"        <user>{login}@{sw.domain}</user>\n"
            f"        <contact>{_xml_escape(chr(34) * 2 + ' <' + reg.contact + '>')}</contact>\n"
            f"        <agent>{_xml_escape(reg.user_agent)}</agent>\n"
            f"        <status>Registered(UDP)(unknown) exp({expires}) expsecs({max(reg.expires_at - now, 0)})</status>\n"
            "        <ping-status>Reachable</ping-status>\n"
            "        <ping-time>0.00</ping-time>\n"
            f"        <host>{sw.identity.hostname}</host>\n"
            f"        <network-ip>{reg.network_ip}</network-ip>\n"
            f"        <network-port>{reg.network_port}</network-port>\n"
            f"        <sip-auth-user>{login}</sip-auth-user>\n"
            f"        <sip-auth-realm>{sw.domain}</sip-auth-realm>\n"
            f"        <mwi-account>{login}@{sw.domain}</mwi-account>\n"
            "    </registration>\n"
        )
    parts.append("  </registrations>\n</profile>\n")
    return "".join(parts)


def _sofia_contact(sw: "FakeSwitch", args: str) -> str:
    """``sofia_contact [profile/|*/]user[@domain]``: contacts joined by commas, no newline."""
    target = args.split()[0] if args else ""
    profile, slash, rest = target.partition("/")
    if not slash:
        rest, profile = target, "*"
    user, _, domain = rest.partition("@")
    if profile not in ("*", "internal") or not sw.is_local_domain(domain):
        return "error/user_not_registered"
    regs = sw.directory.contacts(user)
    if not regs:
        return "error/user_not_registered"
    return ",".join(reg.sofia_url() for reg in regs)


def _originate(sw: "FakeSwitch", args: str) -> str:
    """A leg through a gateway with an inline application runs (originated.py); otherwise
    only the immediate failures of ``originate`` are simulated (inbound_07)."""
    from .originated import originate_through_gateway
    body = originate_through_gateway(sw, args)
    if body is not None:
        return body
    dial = args.split()[0] if args else ""
    try:
        ds = parse(dial)
    except DialStringError:
        return "-ERR INVALID_URL\n"
    failures = [sw.directory.behaviour(leg).create_failure for _, leg in ds.legs()]
    if failures and all(failures):
        return f"-ERR {failures[-1]}\n"
    return "-ERR NORMAL_TEMPORARY_FAILURE\n"


def _uuid_exists(sw: "FakeSwitch", args: str) -> str:
    return "true" if sw.find_channel(args.split()[0] if args else "") else "false"


def _uuid_kill(sw: "FakeSwitch", args: str) -> str:
    words = args.split()
    if not words or not sw.kill_channel(words[0], words[1] if len(words) > 1 else "NORMAL_CLEARING"):
        return "-ERR No such channel!\n"
    return "+OK\n"


def _uuid_break(sw: "FakeSwitch", args: str) -> str:
    """``+OK`` and nothing else: it does not stop a ringing bridge (outbound_07e1), and the
    simulator models no other application it could break."""
    words = args.split()
    if not words or sw.find_channel(words[0]) is None:
        return "-ERR No such channel!\n"
    return "+OK\n"


def _uuid_getvar(sw: "FakeSwitch", args: str) -> str:
    words = args.split()
    channel = sw.find_channel(words[0]) if words else None
    if channel is None:
        return "-ERR No such channel!\n"
    if len(words) < 2:
        return "-USAGE: <uuid> <var>\n"
    return channel.get(words[1]) or "_undef_"


def _hupall(sw: "FakeSwitch", args: str) -> str:
    cause = args.split()[0] if args else "MANAGER_REQUEST"
    sw.hangup_all(cause)
    return f"+OK hangup all channels with cause {cause}\n"


def _version(sw: "FakeSwitch", args: str) -> str:
    return f"FreeSWITCH Version {VERSION}~64bit (-release 64bit)\n"


_HANDLERS = {
    "status": _status,
    "show": _show,
    "sofia": _sofia,
    "sofia_contact": _sofia_contact,
    "uuid_exists": _uuid_exists,
    "uuid_kill": _uuid_kill,
    "uuid_getvar": _uuid_getvar,
    "uuid_break": _uuid_break,
    "hupall": _hupall,
    "originate": _originate,
    "version": _version,
}
