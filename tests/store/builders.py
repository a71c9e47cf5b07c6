"""Small builders for store tests: a config snapshot and call records."""
from __future__ import annotations

import datetime as dt

from config.models import ConfigFile
from config.snapshot import Snapshot
from store.records import CallRecord, LegRecord, StepRecord
from tests.store.conftest import T0


def snapshot(employees=(), departments=(), domain="pbx.example.com") -> Snapshot:
    file = ConfigFile.model_validate({
        "company": {"name": "ООО Ромашка", "domain": domain},
        "employees": [{"name": name, "login": login, "extension": ext, **extra}
                      for login, name, ext, *more in employees for extra in (more[0] if more else {},)],
        "departments": [{"name": name, "extension": ext, "members": list(members), **(more[0] if more else {})}
                        for name, ext, members, *more in departments],
    })
    return Snapshot.build(file)


def record(uuid: str, minute: int = 0, *, target="employee:ivan.petrov", answered_by="ivan.petrov",
           caller="+74951234567", outcome="answered", steps=None) -> CallRecord:
    started = T0 + dt.timedelta(minutes=minute)
    return CallRecord(
        uuid=uuid, started=started, caller=caller, caller_name="Клиент", called="200", direction="inbound",
        target=target, reason="working", outcome=outcome,
        answered=started + dt.timedelta(seconds=7) if answered_by else None,
        ended=started + dt.timedelta(seconds=95), answered_by=answered_by, hangup_cause="NORMAL_CLEARING",
        node="node-a",
        steps=steps if steps is not None else [
            StepRecord(action="ring", target=target, reason="direct", started=started,
                       ended=started + dt.timedelta(seconds=7), disposition="SUCCESS", answered_by=answered_by,
                       legs=[LegRecord("office", "ivan.petrov", "[leg_timeout=20]user/ivan.petrov@pbx.example.com",
                                       0, 20),
                             LegRecord("mobile", "ivan.petrov", "[leg_delay_start=5]sofia/gateway/trunk/+79161234567",
                                       5, 15)]),
        ])
