"""Runs that end: each run records the process running it, and the next run to start marks a
run whose process is gone as ``interrupted`` (killed, powered off), so no run stays "running".

A run's ``pid`` and ``host`` are stored when it starts. At the next start, a "running" run on
this host whose pid is no longer alive, or a zombie, is marked ``interrupted`` with the time it
was found; a run started before its process was recorded (a database migrated from an older
levelup) too. A run on another host cannot be checked from here and is left as it is.
"""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

from sqlalchemy import Connection, select, update

from pipeline.evidence import schema

log = logging.getLogger(__name__)


def this_host() -> str:
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host and is not a zombie (killed, not yet reaped)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc (macOS): os.kill said it exists
        return True


def mark_interrupted(connection: Connection, *, finished_at: object) -> list[str]:
    """Mark the "running" runs whose process is gone as ``interrupted``; their ids."""
    r = schema.runs
    host = this_host()
    rows = connection.execute(select(r.c.id, r.c.pid, r.c.host, r.c.command).where(r.c.status == "running")).all()
    gone = [row for row in rows if row.pid is None or (row.host == host and not pid_alive(row.pid))]
    for row in gone:
        log.warning("run %s (%s, pid %s on %s) was interrupted: its process is gone; marked interrupted",
                    row.id, row.command[:60], row.pid, row.host)
        connection.execute(
            update(r).where(r.c.id == row.id, r.c.status == "running").values(status="interrupted", finished_at=finished_at)
        )
    return [row.id for row in gone]

