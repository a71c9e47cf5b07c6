"""The directory as FreeSWITCH sees it: mod_xml_curl's requests over real HTTP, and what
switch_xml / sofia then do with the answer."""
from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from config.snapshot import Snapshot
from daemon.directory import DIRECTORY_PATH, USER_CONTEXT, make_directory_handler
from daemon.http import HttpServer
from daemon.metrics import Metrics
from store.credentials import sip_a1
from tests.deploy import directory_lookup as fs
from tests.deploy.company import awkward, example
from tests.httpclient import request

DOMAIN = "pbx.romashka.local"
# The awkward company's daemon.directory_user / directory_password, which its directory requires.
AWKWARD_AUTH = {"Authorization": "Basic " + base64.b64encode('fs:s3cr&t:"x"'.encode()).decode()}
PASSWORDS = {"ivan.petrov": "Kq7vTz3mWp9xRb2n", "mariya.kuznetsova": "Hd4sLp8eNc6wYt3q"}


class Credentials:
    """The store's side: A1 hashes of the employees that have a password."""

    def __init__(self, domain: str, passwords: dict[str, str]):
        self.hashes = {login: sip_a1(login, domain, password) for login, password in passwords.items()}
        self.asked: list[str] = []
        self.down = False

    def __call__(self, login: str):
        self.asked.append(login)
        if self.down:
            raise ConnectionError("database is down")
        return self.hashes.get(login)


@pytest.fixture
def serve():
    servers = []

    def start(snapshot, credentials, basic_auth=None):
        current = [snapshot]
        handler = make_directory_handler(lambda: current[0], credentials, basic_auth)
        server = HttpServer(("127.0.0.1", 0), Metrics(), lambda: (True, ""), routes={DIRECTORY_PATH: handler})
        server.start()
        servers.append(server)
        return server.address, current

    yield start
    for server in servers:
        server.stop()


def xml_curl_body(key_value: str, **params: str) -> bytes:
    """The POST body mod_xml_curl sends (xml_url_fetch + switch_event_build_param_string)
    for switch_xml_locate_domain(key_value, params)."""
    basic = f"hostname=fs1&section=directory&tag_name=domain&key_name=name&key_value={key_value}"
    event = {"Event-Name": "REQUEST_PARAMS", "Core-UUID": "6f1c9c0e-0d2b-4f7e-9d55-8a4b0b1e2f3a",
             "FreeSWITCH-Hostname": "fs1", "FreeSWITCH-Switchname": "fs1", "FreeSWITCH-IPv4": "192.0.2.1",
             "Event-Date-Local": "2026-03-02 10:00:00", "Event-Calling-File": "sofia_reg.c"}
    return (basic + "&" + urlencode({**event, **params})).encode()


def fetch(address, body: bytes, headers: dict | None = None):
    return request(address, "POST", DIRECTORY_PATH, body, {
        "User-Agent": "freeswitch-xml/1.0", "Accept": "*/*",
        "Content-Type": "application/x-www-form-urlencoded", **(headers or {})})


def sip_auth(domain: str, user: str, **extra: str) -> bytes:
    return xml_curl_body(domain, action="sip_auth", sip_profile="internal", sip_user_agent="Yealink SIP-T46U",
                         sip_auth_username=user, sip_auth_realm=domain, sip_auth_nonce="f00d",
                         sip_auth_uri=f"sip:{domain}", sip_auth_method="REGISTER", key="id", user=user,
                         domain=domain, ip="192.0.2.10", **extra)


def user_call(domain: str, user: str) -> bytes:
    return xml_curl_body(domain, as_channel="true", action="user_call", key="id", user=user, domain=domain)


@pytest.fixture(scope="module")
def company() -> Snapshot:
    return example()


