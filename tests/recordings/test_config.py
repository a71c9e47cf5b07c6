"""`recording:` and `recordings:` in the config file: validation, `check`, and which rule a call gets."""
from __future__ import annotations

import pytest

from config.loader import load_text
from config.recording import RecordingRule, rule_for
from tests.config.sample import Case, assert_problems, company_file, employee


def test_missing_announce_file_is_an_error_at_its_line(tmp_path):
    missing = tmp_path / "nowhere.wav"
    assert_problems(Case("missing announce", company_file(
        company=f"  recording: {{calls: external, announce: {missing}}}  # <-\n"),
        (("", "company.recording.announce", f"there is no file {missing}"),)))


def test_relative_announce_is_an_error():
    assert_problems(Case("relative announce", company_file(
        departments="    recording:\n      announce: sounds/rec.wav  # <-\n"),
        (("", "departments[0].recording.announce", "must be an absolute path"),)))


@pytest.mark.parametrize("line, path, fragment", [
    ("recording: {calls: sometimes}  # <-", "employees[2].recording.calls", "none"),
    ("recording: {retention_days: 0}  # <-", "employees[2].recording.retention_days", "must be at least 1"),
])
def test_bad_values_name_the_field(line, path, fragment):
    assert_problems(Case("bad", company_file(employees=employee(line)), (("", path, fragment),)))


def test_recordings_section_defaults_and_bad_format():
    snapshot = load_text(company_file())
    assert (snapshot.file.recordings.dir, snapshot.file.recordings.format, snapshot.file.recordings.stereo) == (
        "var/recordings", "wav", True)
    assert_problems(Case("format", company_file() + "recordings:\n  format: mp3  # <-\n",
                         (("", "recordings.format", "wav"),)))


def test_employee_overrides_department_overrides_company(tmp_path):
    announce = tmp_path / "announce.wav"
    announce.write_bytes(b"RIFF")
    text = company_file(
        company=f"  recording: {{calls: external, announce: {announce}, retention_days: 30}}\n",
        departments="    recording: {calls: all}\n",
        employees=employee("recording: {retention_days: 365}\ndepartment: Продажи"))
    snapshot = load_text(text)
    petr, anna = snapshot.by_login["pyotr.sidorov"], snapshot.by_login["anna.smirnova"]
    sales = snapshot.departments["Продажи"]
    assert rule_for(snapshot) == RecordingRule("external", str(announce), 30)
    assert rule_for(snapshot, department=sales) == RecordingRule("all", str(announce), 30)
    assert rule_for(snapshot, employee=petr) == RecordingRule("all", str(announce), 365)
    assert rule_for(snapshot, employee=anna) == RecordingRule("external", str(announce), 30)   # no department
    assert RecordingRule("external").records(internal=False) and not RecordingRule("external").records(internal=True)
    assert RecordingRule("all").records(internal=True) and not RecordingRule("none").records(internal=False)
