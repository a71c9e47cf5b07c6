"""The SMS request built from `recovery.sms`: values escaped for where they stand."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from config.models import RecoverySettings, RecoverySms
from daemon.web.sms import build_request

TEXT = 'Код: 123456. "Никому" не сообщайте & не пересылайте\n'


def test_a_json_body_gets_json_escaped_values_and_the_headers_as_written():
    sms = RecoverySms(url="https://sms.example.ru/send", headers={"Authorization": "Bearer k"},
                      body='{"to": "{phone}", "text": "{text}", "sender": "Romashka"}')
    request = build_request(sms, "+79161234567", TEXT)
    assert request.get_method() == "POST" and request.get_header("Authorization") == "Bearer k"
    assert request.get_header("Content-type") == "application/json"
    assert json.loads(request.data) == {"to": "+79161234567", "text": TEXT, "sender": "Romashka"}


def test_a_form_body_is_form_encoded():
    sms = RecoverySms(url="https://sms.example.ru/send", body="phone={phone}&msg={text}")
    request = build_request(sms, "+79161234567", TEXT)
    assert request.get_header("Content-type") == "application/x-www-form-urlencoded"
    assert parse_qs(request.data.decode()) == {"phone": ["+79161234567"], "msg": [TEXT]}


def test_a_get_request_carries_the_values_in_the_url():
    sms = RecoverySms(url="https://sms.example.ru/send?to={phone}&text={text}&key=abc", method="GET")
    request = build_request(sms, "+79161234567", TEXT)
    assert request.data is None and request.get_method() == "GET"
    query = parse_qs(urlsplit(request.full_url).query)
    assert query == {"to": ["+79161234567"], "text": [TEXT], "key": ["abc"]}


@pytest.mark.parametrize("settings", [{"prompt": "my prompt.wav"}, {"prompt": "x.wav'&bridge(user/1)"},
                                      {"sms": {"url": "ftp://x"}}, {"ring_timeout": 5}])
def test_settings_that_cannot_work_are_refused(settings):
    with pytest.raises(ValidationError):
        RecoverySettings.model_validate(settings)


def test_the_sms_headers_are_not_in_the_settings_repr():
    assert "secret" not in repr(RecoverySms(url="https://x", headers={"X-Key": "secret"}))
