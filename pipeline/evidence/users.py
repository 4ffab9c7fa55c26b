"""Staff accounts as stored: username, role and argon2id hash (hashing is ``pipeline.review.accounts``'s),
and their review-app sessions (by the SHA-256 of the cookie's random id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from pipeline.evidence import schema
from pipeline.evidence.base import StoreBase
from pipeline.evidence.transaction import now


@dataclass(frozen=True)
class StoredUser:
    id: int
    username: str
    role: str
    password_hash: str


class UserStore(StoreBase):
    def user(self, username: str) -> StoredUser | None:
        """The account named ``username``, or None; names differ by more than case (an account made
        before names were case-folded is found by its lower-case name)."""
        u = schema.users
        rows = self._read(
            select(u.c.id, u.c.username, u.c.role, u.c.password_hash)
            .where(func.lower(u.c.username) == username.lower())
            .order_by((u.c.username == username).desc(), u.c.id)
        )
        return StoredUser(*rows[0]) if rows else None

    def users(self) -> list[StoredUser]:
        """Every account, by username."""
        u = schema.users
        return [StoredUser(*row) for row in self._read(select(u.c.id, u.c.username, u.c.role, u.c.password_hash).order_by(u.c.username))]

    def save_user(self, username: str, password_hash: str, role: str) -> None:
        """Create the account, or set the hash and role of an existing one (its id is kept)."""
        u = schema.users
        with self.transaction() as tx:
            existing = tx.connection.execute(select(u.c.id).where(u.c.username == username)).scalar()
            if existing is None:
                tx.connection.execute(insert(u).values(username=username, password_hash=password_hash, role=role, created_at=now()))
            else:
                tx.connection.execute(update(u).where(u.c.id == existing).values(password_hash=password_hash, role=role))
                tx.connection.execute(delete(schema.sessions).where(schema.sessions.c.username == username))  # a reset ends every session

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace an account's hash (a rehash with newer parameters)."""
        u = schema.users
        with self.transaction() as tx:
            tx.connection.execute(update(u).where(u.c.id == user_id).values(password_hash=password_hash))

    def add_session(self, session_hash: str, username: str, expires_at: datetime) -> None:
        """Start a session; sessions of the user that have expired are cleared on the way."""
        sessions = schema.sessions
        with self.transaction() as tx:
            tx.connection.execute(delete(sessions).where(sessions.c.username == username, sessions.c.expires_at <= now()))
            tx.connection.execute(insert(sessions).values(id=session_hash, username=username, created_at=now(), expires_at=expires_at))

    def session_user(self, session_hash: str) -> str | None:
        """The username of a live (stored, unexpired) session, or None."""
        sessions = schema.sessions
        rows = self._read(select(sessions.c.username).where(sessions.c.id == session_hash, sessions.c.expires_at > now()))
        return str(rows[0].username) if rows else None

    def end_session(self, session_hash: str) -> None:
        sessions = schema.sessions
        with self.transaction() as tx:
            tx.connection.execute(delete(sessions).where(sessions.c.id == session_hash))

    def end_sessions(self, username: str) -> None:
        """End every session of ``username`` (a password change, a locked account)."""
        sessions = schema.sessions
        with self.transaction() as tx:
            tx.connection.execute(delete(sessions).where(sessions.c.username == username))
