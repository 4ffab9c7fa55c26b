"""An embedding cache keyed by encoder id and text hash, so no passage is ever embedded twice.

The cache is one SQLite file (``$LEVELUP_DATA_DIR/cache/embeddings.sqlite`` by default) with
one row per (encoder, sha256 of the text): the float32 vector as bytes. It survives across runs,
so a nightly ingest embeds only new passages, and training, tagging and evaluation share it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path

import numpy as np

from pipeline.classify.encoder import Embedder

log = logging.getLogger(__name__)

_SCHEMA = """
create table if not exists embeddings (
    encoder text not null,
    text_hash text not null,
    vector blob not null,
    primary key (encoder, text_hash)
)
"""
_LOOKUP_CHUNK = 500  # SQLite's limit on bound parameters is generous, but keep queries small


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors by (encoder id, text hash) in an SQLite file; safe to share between processes."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, encoder: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        with self._lock:
            for start in range(0, len(unique), _LOOKUP_CHUNK):
                chunk = unique[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"select text_hash, vector from embeddings where encoder = ? and text_hash in ({marks})",  # noqa: S608 - only "?" placeholders are joined in
                    [encoder, *chunk],
                )
                found.update((key, np.frombuffer(vector, dtype=np.float32)) for key, vector in rows)
        return found

    def put(self, encoder: str, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "insert or ignore into embeddings (encoder, text_hash, vector) values (?, ?, ?)",
                [(encoder, key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in vectors.items()],
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("select count(*) from embeddings").fetchone()[0])

    def close(self) -> None:
        self._db.close()


class CachedEncoder:
    """An ``Encoder`` whose ``encode`` looks texts up in the cache and embeds only the misses."""

    def __init__(self, encoder: Embedder, cache: EmbeddingCache) -> None:
        self.encoder = encoder
        self.cache = cache
        self.id = encoder.id
        self.max_tokens = encoder.max_tokens
        self.hits = 0
        self.misses = 0

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        hashes = [text_hash(text) for text in texts]
        known = self.cache.get(self.id, hashes)
        missing = list(dict.fromkeys(h for h in hashes if h not in known))
        if missing:
            first_text = dict(zip(hashes, texts, strict=True))
            vectors = self.encoder.encode([first_text[h] for h in missing])
            fresh = dict(zip(missing, vectors, strict=True))
            self.cache.put(self.id, fresh)
            known.update(fresh)
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        log.debug("embeddings: %d cached, %d new", len(texts) - len(missing), len(missing))
        return np.stack([known[h] for h in hashes]).astype(np.float32)
