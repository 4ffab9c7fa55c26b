"""Content-derived identifiers, so that re-running a stage upserts instead of duplicating."""

from __future__ import annotations

import hashlib

ID_LENGTH = 20  # hex digits: 80 bits, collision-free in practice for any corpus this tool sees


def stable_id(*parts: object) -> str:
    """Return a short hex id that depends only on ``parts`` (joined unambiguously)."""
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode("utf-8"))
    return digest.hexdigest()[:ID_LENGTH]


def text_hash(text: str) -> str:
    """Full SHA-256 of a text: detects changed documents and keys the embedding cache."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
