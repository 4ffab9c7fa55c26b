from pathlib import Path

import numpy as np

from pipeline.classify.cache import CachedEncoder, EmbeddingCache


class CountingEncoder:
    id = "fake-encoder"
    max_tokens = 128
    dimension = 3

    def __init__(self) -> None:
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[len(t), t.count("a"), 1.0] for t in texts], dtype=np.float32)


def test_no_text_is_embedded_twice_even_across_processes(tmp_path: Path):
    inner = CountingEncoder()
    cached = CachedEncoder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    first = cached.encode(["alpha", "beta", "alpha"])
    assert inner.seen == ["alpha", "beta"]
    reopened = CachedEncoder(inner, EmbeddingCache(tmp_path / "cache.sqlite"))
    again = reopened.encode(["beta", "alpha", "gamma"])
    assert inner.seen == ["alpha", "beta", "gamma"]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])
    assert reopened.hits == 2 and reopened.misses == 1


def test_the_cache_is_keyed_by_encoder(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    inner, other = CountingEncoder(), CountingEncoder()
    other.id = "another-encoder"
    CachedEncoder(inner, cache).encode(["text"])
    CachedEncoder(other, cache).encode(["text"])
    assert other.seen == ["text"] and len(cache) == 2
