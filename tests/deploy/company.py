"""A small company with awkward names, numbers in two countries and a second daemon's worth
of settings: what the example file does not exercise."""
from __future__ import annotations

from pathlib import Path

from config.loader import load, load_text
from config.snapshot import Snapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"

AWKWARD_YAML = """
company:
  name: 'ООО "Рога & Копыта" <СПб>'
  domain: pbx.roga.test
  extensions: 200-899
  gateway: uplink
  numbers:
    "+7 812 555-01-01": {employee: anna}
    "+7 812 555-01-02": {department: 'R&D -- "Лаб"'}
    "+49 30 901820": {employee: pyotr}
departments:
  - name: 'R&D -- "Лаб"'
    extension: 600
    timeout: 40
    members: [anna, pyotr]
  - name: Пусто
    extension: 601
employees:
  - name: 'Анна "Ёлка" <Ёлкина> & Co'
    login: anna
    extension: 201
  - name: Пётр Иванов
    login: pyotr
    extension: 202
  - name: Bob O'Hara
    login: bob
    extension: 899
freeswitch:
  password: 'p"w&<d>'
daemon:
  listen: 0.0.0.0:8084
  http: 127.0.0.1:9464
  directory_user: fs
  directory_password: 's3cr&t:"x"'
"""


def awkward() -> Snapshot:
    return load_text(AWKWARD_YAML, "awkward.yaml")


def example() -> Snapshot:
    return load(EXAMPLE)
