"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives.

`TlsSmtpServer` offers STARTTLS with a self-signed certificate for 127.0.0.1 (made by
the openssl command), which clients trust through `certificate` as a private CA.
"""
from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
from pathlib import Path
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Inbox:
    def __init__(self):
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[tuple[str, str]] = []
        self.encrypted: list[bool] = []         # per letter and per login: was the session under TLS
        self.logins_encrypted: list[bool] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        self.encrypted.append(session.ssl is not None)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        self.logins_encrypted.append(session.ssl is not None)
        # handled=False: aiosmtpd then answers 535 itself (its default leaves the client waiting).
        return AuthResult(success=login == ("pbx@romashka.ru", "mail-secret"), handled=False)


class SmtpServer(Controller):
    """aiosmtpd's Controller, on port 0 (it would otherwise probe port 0 to see it is up)."""

    def __init__(self, inbox: Inbox):
        super().__init__(inbox, hostname="127.0.0.1", port=0, authenticator=inbox.authenticate,
                         auth_require_tls=False)
        self.inbox = inbox

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def self_signed(directory: Path) -> Path:
    """A certificate and key for 127.0.0.1 in one PEM file."""
    pem = directory / "smtp.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(pem), "-out", str(pem)],
                   check=True, capture_output=True)
    return pem


class TlsSmtpServer(SmtpServer):
    """The same server, offering STARTTLS with `certificate`."""

    def __init__(self, inbox: Inbox, certificate: Path):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate)
        Controller.__init__(self, inbox, hostname="127.0.0.1", port=0, authenticator=inbox.authenticate,
                            auth_require_tls=True, tls_context=context)
        self.inbox = inbox
        self.certificate = certificate
