"""A large file is kept small: equal settings are one shared model, and a first load goes by pieces,
yet the snapshot is exactly the one loading the text in one piece gives."""
from __future__ import annotations

from pydantic import BaseModel

from bench.company_gen import company_yaml
from config.loader import load_text
from config.models import Employee, NoAnswer, Reception, Target
from tests.config.sample import company_file, employee

TWINS = company_file(employees=employee(
    'reception:\n  no_answer: {after: 30, voicemail: true}\n  off_hours: {hangup: true}\n'
    '  schedule:\n    mon-fri: ["09:00-18:00"]')
    + '  - name: Мария Кузнецова\n    extension: 204\n    reception:\n      no_answer: {after: 30, voicemail: true}\n'
      '      off_hours: {hangup: true}\n      schedule:\n        mon-fri: ["09:00-18:00"]\n')


def test_settings_written_alike_are_one_model():
    snapshot = load_text(TWINS, "test.yaml")
    pyotr, mariya = (snapshot.by_extension[x].reception for x in ("203", "204"))
    assert pyotr.no_answer is mariya.no_answer and pyotr.no_answer.describe() == "voicemail"
    assert pyotr.off_hours is mariya.off_hours
    assert pyotr.schedule is mariya.schedule and pyotr.week is mariya.week
    assert [str(i) for i in pyotr.week[4]] == ["09:00-18:00"] and pyotr.week[5] == ()


def test_settings_written_otherwise_stay_apart():
    """`after: 30` and `after: "30"` validate alike, yet are not taken for each other before validation."""
    snapshot = load_text(TWINS.replace("{after: 30,", '{after: "30",', 1), "test.yaml")
    pyotr, mariya = (snapshot.by_extension[x].reception for x in ("203", "204"))
    assert pyotr.no_answer == mariya.no_answer and pyotr.no_answer is not mariya.no_answer


def test_models_made_in_code_share_nothing():
    first, second = (Reception.model_validate({"no_answer": {"after": 30}}) for _ in range(2))
    assert first.no_answer == second.no_answer == NoAnswer(after=30)
    assert first.no_answer is not second.no_answer


def test_a_copy_with_an_update_leaves_the_shared_field_names_alone():
    """Models given the same fields share one set of their names; pydantic's model_copy copies it
    before adding the updated ones (config.models.Model relies on it)."""
    first, second = (Employee(name=name, extension="201") for name in ("Иван Петров", "Анна Смирнова"))
    assert first.model_fields_set is second.model_fields_set
    copy = first.model_copy(update={"login": "ivan.petrov"})
    assert copy.model_fields_set == {"name", "extension", "login"}
    assert first.model_fields_set == second.model_fields_set == {"name", "extension"}
    assert Target(voicemail=True).model_fields_set == {"voicemail"}


def test_a_first_load_by_pieces_is_the_file_loaded_whole():
    """Every kind of setting of the benchmark company: the same models, down to the fields written."""
    text = company_yaml(employees=300, departments=15, numbers=30, seed=7)
    load_text(company_file(), "test.yaml")                   # nothing of `text` is known
    by_pieces = load_text(text, "big.yaml").file
    whole = load_text(text, "big.yaml", by_pieces=False).file
    assert by_pieces == whole
    assert _fields(by_pieces) == _fields(whole)


def _fields(value: object) -> object:
    if isinstance(value, BaseModel):
        return (type(value).__name__, sorted(value.model_fields_set), [_fields(v) for v in value.__dict__.values()])
    if isinstance(value, (tuple, list)):
        return [_fields(item) for item in value]
    if isinstance(value, dict):
        return [(key, _fields(item)) for key, item in value.items()]
    return value
