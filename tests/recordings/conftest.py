from tests.store.conftest import (backend, metrics, migrated_postgres, migrated_sqlite, store,  # noqa: F401
                                  store_url)
