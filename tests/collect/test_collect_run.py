import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from pipeline import collect
from pipeline.config import CollectParams
from pipeline.errors import InputError
from tests.conftest import FIXTURES


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("press-release.html", "release.txt", "report.pdf"):
        shutil.copy(FIXTURES / name, folder / name)
    return folder


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # no request log on stderr
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """The fixture folder served over HTTP on 127.0.0.1."""
    handler = partial(QuietHandler, directory=str(FIXTURES))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_collect_run_reads_a_folder_of_mixed_files(fixture_copy: Path):
    result = collect.run([str(fixture_copy)], CollectParams())
    assert sorted(d.kind for d in result.documents) == ["html", "pdf", "txt"]
    assert result.failures == []


def test_collect_run_ids_are_stable_and_content_hash_follows_text(fixture_copy: Path):
    first = collect.run([str(fixture_copy)], CollectParams()).documents
    (fixture_copy / "release.txt").write_text("Read: Changed\n\nA completely different release about bills and customers.")
    second = collect.run([str(fixture_copy)], CollectParams()).documents
    assert [d.id for d in first] == [d.id for d in second]
    changed = {d.url.rsplit("/", 1)[-1]: (a.content_hash != d.content_hash) for a, d in zip(first, second, strict=True)}
    assert changed == {"press-release.html": False, "release.txt": True, "report.pdf": False}


def test_collect_run_counts_bad_files_and_keeps_the_good_ones(fixture_copy: Path):
    for name in ("empty.txt", "binary.html", "broken.pdf"):
        shutil.copy(FIXTURES / name, fixture_copy / name)
    result = collect.run([str(fixture_copy)], CollectParams())
    assert len(result.documents) == 3
    assert sorted(Path(f.item).name for f in result.failures) == ["binary.html", "broken.pdf", "empty.txt"]
    assert all(f.reason and "\n" not in f.reason for f in result.failures)


def test_collect_run_missing_path_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="no such file or folder"):
        collect.run([str(tmp_path / "nope")], CollectParams())


def test_collect_run_unsupported_file_type_is_an_input_error(tmp_path: Path):
    (tmp_path / "sheet.xlsx").write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type"):
        collect.run([str(tmp_path / "sheet.xlsx")], CollectParams())


def test_collect_run_fetches_urls_from_a_local_server(server: str):
    result = collect.run([f"{server}/press-release.html", f"{server}/report.pdf"], CollectParams())
    assert [d.kind for d in result.documents] == ["html", "pdf"]
    assert result.documents[0].url == f"{server}/press-release.html"


def test_collect_run_records_http_errors_and_goes_on(server: str):
    result = collect.run([f"{server}/missing.html", f"{server}/release.txt"], CollectParams())
    assert len(result.documents) == 1
    assert "HTTP 404" in result.failures[0].reason


def test_collect_run_refuses_oversized_responses(server: str):
    with httpx.Client() as client:
        result = collect.run([f"{server}/report.pdf"], CollectParams(max_file_mb=0.001), client=client)
    assert result.documents == [] and "limit" in result.failures[0].reason


def test_collect_run_refuses_unsupported_content_types():
    transport = httpx.MockTransport(lambda request: httpx.Response(200, headers={"content-type": "image/png"}, content=b"x"))
    with httpx.Client(transport=transport) as client:
        result = collect.run(["https://example.org/logo.png"], CollectParams(), client=client)
    assert "unsupported content type 'image/png'" in result.failures[0].reason


def test_collect_run_reports_connection_errors():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(refuse)) as client:
        result = collect.run(["https://example.org/a"], CollectParams(), client=client)
    assert "ConnectError" in result.failures[0].reason


def test_a_declared_charset_wins_over_guessing():
    import httpx

    from pipeline.collect import extract_raw
    from pipeline.collect.fetch import fetch_url
    from pipeline.config import CollectParams

    body = ("<html><body><p>" + "The council added £250,000 to its hardship fund for families this winter. " * 3 + "</p></body></html>").encode("cp1252")
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body, headers={"Content-Type": "text/html; charset=windows-1252"})))
    raw = fetch_url("https://www.council.gov.uk/news/1", client, max_bytes=1_000_000)
    assert raw.charset == "windows-1252"
    assert "£250,000" in extract_raw(raw, CollectParams()).text


def test_a_url_trickled_past_the_deadline_is_refused():
    from .sites import Reply, Sites

    sites = Sites().start()
    try:
        sites.add("http://www.slow.org.uk/page", Reply(200, b"<p>word</p>" * 200, trickle=0.1, chunk=16))
        with httpx.Client(proxy=sites.proxy, timeout=1.0) as client:
            result = collect.run(["http://www.slow.org.uk/page"], CollectParams(deadline_s=0.3), client=client)
    finally:
        sites.stop()
    assert not result.documents and "not complete within 0.3 s" in result.failures[0].reason
