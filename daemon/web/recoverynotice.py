"""The letter an employee gets after their password was reset through «Забыли пароль?»."""
from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from config.models import Employee
from config.snapshot import Snapshot


def notice_message(snapshot: Snapshot, employee: Employee, address: str, now: dt.datetime,
                   sender: str) -> EmailMessage:
    local = now.astimezone(snapshot.zone_of(employee))
    message = EmailMessage()
    message["Subject"] = f"Пароль изменён ({snapshot.company.name})"
    message["From"] = sender
    message["To"] = Address(display_name=employee.name, addr_spec=employee.email)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content("\n".join([
        f"Здравствуйте, {employee.name}!",
        "",
        f"{local:%d.%m.%Y %H:%M} пароль вашей учётной записи {employee.login} изменён через «Забыли пароль?»:",
        f"код подтвердили с мобильного {employee.mobile} (адрес в сети: {address or 'неизвестен'}).",
        "",
        "Этот же пароль — пароль SIP: введите новый пароль в рабочем телефоне и софтфонах, иначе они",
        "перестанут подключаться. Все входы в личный кабинет завершены.",
        "",
        "Если это были не вы, немедленно сообщите администратору.",
    ]) + "\n", charset="utf-8")
    return message
