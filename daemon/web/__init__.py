"""`callrouter web`: «Личный кабинет», the employees' pages and their JSON API.

A process of its own (never the daemon's event loop): history queries, CSV exports
and password checks take no time from call routing.  It reads the same config file
and the same store as the daemon; sessions live in the store, so several processes
can serve behind a balancer.
"""
