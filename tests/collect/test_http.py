"""The polite fetcher through httpx's mock transport and a fake clock: no network, no sleeping."""

from __future__ import annotations

import httpx
import pytest

from pipeline.collect.http import Fetcher
from pipeline.errors import FetchError

HTML = b"<html><body><p>" + b"Enough words for an article page. " * 5 + b"</p></body></html>"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fetcher(handler, clock: FakeClock | None = None, **options) -> tuple[Fetcher, FakeClock, list[httpx.Request]]:
    clock = clock or FakeClock()
    seen: list[httpx.Request] = []
    robots_route = options.pop("robots_route", False)

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/robots.txt" and not robots_route:
            return httpx.Response(404)
        return handler(request)

    client = httpx.Client(transport=httpx.MockTransport(record), max_redirects=5)
    return Fetcher(client, clock=clock, sleep=clock.sleep, contact="ops@example.org", **options), clock, seen


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=HTML, headers={"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"'})


def test_user_agent_names_a_contact_and_one_host_waits_its_turn():
    f, clock, seen = fetcher(ok, delay=1.5)
    f.fetch("https://a.example.org/one")
    f.fetch("https://a.example.org/two")
    f.fetch("https://b.example.org/one")  # another host: no wait
    assert "mailto:ops@example.org" in seen[-1].headers["User-Agent"]
    assert clock.sleeps == [1.5, 1.5, 1.5]  # a: robots.txt, wait, one, wait, two; b: robots.txt, wait, one


def test_robots_txt_is_obeyed_with_its_crawl_delay():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nDisallow: /private/\nCrawl-delay: 5\n")
        return ok(request)

    f, clock, seen = fetcher(handler, delay=1.0, robots_route=True)
    with pytest.raises(FetchError) as error:
        f.fetch("https://a.example.org/private/report")
    assert error.value.reason == "robots" and [r.url.path for r in seen] == ["/robots.txt"]
    f.fetch("https://a.example.org/news/1")
    f.fetch("https://a.example.org/news/2")
    assert clock.sleeps[-1] == 5.0


def test_an_unreachable_robots_txt_means_disallow_all():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503) if request.url.path == "/robots.txt" else ok(request)

    f, _, _ = fetcher(handler, robots_route=True)
    with pytest.raises(FetchError, match=r"robots\.txt"):
        f.fetch("https://a.example.org/news/1")


def test_429_honours_retry_after_and_5xx_backs_off_exponentially():
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), None])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers) or ok(request)

    f, clock, _ = fetcher(handler, delay=0)
    assert f.fetch("https://a.example.org/x").status == 200 and clock.sleeps == [7.0]

    f, clock, _ = fetcher(lambda r: httpx.Response(503), delay=0, retries=3, backoff=2.0)
    with pytest.raises(FetchError, match="HTTP 503; gave up after 3 retries") as error:
        f.fetch("https://a.example.org/x")
    assert clock.sleeps == [2.0, 4.0, 8.0] and error.value.status == 503


def test_conditional_requests_turn_a_304_into_unchanged():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304, headers={"ETag": '"v1"'})
        return ok(request)

    f, _, seen = fetcher(handler)
    first = f.fetch("https://a.example.org/x")
    again = f.fetch("https://a.example.org/x", etag=first.etag, last_modified="Mon, 02 Nov 2026 10:00:00 GMT")
    assert again.unchanged and again.content == b""
    assert seen[-1].headers["If-Modified-Since"] == "Mon, 02 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("response", "reason"),
    [
        (httpx.Response(404), "http"),
        (httpx.Response(200, content=b"PK\x03\x04", headers={"Content-Type": "application/zip"}), "content_type"),
        (httpx.Response(200, content=b"x" * 2000, headers={"Content-Type": "text/html"}), "too_large"),
        (httpx.Response(200, content=b"   ", headers={"Content-Type": "text/html"}), "empty"),
    ],
)
def test_bad_answers_are_one_line_errors(response: httpx.Response, reason: str):
    f, _, _ = fetcher(lambda r: response, max_bytes=1000, retries=0)
    with pytest.raises(FetchError) as error:
        f.fetch("https://a.example.org/x")
    assert error.value.reason == reason and "\n" not in str(error.value)


