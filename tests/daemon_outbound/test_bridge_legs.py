"""Golden strings: every leg of a bridge named with `origination_uuid`, nothing else changed."""
from __future__ import annotations

import itertools

import pytest

from daemon.bridge_legs import name_legs


def names():
    counter = itertools.count(1)
    return lambda: f"U{next(counter)}"


@pytest.mark.parametrize("dial, named", [
    ("[leg_timeout=20]user/ivan@pbx",
     "[origination_uuid=U1,leg_timeout=20]user/ivan@pbx"),
    ("{ignore_early_media=true,originate_timeout=21}[leg_timeout=20]user/ivan@pbx,"
     "[leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+79161234567",
     "{ignore_early_media=true,originate_timeout=21}[origination_uuid=U1,leg_timeout=20]user/ivan@pbx,"
     "[origination_uuid=U2,leg_timeout=15,leg_delay_start=5]sofia/gateway/trunk/+79161234567"),
    ("[origination_caller_id_name='Иван\\, отдел',leg_timeout=20]user/a@pbx,[leg_timeout=20]user/b@pbx",
     "[origination_uuid=U1,origination_caller_id_name='Иван\\, отдел',leg_timeout=20]user/a@pbx,"
     "[origination_uuid=U2,leg_timeout=20]user/b@pbx"),
    ("user/a@pbx|user/b@pbx", "[origination_uuid=U1]user/a@pbx|[origination_uuid=U2]user/b@pbx"),
    ("[]user/a@pbx", "[origination_uuid=U1]user/a@pbx"),
])
def test_every_leg_is_named_and_nothing_else_changes(dial, named):
    result = name_legs(dial, names())
    assert result.dial == named
    assert result.legs == tuple(f"U{n}" for n in range(1, named.count("origination_uuid=") + 1))


def test_leg_names_are_fresh_uuids_by_default():
    first, second = name_legs("[leg_timeout=20]user/a@pbx,[leg_timeout=20]user/b@pbx").legs
    assert first != second and len(first) == 36


def test_an_unclosed_call_wide_block_is_left_alone():
    assert name_legs("{a=1user/x@pbx") == ("{a=1user/x@pbx", ())
