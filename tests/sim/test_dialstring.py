"""The dial-string parser the bridge model relies on."""
from __future__ import annotations

import pytest

from tests.fakeswitch.dialstring import DialStringError, parse


def test_globals_groups_legs_and_per_leg_variables():
    ds = parse("{ignore_early_media=true,originate_timeout=30}[leg_timeout=20]user/ivan@pbx,"
               "[leg_delay_start=5,leg_timeout=25]sofia/gateway/gsm/+79161234567|error/user_busy")
    assert dict(ds.variables) == {"ignore_early_media": "true", "originate_timeout": "30"}
    (office, mobile), (fallback,) = ds.groups
    assert (office.endpoint.kind, office.endpoint.target, office.endpoint.domain) == ("user", "ivan", "pbx")
    assert (mobile.endpoint.kind, mobile.endpoint.gateway, mobile.endpoint.target) == ("gateway", "gsm", "+79161234567")
    assert (fallback.endpoint.kind, fallback.endpoint.target) == ("error", "USER_BUSY")
    assert ds.int_var(mobile, "leg_delay_start") == 5 and ds.int_var(office, "leg_delay_start") == 0
    assert ds.var(office, "ignore_early_media") == "true"


@pytest.mark.parametrize("text, expected", [
    ("[a='x,y',b=2]user/a@d", {"a": "x,y", "b": "2"}),
    ("[a=x\\,y]user/a@d", {"a": "x,y"}),
    ("[^^:a=x,y:b=2]user/a@d", {"a": "x,y", "b": "2"}),
    ("[a=1][b=2]user/a@d", {"a": "1", "b": "2"}),
])
def test_leg_variable_quoting(text, expected):
    assert dict(parse(text).groups[0][0].variables) == expected


def test_leg_variables_win_over_globals_and_values_read_like_atoi():
    ds = parse("{leg_timeout=30}[leg_timeout=20s]user/a@d,user/b@d")
    first, second = ds.groups[0]
    assert ds.int_var(first, "leg_timeout") == 20
    assert ds.int_var(second, "leg_timeout") == 30


def test_commas_inside_brackets_do_not_split_legs():
    ds = parse("{a=1,b=2}[x=1,y=2]user/a@d,[z=3]user/b@d|user/c@d")
    assert [[leg.endpoint.target for leg in group] for group in ds.groups] == [["a", "b"], ["c"]]


@pytest.mark.parametrize("text", ["{a=1}", "", "[a=1", "user/a@d:_:user/b@d"])
def test_unusable_dial_strings_are_refused(text):
    with pytest.raises(DialStringError):
        parse(text)
