"""A reload reuses the unchanged entries of the last file, yet sees every change and every problem."""
from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import config
from config.loader import ConfigError, load_text
from config import reuse
from config.reuse import cut
from tests.config.sample import Case, assert_problems, company_file, employee, marked_lines

EXAMPLE = (Path(config.__file__).parent / "example.yaml").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- loading again

def test_an_edit_reloads_as_a_first_load_would():
    """The example, one employee edited: the reload reuses the rest and gives the very same file
    as loading the edited text when nothing of it is known."""
    first = load_text(EXAMPLE, "example.yaml")
    edited = EXAMPLE.replace("no_answer: {after: 20, employee: anna.smirnova}",
                             "no_answer: {after: 35, department: Поддержка}")
    reloaded = load_text(edited, "example.yaml")
    assert reloaded.departments["Продажи"] is first.departments["Продажи"]        # reused, not validated again
    no_answer = reloaded.by_login["ivan.petrov"].reception.no_answer
    assert (no_answer.after, no_answer.describe()) == (35, "department:Поддержка")

    load_text(company_file(), "test.yaml")                   # the example's entries are forgotten
    assert load_text(edited, "example.yaml").file == reloaded.file


def test_a_derived_login_is_derived_again():
    load_text(company_file(employees=employee("position: Кладовщик")), "test.yaml")
    snapshot = load_text(company_file(employees=employee("position: Кладовщица")), "test.yaml")
    assert snapshot.by_extension["203"].login == "pyotr.sidorov"
    assert snapshot.by_login["pyotr.sidorov"].position == "Кладовщица"


def test_an_alias_follows_its_anchor():
    """An unchanged entry that refers to another entry's anchor sees the anchor's new value."""
    text = company_file(employees=employee("reception: &desk {devices: office, no_answer: {after: 20}}")
                        + "  - name: Мария Кузнецова\n    extension: 204\n    reception: *desk\n")
    load_text(text, "test.yaml")
    snapshot = load_text(text.replace("after: 20", "after: 45"), "test.yaml")
    assert snapshot.by_login["mariya.kuznetsova"].reception.no_answer.after == 45


def test_an_anchor_defined_twice_is_refused():
    """YAML's anchors belong to the whole file: two entries that are fine alone may clash."""
    load_text(company_file(employees=employee("position: Кладовщик")), "test.yaml")
    text = company_file(employees=employee("position: &role Кладовщик")
                        + "  - name: Мария Кузнецова\n    extension: 204\n    position: &role Кладовщица  # <-\n")
    with pytest.raises(ConfigError) as raised:
        load_text(text, "test.yaml")
    [problem] = [str(p) for p in raised.value.problems]
    assert problem.startswith(f"test.yaml:{marked_lines(text)['']}: not valid YAML: second occurrence")


# Line edits an admin (or a slip of the hand) makes: (operation, line number, text).
_SNIPPETS = ["  - name: Новый Сотрудник", "    extension: 290", "---", "employees:", "\t", "# comment", "",
             '    position: "two', '    lines"', "  -", "    <<: *a", "    x: &a {a: 1}", "    reception: *a",
             "    position: &a Кладовщик", "  - {name: Нина Орлова, extension: 291}", "company: {name: X}"]
_EDITS = st.lists(st.tuples(st.sampled_from(["delete", "copy", "indent", "dedent", "insert", "append", "swap"]),
                            st.integers(min_value=0), st.sampled_from(_SNIPPETS)), min_size=1, max_size=3)


