"""The welcome letter: a new employee's login, password, extension and softphone link.

Sent by `callrouter employee add` / `passwd --send` / `welcome` through the
company's SMTP server (`company.smtp`): implicit TLS on port 465, else STARTTLS,
AUTH when a user is set. The letter is the only place the password travels; it is
never logged, and never sent in clear: a relay that offers no STARTTLS gets neither
the SMTP login nor the letter, unless the config says it is local and trusted
(`local_relay: true`, e.g. a Postfix on the same host). The certificate is verified
(against `ca_file` when the relay's CA is a private one).
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Optional

from config.models import Smtp

log = logging.getLogger(__name__)

IMPLICIT_TLS_PORT = 465
TIMEOUT = 30.0


class MailError(Exception):
    """The letter could not be handed to the SMTP server (the message says why)."""


@dataclass(frozen=True)
class Welcome:
    name: str
    email: str
    login: str
    password: str = field(repr=False)
    extension: str
    domain: str                          # SIP domain (registrar) to enter in the phone
    company: str
    softphone_url: Optional[str] = None


def welcome_message(letter: Welcome, sender: str) -> EmailMessage:
    return message_to(letter.name, letter.email, f"Ваш рабочий телефон в {letter.company}", _body(letter), sender)


def message_to(name: str, email: str, subject: str, body: str, sender: str) -> EmailMessage:
    """A plain-text letter to one employee, dated now, with a Message-ID of the sender's domain."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = Address(display_name=name, addr_spec=email)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, charset="utf-8")
    return message


def _body(letter: Welcome) -> str:
    lines = [
        f"Здравствуйте, {letter.name}!",
        "",
        f"Для вас настроен рабочий телефон {letter.company}.",
        "",
        f"Внутренний номер:  {letter.extension}",
        f"Логин (SIP):       {letter.login}",
        f"Пароль:            {letter.password}",
        f"Сервер (домен):    {letter.domain}",
    ]
    if letter.softphone_url:
        lines += ["", f"Программа для компьютера и смартфона: {letter.softphone_url}"]
    lines += ["", "Пароль показан только в этом письме: сохраните его в телефоне и удалите письмо.",
              "Если пароль потерян, администратор выдаст новый."]
    return "\n".join(lines) + "\n"


def send(smtp: Smtp, message: EmailMessage, timeout: float = TIMEOUT) -> None:
    """Hand the message to the SMTP server; MailError when it is refused or unreachable."""
    try:
        with _connect(smtp, timeout) as client:
            _secure(client, smtp)
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"{smtp.host}:{smtp.port} refused the login of {smtp.user}: {_smtp_text(exc)}") from None
    except smtplib.SMTPException as exc:
        raise MailError(f"{smtp.host}:{smtp.port}: {_smtp_text(exc)}") from None
    except ssl.SSLCertVerificationError as exc:
        raise MailError(f"{smtp.host}:{smtp.port}: its TLS certificate cannot be verified ({exc.verify_message}); "
                        f"for a private CA set company.smtp.ca_file") from None
    except (OSError, ssl.SSLError) as exc:
        raise MailError(f"cannot reach {smtp.host}:{smtp.port}: {exc}") from None
    log.info("welcome letter sent to %s through %s:%d", message["To"], smtp.host, smtp.port)


def _secure(client: smtplib.SMTP, smtp: Smtp) -> None:
    """Put the session under TLS before anything secret is said, or refuse to go on."""
    if smtp.port == IMPLICIT_TLS_PORT or (smtp.local_relay and not smtp.starttls):
        return
    client.ehlo()
    if not client.has_extn("starttls"):
        raise MailError(f"{smtp.host}:{smtp.port} offers no STARTTLS: the SMTP login and the letter (it holds a "
                        f"password) would travel in clear. Use a relay with STARTTLS or port 465, or set "
                        f"company.smtp.local_relay: true if this relay is local and trusted")
    client.starttls(context=_tls_context(smtp))
    client.ehlo()


def _tls_context(smtp: Smtp) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=smtp.ca_file)


def send_welcome(smtp: Smtp, letter: Welcome) -> None:
    send(smtp, welcome_message(letter, smtp.sender))


def _connect(smtp: Smtp, timeout: float) -> smtplib.SMTP:
    if smtp.port == IMPLICIT_TLS_PORT:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=timeout, context=_tls_context(smtp))
    return smtplib.SMTP(smtp.host, smtp.port, timeout=timeout)


def _smtp_text(exc: smtplib.SMTPException) -> str:
    """The server's own words when it gave any."""
    text = getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        return f"{getattr(exc, 'smtp_code', '')} {text.decode('utf-8', 'replace')}".strip()
    return str(exc) or type(exc).__name__
