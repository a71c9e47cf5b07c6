"""Building channels: the caller's A leg, the B legs a bridge creates, and CDR variables.

The A leg copies the transcripts' channel: an authenticated internal caller (a login the
simulator knows) arrives on profile ``internal`` with its directory variables; anyone else
arrives on ``external`` from the trunk with only the SIP ones.  As in sofia, the channel
name is ``sofia/<profile>/<From user>@<From host>`` and the display name only reaches the
``*Caller-ID-Name`` headers and ``sip_from_display``; neither is altered: a caller's
``%0A`` stays ``%0A`` (FreeSWITCH does not re-encode valid escapes).
"""
from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass

from .channel import CallerProfile, Channel, SwitchIdentity
from .clock import local_stamp, gmt_stamp
from .endpoints import Registration
from .templates import (A_LEG, A_LEG_DIRECTORY, B_LEG_ANSWER, B_LEG_CREATE, DIRECTORY_USER_VARS,
                        MEDIA_ANSWER, MEDIA_PRE_ANSWER, RTP_STATS)

TRUNK_IP = "198.51.100.7"
TRUNK_PORT = "5060"
PHONE_IP = "127.0.0.1"

#: hangup_cause_q850 as FreeSWITCH 1.11 reported it (16 also for a cancel and for
#: USER_NOT_REGISTERED, see the transcripts), otherwise the Q.850 value of the cause.
Q850 = {"NORMAL_CLEARING": "16", "ORIGINATOR_CANCEL": "16", "USER_NOT_REGISTERED": "16", "CALL_REJECTED": "21",
        "USER_BUSY": "17", "NO_ANSWER": "19", "NO_USER_RESPONSE": "18", "NORMAL_TEMPORARY_FAILURE": "41",
        "SUBSCRIBER_ABSENT": "20", "ALLOTTED_TIMEOUT": "602", "LOSE_RACE": "502", "DESTINATION_OUT_OF_ORDER": "27"}


@dataclass(frozen=True)
class CallerInfo:
    """Who calls: the SIP From user, its display name, and where the INVITE came from."""

    caller: str
    caller_name: str
    destination: str
    internal: bool
    domain: str

    @property
    def profile(self) -> str:
        return "internal" if self.internal else "external"

    @property
    def from_host(self) -> str:
        return self.domain if self.internal else TRUNK_IP

    @property
    def network_ip(self) -> str:
        return PHONE_IP if self.internal else TRUNK_IP

    @property
    def id_name(self) -> str:
        return self.caller_name or self.caller


def new_uuid(rng: random.Random) -> str:
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def make_a_leg(identity: SwitchIdentity, info: CallerInfo, *, uuid: str, session_id: int, created_us: int,
               request_seq: int, rng: random.Random, socket_resume: bool) -> Channel:
    """The caller's channel as the socket application sees it at ``connect``."""
    port = str(5090 + rng.randrange(0, 900))
    tag = f"{rng.randrange(10**9):09d}"
    name = f"sofia/{info.profile}/{info.caller}@{info.from_host}"
    display = f'"{info.caller_name}" ' if info.caller_name else ""
    values = {
        "uuid": uuid, "session_id": str(session_id), "caller": info.caller, "from_host": info.from_host,
        "channel_name": name, "sip_call_id": f"{tag}-{session_id}@{info.network_ip}",
        "switch_ip": identity.switch_ip, "switch_port": identity.sip_port, "caller_ip": info.network_ip,
        "caller_port": port if info.internal else TRUNK_PORT, "created_us": str(created_us),
        "core_uuid": identity.core_uuid, "hostname": identity.hostname, "ipv4": identity.ipv4,
        "ipv6": identity.ipv6, "created_local": local_stamp(created_us), "created_gmt": gmt_stamp(created_us),
        "request_seq": str(request_seq), "domain": info.domain, "effective_name": f"Extension {info.caller}",
        "from_tag": tag, "profile": info.profile, "via_branch": f"z9hG4bK-{tag}",
        "full_from": f"{display}<sip:{info.caller}@{info.from_host}>;tag={tag}",
        "destination": info.destination, "user_agent": "fakeswitch-phone" if info.internal else "trunk",
    }
    variables = A_LEG.render(values, skip=frozenset() if info.internal else A_LEG_DIRECTORY)
    if info.caller_name:
        variables = _insert_after(variables, "sip_from_host", "sip_from_display", info.caller_name)
    profile = CallerProfile({
        "Direction": "inbound", "Logical-Direction": "inbound", "Username": info.caller, "Dialplan": "XML",
        "Caller-ID-Name": info.id_name, "Caller-ID-Number": info.caller, "Orig-Caller-ID-Name": info.id_name,
        "Orig-Caller-ID-Number": info.caller, "Network-Addr": info.network_ip, "ANI": info.caller,
        "Destination-Number": info.destination, "Unique-ID": uuid, "Source": "mod_sofia",
        "Context": "default" if info.internal else "public", "Channel-Name": name,
    }, created_us)
    channel = Channel(uuid=uuid, name=name, direction="inbound", profile=profile, variables=variables,
                      presence_id=f"{info.caller}@{info.from_host}", call_uuid=uuid)
    if socket_resume:
        channel.set("socket_resume", "true")
    return channel