def _edited(text: str, edits: list[tuple[str, int, str]]) -> str:
    lines = text.split("\n")
    for operation, number, snippet in edits:
        i, j = number % len(lines), (number // len(lines)) % len(lines)
        if operation == "delete":
            del lines[i]
        elif operation == "copy":
            lines.insert(i, lines[j])
        elif operation == "indent":
            lines[i] = "  " + lines[i]
        elif operation == "dedent":
            lines[i] = lines[i][2:]
        elif operation == "insert":
            lines.insert(i, snippet)
        elif operation == "append":
            lines[i] += snippet
        else:
            lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _outcome(text: str, by_pieces: bool = True) -> object:
    try:
        return load_text(text, "example.yaml", by_pieces=by_pieces).file
    except ConfigError as error:
        return [str(problem) for problem in error.problems]


@settings(max_examples=40, deadline=None)
@given(_EDITS)
def test_loading_by_pieces_gives_what_loading_whole_gives(edits):
    """Whatever the edit, a reload and a first load by pieces give the file, or the problems,
    of the text loaded in one piece."""
    text = _edited(EXAMPLE, edits)
    load_text(EXAMPLE, "example.yaml")                       # known: the edited text may reuse entries
    after_a_load = _outcome(text)
    load_text(company_file(), "test.yaml")                   # forgotten: every entry is new
    first_load = _outcome(text)
    whole = _outcome(text, by_pieces=False)
    assert after_a_load == first_load == whole
    if not isinstance(whole, list):                          # the same down to which fields were written
        assert _fields_set(after_a_load) == _fields_set(first_load) == _fields_set(whole)


def _fields_set(model: object) -> object:
    """Every model's class and the fields its text gave, depth first."""
    if isinstance(model, BaseModel):
        return (type(model).__name__, sorted(model.model_fields_set),
                [_fields_set(value) for value in model.__dict__.values()])
    if isinstance(model, (tuple, list)):
        return [_fields_set(item) for item in model]
    if isinstance(model, dict):
        return [(key, _fields_set(value)) for key, value in model.items()]
    return None


# --------------------------------------------------------------------------- problems after a load

AFTER_A_LOAD = [
    Case("a reference broken by the edit",
         company_file(employees=employee("department: Склад  # <-")),
         (("", "employees[2].department", "there is no department named 'Склад'"),)),
    Case("a key repeated by the edit",
         company_file(employees=employee("position: Кладовщик\nposition: Грузчик  # <-")),
         (("", "employees[2].position", "duplicate key 'position' (first on line 20)"),)),
    Case("a clash with an unchanged entry",
         company_file(employees=employee("extension: 201  # <-2"),
                      replace=(("    extension: 201\n", "    extension: 201  # <-1\n"),)),
         (("1", "employees[0].extension", "extension 201 is also used by employee Пётр Сидоров"),
          ("2", "employees[2].extension", "extension 201 is also used by employee Иван Петров"))),
]


@pytest.mark.parametrize("case", AFTER_A_LOAD, ids=[c.id for c in AFTER_A_LOAD])
def test_problems_are_reported_as_on_a_first_load(case: Case):
    load_text(company_file(employees=employee("position: Кладовщик")), "test.yaml")
    assert_problems(case)


# --------------------------------------------------------------------------- cutting the text

def test_the_example_is_cut_into_its_entries():
    layout = cut(EXAMPLE)
    assert [(s.key, len(s.entries or ())) for s in layout.sections] == [
        ("company", 0), ("departments", 3), ("employees", 10)]
    for section in layout.sections:
        assert section.text.endswith("".join(section.entries or ()))
    assert all(entry.startswith("  - name: ") for _, entry in layout.entries())


@pytest.mark.parametrize("text", [
    "%YAML 1.1\n---\ncompany: {name: A}\n",
    "---\ncompany: {name: A}\n",
    "company:\n  name: A\ncompany:\n  name: B\n",
    "company:\r  name: A\r",
    "  company: {name: A}\n",
    '"company": {name: A}\n',
], ids=["directive", "document start", "repeated section", "old Mac line breaks", "indented", "quoted key"])
def test_unusual_files_are_not_cut(text):
    assert cut(text) is None


@pytest.mark.parametrize("text", [
    "employees:\n  - name: A\n extension: 201\n",
    "employees:\n  - name: A\n  extension: 201\n",
    "employees: [{name: A, extension: 201}]\n",
    "employees:\n  [{name: A, extension: 201}]\n",
], ids=["a line less indented than the items", "a key beside the items", "flow list",
        "flow list on the next line"])
def test_unusual_lists_are_not_cut_into_entries(text):
    [section] = cut(text).sections
    assert section.entries is None


LINES = ["company:", "  name: X", "employees:", "  - name: A", "    extension: 201", "departments:", "  - x",
         "# note", "", " ", "\r", "a\x85b", "key: \u2028"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12), st.sampled_from(["\n", "\r\n"]), st.integers(1, 9))
def test_a_file_searched_a_slice_at_a_time_is_cut_as_in_one_piece(lines, newline, slice_size):
    """The searches over the whole text go a slice at a time (so that a reload does not
    hold the GIL for long); slices of a few characters find what one search finds."""
    text = newline.join(lines)
    whole = cut(text)
    with patch.object(reuse, "SLICE", slice_size):
        assert cut(text) == whole
