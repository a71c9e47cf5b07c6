"""Finding the confirming mobiles a bridge lost for want of their prompt, from the
bridge's `originate_causes` as FreeSWITCH sends it (outbound_07d2: `%3B`-encoded)."""
from __future__ import annotations

from daemon.confirm_prompt import leg_causes, prompt_failures
from routing.types import Leg

OFFICE = Leg("office", "ivan.petrov", 0, 20, "[leg_timeout=20]user/ivan.petrov@pbx", False)
MOBILE = Leg("mobile", "ivan.petrov", 5, 15, "[leg_timeout=15,leg_delay_start=5,group_confirm_key=1,"
             "group_confirm_file=sounds/press-one.wav,group_confirm_timeout=12]sofia/gateway/trunk/+7916", True)


def test_leg_causes_reads_the_array_and_the_encoded_separator():
    assert leg_causes("8eeb0816%3BNO_ANSWER") == {"8eeb0816": "NO_ANSWER"}
    assert leg_causes("ARRAY::a;LOSE_RACE|:b;DESTINATION_OUT_OF_ORDER") == \
        {"a": "LOSE_RACE", "b": "DESTINATION_OUT_OF_ORDER"}
    assert leg_causes(None) == {} and leg_causes("") == {}


def test_only_a_confirming_leg_that_ended_out_of_order_counts():
    event = {"variable_originate_causes": "ARRAY::u1;DESTINATION_OUT_OF_ORDER|:u2;DESTINATION_OUT_OF_ORDER"}
    assert prompt_failures(event, (OFFICE, MOBILE), ("u1", "u2")) == [("ivan.petrov", "sounds/press-one.wav")]
    answered = {"variable_originate_causes": "ARRAY::u1;LOSE_RACE|:u2;NONE"}
    assert prompt_failures(answered, (OFFICE, MOBILE), ("u1", "u2")) == []
