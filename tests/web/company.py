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
