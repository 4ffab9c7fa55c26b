"""Login attempts, refused cheaply: :class:`LoginGate` reserves an attempt for the username and the
address of every ``POST /login`` before anything else reads the request, and answers a refused one
at once with a fixed page: no session decoded, no form parser, no template, no database, no
password hash. What it lets through carries its reservation to the login route (``attempt_of``),
which gives it back on success or when the form itself is bad. A burst of wrong passwords sent at
once is then limited like one sent in a row, and costs the event loop next to nothing.

Passwords are hashed (argon2id: tens of milliseconds and some 64 MB each) on a small pool of
their own (:class:`Hashing`), never on the event loop and never in the thread pool the pages use,
so at most ``slots`` hashes run at once and the pages keep their threads during a burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.review.accounts import RateLimiter, normal_username

LOGIN_PATH = "/login"
ATTEMPT_KEY = "levelup.login_attempt"  # where the gate leaves the reservation in the request's scope
FORM_TYPE = b"application/x-www-form-urlencoded"
T = TypeVar("T")


@dataclass(frozen=True)
class Attempt:
    """One login attempt the gate let through: counted as a failure until the route says otherwise."""

    username: str  # as sent, trimmed and case-folded: the name the route checks, and no other
    address: str


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per username (``users``, across addresses) and per address
    (``addresses``, across usernames)."""

    users: RateLimiter
    addresses: RateLimiter

    def reserve(self, attempt: Attempt) -> float | None:
        """Count ``attempt`` as a failure of its username and its address; None when both had an
        attempt left, else the seconds until one is free again (nothing counted)."""
        if not self.users.reserve(attempt.username):
            return self.users.retry_after(attempt.username)
        if not self.addresses.reserve(attempt.address):
            self.users.release(attempt.username)
            return self.addresses.retry_after(attempt.address)
        return None

    def give_back(self, attempt: Attempt) -> None:
        """The attempt was not made after all (a bad or expired form): it counts for neither."""
        self.users.release(attempt.username)
        self.addresses.release(attempt.address)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: the username's failures are forgotten, the address's attempt given back."""
        self.users.succeeded(attempt.username)
        self.addresses.release(attempt.address)


class LoginGate:
    """The ASGI middleware in front of the login route (inside ``RequestGuard``, which bounds the
    body). A reservation is made with no ``await`` between looking and counting, so attempts that
    arrive together cannot all see a free slot."""

    def __init__(self, app: ASGIApp, limits: LoginLimits, headers: dict[str, str]) -> None:
        self.app = app
        self.limits = limits
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]  # the security headers every response carries

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        body, ended = await _body(receive)
        if ended:  # the client went away before it finished sending
            return
        attempt = Attempt(_username(scope, body), scope["client"][0] if scope.get("client") else "?")
        wait = self.limits.reserve(attempt)
        if wait is not None:
            await _refuse(send, wait, self.headers)
            return
        await self.app({**scope, ATTEMPT_KEY: attempt}, _replay(body, receive), send)


def attempt_of(scope: Scope) -> Attempt | None:
    """The reservation :class:`LoginGate` made for this request; None when no gate is in front."""
    found = scope.get(ATTEMPT_KEY)
    return found if isinstance(found, Attempt) else None


class Hashing:
    """A pool of ``slots`` threads that only hash passwords; further logins wait their turn in its
    queue. On Linux its threads run ``NICER`` steps below the server's priority, so on a busy
    machine the pages keep the processor and a hash waits instead (a login takes a little longer)."""

    NICER = 10

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._pool: ThreadPoolExecutor | None = None  # started on the first hash, not with the app

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="password-hash", initializer=_yield_to_pages, initargs=(self.NICER,))
        return await asyncio.get_running_loop().run_in_executor(self._pool, partial(function, *args))


def _yield_to_pages(steps: int) -> None:
    """Lower this thread's scheduling priority (Linux gives each thread its own nice value; other
    systems leave it as it is: hashing is then only bounded, not deferred)."""
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):  # raising one's own nice value is always allowed; be safe anyway
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + steps))


async def _body(receive: Receive) -> tuple[bytes, bool]:
    """The whole request body (``RequestGuard`` outside has bounded it), and whether the client
    disconnected instead of finishing it."""
    parts = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", True
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(parts), False


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the route the body already read, then waits on the client as before."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _username(scope: Scope, body: bytes) -> str:
    """The form's username as the login route will check it (its last value, as the route's form
    parser keeps it); "" for a body that is not an ordinary form, which then counts against its address."""
    content_type = dict(scope.get("headers") or []).get(b"content-type", b"")
    if content_type.split(b";")[0].strip().lower() != FORM_TYPE:
        return ""
    values = [value for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True) if key == "username"]
    return normal_username(values[-1]) if values else ""


REFUSED_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>Too many attempts · levelup evidence</title></head><body><p role=\"alert\">Too many failed attempts. Try again in {seconds} seconds.</p>"
    "<p><a href=\"/login\">Back to the login page</a></p></body></html>"
)


async def _refuse(send: Send, wait: float, security: list[tuple[bytes, bytes]]) -> None:
    seconds = int(wait) + 1
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"), (b"retry-after", str(seconds).encode()), *security]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": REFUSED_PAGE.format(seconds=seconds).encode()})
