"""The ingest lock held in the database (pipeline/evidence/locks.py): on PostgreSQL two runs on
different machines sharing the database never overlap."""

from __future__ import annotations

import time

import pytest

from pipeline.errors import IngestLocked, StoreError
from pipeline.evidence.store import Store

pytestmark = pytest.mark.postgresql


@pytest.fixture
def two_stores(postgres):
    """Two stores on one PostgreSQL database, as two machines would open it."""
    url = postgres.new_database()
    first, second = Store.open(url), Store.open(url)
    yield first, second
    first.dispose()
    second.dispose()


def test_a_second_run_on_the_same_database_is_refused_saying_who_holds_it(two_stores):
    first, second = two_stores
    holder = r"another ingest run is in progress on this database \(levelup ingest, pid \d+ on .* since "
    with first.ingest_lock(), pytest.raises(IngestLocked, match=holder), second.ingest_lock():
        pytest.fail("the second run got the lock")
    with second.ingest_lock():  # released: the next run goes ahead
        pass


def test_the_lock_is_released_when_the_run_fails(two_stores):
    first, second = two_stores
    with pytest.raises(RuntimeError), first.ingest_lock():
        raise RuntimeError("the run broke")
    with second.ingest_lock():
        pass


def test_a_run_whose_process_dies_frees_the_lock(two_stores):
    """A killed run's connection ends, and PostgreSQL drops its session's locks with it."""
    first, second = two_stores
    held = first.ingest_lock()
    held.__enter__()
    with pytest.raises(IngestLocked), second.ingest_lock():
        pass
    with second.engine.connect() as connection:  # the server ends the holder's session, as if killed
        connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'levelup ingest%%'")
    for _ in range(50):  # the backend exits a moment later
        try:
            with second.ingest_lock():
                break
        except IngestLocked:
            time.sleep(0.1)
    else:
        pytest.fail("the lock outlived its connection")
    with pytest.raises(StoreError, match="ingest lock could not be taken or released"):
        held.__exit__(None, None, None)
