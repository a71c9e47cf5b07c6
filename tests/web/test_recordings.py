"""Recordings in «Личный кабинет»: role × scope × endpoint, Range requests, the audit log.

The matrix company and its calls (tests/history_company.py) get a recording on every
answered call; who may play each one is the history's own scope plus
`can_listen_recordings` — worked out from SEES, which the history tests hold by hand.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import wave

import pytest

from config.models import RecordingsSettings
from config.snapshot import Snapshot
from config.access import scope_for
from daemon.web.app import WebContext, create_app
from store.recordings import relative_path
from tests.fakeswitch.wav import write_stereo
from tests.history_company import CALLS, SEES, company
from tests.web.conftest import Clock, run_here

PASSWORD = "Matrix-Pass-2024"
VIEWERS = sorted(SEES)
RECORDED = {c.uuid for c in CALLS if c.answered_by}
CAN_LISTEN = {login: scope_for(login, company()).can_listen for login in VIEWERS}


def may_play(login: str, uuid: str) -> bool:
    return CAN_LISTEN[login] and uuid in SEES[login] and uuid in RECORDED


@pytest.fixture
def recordings_dir(tmp_path):
    return tmp_path / "recordings"


@pytest.fixture
def snapshot(recordings_dir):
    base = company()
    return Snapshot.build(base.file.model_copy(update={"recordings": RecordingsSettings(dir=str(recordings_dir))}))


@pytest.fixture
def app(store, snapshot, recordings_dir):
    records = []
    for c in CALLS:
        if c.uuid in RECORDED:
            relative = relative_path(c.uuid, c.started)
            (recordings_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            write_stereo(recordings_dir / relative, 2.0)
            c = dataclasses.replace(c, recording=relative, recording_state="ok", recording_ms=2000,
                                    recording_expires=c.started + dt.timedelta(days=90))
        records.append(c)
    store.sync_directory(snapshot)
    store.write_records(records)
    for login in SEES:
        store.set_password(login, PASSWORD, snapshot.company.domain)
    app = create_app(WebContext(config=lambda: snapshot, store=store, clock=Clock(), run_cpu=run_here))
    app.testing = True
    return app


def client_of(app, login):
    client = app.test_client()
    assert client.post("/api/v1/session", json={"login": login, "password": PASSWORD}).status_code == 200
    return client


@pytest.mark.parametrize("login", VIEWERS)
def test_each_viewer_plays_exactly_the_recordings_of_their_scope(app, login):
    client = client_of(app, login)
    for c in CALLS:
        api = client.get(f"/api/v1/calls/{c.uuid}/recording")
        page = client.get(f"/calls/{c.uuid}/recording")
        if may_play(login, c.uuid):
            assert api.status_code == page.status_code == 200, c.uuid
            assert api.mimetype == "audio/wav" and api.headers["Cache-Control"] == "private, no-store"
            assert api.headers["Accept-Ranges"] == "bytes"
            with wave.open(io.BytesIO(api.data)) as w:
                assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (2, 2, 8000, 16000)
        else:
            assert api.status_code == page.status_code == 404, (login, c.uuid)
            assert api.get_json()["error"] == "not_found"
            assert b"RIFF" not in page.data


@pytest.mark.parametrize("login", VIEWERS)
def test_the_list_and_the_detail_offer_a_player_only_where_it_plays(app, login):
    client = client_of(app, login)
    listed = client.get("/api/v1/calls", query_string={"limit": 500}).get_json()["calls"]
    for row in listed:
        if CAN_LISTEN[login]:
            assert row["has_recording"] is (row["uuid"] in RECORDED)
        else:
            assert "has_recording" not in row
    page = client.get("/calls").get_data(as_text=True)
    offered = set(re.findall(r'src="/calls/([^/"]+)/recording"', page))
    assert offered == {u for u in SEES[login] if may_play(login, u)}
    assert set(re.findall(r'href="/calls/([^/"]+)/recording\?download=1"', page)) == offered
    for uuid in SEES[login]:
        detail = client.get(f"/calls/{uuid}").get_data(as_text=True)
        assert ('id="recording-player"' in detail) is may_play(login, uuid)
        assert (client.get(f"/api/v1/calls/{uuid}").get_json().get("has_recording") is True) is may_play(login, uuid)


def test_no_recording_without_a_session(app):
    client = app.test_client()
    uuid = sorted(RECORDED)[0]
    assert client.get(f"/api/v1/calls/{uuid}/recording").status_code == 401
    assert client.get(f"/calls/{uuid}/recording").status_code == 302
    assert client.get("/admin/recordings/log").status_code == 302
    assert client.get("/api/v1/recording-accesses").status_code == 401


def test_range_requests_206_and_416(app):
    client = client_of(app, "boss")
    uuid = sorted(RECORDED)[0]
    whole = client.get(f"/api/v1/calls/{uuid}/recording").data
    part = client.get(f"/api/v1/calls/{uuid}/recording", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole)}"
    assert part.data == whole[100:200] and part.headers["Cache-Control"] == "private, no-store"
    tail = client.get(f"/calls/{uuid}/recording", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == whole[-10:]
    beyond = client.get(f"/api/v1/calls/{uuid}/recording", headers={"Range": f"bytes={len(whole) + 5}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(whole)}"


def test_a_missing_file_or_a_path_outside_the_directory_is_404(app, store, recordings_dir):
    from sqlalchemy import update
    from store.tables import calls
    client = client_of(app, "boss")
    gone, escaping = sorted(RECORDED)[:2]
    (recordings_dir / relative_path(gone, next(c.started for c in CALLS if c.uuid == gone))).unlink()
    with store.engine.begin() as conn:
        conn.execute(update(calls).where(calls.c.uuid == escaping).values(recording="../../etc/passwd"))
    assert client.get(f"/api/v1/calls/{gone}/recording").status_code == 404
    assert client.get(f"/api/v1/calls/{escaping}/recording").status_code == 404


def test_every_listen_and_download_is_in_the_audit_log(app):
    boss, petr = client_of(app, "boss"), client_of(app, "ivan")
    uuid = sorted(u for u in RECORDED if may_play("ivan", u))[0]
    petr.get(f"/calls/{uuid}/recording", headers={"Range": "bytes=0-"}, environ_base={"REMOTE_ADDR": "10.0.0.7"})
    petr.get(f"/calls/{uuid}/recording", headers={"Range": "bytes=5000-"})        # a seek: the same listen
    petr.get(f"/calls/{uuid}/recording?download=1", environ_base={"REMOTE_ADDR": "10.0.0.7"})
    petr.get("/calls/no-such-call/recording")                                     # nothing was heard
    petr.head(f"/calls/{uuid}/recording")                                         # nor by a HEAD
    log = boss.get("/api/v1/recording-accesses").get_json()["accesses"]
    assert [(a["login"], a["call_uuid"], a["action"], a["address"]) for a in log] == [
        ("ivan", uuid, "download", "10.0.0.7"), ("ivan", uuid, "listen", "10.0.0.7")]
    assert log[0]["at"].endswith("+03:00")
    page = boss.get("/admin/recordings/log").get_data(as_text=True)
    assert "Журнал прослушиваний" in page and page.count(f'data-call="{uuid}"') == 2
    exported = boss.get("/admin/recordings/log.csv")
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True)[1:]), delimiter=";"))
    assert rows[0] == ["Время", "Сотрудник", "ID звонка", "Действие", "Адрес"]
    assert [r[1:] for r in rows[1:]] == [["ivan", uuid, "скачивание", "10.0.0.7"],
                                         ["ivan", uuid, "прослушивание", "10.0.0.7"]]
    api_csv = boss.get("/api/v1/recording-accesses", headers={"Accept": "text/csv"}).get_data(as_text=True)
    assert api_csv.splitlines()[0] == "\ufeffat;login;call_uuid;action;address"


@pytest.mark.parametrize("login", [v for v in VIEWERS if v != "boss"])
def test_the_audit_log_is_the_admins_only(app, login):
    client = client_of(app, login)
    for path in ("/admin/recordings/log", "/admin/recordings/log.csv", "/api/v1/recording-accesses"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("state, says", [("failed", "Записать разговор не удалось."),
                                         ("empty", "Запись пуста: звук не записался."),
                                         ("pruned", "Запись удалена по истечении срока хранения.")])
def test_a_recording_that_is_not_there_says_why_and_offers_nothing(app, store, state, says):
    from sqlalchemy import update
    from store.tables import calls
    uuid = sorted(u for u in RECORDED if may_play("ivan", u))[0]
    with store.engine.begin() as conn:
        conn.execute(update(calls).where(calls.c.uuid == uuid).values(recording_state=state))
    client = client_of(app, "ivan")
    page = client.get(f"/calls/{uuid}").get_data(as_text=True)
    assert says in page and 'id="recording-player"' not in page
    body = client.get(f"/api/v1/calls/{uuid}").get_json()
    assert body["recording_state"] == state and "has_recording" not in body
    assert client.get(f"/api/v1/calls/{uuid}/recording").status_code == 404
