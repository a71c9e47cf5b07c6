"""The generated FreeSWITCH configuration: loadable files, and where each number goes."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from config.loader import load_text
from config.models import EMERGENCY_NUMBERS
from daemon.fsconfig import FsConfigError, generate
from tests.deploy.company import AWKWARD_YAML, awkward, example
from tests.deploy.dialplan import Dialplan, Step, after_sockets, sockets

EXAMPLE_DOMAIN = "pbx.romashka.local"
LOCAL_DAEMON = "127.0.0.1:8084 full"          # sync mode, the default
KNOWN_APPLICATIONS = {"set", "socket", "bridge", "answer", "voicemail", "hangup", "transfer"}


@pytest.fixture(scope="module")
def company():
    return example()


@pytest.fixture(scope="module")
def files(company):
    return generate(company)


@pytest.fixture(scope="module")
def dialplan(files):
    return Dialplan.from_files(files)


def russian_presentations(e164: str) -> list[str]:
    """How trunks and people write a Russian number: +7…, 7…, 8…, and the bare ten digits."""
    national = e164.removeprefix("+7")
    return [e164, "7" + national, "8" + national, national]


def settings(xml: bytes) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in ET.fromstring(xml).iter("param")}


# --------------------------------------------------------------------------- files

def test_every_xml_file_is_well_formed_and_starts_where_freeswitch_expects(files):
    roots = {path: ET.fromstring(content).tag for path, content in files.items() if path.endswith(".xml")}
    assert roots == {
        "dialplan/callrouter.xml": "include",
        "dialplan/public/50_callrouter_numbers.xml": "include",
        "autoload_configs/event_socket.conf.xml": "configuration",
        "autoload_configs/xml_curl.conf.xml": "configuration",
        "sip_profiles/external/trunk.xml": "include",
    }


def test_dialplan_has_the_documented_shape(files):
    root = ET.fromstring(files["dialplan/callrouter.xml"])
    assert [c.get("name") for c in root.findall("context")] == ["callrouter"]
    extensions = root.findall("context/extension") + ET.fromstring(
        files["dialplan/public/50_callrouter_numbers.xml"]).findall("extension")
    names = [e.get("name") for e in extensions]
    assert len(names) == len(set(names)) and all(names)
    for extension in extensions:
        (condition,) = extension.findall("condition")
        assert condition.get("field") == "destination_number" and condition.get("expression")
        for action in condition.findall("action"):
            assert action.get("application") in KNOWN_APPLICATIONS


def test_include_tags_have_their_lines_to_themselves(files):
    """FreeSWITCH's preprocessor drops whole lines holding <include>, </include> or '<?'."""
    for path, content in files.items():
        for line in content.decode().splitlines():
            if "<include>" in line or "</include>" in line or "<?" in line:
                assert line.strip() in ("<include>", "</include>", '<?xml version="1.0" encoding="UTF-8"?>'), \
                    (path, line)


# --------------------------------------------------------------------------- routing

@pytest.mark.parametrize("number", ["201", "205", "210", "300", "400", "500"])
def test_extensions_and_departments_go_to_the_daemon(dialplan, number):
    assert sockets(dialplan.route("callrouter", number)) == [LOCAL_DAEMON]


def test_every_internal_number_of_the_example_goes_to_the_daemon(company, dialplan):
    numbers = list(company.by_extension) + list(company.department_by_extension)
    assert len(numbers) == 13
    assert {n: sockets(dialplan.route("callrouter", n)) for n in numbers} == {n: [LOCAL_DAEMON] for n in numbers}


@pytest.mark.parametrize("context", ["public", "callrouter"])
def test_company_numbers_reach_the_daemon_in_e164_however_presented(company, dialplan, context):
    for did in company.numbers:
        for dialled in russian_presentations(did):
            steps = dialplan.route(context, dialled)
            assert sockets(steps) == [LOCAL_DAEMON], (context, dialled)
            transfers = [s.data for s in steps if s.application == "transfer"]
            assert all(t == f"{did} XML callrouter" for t in transfers), (dialled, transfers)
            assert transfers or (context == "callrouter" and dialled == did)


@pytest.mark.parametrize("code", ["*21", "#21", "*78", "*79"])
def test_feature_codes_go_to_the_daemon_and_fail_loudly_without_it(dialplan, code):
    steps = dialplan.route("callrouter", code)
    assert sockets(steps) == [LOCAL_DAEMON]
    assert after_sockets(steps) == [Step("hangup", "SERVICE_UNAVAILABLE")]


