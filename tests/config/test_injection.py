"""Names that go into FreeSWITCH's dial strings and `playback` as they are written.

`company.gateway` becomes `sofia/gateway/GATEWAY/+7…` inside a bridge's dial string,
where `,` starts another leg, `|` another group, `[`/`{` variables, `/` another part
of the endpoint; sound files become `playback`'s argument, where `${…}` is expanded
(`${system(…)}` runs a command) and a newline would end the ESL header. `check` must
refuse such names, at the line that holds them.
"""
from __future__ import annotations

import pytest

from config.loader import load_text
from tests.config.sample import Case, assert_problems, company_file, employee

CASES = [
    Case("a gateway carrying a second leg",
         company_file(company="  gateway: trunk,evil  # <-\n"),
         (("", "company.gateway", "'trunk,evil' cannot be a gateway name"),)),
    Case("a gateway naming another endpoint",
         company_file(company="  gateway: trunk/../../loopback  # <-\n"),
         (("", "company.gateway", "cannot be a gateway name"),)),
    Case("a gateway with variables",
         company_file(company="  gateway: '[leg_timeout=1]trunk'  # <-\n"),
         (("", "company.gateway", "cannot be a gateway name"),)),
    Case("a message that expands a command",
         company_file(employees=employee("reception:\n  no_answer: {message: '${system(id)}.wav'}  # <-")),
         (("", "employees[2].reception.no_answer.message", "'${system(id)}.wav' cannot be a sound file"),)),
    Case("a department's message with a second file",
         company_file(departments="  - name: Склад\n    extension: 301\n"
                                  "    no_answer: {message: 'a.wav,b.wav|c'}  # <-\n"),
         (("", "departments[1].no_answer.message", "cannot be a sound file"),)),
    Case("a message with a newline (an ESL header of its own)",
         company_file(employees=employee('reception:\n  off_hours: {message: "a.wav\\nevent-lock: true"}  # <-')),
         (("", "employees[2].reception.off_hours.message", "cannot be a sound file"),)),
    Case("an absence announcement with channel variables",
         company_file(employees=employee("reception:\n  absences:\n"
                                         "    - {from: 2027-02-01, announce: '{foo=bar}x.wav'}  # <-")),
         (("", "employees[2].reception.absences[0].announce", "cannot be a sound file"),)),
    Case("a feature code's confirmation sound with a variable",
         company_file(employees="features:\n  confirm_on: '$${sounds_dir}/on.wav'  # <-\n"),
         (("", "features.confirm_on", "cannot be a sound file"),)),
    Case("an answer-confirmation prompt that is two files",
         company_file(company="  mobile_confirm_file: 'press1.wav,${system(id)}'  # <-\n"),
         (("", "company.mobile_confirm_file", "cannot be a sound file"),)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused(case: Case):
    assert_problems(case)


@pytest.mark.parametrize("gateway, sound", [
    ("trunk", "sounds/romashka/office-closed.wav"),
    ("uplink-2.msk_main", "/usr/share/freeswitch/sounds/ru/RU/elena/ivr/8000/ivr-welcome.wav"),
    ("trunk", "звуки/закрыто.wav"),
    ("trunk", "tone_stream://%(100,50,800);loops=2"),
])
def test_plain_names_load(gateway: str, sound: str):
    text = company_file(company=f"  gateway: {gateway}\n",
                        employees=employee(f"reception:\n  no_answer: {{message: '{sound}'}}"))
    snapshot = load_text(text, "test.yaml")
    assert snapshot.company.gateway == gateway