def _insert_after(variables: dict[str, str], after: str, name: str, value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, val in variables.items():
        out[key] = val
        if key == after:
            out[name] = value
    return out


def add_media(channel: Channel, rng: random.Random) -> None:
    """What the first 183/200 sets on a channel (codec negotiation, RTP ports)."""
    if channel.media:
        return
    channel.media = True
    values = {"local_media_port": str(16384 + 2 * rng.randrange(8000)),
              "remote_media_port": str(6000 + 2 * rng.randrange(1000)),
              "rtp_use_ssrc": str(rng.getrandbits(31))}
    channel.set("video_media_flow", "inactive")
    channel.set("text_media_flow", "inactive")
    for name, value in MEDIA_PRE_ANSWER.render(values).items():
        channel.set(name, value)


def add_answer_media(channel: Channel) -> None:
    for name, value in MEDIA_ANSWER.render({}).items():
        channel.set(name, value)


@dataclass(frozen=True)
class BTarget:
    """Where a B leg goes: an employee's contact or a number behind a gateway."""

    kind: str            # office | mobile | sip
    target: str          # login / number / URI
    contact_host: str
    contact_port: str
    gateway: str = ""

    @property
    def callee_number(self) -> str:
        """switch_sanitize_number of the destination: a SIP URI shows only its user part."""
        if self.kind == "sip":
            user = self.target.split(":", 1)[-1].split("@", 1)[0]
            return user or self.target
        return self.target

    @classmethod
    def office(cls, login: str, registration: Registration) -> "BTarget":
        return cls("office", login, registration.network_ip, str(registration.network_port))

    def channel_name(self, domain: str) -> str:
        if self.kind == "mobile":
            return f"sofia/gateway/{self.gateway}/{self.target}"
        if self.kind == "sip":
            return f"sofia/internal/{self.target}"
        return f"sofia/internal/{self.target}@{self.contact_host}:{self.contact_port}"


def make_b_leg(identity: SwitchIdentity, a_leg: Channel, target: BTarget, *, uuid: str, session_id: int,
               created_us: int, domain: str, caller_id: tuple[str, str],
               rng: random.Random) -> tuple[Channel, dict[str, str]]:
    """A leg the bridge originates; ``caller_id`` is what the callee sees (name, number).

    Returns the channel and the per-leg template values its later phases reuse.
    """
    name = target.channel_name(domain)
    values = {
        "uuid": uuid, "session_id": str(session_id), "channel_name": name, "target": target.target,
        "contact_host": target.contact_host, "contact_port": target.contact_port, "a_uuid": a_leg.uuid,
        "a_channel_name": a_leg.name, "domain": domain, "switch_ip": identity.switch_ip,
        "switch_port": identity.sip_port, "local_media_port": str(16384 + 2 * rng.randrange(8000)),
        "remote_media_port": str(6000 + 2 * rng.randrange(1000)), "rtp_use_ssrc": str(rng.getrandbits(31)),
        "caller_id_name": caller_id[0], "caller": caller_id[1], "from_tag": f"{rng.getrandbits(40):x}",
        "to_tag": f"{rng.getrandbits(40):x}", "sip_call_id": new_uuid(rng),
    }
    skip = frozenset() if target.kind == "office" else frozenset({"dialed_user", "dialed_domain"})
    variables = B_LEG_CREATE.render(values, skip=skip)
    a_profile = a_leg.profile
    profile = CallerProfile({
        "Direction": "outbound", "Logical-Direction": "outbound", "Username": a_profile.fields["Username"],
        "Dialplan": "XML", "Caller-ID-Name": caller_id[0], "Caller-ID-Number": caller_id[1],
        "Orig-Caller-ID-Name": a_profile.fields["Caller-ID-Name"],
        "Orig-Caller-ID-Number": a_profile.fields["Caller-ID-Number"],
        "Network-Addr": a_profile.fields["Network-Addr"], "ANI": a_profile.fields["ANI"],
        "Destination-Number": target.target, "Unique-ID": uuid, "Source": "mod_sofia", "Context": "default",
        "Channel-Name": name,
    }, created_us)
    profile.set_callee("Outbound Call", target.callee_number)
    channel = Channel(uuid=uuid, name=name, direction="outbound", profile=profile, variables=variables,
                      presence_id=f"{target.target}@{domain}", call_uuid=a_leg.uuid)
    channel.other = ("originator", a_profile)
    return channel, values


def b_leg_answered(channel: Channel, values: dict[str, str], kind: str) -> None:
    """Give the B leg the variables of an answered leg (SIP dialog and media)."""
    skip = frozenset() if kind == "office" else frozenset({"dialed_user", "dialed_domain"})
    for name in list(channel.variables):
        channel.set(name, None)
    for name, value in B_LEG_ANSWER.render(values, skip=skip).items():
        channel.set(name, value)
    channel.media = True


def b_leg_directory(channel: Channel, login: str) -> None:
    """The callee's directory variables, which a bridged user/ leg shows after the call."""
    for name, value in DIRECTORY_USER_VARS:
        channel.set(name, value.format(login=login))


def cdr_variables(channel: Channel, *, created_us: int, end_us: int, answered_us: int, bridged_us: int,
                  progress_us: int, media_us: int, last_app: str, last_arg: str, disposition: str) -> None:
    """The timing variables FreeSWITCH adds when a channel reaches CS_REPORTING."""
    cause = channel.hangup_cause or "NORMAL_CLEARING"
    channel.set("hangup_cause", cause)
    channel.set("hangup_cause_q850", Q850.get(cause, "16"))
    channel.set("digits_dialed", "none")
    stamps = [("start", created_us), ("profile_start", created_us), ("answer", answered_us),
              ("bridge", bridged_us), ("progress", progress_us), ("progress_media", media_us), ("end", end_us)]
    for key, value in stamps:
        if value:
            channel.set(f"{key}_stamp", local_stamp(value))
    epochs = [("start", created_us), ("profile_start", created_us), ("answer", answered_us),
              ("bridge", bridged_us), ("last_hold", 0), ("hold_accum", None), ("resurrect", 0),
              ("progress", progress_us), ("progress_media", media_us), ("end", end_us)]
    for key, value in epochs:
        if value is None:
            channel.set("hold_accum_seconds", "0")
            channel.set("hold_accum_usec", "0")
            channel.set("hold_accum_ms", "0")
            continue
        channel.set(f"{key}_epoch", str(value // 1_000_000) if value else "0")
        channel.set(f"{key}_uepoch", str(value) if value else "0")
    if last_app:
        channel.set("last_app", last_app)
        channel.set("last_arg", last_arg)
    profile = channel.profile.fields
    channel.set("caller_id", f'"{profile["Caller-ID-Name"]}" <{profile["Caller-ID-Number"]}>')
    _durations(channel, created_us, end_us, answered_us, progress_us, media_us)
    if disposition:
        channel.set("sip_hangup_disposition", disposition)
    if channel.media:
        for name, value in RTP_STATS:
            channel.set(name, value)


def _durations(channel: Channel, created: int, end: int, answered: int, progress: int, media: int) -> None:
    def span(since: int, until: int) -> int:
        return max(until - since, 0) if since else 0

    total = span(created, end)
    bill = span(answered, end)
    progress_d = span(created, progress) if progress else 0
    answer_d = span(created, answered) if answered else 0
    media_d = span(created, media) if media else 0
    channel.set("duration", str(total // 1_000_000))
    channel.set("billsec", str(bill // 1_000_000))
    channel.set("progresssec", str(progress_d // 1_000_000))
    channel.set("answersec", str(answer_d // 1_000_000))
    channel.set("waitsec", str(answer_d // 1_000_000))
    channel.set("progress_mediasec", str(media_d // 1_000_000))
    channel.set("flow_billsec", str(total // 1_000_000))
    channel.set("mduration", str(total // 1_000))
    channel.set("billmsec", str(bill // 1_000))
    channel.set("progressmsec", str(progress_d // 1_000))
    channel.set("answermsec", str(answer_d // 1_000))
    channel.set("waitmsec", str(answer_d // 1_000))
    channel.set("progress_mediamsec", str(media_d // 1_000))
    channel.set("flow_billmsec", str(total // 1_000))
    channel.set("uduration", str(total))
    channel.set("billusec", str(bill))
    channel.set("progressusec", str(progress_d))
    channel.set("answerusec", str(answer_d))
    channel.set("waitusec", str(answer_d))
    channel.set("progress_mediausec", str(media_d))
    channel.set("flow_billusec", str(total))


def apply_overrides(channel: Channel, overrides: dict[str, str]) -> None:
    """``channel_overrides``: ``variable_x`` sets a variable, ``Caller-X`` a profile field."""
    for key, value in overrides.items():
        if key.startswith("variable_"):
            channel.set(key[9:], value)
        elif key.startswith("Caller-") and key[7:] in channel.profile.fields:
            channel.profile.fields[key[7:]] = value
            channel.profile.rev += 1
        elif key == "Channel-Name":
            channel.name = value
            channel.profile.fields["Channel-Name"] = value
            channel.profile.rev += 1
        else:
            raise ValueError(f"unsupported channel override {key!r}")
