"""The letter an employee gets after their password was reset through «Забыли пароль?»."""
from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

from config.models import Employee
from config.snapshot import Snapshot
from daemon.mail import message_to


def notice_message(snapshot: Snapshot, employee: Employee, address: str, now: dt.datetime,
                   sender: str) -> EmailMessage:
    local = now.astimezone(snapshot.zone_of(employee))
    body = "\n".join([
        f"Здравствуйте, {employee.name}!",
        "",
        f"{local:%d.%m.%Y %H:%M} пароль вашей учётной записи {employee.login} изменён через «Забыли пароль?»:",
        f"код подтвердили с мобильного {employee.mobile} (адрес в сети: {address or 'неизвестен'}).",
        "",
        "Этот же пароль — пароль SIP: введите новый пароль в рабочем телефоне и софтфонах, иначе они",
        "перестанут подключаться. Все входы в личный кабинет завершены.",
        "",
        "Если это были не вы, немедленно сообщите администратору.",
    ]) + "\n"
    return message_to(employee.name, employee.email, f"Пароль изменён ({snapshot.company.name})", body, sender)