@pytest.mark.parametrize("number", sorted(EMERGENCY_NUMBERS))
def test_emergency_numbers_go_to_the_trunk_not_the_daemon(dialplan, number):
    steps = dialplan.route("callrouter", number)
    assert sockets(steps) == []
    assert Step("bridge", f"sofia/gateway/trunk/{number}") in steps


@pytest.mark.parametrize("number", ["299", "211", "301", "20", "2010", "*22", "#78", "+74950000000",
                                    "84950000000", "4951234560", "+749512345670"])
def test_nothing_else_goes_to_the_daemon(dialplan, number):
    assert sockets(dialplan.route("callrouter", number)) == []
    assert sockets(dialplan.route("public", number)) == []


@pytest.mark.parametrize("number", ["201", "300", "*21", "112"])
def test_the_trunk_reaches_company_numbers_only(dialplan, number):
    assert dialplan.route("public", number) == []


def test_outside_numbers_go_out_through_the_trunk_with_the_company_caller_id(dialplan):
    for dialled in ("+79161234567", "89161234567"):
        steps = dialplan.route("callrouter", dialled)
        assert sockets(steps) == []
        assert steps[-1] == Step("bridge", "sofia/gateway/trunk/+79161234567")
        assert Step("set", "effective_caller_id_number=+74951234567") in steps


# --------------------------------------------------------------------------- fallback

def test_without_a_daemon_an_extension_rings_the_employee_then_voicemail(dialplan):
    fallback = after_sockets(dialplan.route("callrouter", "201"))
    assert Step("set", "continue_on_fail=true") in fallback
    assert Step("set", "hangup_after_bridge=true") in fallback
    applications = [s.application for s in fallback]
    assert applications.index("bridge") < applications.index("answer") < applications.index("voicemail")
    assert Step("bridge", f"user/201@{EXAMPLE_DOMAIN}") in fallback
    assert Step("voicemail", f"default {EXAMPLE_DOMAIN} 201") in fallback


def test_sync_mode_never_sets_socket_resume(dialplan, files):
    """outbound_07d: with socket_resume=true a sync socket closed during a bridge leaves the
    caller in CS_RESET with no final response; without it the fallback runs (07d2)."""
    for number in ("201", "400", "*78"):
        steps = dialplan.route("callrouter", number)
        assert Step("set", "socket_resume=true") not in steps, number
        assert sockets(steps) == [LOCAL_DAEMON]
    assert b"socket_resume" not in files["dialplan/callrouter.xml"]
    assert b"`socket ADDR full`" in files["README.md"]


def test_async_mode_sets_socket_resume_before_the_socket():
    files = generate(load_text(AWKWARD_YAML.replace("daemon:\n", "daemon:\n  socket_mode: async\n")))
    steps = Dialplan.from_files(files).route("callrouter", "601")
    assert steps.index(Step("set", "socket_resume=true")) < steps.index(Step("socket", "127.0.0.1:8084 async full"))
    assert b"`socket ADDR async full`" in files["README.md"]


def test_without_a_daemon_a_department_rings_all_its_members(dialplan):
    fallback = after_sockets(dialplan.route("callrouter", "400"))
    assert Step("set", "call_timeout=90") in fallback
    assert Step("bridge", ",".join(f"user/{login}@{EXAMPLE_DOMAIN}" for login in
                                   ("yuliya.shchukina", "fyodor.yolkin", "andrey.solovyov"))) in fallback


def test_without_a_daemon_a_company_number_rings_its_target(dialplan):
    assert Step("bridge", f"user/210@{EXAMPLE_DOMAIN}") in after_sockets(dialplan.route("public", "84951234567"))
    sales = after_sockets(dialplan.route("public", "+74951234568"))
    assert Step("bridge", ",".join(f"user/{login}@{EXAMPLE_DOMAIN}" for login in
                                   ("ivan.petrov", "anna.smirnova", "s.kuznetsov"))) in sales


def test_a_department_without_members_just_ends_the_call():
    steps = Dialplan.from_files(generate(awkward())).route("callrouter", "601")
    assert [s.application for s in after_sockets(steps)] == ["set", "set", "hangup"]


# --------------------------------------------------------------------------- daemons

def test_each_daemon_is_one_socket_action_in_the_order_given(company):
    files = generate(company, daemons=["10.0.0.5:8084", "10.0.0.6:8084", "10.0.0.5:8084"])
    steps = Dialplan.from_files(files).route("callrouter", "300")
    assert sockets(steps) == ["10.0.0.5:8084 full", "10.0.0.6:8084 full"]
    assert b"10.0.0.6:8084" in files["README.md"]


