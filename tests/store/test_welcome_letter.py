import pytest

from config.models import Smtp
from daemon.mail import MailError, Welcome, send_welcome

LETTER = Welcome(name="Иван Петров", email="ivan.petrov@romashka.ru", login="ivan.petrov",
                 password="Zq7pWm3kTr9xBv2n", extension="211", domain="pbx.romashka.local",
                 company="ООО «Ромашка»", softphone_url="https://romashka.ru/softphone")


def smtp(server, **extra) -> Smtp:
    """The plain test relay, declared local and trusted (it is on loopback)."""
    return Smtp.model_validate({"host": "127.0.0.1", "port": server.port, "from": "pbx@romashka.ru",
                                "local_relay": True, **extra})


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


# ----------------------------------------------------------------------------- TLS before secrets

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    from tests.store.smtpserver import self_signed
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(certificate):
    from tests.store.smtpserver import Inbox, TlsSmtpServer
    server = TlsSmtpServer(Inbox(), certificate)
    server.start()
    yield server
    server.stop()


def remote(server, **extra) -> Smtp:
    """A relay as a production config names it: no `local_relay`."""
    return Smtp.model_validate({"host": "127.0.0.1", "port": server.port, "from": "pbx@romashka.ru", **extra})


@pytest.mark.parametrize("starttls", [False, True])
def test_a_relay_without_tls_gets_neither_the_login_nor_the_letter(smtp_server, starttls):
    with pytest.raises(MailError, match="STARTTLS") as raised:
        send_welcome(remote(smtp_server, starttls=starttls, user="pbx@romashka.ru", password="mail-secret"), LETTER)
    assert "mail-secret" not in str(raised.value) and "local_relay" in str(raised.value)
    assert smtp_server.inbox.logins == [] and smtp_server.inbox.received == []


def test_the_login_and_the_letter_go_under_starttls_even_when_not_asked_for(tls_server):
    send_welcome(remote(tls_server, user="pbx@romashka.ru", password="mail-secret",
                        ca_file=str(tls_server.certificate)), LETTER)
    assert tls_server.inbox.logins == [("pbx@romashka.ru", "mail-secret")]
    assert tls_server.inbox.logins_encrypted == [True] and tls_server.inbox.encrypted == [True]


def test_a_certificate_the_client_cannot_verify_stops_the_letter(tls_server):
    with pytest.raises(MailError, match="certificate"):
        send_welcome(remote(tls_server, user="pbx@romashka.ru", password="mail-secret"), LETTER)
    assert tls_server.inbox.logins == [] and tls_server.inbox.received == []


def test_a_relay_declared_local_and_trusted_may_be_plain(smtp_server):
    send_welcome(remote(smtp_server, local_relay=True), LETTER)
    assert smtp_server.inbox.encrypted == [False]
