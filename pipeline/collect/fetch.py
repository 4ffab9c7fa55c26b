"""Reading one input, a local file or a URL, into bytes plus the kind of document it holds.

URLs go through one HTTP client (``httpx.Client``) passed in by the caller, so tests serve pages
from a local server or a mock transport and never touch the network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from pipeline.errors import InputError

SUFFIX_KINDS = {".html": "html", ".htm": "html", ".pdf": "pdf", ".txt": "txt", ".text": "txt"}
CONTENT_TYPE_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/plain": "txt",
}


@dataclass(frozen=True)
class RawInput:
    url: str
    kind: str
    content: bytes
    charset: str | None = None  # declared by the server (Content-Type); wins over guessing


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def _looks_like_url(value: str) -> bool:
    """An address, not a path: a scheme ("htp://...", "ftp://...") or a bare "www." host."""
    return "://" in value or value.lower().startswith("www.")


def file_url(path: Path) -> str:
    """A stable, machine-independent address for a local file: relative to the working folder
    when inside it (so a clone anywhere yields the same document ids), absolute otherwise."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def expand_inputs(inputs: list[str]) -> list[str]:
    """Expand folders into the supported files inside them (sorted); URLs pass through.

    Raises ``InputError`` for a path that does not exist or a file of an unsupported type: both
    are mistakes in the command, not bad items in a batch.
    """
    expanded: list[str] = []
    for value in inputs:
        if is_url(value):
            expanded.append(value)
            continue
        path = Path(value)
        if path.is_dir():
            expanded.extend(
                str(p) for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in SUFFIX_KINDS
            )
        elif path.is_file():
            if path.suffix.lower() not in SUFFIX_KINDS:
                raise InputError(
                    f"{value}: unsupported file type '{path.suffix}'; give .html, .htm, .pdf or .txt files"
                )
            expanded.append(value)
        elif _looks_like_url(value):
            raise InputError(f"{value}: not an http(s) URL; give an address starting http:// or https://, or a local path")
        else:
            raise InputError(f"{value}: no such file or folder; check the path")
    return expanded


def read_input_list(path: Path) -> list[str]:
    """Inputs listed one per line in a file (URLs or paths); blank lines and ``#`` comments skipped."""
    if not path.is_file():
        raise InputError(f"{path}: no such list file; give a text file with one URL or path per line")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def read_file(path: Path, *, max_bytes: int) -> RawInput:
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"{path}: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit (collect.max_file_mb)")
    return RawInput(url=file_url(path), kind=SUFFIX_KINDS[path.suffix.lower()], content=path.read_bytes())


def fetch_url(url: str, client: httpx.Client, *, max_bytes: int, deadline: float | None = None) -> RawInput:
    """GET a URL, refusing error statuses, unsupported content types, oversized bodies and
    answers not complete within ``deadline`` seconds (a trickling server; the client's timeout
    bounds each read only)."""
    ends = time.monotonic() + deadline if deadline is not None else None
    try:
        with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code >= 400:
                raise InputError(f"{url}: HTTP {response.status_code}; check the URL")
            media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
            kind = CONTENT_TYPE_KINDS.get(media_type)
            if kind is None:
                raise InputError(f"{url}: unsupported content type '{media_type}'; expected HTML, PDF or text")
            body = bytearray()
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise InputError(f"{url}: response over the {max_bytes / 1e6:.0f} MB limit (collect.max_file_mb)")
                if ends is not None and time.monotonic() > ends:
                    raise InputError(f"{url}: not complete within {deadline:g} s (collect.deadline_s); the server is too slow")
            return RawInput(url=str(response.url), kind=kind, content=bytes(body), charset=response.charset_encoding)
    except httpx.HTTPError as exc:
        raise InputError(f"{url}: {exc.__class__.__name__}: {exc}") from exc