def test_a_daemon_listening_on_every_address_is_reached_on_loopback():
    steps = Dialplan.from_files(generate(awkward())).route("callrouter", "201")
    assert sockets(steps) == [LOCAL_DAEMON]


@pytest.mark.parametrize("address", ["10.0.0.5", "10.0.0.5:port", "host :8084", ""])
def test_a_malformed_daemon_address_is_refused(company, address):
    with pytest.raises(FsConfigError):
        generate(company, daemons=[address])


# --------------------------------------------------------------------------- awkward company

def test_numbers_of_another_country_use_that_countrys_formats():
    dialplan = Dialplan.from_files(generate(awkward()))
    for dialled in ("+4930901820", "4930901820", "030901820", "30901820"):
        steps = dialplan.route("public", dialled)
        assert Step("transfer", "+4930901820 XML callrouter") in steps, dialled
        assert sockets(steps) == [LOCAL_DAEMON]


def test_a_company_number_dialled_like_an_internal_number_is_refused():
    text = AWKWARD_YAML.replace("extensions: 200-899", "extensions: 200-99999999") \
                       .replace("extension: 899", "extension: 30901820")
    with pytest.raises(FsConfigError, match="30901820"):
        generate(load_text(text))


def test_names_with_markup_and_double_dashes_stay_well_formed():
    files = generate(awkward())
    for path, content in files.items():
        if path.endswith(".xml"):
            ET.fromstring(content)
    assert "R&amp;D - - &quot;Лаб&quot;" not in files["dialplan/callrouter.xml"].decode()  # a comment, not escaped
    assert "R&D - - \"Лаб\"" in files["dialplan/callrouter.xml"].decode()


# --------------------------------------------------------------------------- modules

def test_event_socket_listens_on_loopback_with_the_configured_password():
    conf = generate(awkward())["autoload_configs/event_socket.conf.xml"]
    root = ET.fromstring(conf)
    assert (root.get("name"), root.find("settings") is not None) == ("event_socket.conf", True)
    assert settings(conf) == {"nat-map": "false", "listen-ip": "127.0.0.1", "listen-port": "8021",
                              "password": 'p"w&<d>', "apply-inbound-acl": "loopback.auto"}


def test_event_socket_off_loopback_has_no_loopback_acl():
    text = AWKWARD_YAML.replace("freeswitch:\n", "freeswitch:\n  host: 10.1.2.3\n  port: 8022\n")
    conf = settings(generate(load_text(text))["autoload_configs/event_socket.conf.xml"])
    assert (conf["listen-ip"], conf["listen-port"], "apply-inbound-acl" in conf) == ("10.1.2.3", "8022", False)


def test_xml_curl_fetches_only_the_directory_from_the_daemon(files):
    root = ET.fromstring(files["autoload_configs/xml_curl.conf.xml"])
    assert root.get("name") == "xml_curl.conf"
    (url,) = root.findall("bindings/binding/param[@name='gateway-url']")
    assert (url.get("value"), url.get("bindings")) == ("http://127.0.0.1:9464/directory", "directory")
    assert "gateway-credentials" not in settings(files["autoload_configs/xml_curl.conf.xml"])


def test_xml_curl_sends_the_directory_credentials_when_configured():
    conf = settings(generate(awkward())["autoload_configs/xml_curl.conf.xml"])
    assert conf["gateway-credentials"] == 'fs:s3cr&t:"x"'
    assert conf["auth-scheme"] == "basic"


def test_directory_url_can_be_given(company):
    conf = generate(company, directory_url="http://10.0.0.5:9464/directory")["autoload_configs/xml_curl.conf.xml"]
    assert settings(conf)["gateway-url"] == "http://10.0.0.5:9464/directory"


def test_the_trunk_placeholder_is_named_after_the_company_gateway():
    files = generate(awkward())
    gateway = ET.fromstring(files["sip_profiles/external/uplink.xml"]).find("gateway")
    assert gateway.get("name") == "uplink"
    assert settings(files["sip_profiles/external/uplink.xml"])["context"] == "public"


def test_the_notes_recommend_sessions_per_second(files):
    notes = files["README.md"].decode()
    assert "sessions-per-second" in notes and "switch.conf.xml" in notes
    assert '<param name="sessions-per-second" value="100"/>' in notes
    assert "2-3 sessions" in notes


def test_same_input_same_bytes(company):
    assert generate(company) == generate(example())
