"""Adding an employee to the admin's YAML file without disturbing it.

The file is edited with ruamel.yaml's round-trip mode, so comments, key order,
quoting and the file's own indentation survive; the result is validated by the
same loader as the daemon's before it replaces the original (temp file in the
same directory, then an atomic rename), so a bad edit never reaches the daemon.
"""
from __future__ import annotations

import codecs
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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from config.loader import ConfigError, load
from config.models import EMERGENCY_NUMBERS
from config.snapshot import Snapshot
from config.yamltree import parse

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
    """Insert `entry` at the end of `employees` (and `login` at the end of `department`'s
    members), validated.

    The file keeps its own bytes: a byte-order mark and CRLF line ends stay as they were.
    Raises config.loader.ConfigError, naming the problems, when the result would not load.
    """
    path = Path(path)
    form, text = FileForm.read(path)
    if department is not None:
        text = _with_member(text, department, login)
    text = with_employee(text, _entry_map(entry))
    return _validated(path, form.encode(text))


@dataclass(frozen=True)
class FileForm:
    """How the admin's file is written apart from its text: a BOM, CRLF line ends."""
    bom: bool
    crlf: bool

    @classmethod
    def read(cls, path: Path) -> tuple["FileForm", str]:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        crlf = text.count("\r\n") * 2 > text.count("\n")          # most lines end so
        return cls(data.startswith(codecs.BOM_UTF8), crlf), text.replace("\r\n", "\n")

    def encode(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode("utf-8")


def _with_member(text: str, department: str, login: str) -> str:
    yaml = _round_trip(text)
    data = yaml.load(text)
    _add_member(data, department, login)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def with_employee(text: str, entry: CommentedMap) -> str:
    """`text` with `entry` written as the last item of its block `employees:` list.

    The new lines go right after the last employee's own lines, found in the YAML
    node tree: a comment or a commented-out section that follows the list (the
    example file ends with one) stays after it, so uncommenting it later still
    gives valid YAML.  A file whose list is missing, empty or in flow style
    (`employees: [...]`) is edited by ruamel.yaml as a whole instead.
    """
    employees = _employees_node(text)
    if employees is None:
        return _appended_by_ruamel(text, entry)
    lines = text.splitlines(keepends=True)
    after = _last_line_of(employees.value[-1], lines, employees.value[-1].start_mark.column)
    new = _entry_lines(text, entry)
    if _separated_by_blank_lines(employees, lines):
        new = "\n" + new
    head = "".join(lines[:after + 1])
    if not head.endswith("\n"):
        head += "\n"
    return head + new + "".join(lines[after + 1:])


def _employees_node(text: str) -> Optional[SequenceNode]:
    root = parse(text).root
    if not isinstance(root, MappingNode):
        return None
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "employees":
            if isinstance(value, SequenceNode) and value.value and not value.flow_style:
                return value
            return None
    return None


def _last_line_of(item: Node, lines: list[str], item_column: int) -> int:
    """The 0-based index of the last line that belongs to `item`: its deepest last value,
    then any comment lines indented into it (`    # no department` under an entry)."""
    node = item
    while isinstance(node, (MappingNode, SequenceNode)) and node.value and not node.flow_style:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    end = node.end_mark
    last = end.line if end.column > 0 else end.line - 1
    while last > 0 and not lines[last].strip():          # a block scalar's end mark is past its blank lines
        last -= 1
    while last + 1 < len(lines):
        following = lines[last + 1]
        indent = len(following) - len(following.lstrip(" "))
        if not following.lstrip(" ").startswith("#") or indent <= item_column:
            break
        last += 1
    return last


def _entry_lines(text: str, entry: CommentedMap) -> str:
    """The entry as the file's own indentation writes an item of `employees:`."""
    yaml = _round_trip(text)
    out = io.StringIO()
    yaml.dump({"employees": [entry]}, out)
    return out.getvalue().split("\n", 1)[1]


def _separated_by_blank_lines(employees: SequenceNode, lines: list[str]) -> bool:
    if len(employees.value) < 2:
        return False
    line = employees.value[1].start_mark.line
    return line > 0 and not lines[line - 1].strip()


def _appended_by_ruamel(text: str, entry: CommentedMap) -> str:
    yaml = _round_trip(text)
    data = yaml.load(text)
    _append_employee(data, text, entry)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


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


def _validated(path: Path, data: bytes) -> PendingEdit:
    """Write `data` beside `path` (same directory: the rename is atomic, relative paths
    resolve alike) and load it; the caller commits or discards."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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
