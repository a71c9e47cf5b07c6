"""The optional SMS channel: one configured HTTP request per message (`recovery.sms`).

Providers differ in everything but this: a URL, a method, a few headers (the API
key), a body with the phone and the text in it. `{phone}` and `{text}` are replaced
with values escaped for where they stand: URL-encoded in the URL, JSON-escaped in a
body whose Content-Type is JSON, form-encoded in a form body, as is otherwise.
The text holds a code, so neither it nor the body is ever logged.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from urllib.parse import quote, quote_plus

from config.models import RecoverySms

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway could not be reached or refused the message."""


def build_request(sms: RecoverySms, phone: str, text: str) -> urllib.request.Request:
    url = sms.url.replace("{phone}", quote(phone, safe="")).replace("{text}", quote(text, safe=""))
    headers = dict(sms.headers)
    data = None
    if sms.method != "GET":
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if not kind:
            kind = "application/json" if sms.body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
            headers["Content-Type"] = kind
        data = _fill(sms.body, phone, text, kind.lower()).encode("utf-8")
    return urllib.request.Request(url, data=data, headers=headers, method=sms.method)


def _fill(template: str, phone: str, text: str, kind: str) -> str:
    if "json" in kind:
        escape = lambda value: json.dumps(value, ensure_ascii=False)[1:-1]      # noqa: E731
    elif "x-www-form-urlencoded" in kind:
        escape = quote_plus
    else:
        escape = str
    return template.replace("{phone}", escape(phone)).replace("{text}", escape(text))


def send_sms(sms: RecoverySms, phone: str, text: str) -> None:
    """Send one message; SmsError unless the gateway answered 2xx."""
    request = build_request(sms, phone, text)
    try:
        with urllib.request.urlopen(request, timeout=sms.timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise SmsError(f"the SMS gateway answered {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise SmsError(f"cannot reach the SMS gateway: {exc}") from None
    if not 200 <= status < 300:
        raise SmsError(f"the SMS gateway answered {status}")
    log.info("recovery SMS handed to the gateway (%s %s)", sms.method, request.host)
