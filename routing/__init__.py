"""Pure call routing: `plan(call, snapshot, now, presence, rotation, overrides) -> Plan`,
and `resume(plan.then, …)` for a forward when the call gets there unanswered.

Where each rule of «Приём звонков» and of departments lives (one module each, a
test file of the same name in tests/routing/):

- which devices ring and when the mobile joins ........ routing.devices
- the working schedule, night shifts, holidays ......... routing.schedule
- absence .............................................. routing.absence
- a direct call's order: absence, off hours, DND ....... routing.reception
- what happens on no answer, off hours and absence;
  forwards, loops and the hop limit .................... routing.targets
- each department strategy ............................. routing.strategies
- who a department call skips (busy, unregistered,
  DND, absent, off hours) .............................. routing.skipping
- what a mobile leg shows (caller ID, Diversion) ....... routing.callerid
- company numbers however dialled ...................... routing.numbers
- FreeSWITCH dial strings .............................. routing.dialstring
- the rules composed into a call's steps ............... routing.walk
- what plan() takes and returns ........................ routing.types
- `callrouter plan`'s timeline and JSON .............. routing.render

routing.fast is the speed layer the daemon routes through: the same rules worked
out once per snapshot as masks, leg templates and caches, tested to plan exactly
as routing.walk does.
"""
from routing.planner import expand, kind_of, plan, prepare, resume
from routing.render import plan_to_dict, plan_to_text

__all__ = ["expand", "kind_of", "plan", "prepare", "resume", "plan_to_dict", "plan_to_text"]
