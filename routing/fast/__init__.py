"""The speed layer: the plain rules of routing/ (routing.walk and the rule modules it
composes), worked out once per snapshot as masks, templates and caches, so that a
decision for a 10,000-employee company stays within its budget.

`routing.plan(…, live=LiveMasks(…))` routes through it (the daemon does);
tests/routing/test_fast_layer.py checks that it gives the plain rules' answers.
Nothing here decides anything the rule modules do not say.
"""
