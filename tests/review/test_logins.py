"""The login gate and the password-hashing pool (pipeline/review/logins.py), without a server."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from pipeline.review.accounts import RateLimiter
from pipeline.review.logins import Attempt, Hashing, LoginLimits, _username


@pytest.mark.parametrize(
    ("content_type", "body", "username"),
    [
        (b"application/x-www-form-urlencoded", b"csrf_token=x&username=+RITA+&password=p", "rita"),
        (b"application/x-www-form-urlencoded; charset=utf-8", b"username=decoy&username=Ada", "ada"),  # the value the route's parser keeps
        (b"multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nrita\r\n--x--", ""),
        (b"application/x-www-form-urlencoded", b"password=p", ""),
    ],
)
def test_the_gate_reads_the_username_the_route_will_check(content_type: bytes, body: bytes, username: str):
    assert _username({"headers": [(b"content-type", content_type)]}, body) == username


def test_a_refusal_counts_nothing_and_a_success_frees_the_address():
    limits = LoginLimits(RateLimiter(2, 60, lambda: 0.0), RateLimiter(3, 60, lambda: 0.0))
    assert limits.reserve(Attempt("rita", "a")) is None and limits.reserve(Attempt("rita", "a")) is None
    assert limits.reserve(Attempt("rita", "b")) == 60.0  # the username is spent, from any address
    assert limits.reserve(Attempt("ada", "a")) is None and limits.reserve(Attempt("bob", "a")) == 60.0  # the address is spent
    assert len(limits.users) == 2 and limits.users.retry_after("bob") == 0  # bob's refused try was not counted
    limits.succeeded(Attempt("ada", "a"))
    assert limits.reserve(Attempt("bob", "a")) is None  # ada's success gave the address its attempt back


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own nice value on Linux only")
def test_passwords_are_hashed_on_bounded_threads_that_yield_to_the_pages():
    hashing, running, most, lock = Hashing(2), [0], [0], threading.Lock()
    release = threading.Event()

    def hash_like() -> tuple[str, int]:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
        thread = threading.get_native_id()
        return threading.current_thread().name, os.getpriority(os.PRIO_PROCESS, thread)

    async def go() -> list[tuple[str, int]]:
        pending = asyncio.gather(*(hashing.run(hash_like) for _ in range(6)))
        await asyncio.sleep(0.2)  # the loop is free meanwhile: nothing here blocks it
        release.set()
        return await pending

    results = asyncio.run(go())
    assert most[0] == 2 and all(name.startswith("password-hash") for name, _ in results)
    assert all(nice >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 1) for _, nice in results)
