"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder, ``pg_ctl start``
on a free port on 127.0.0.1 only, password authentication with a generated password, one new
database per test, and everything stopped and removed at the end.

PostgreSQL refuses to run as root, so as root (a CI container) the server runs as the
``postgres`` user that Debian's package creates, in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"  # the account Debian's postgresql package creates; used only as root
SERVER_TIME_ZONE = "Pacific/Kiritimati"  # UTC+14


def postgres_bindir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: on the PATH, else Debian's newest
    /usr/lib/postgresql/<version>/bin; None when PostgreSQL is not installed."""
    found = shutil.which("initdb")
    if found and (Path(found).resolve().parent / "pg_ctl").exists():
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent.name))
    return versions[-1].parent if versions else None


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server; ``new_database()`` gives a ``postgresql://`` URL of a new, empty database."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self._as_root = os.geteuid() == 0
        # as root, in /tmp: the postgres user must be able to reach the folder ($TMPDIR may be root's own)
        self.root = Path(tempfile.mkdtemp(prefix="levelup-postgres-", dir="/tmp" if self._as_root else None))
        self.data = self.root / "data"
        self.password = secrets.token_hex(16)
        self.port = 0
        self.user = "levelup"
        self._names = itertools.count(1)

    def start(self) -> None:
        """initdb, then start listening on 127.0.0.1 only; waits until connections are accepted."""
        if self._as_root:
            shutil.chown(self.root, SERVER_USER, SERVER_USER)
        password_file = self.root / "password"
        password_file.write_text(self.password + "\n")
        if self._as_root:
            shutil.chown(password_file, SERVER_USER, SERVER_USER)
        password_file.chmod(0o600)
        self._run(
            "initdb", "-D", str(self.data), "-U", self.user, f"--pwfile={password_file}", "--auth=scram-sha-256",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        password_file.unlink()
        # A throwaway server: durability off (the tests never survive a crash), room for the
        # connection pools of the many stores a session opens, and a time zone far from UTC, so
        # a time read back in the server's zone instead of UTC shows.
        options = (
            f"-c listen_addresses=127.0.0.1 -c unix_socket_directories='{self.root}' -c fsync=off"
            f" -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c timezone={SERVER_TIME_ZONE}"
        )
        for _attempt in range(3):  # a free port can be taken between the probe and the start
            self.port = free_port()
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                          "-o", f"-p {self.port} {options}", "start")  # fmt: skip
                return
            except subprocess.CalledProcessError:
                if "could not bind" not in self.log_tail():
                    raise
        raise OSError(f"no free port for PostgreSQL after 3 tries:\n{self.log_tail()}")

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        return f"postgresql://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """Create a new, empty database; its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # a generated name, never input
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by ``new_database``, closing what is still connected to it (a
        database is some 8 MB on disk: a session would otherwise leave a gigabyte behind)."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # a generated name, never input

    def stop(self) -> None:
        """Stop the server at once (its data is thrown away) and remove its folder."""
        if (self.data / "postmaster.pid").exists():
            # removing the folder below is what matters; a server that will not stop dies with the container
            with contextlib.suppress(OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.root / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        subprocess.run(command, cwd=self.root, check=True, capture_output=True, text=True, timeout=120)
