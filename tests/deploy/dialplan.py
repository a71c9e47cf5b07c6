"""Just enough of FreeSWITCH's XML dialplan to follow a call through generated files.

mod_dialplan_xml hunts the context's extensions in order; the first whose conditions
all match (PCRE on the field; $1… from the last condition's captures) supplies the
actions, and unless it says continue="true" the hunt stops there. A `transfer
NUMBER XML CONTEXT` starts a new hunt. Files in dialplan/public/ are included in the
stock `public` context, the others hold whole contexts.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Mapping

MAX_TRANSFERS = 5


@dataclass(frozen=True)
class Step:
    application: str
    data: str


class Dialplan:
    def __init__(self, contexts: Mapping[str, list[ET.Element]]):
        self.contexts = contexts

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> "Dialplan":
        contexts: dict[str, list[ET.Element]] = {}
        for path, content in sorted(files.items()):
            if not path.startswith("dialplan/"):
                continue
            root = ET.fromstring(content)
            if path.startswith("dialplan/public/"):
                contexts.setdefault("public", []).extend(root.findall("extension"))
            else:
                for context in root.findall("context"):
                    contexts.setdefault(context.get("name"), []).extend(context.findall("extension"))
        return cls(contexts)

    def route(self, context: str, number: str, transfers: int = 0) -> list[Step]:
        """The actions a call to `number` runs, following transfers; [] when nothing matches."""
        steps: list[Step] = []
        for extension in self.contexts.get(context, []):
            captures = _match(extension, number)
            if captures is None:
                continue
            for action in extension.iter("action"):
                step = Step(action.get("application"), _expand(action.get("data", ""), captures))
                if step.application == "transfer":
                    assert transfers < MAX_TRANSFERS, f"transfer loop at {number}"
                    target, _, rest = step.data.partition(" XML ")
                    return steps + [step] + self.route(rest.strip(), target, transfers + 1)
                steps.append(step)
            if extension.get("continue") != "true":
                return steps
        return steps


def sockets(steps: list[Step]) -> list[str]:
    return [step.data for step in steps if step.application == "socket"]


def after_sockets(steps: list[Step]) -> list[Step]:
    """What runs when no daemon took the call."""
    last = max((i for i, step in enumerate(steps) if step.application == "socket"), default=-1)
    return steps[last + 1:]


def _match(extension: ET.Element, number: str):
    captures: tuple[str, ...] = ()
    for condition in extension.findall("condition"):
        if condition.get("field") != "destination_number":
            raise AssertionError(f"unexpected condition field {condition.get('field')}")
        found = re.search(condition.get("expression"), number)
        if found is None:
            return None
        captures = (found.group(0), *found.groups())
    return captures


def _expand(data: str, captures: tuple[str, ...]) -> str:
    return re.sub(r"\$(\d)", lambda m: captures[int(m.group(1))] or "", data)
