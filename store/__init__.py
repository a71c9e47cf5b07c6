"""The store: the one place that talks to the database (SQLite by default, PostgreSQL shared).

- `database.Store`: open (`Store.for_snapshot`), schema checks/upgrades, directory sync,
  credentials, overrides, rotation, call records, history — one short transaction each;
- `writer.RecordWriter`: the daemon's RecordSink; batches, spools while the database is down;
  its metrics (`metrics.RecordMetrics`) go to the registry it is given;
- `state.StoreState`: overrides and rotation as in-memory reads for routing, kept fresh;
- `migrate` and `migrations/`: the Alembic revisions, run in code;
- `tables`, `calls`, `runtime`, `directory`, `credentials`, `spool`, `engine`, `url`: the parts.
"""
