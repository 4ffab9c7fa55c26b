"""Staff accounts for the review app: argon2id password hashes, roles, login rate limiting."""

from __future__ import annotations

import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipeline.errors import InputError
from pipeline.evidence.store import Store

ROLES = ("reviewer", "admin", "viewer")  # a viewer only reads the evidence explorer (pipeline/review/explorer.py)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when a username is unknown, so a login takes the same time either way
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def may_review(self) -> bool:
        """Reviewers and administrators; a viewer only reads the evidence explorer."""
        return self.role in ("reviewer", "admin")

    @property
    def home(self) -> str:
        """Where a login lands: the queue, or the evidence search for a viewer."""
        return "/queue" if self.may_review else "/evidence"


def normal_username(username: str) -> str:
    """A username as stored and looked up: trimmed and case-folded, once, here ("Rita " is "rita")."""
    return username.strip().casefold()


def add_user(store: Store, username: str, password: str, role: str = "reviewer", *, replace: bool = True) -> User:
    """Create a user, or (``replace``) reset the password and role of an existing one; without
    ``replace`` an existing name is an ``InputError`` (the admin page adds, it never resets)."""
    username = normal_username(username)
    if not _USERNAME.match(username):
        raise InputError(f"username '{username}' is not valid: use 2-64 letters, digits, '.', '_', '-' or '@'")
    if role not in ROLES:
        raise InputError(f"role '{role}' is not one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if not replace and store.user(username) is not None:
        raise InputError(f"there is already a user '{username}' (names are not case-sensitive); pick another name, or reset the password with levelup review add-user")
    store.save_user(username, _hasher.hash(password), role)
    user = get_user(store, username)
    assert user is not None
    return user


def get_user(store: Store, username: str) -> User | None:
    found = store.user(normal_username(username))
    return User(found.id, found.username, found.role) if found else None


def list_users(store: Store) -> list[User]:
    return [User(u.id, u.username, u.role) for u in store.users()]


def authenticate(store: Store, username: str, password: str) -> User | None:
    found = store.user(normal_username(username))
    digest = found.password_hash if found else _DUMMY_HASH
    try:
        _hasher.verify(digest, password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None:
        return None
    if _hasher.check_needs_rehash(digest):
        store.set_password_hash(found.id, _hasher.hash(password))
    return User(found.id, found.username, found.role)


class RateLimiter:
    """At most ``attempts`` failed logins per key in ``window`` seconds; keys with no failure in
    the window are dropped as the limiter goes, so it never grows without bound. The clock is
    injected so tests never sleep.

    The app keeps two: per username across addresses (guessing one account's password from many
    addresses) and per address across usernames (spraying one password over many accounts)."""

    SWEEP_EVERY = 256  # failures between sweeps of expired keys

    def __init__(self, attempts: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.attempts = attempts
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._since_sweep = 0

    def __len__(self) -> int:
        return len(self._failures)

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may now."""
        if key not in self._failures:
            return 0.0
        failures = self._recent(key)
        if len(failures) < self.attempts:
            return 0.0
        return max(0.0, failures[0] + self.window - self.clock())

    def failed(self, key: str) -> None:
        self._recent(key).append(self.clock())
        self._since_sweep += 1
        if self._since_sweep >= self.SWEEP_EVERY:
            self.sweep()

    def sweep(self) -> None:
        """Forget keys whose failures are all older than the window."""
        self._since_sweep = 0
        for key in [k for k, failures in self._failures.items() if not failures or failures[-1] <= self.clock() - self.window]:
            del self._failures[key]

    def reserve(self, key: str) -> bool:
        """Count an attempt as failed before it is checked; False (nothing counted) when ``key`` has
        no attempt left. A burst sent at once is then limited like attempts made one by one."""
        if len(self._recent(key)) >= self.attempts:
            return False
        self.failed(key)
        return True

    def release(self, key: str) -> None:
        """Give back the latest reservation of ``key`` (the attempt succeeded, or was not made)."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
            if not failures:
                del self._failures[key]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= self.clock() - self.window:
            failures.popleft()
        return failures
