"""A lock held in the database itself, so that two ingest runs on different machines sharing one
PostgreSQL database never overlap (a lock file only guards one machine).

On PostgreSQL it is a session advisory lock on a connection of its own, held for the block and
released when the block ends or, if the process dies, when its connection closes. SQLite is one
machine's file: the ingest lock file next to the data already covers it, so there it is a no-op.
"""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from pipeline.errors import IngestLocked
from pipeline.evidence.base import StoreBase, store_error

LOCK_SPACE = 0x4C55  # "LU": the first key of every levelup advisory lock, the second names the lock
HOLDER = text(
    "SELECT a.application_name, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2"
    " AND l.classid::int8 = CAST(:space AS int8) AND l.objid::int8 = (CAST(:key AS int8) & 4294967295)"
)


class LockStore(StoreBase):
    @contextmanager
    def ingest_lock(self) -> Iterator[None]:
        """Hold the database's ingest lock for the block; ``IngestLocked`` at once, saying who
        holds it, when another run has it."""
        if self.engine.dialect.name != "postgresql":
            yield
            return
        with self._lock_connection() as connection:
            key = _key("ingest")
            acquired = connection.execute(text("SELECT pg_try_advisory_lock(CAST(:space AS int4), CAST(:key AS int4))"), {"space": LOCK_SPACE, "key": key}).scalar()
            if not acquired:
                raise IngestLocked(f"another ingest run is in progress on this database ({_holder(connection, key)}); wait for it to finish")
            connection.execute(text("SELECT set_config('application_name', :name, false)"), {"name": _me()})
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(CAST(:space AS int4), CAST(:key AS int4))"), {"space": LOCK_SPACE, "key": key})

    @contextmanager
    def _lock_connection(self) -> Iterator[Connection]:
        """A connection outside any transaction (an advisory lock is the session's, and an open
        transaction held for a whole run would keep the server from cleaning up)."""
        try:
            with self.engine.connect() as connection:
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                try:
                    yield connection
                finally:
                    # never hand a connection that may still hold the lock back to the pool
                    connection.invalidate()
        except SQLAlchemyError as exc:
            raise store_error("the ingest lock could not be taken or released", exc) from exc


def _key(name: str) -> int:
    """A lock name as PostgreSQL's second int4 key."""
    value = zlib.crc32(name.encode())
    return value - 2**32 if value >= 2**31 else value


def _me() -> str:
    return f"levelup ingest, pid {os.getpid()} on {socket.gethostname()}"[:63]


def _holder(connection: Connection, key: int) -> str:
    row = connection.execute(HOLDER, {"space": LOCK_SPACE, "key": key}).first()
    if row is None:
        return "another session"
    who = row.application_name or "another session"
    since = f" since {row.backend_start:%Y-%m-%d %H:%M:%S %Z}" if row.backend_start else ""
    return f"{who}{f' from {row.client_addr}' if row.client_addr else ''}{since}"
