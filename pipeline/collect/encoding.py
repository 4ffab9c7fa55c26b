"""Bytes into text by the encoding a page declares, with a warning when the bytes do not fit.

A declared encoding is believed: bytes that are invalid in it are replaced with U+FFFD, counted,
logged and reported (``Decoded.warning``, stored on the document), never silently re-read as
another encoding, which turns one bad byte into a page of mojibake. Two declarations that
disagree (a server header and a ``<meta charset>``) are each tried: the first one the bytes fit
wins, with a warning naming the one that lied. Text with no declaration is UTF-8 if it decodes
as such, UTF-8 with a warning if it is mostly UTF-8, and Windows-1252 otherwise (the legacy
encoding of English pages, which the HTML standard also falls back to).
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass

log = logging.getLogger(__name__)

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_PRESCAN = 4096  # the HTML standard scans 1,024 bytes for a <meta charset>; some pages put it later
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_WHATWG = {"iso8859-1": "cp1252", "ascii": "cp1252"}  # browsers read these labels as Windows-1252
_MAX_COUNTED = 1000  # past this many invalid sequences, the rest are replaced without counting


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the codec used
    warning: str | None = None  # what did not fit, for the document's record


def meta_charset(content: bytes) -> str | None:
    """The ``<meta charset>`` (or ``http-equiv`` Content-Type charset) near the top of a page."""
    match = _META_CHARSET.search(content[:_PRESCAN])
    return match.group(1).decode("ascii").strip().lower() if match else None


def decode_html(content: bytes, *, url: str, charset: str | None = None) -> Decoded:
    """A page's text, by its BOM, else the server's ``charset``, else its ``<meta charset>``."""
    return decode(content, url=url, declared=[c for c in (charset, meta_charset(content)) if c])


def decode(content: bytes, *, url: str, declared: list[str] | None = None) -> Decoded:
    """``content`` as text by its byte-order mark, else the ``declared`` encodings in order of
    authority, else UTF-8 or Windows-1252; a warning is logged and returned when bytes are replaced."""
    for bom, codec in _BOMS:
        if content.startswith(bom):
            return _declared(content, url, [codec], "byte-order mark")
    codecs_known = []
    for name in dict.fromkeys(declared or []):
        try:
            codec = codecs.lookup(name).name
            codecs_known.append(_WHATWG.get(codec, codec))
        except LookupError:
            log.warning("%s: unknown encoding '%s' declared; ignored", url, name)
    if codecs_known:
        return _declared(content, url, list(dict.fromkeys(codecs_known)), "declared")
    return _undeclared(content, url)


def _declared(content: bytes, url: str, names: list[str], how: str) -> Decoded:
    for name in names:
        try:
            text = content.decode(name)
        except UnicodeDecodeError:
            continue
        if name != names[0]:
            return _warn(url, Decoded(text, name, f"{names[0]} declared, but the bytes are {name} (also declared); read as {name}"))
        return Decoded(text, name)
    text, bad = _replacing(content, names[0])
    return _warn(url, Decoded(text, names[0], f"{bad}{'+' if bad >= _MAX_COUNTED else ''} invalid byte sequence(s) in {how} {names[0]}, replaced with U+FFFD"))


def _undeclared(content: bytes, url: str) -> Decoded:
    try:
        return Decoded(content.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    text, bad = _replacing(content, "utf-8")
    if len(_UTF8_SEQUENCE.findall(content)) > bad:  # mostly UTF-8: a few broken bytes, not another encoding
        return _warn(url, Decoded(text, "utf-8", f"{bad} invalid byte sequence(s) in undeclared UTF-8, replaced with U+FFFD"))
    log.info("%s: no encoding declared and not UTF-8; read as Windows-1252", url)
    return Decoded(content.decode("cp1252", errors="replace"), "cp1252")


def _replacing(content: bytes, codec: str) -> tuple[str, int]:
    """The text with each invalid sequence replaced, and how many there were (up to ``_MAX_COUNTED``)."""
    parts: list[str] = []
    position, bad = 0, 0
    while bad < _MAX_COUNTED:
        try:
            parts.append(content[position:].decode(codec))
            return "".join(parts), bad
        except UnicodeDecodeError as error:
            parts.append(content[position : position + error.start].decode(codec, errors="replace"))
            parts.append("\ufffd")
            position += error.end
            bad += 1
    parts.append(content[position:].decode(codec, errors="replace"))
    return "".join(parts), bad


def _warn(url: str, decoded: Decoded) -> Decoded:
    log.warning("%s: %s", url, decoded.warning)
    return decoded
