"""The company the web tests sign in to: one employee per role, two departments."""
from __future__ import annotations

COMPANY_YAML = """\
company:
  name: ООО «Ромашка»
  domain: pbx.example.com
  timezone: Europe/Moscow
departments:
  - name: Продажи
    extension: 300
    members: [ivan, petr]
  - name: Поддержка
    extension: 301
    members: [olga, maria]
employees:
  - {name: Анна Админова, login: boss, extension: 201, role: admin}
  - {name: Иван Петров, login: ivan, extension: 202, role: department_head, department: Продажи}
  - name: Пётр Сидоров
    login: petr
    extension: 203
    department: Продажи
    mobile: "+7 916 123-45-67"
    reception:
      devices: all
      mobile_delay: 5
      schedule: {mon-fri: ["09:00-18:00"]}
  - {name: Ольга Смирнова, login: olga, extension: 204, department: Поддержка, can_download_history: false}
  - name: Мария Кузнецова
    login: maria
    extension: 205
    role: restricted_user
    department: Поддержка
    mobile: "+7 916 765-43-21"
    reception:
      absences:
        - {from: 2024-03-01, to: 2024-03-10, reason: vacation}
  - {name: Павел Общий, login: pc, extension: 209, department: Поддержка, scope: company}
web:
  listen: 127.0.0.1:0
  throttle: {login_free_failures: 3, address_free_failures: 6, first_delay: 30, lockout: 600}
"""

PASSWORDS = {login: f"Pass-{login}-2024x" for login in ("boss", "ivan", "petr", "olga", "maria", "pc")}


def company_on_disk(home, extra: str = "", company_yaml: str = COMPANY_YAML):
    """The company's config file in `home` (a SQLite store beside it, `extra` YAML after it)
    and its store, migrated, with the directory synced and everyone's password set: what a
    `callrouter web` process under test serves. Returns (config path, store)."""
    from config.loader import load
    from store.database import Store
    from tests.store.conftest import FAST_HASHER
    config = home / "company.yaml"
    config.write_text(company_yaml + "store: {url: 'sqlite:///store.sqlite3', spool: records.spool}\n" + extra,
                      encoding="utf-8")
    snapshot = load(str(config))
    store = Store.for_snapshot(snapshot, hasher=FAST_HASHER)
    store.upgrade()
    store.sync_directory(snapshot)
    for login, password in PASSWORDS.items():
        store.set_password(login, password, snapshot.company.domain)
    return config, store
