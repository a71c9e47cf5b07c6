import pytest

from config.models import Smtp
from daemon.mail import MailError, Welcome, send_welcome

LETTER = Welcome(name="Иван Петров", email="ivan.petrov@romashka.ru", login="ivan.petrov",
                 password="Zq7pWm3kTr9xBv2n", extension="211", domain="pbx.romashka.local",
                 company="ООО «Ромашка»", softphone_url="https://romashka.ru/softphone")


def smtp(server, **extra) -> Smtp:
    return Smtp.model_validate({"host": "127.0.0.1", "port": server.port, "from": "pbx@romashka.ru", **extra})


def test_the_letter_arrives_with_everything_the_employee_needs(smtp_server):
    send_welcome(smtp(smtp_server), LETTER)

    [(recipients, message)] = smtp_server.inbox.received
    assert recipients == ["ivan.petrov@romashka.ru"]
    assert message["Subject"] == "Ваш рабочий телефон в ООО «Ромашка»"
    assert message["To"].addresses[0].display_name == "Иван Петров"
    assert message["From"] == "pbx@romashka.ru"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "Здравствуйте, Иван Петров!" in body
    for detail in ("211", "ivan.petrov", "pbx.romashka.local", "https://romashka.ru/softphone"):
        assert detail in body
    assert body.count(LETTER.password) == 1


def test_the_server_login_is_used_when_configured(smtp_server):
    send_welcome(smtp(smtp_server, user="pbx@romashka.ru", password="mail-secret"), LETTER)

    assert smtp_server.inbox.logins == [("pbx@romashka.ru", "mail-secret")]
    assert len(smtp_server.inbox.received) == 1


def test_a_refused_login_is_reported_without_the_password(smtp_server):
    with pytest.raises(MailError, match="refused the login of pbx@romashka.ru") as raised:
        send_welcome(smtp(smtp_server, user="pbx@romashka.ru", password="wrong-secret"), LETTER)
    assert "wrong-secret" not in str(raised.value)
    assert smtp_server.inbox.received == []


def test_an_unreachable_server_is_reported(unused_port):
    with pytest.raises(MailError, match=f"cannot reach 127.0.0.1:{unused_port}"):
        send_welcome(Smtp.model_validate({"host": "127.0.0.1", "port": unused_port, "from": "pbx@romashka.ru"}),
                     LETTER)
