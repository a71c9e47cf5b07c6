"""Reading deploy/systemd's unit files as systemd does: sections of keys, each with every value given."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path


def directives(path: Path) -> dict[str, dict[str, list[str]]]:
    """`{"Service": {"ExecStart": [...], ...}, ...}`; comments and blank lines skipped."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), defaultdict(list))
        else:
            key, _, value = line.partition("=")
            current[key.strip()].append(value.strip())
    return sections