def test_redirect_loops_timeouts_and_tls_errors():
    f, _, _ = fetcher(lambda r: httpx.Response(302, headers={"Location": "https://a.example.org/loop"}))
    with pytest.raises(FetchError, match="redirect loop"):
        f.fetch("https://a.example.org/loop")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    f, clock, _ = fetcher(timeout, delay=0, retries=2)
    with pytest.raises(FetchError, match="timed out") as error:
        f.fetch("https://a.example.org/slow")
    assert error.value.reason == "timeout" and clock.sleeps == [2.0, 4.0]

    def tls(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", request=request)

    f, _, _ = fetcher(tls)
    with pytest.raises(FetchError, match="TLS error") as error:
        f.fetch("https://a.example.org/x")
    assert error.value.reason == "tls"


def robots_and(rules: str, pages):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text=rules)
        return pages(request)

    return handler


def test_a_redirect_into_a_disallowed_path_is_refused_at_that_hop(caplog):
    def pages(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/news/1":
            return httpx.Response(302, headers={"Location": "/private/1"})
        if request.url.host == "a.example.org" and request.url.path == "/news/2":
            return httpx.Response(301, headers={"Location": "https://b.example.org/secret/2"})
        return ok(request)

    handler = robots_and("User-agent: *\nDisallow: /private/\nDisallow: /secret/\n", pages)
    f, _, seen = fetcher(handler, robots_route=True)
    with pytest.raises(FetchError, match=r"redirects to https://a\.example\.org/private/1, which robots\.txt disallows") as error:
        f.fetch("https://a.example.org/news/1")
    assert error.value.reason == "robots"
    with pytest.raises(FetchError, match="robots"):  # another host's robots.txt, read at the hop
        f.fetch("https://a.example.org/news/2")
    assert [r.url.path for r in seen if r.url.path != "/robots.txt"] == ["/news/1", "/news/2"]  # never the targets
    assert {r.url.host for r in seen if r.url.path == "/robots.txt"} == {"a.example.org", "b.example.org"}
    assert "which robots.txt disallows" in caplog.text


def test_an_allowed_redirect_is_followed_with_politeness_at_each_hop():
    def pages(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "/new"})
        return ok(request)

    f, clock, _ = fetcher(pages, delay=2.0)
    fetched = f.fetch("https://a.example.org/old")
    assert fetched.final_url == "https://a.example.org/new" and fetched.status == 200
    assert clock.sleeps == [2.0, 2.0]  # robots.txt, wait, /old, wait, /new


def test_a_page_trickled_past_the_deadline_is_abandoned():
    clock = FakeClock()

    def trickle():
        for _ in range(30):
            clock.now += 2.0  # a chunk every 2 s, each read well within the per-read timeout
            yield b"<p>word</p>"

    f, _, _ = fetcher(lambda r: httpx.Response(200, content=trickle(), headers={"Content-Type": "text/html"}), clock, deadline=5.0)
    with pytest.raises(FetchError, match="deadline") as error:
        f.fetch("https://a.example.org/slow")
    assert error.value.reason == "deadline" and clock.now - 100.0 <= 5.0 + 2.0 + 1.0  # not the 60 s of the whole trickle


def test_a_read_timeout_beyond_the_deadline_is_not_retried():
    clock = FakeClock()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.extensions["timeout"]["read"] <= 3.0  # no single read longer than the deadline
        clock.now += 3.0
        raise httpx.ReadTimeout("slow", request=request)

    f, _, _ = fetcher(handler, clock, deadline=3.0, retries=3)
    with pytest.raises(FetchError) as error:
        f.fetch("https://a.example.org/slow")
    assert error.value.reason == "deadline" and clock.sleeps == [1.0]  # the politeness wait, no backoff


def test_only_the_first_512_kib_of_robots_txt_are_read():
    sent = []

    def huge():
        yield b"User-agent: *\nDisallow: /private/\n"
        for _ in range(60_000):  # 60 MB if read in full
            sent.append(1)
            yield b"# padding padding padding padding padding padding padding padding padding padd\n" * 12
        yield b"Disallow: /news/\n"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, content=huge(), headers={"Content-Type": "text/plain"})
        return ok(request)

    f, _, _ = fetcher(handler, robots_route=True)
    assert f.fetch("https://a.example.org/news/1").status == 200  # the rule past the limit is never read
    assert not f.allowed("https://a.example.org/private/x")
    assert len(sent) * 960 < 600 * 1024
