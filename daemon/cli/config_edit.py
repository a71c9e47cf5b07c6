"""Adding an employee to the admin's YAML file without disturbing it.

The file is edited with ruamel.yaml's round-trip mode, so comments, key order,
quoting and the file's own indentation survive; the result is validated by the
same loader as the daemon's before it replaces the original (temp file in the
same directory, then an atomic rename), so a bad edit never reaches the daemon.
"""
from __future__ import annotations

import dataclasses
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from config.loader import ConfigError, load
from config.models import EMERGENCY_NUMBERS
from config.snapshot import Snapshot

DEFAULT_INDENT = (2, 4, 2)        # mapping, sequence, offset: "  - name: …" under "employees:"


# --------------------------------------------------------------------------- extensions

def taken_numbers(snapshot: Snapshot) -> set[str]:
    """Numbers an employee cannot get: employees', departments', emergency and feature codes."""
    return (set(snapshot.by_extension) | set(snapshot.department_by_extension) | set(EMERGENCY_NUMBERS)
            | set(snapshot.file.features.codes().values()))


def next_free_extension(snapshot: Snapshot) -> str:
    """The first free number after the highest employee extension in the company's range.

    Numbers of people who left are not handed out again while higher ones are free
    (their callers would reach a stranger); only when the top of the range is used
    up does the search wrap to the lowest free number.
    """
    low, high = snapshot.company.extensions
    taken = taken_numbers(snapshot)
    in_range = [int(e) for e in snapshot.by_extension if e.isdigit() and low <= int(e) <= high]
    start = max(in_range) + 1 if in_range else low
    for number in [*range(start, high + 1), *range(low, start)]:
        if str(number) not in taken:
            return str(number)
    raise ValueError(f"no free extension left in {low}-{high}: widen company.extensions")


# --------------------------------------------------------------------------- the edit

@dataclass
class PendingEdit:
    """A validated new version of the file, not yet in place."""
    path: Path
    temp: Path
    snapshot: Snapshot

    def commit(self) -> Snapshot:
        os.replace(self.temp, self.path)
        return dataclasses.replace(self.snapshot, source=str(self.path))

    def discard(self) -> None:
        self.temp.unlink(missing_ok=True)


def add_employee(path: str | Path, entry: dict, login: str, department: Optional[str] = None) -> PendingEdit:
    """Append `entry` to `employees` (and `login` to `department`'s members), validated.

    Raises config.loader.ConfigError, naming the problems, when the result would not load.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    yaml = _round_trip(text)
    data = yaml.load(text)
    _append_employee(data, text, _entry_map(entry))
    if department is not None:
        _add_member(data, department, login)
    out = io.StringIO()
    yaml.dump(data, out)
    return _validated(path, out.getvalue())


def _round_trip(text: str) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096                 # never re-wrap the admin's long lines
    mapping, sequence, offset = detect_indent(text)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def detect_indent(text: str) -> tuple[int, int, int]:
    """(mapping, sequence, offset) as the file writes its first nested block mapping and sequence.

    ruamel.yaml re-indents the whole document with one setting, so guessing wrong
    would rewrite every line of the admin's file.
    """
    data = YAML().load(text)
    lines = text.splitlines()
    mapping, sequence, offset = None, None, None
    for key, value in (data.items() if isinstance(data, CommentedMap) else ()):
        key_col = data.lc.key(key)[1]
        if mapping is None and isinstance(value, CommentedMap) and value and not value.fa.flow_style():
            mapping = value.lc.key(next(iter(value)))[1] - key_col
        if sequence is None and isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
            line, col = value.lc.item(0)
            dash = lines[line].rfind("-", 0, col)
            sequence, offset = col - key_col, dash - key_col
    default_mapping, default_sequence, default_offset = DEFAULT_INDENT
    return (mapping or default_mapping, sequence or default_sequence,
            offset if offset is not None else default_offset)


def _entry_map(entry: dict) -> CommentedMap:
    """The new employee as the file writes values: numbers bare, phone numbers quoted."""
    out = CommentedMap()
    for key, value in entry.items():
        if value is None:
            continue
        if key == "extension" and value.isdigit() and not value.startswith("0"):
            value = int(value)
        elif key == "mobile":
            value = DoubleQuotedScalarString(value)
        out[key] = value
    return out


def _append_employee(data, text: str, entry: CommentedMap) -> None:
    employees = data.get("employees")
    if employees is None:
        data["employees"] = employees = CommentedSeq()
    employees.append(entry)
    if _entries_separated_by_blank_lines(employees, text):
        employees.yaml_set_comment_before_after_key(len(employees) - 1, before="\n")


def _entries_separated_by_blank_lines(employees: CommentedSeq, text: str) -> bool:
    if len(employees) < 3:            # the new one plus two already there
        return False
    line, _ = employees.lc.item(1)
    lines = text.splitlines()
    return line > 0 and not lines[line - 1].strip()


def _add_member(data, department: str, login: str) -> None:
    """Put the login at the end of the department's ring order (when the department exists:
    the loader reports an unknown one)."""
    for entry in data.get("departments") or ():
        if isinstance(entry, dict) and entry.get("name") == department:
            members = entry.get("members")
            if members is None:
                entry["members"] = members = CommentedSeq()
                members.fa.set_flow_style()
            if login not in members:
                members.append(login)
            return


def _validated(path: Path, text: str) -> PendingEdit:
    """Write `text` beside `path` (same directory: the rename is atomic, relative paths
    resolve alike) and load it; the caller commits or discards."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        _copy_owner_and_mode(path, temp)
        snapshot = load(temp)
    except ConfigError as exc:
        temp.unlink(missing_ok=True)
        # Line numbers are those of the edited text; name the file the admin knows.
        raise ConfigError([dataclasses.replace(p, source=f"{path} (edited)") for p in exc.problems]) from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return PendingEdit(path, temp, snapshot)


def _copy_owner_and_mode(original: Path, copy: Path) -> None:
    st = original.stat()
    os.chmod(copy, st.st_mode & 0o7777)
    try:
        os.chown(copy, st.st_uid, st.st_gid)
    except PermissionError:           # not root: the file becomes ours, as any editor would leave it
        pass
