"""Pure call routing: `plan(call, snapshot, now, presence, rotation, overrides) -> Plan`,
and `resume(plan.then, …)` for a forward when the call gets there unanswered."""
from routing.planner import expand, kind_of, plan, prepare, resume
from routing.render import plan_to_dict, plan_to_text

__all__ = ["expand", "kind_of", "plan", "prepare", "resume", "plan_to_dict", "plan_to_text"]
