"""Pure call routing: `plan(call, snapshot, now, presence, rotation, overrides) -> Plan`."""
from routing.planner import kind_of, plan, prepare
from routing.render import plan_to_dict, plan_to_text

__all__ = ["kind_of", "plan", "prepare", "plan_to_dict", "plan_to_text"]
