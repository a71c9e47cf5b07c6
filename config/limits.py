"""Lengths the config file and the store agree on.

The store's columns are sized from these (store/tables.py) and the config's models
refuse longer values (config/models.py), so a name that passes `callrouter check`
always fits the database: PostgreSQL refuses an over-long value where SQLite would
quietly keep it.
"""
LOGIN = 64            # SIP user name
NAME = 200            # employee and department names, job titles
EXTENSION = 8         # digits
EMAIL = 254           # RFC 5321's limit on a forward path