def test_a_phone_registering_with_its_login_and_password_is_accepted(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    response = fetch(address, sip_auth(DOMAIN, "ivan.petrov"))
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/xml")
    user = fs.locate_user(response.body, "id", "ivan.petrov", DOMAIN)
    assert user is not None and user.id == "ivan.petrov"
    uri = f"sip:{DOMAIN}"
    good = fs.phone_response("ivan.petrov", DOMAIN, PASSWORDS["ivan.petrov"], "REGISTER", uri, "f00d")
    wrong = fs.phone_response("ivan.petrov", DOMAIN, "guess", "REGISTER", uri, "f00d")
    assert fs.sofia_accepts(user.params["a1-hash"], "REGISTER", uri, "f00d", good)
    assert not fs.sofia_accepts(user.params["a1-hash"], "REGISTER", uri, "f00d", wrong)


def test_the_user_document_has_the_documented_xml_user_directory_shape(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    root = ET.fromstring(fetch(address, sip_auth(DOMAIN, "ivan.petrov")).body)
    assert (root.tag, root.get("type")) == ("document", "freeswitch/xml")
    (domain,) = root.findall(f"section[@name='directory']/domain[@name='{DOMAIN}']")
    assert domain.find("params/param[@name='dial-string']") is not None
    (user,) = domain.findall("groups/group/users/user")
    assert (user.get("id"), user.get("number-alias")) == ("ivan.petrov", "201")
    assert user.find("params/param[@name='a1-hash']").get("value") == \
        sip_a1("ivan.petrov", DOMAIN, PASSWORDS["ivan.petrov"])


def test_the_user_document_carries_alias_caller_id_and_context(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    user = fs.locate_user(fetch(address, sip_auth(DOMAIN, "ivan.petrov")).body, "id", "ivan.petrov", DOMAIN)
    assert user.attributes["number-alias"] == "201"
    assert user.variables["effective_caller_id_name"] == "Иван Петров"
    assert user.variables["effective_caller_id_number"] == "201"
    assert user.variables["user_context"] == USER_CONTEXT
    assert user.variables["outbound_caller_id_number"] == "+74951234567"


def test_dialling_an_extension_reaches_the_login_that_registered(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    user = fs.locate_user(fetch(address, user_call(DOMAIN, "201")).body, "id", "201", DOMAIN)
    assert user.id == "ivan.petrov"
    # registrations are kept under the login: the dial-string must look that name up
    assert "sofia_contact(*/ivan.petrov@${dialed_domain})" in user.params["dial-string"]


def test_bridging_to_a_user_works_while_the_store_is_down(serve, company):
    credentials = Credentials(DOMAIN, PASSWORDS)
    credentials.down = True
    address, _ = serve(company, credentials)
    response = fetch(address, user_call(DOMAIN, "ivan.petrov"))
    assert response.status == 200
    assert fs.locate_user(response.body, "id", "ivan.petrov", DOMAIN) is not None
    assert credentials.asked == []


def test_registration_while_the_store_is_down_is_an_error_not_an_open_door(serve, company):
    credentials = Credentials(DOMAIN, PASSWORDS)
    credentials.down = True
    address, _ = serve(company, credentials)
    response = fetch(address, sip_auth(DOMAIN, "ivan.petrov"))
    assert response.status == 503          # mod_xml_curl: non-200 -> no document, auth fails
    assert b"a1-hash" not in response.body and b"<user" not in response.body


@pytest.mark.parametrize("user, domain", [
    ("nobody", DOMAIN),                     # unknown login
    ("299", DOMAIN),                        # free extension
    ("300", DOMAIN),                        # a department is not a SIP account
    ("ivan.petrov", "other.example"),       # another domain
    ("ivan.petrov", "192.0.2.1"),           # a phone configured with the server's IP as realm
])
def test_anything_else_is_the_standard_not_found(serve, company, user, domain):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    response = fetch(address, sip_auth(domain, user))
    assert response.status == 200
    root = ET.fromstring(response.body)
    assert root.tag == "document" and root.get("type") == "freeswitch/xml"
    assert [(s.get("name"), [(r.tag, r.attrib) for r in s]) for s in root] == \
        [("result", [("result", {"status": "not found"})])]


def test_an_employee_without_a_password_cannot_register_but_can_be_called(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    assert fs.is_not_found(fetch(address, sip_auth(DOMAIN, "anna.smirnova")).body)
    user = fs.locate_user(fetch(address, user_call(DOMAIN, "202")).body, "id", "202", DOMAIN)
    assert user.id == "anna.smirnova"
    assert "a1-hash" not in user.params
    assert user.params["sip-forbid-register"] == "true"


def test_a_department_mailbox_takes_messages_but_never_registers(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    lookup = xml_curl_body(DOMAIN, action="voicemail-lookup", key="id", user="300", domain=DOMAIN)
    box = fs.locate_user(fetch(address, lookup).body, "id", "300", DOMAIN)
    assert box.id == "300"
    assert box.params["sip-forbid-register"] == "true" and "a1-hash" not in box.params
    assert box.variables["effective_caller_id_name"] == "Продажи"
    assert fs.is_not_found(fetch(address, sip_auth(DOMAIN, "300")).body)


def test_mod_sofia_gateway_and_acl_lookups_get_the_domain_without_users(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    # switch_xml_locate("directory", NULL, NULL, NULL, …): empty tag and key, purpose=gateways
    gateways = fetch(address, b"hostname=fs1&section=directory&tag_name=&key_name=&key_value="
                              b"&Event-Name=REQUEST_PARAMS&purpose=gateways&profile=internal")
    network_list = fetch(address, xml_curl_body(DOMAIN, domain=DOMAIN, purpose="network-list"))
    for response in (gateways, network_list):
        domain = fs.locate_domain(response.body, DOMAIN)
        assert domain is not None
        assert domain.findall(".//user") == []
        assert domain.find("params/param[@name='dial-string']") is not None


def test_names_are_escaped_and_never_a_password_in_clear(serve):
    snapshot = awkward()
    passwords = {"anna": 'Pa"ss&<word>1234'}
    address, _ = serve(snapshot, Credentials("pbx.roga.test", passwords))
    response = fetch(address, sip_auth("pbx.roga.test", "anna"), AWKWARD_AUTH)
    assert b"&amp;" in response.body and b"&quot;" in response.body and b"&lt;" in response.body
    user = fs.locate_user(response.body, "id", "anna", "pbx.roga.test")
    assert user.variables["effective_caller_id_name"] == 'Анна "Ёлка" <Ёлкина> & Co'
    assert passwords["anna"].encode() not in response.body
    assert b"&lt;word&gt;" not in response.body and b"password" not in response.body


def test_a_reload_is_seen_by_the_next_request(serve, company):
    address, current = serve(company, Credentials(DOMAIN, PASSWORDS))
    assert fs.locate_user(fetch(address, user_call(DOMAIN, "201")).body, "id", "201", DOMAIN) is not None
    current[0] = awkward()
    assert fs.is_not_found(fetch(address, user_call(DOMAIN, "201"), AWKWARD_AUTH).body)


def test_get_style_bindings_are_answered_too(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    query = user_call(DOMAIN, "201").decode()
    response = request(address, "GET", f"{DIRECTORY_PATH}?{query}")
    assert fs.locate_user(response.body, "id", "201", DOMAIN).id == "ivan.petrov"


def test_an_oversized_request_is_refused(serve, company):
    address, _ = serve(company, Credentials(DOMAIN, PASSWORDS))
    response = fetch(address, sip_auth(DOMAIN, "ivan.petrov", padding="x" * 70_000))
    assert response.status == 413


class TestBasicAuth:
    AUTH = ("freeswitch", "Zx9!long:secret")

    @staticmethod
    def header(user: str, password: str) -> dict:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def test_without_credentials_nothing_is_disclosed(self, serve, company):
        address, _ = serve(company, Credentials(DOMAIN, PASSWORDS), self.AUTH)
        response = fetch(address, sip_auth(DOMAIN, "ivan.petrov"))
        assert response.status == 401
        assert b"ivan" not in response.body

    @pytest.mark.parametrize("user, password", [
        ("freeswitch", "Zx9!long:secreT"), ("freeswitch", "Zx9!long"), ("FreeSWITCH", "Zx9!long:secret"),
        ("freeswitch", ""), ("", "")])
    def test_wrong_credentials_are_refused(self, serve, company, user, password):
        address, _ = serve(company, Credentials(DOMAIN, PASSWORDS), self.AUTH)
        assert fetch(address, sip_auth(DOMAIN, "ivan.petrov"), self.header(user, password)).status == 401

    @pytest.mark.parametrize("authorization", ["Bearer abc", "Basic !!!notbase64", "Basic " +
                                               base64.b64encode(b"no-colon").decode()])
    def test_malformed_authorization_is_refused(self, serve, company, authorization):
        address, _ = serve(company, Credentials(DOMAIN, PASSWORDS), self.AUTH)
        assert fetch(address, sip_auth(DOMAIN, "ivan.petrov"), {"Authorization": authorization}).status == 401

    def test_the_configured_credentials_are_let_in(self, serve, company):
        address, _ = serve(company, Credentials(DOMAIN, PASSWORDS), self.AUTH)
        response = fetch(address, sip_auth(DOMAIN, "ivan.petrov"), self.header(*self.AUTH))
        assert response.status == 200
        assert fs.locate_user(response.body, "id", "ivan.petrov", DOMAIN) is not None
