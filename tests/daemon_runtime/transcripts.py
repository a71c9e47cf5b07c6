"""Bytes a real FreeSWITCH 1.11 sent, from the transcripts kept in tests/esl/transcripts/."""
from __future__ import annotations

import json

from daemon.esl.event import Event
from daemon.esl.frames import FrameParser
from tests.esl.transcripts import DIR


def frames_from_freeswitch(name: str) -> list:
    """Every frame FreeSWITCH sent in transcript `name`, in order."""
    parser = FrameParser(max_frame=1 << 24)
    frames = []
    with open(DIR / f"{name}.jsonl", encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            if message["dir"] == "fs->client":
                frames += parser.feed(message["data"].encode("utf-8"))
    return frames


def json_events(name: str) -> list[dict]:
    """The `event json` events of transcript `name`, as dicts (what `apply_event` also accepts)."""
    return [json.loads(f.body) for f in frames_from_freeswitch(name) if f.content_type == "text/event-json"]


def plain_events(name: str) -> list[Event]:
    """The `event plain` events of transcript `name`, decoded as the inbound reader does."""
    return [Event.from_frame(f) for f in frames_from_freeswitch(name) if f.content_type == "text/event-plain"]


def api_body(name: str, command: str) -> bytes:
    """The api/response body FreeSWITCH sent to the first `api COMMAND` of the transcript."""
    sent: list[str] = []
    parser = FrameParser(max_frame=1 << 24)
    with open(DIR / f"{name}.jsonl", encoding="utf-8") as lines:
        for line in lines:
            message = json.loads(line)
            if message["dir"] == "client->fs":
                sent.append(message["data"])
            elif message["dir"] == "fs->client":
                for frame in parser.feed(message["data"].encode("utf-8")):
                    if frame.content_type == "api/response" and sent and sent[-1].startswith(f"api {command}\n"):
                        return frame.body
    raise LookupError(f"no reply to 'api {command}' in {name}")
