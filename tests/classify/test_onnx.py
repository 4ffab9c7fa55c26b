"""The quantised ONNX encoder: exported locally, close to the PyTorch original, loud when broken."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify import onnx
from pipeline.classify.encoder import ONNX_INT8, PACKAGED_ENCODER, load_encoder
from pipeline.errors import ModelError

TEXTS = [
    "The trust opened wellbeing hubs for staff at every hospital.",
    "Apprenticeships for 120 school leavers, with a guaranteed job at the end.",
    "We use cookies to improve your experience on our website.",
    "Heat pumps have now been fitted to 1,150 council homes across the city, cutting bills and carbon.",
]


@pytest.fixture(scope="module")
def exported(models_root: Path):
    return load_encoder(ONNX_INT8, 16)  # exported into the session's empty models folder


def test_export_writes_a_self_contained_folder(exported, models_root: Path):
    folder = models_root / "encoders" / f"{PACKAGED_ENCODER}{onnx.SUFFIX}"
    assert onnx.is_onnx_dir(folder) and (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file()
    assert exported.id == f"{PACKAGED_ENCODER}-onnx-int8-rowwise"  # models trained on it say so


def test_onnx_embeddings_stay_close_to_pytorch(exported):
    reference = load_encoder(None, 16).encode(TEXTS)
    vectors = exported.encode(TEXTS)
    assert vectors.shape == reference.shape and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert float((vectors * reference).sum(axis=1).min()) > 0.95
    # order is kept although batches are sorted by length
    assert np.allclose(exported.encode(TEXTS[::-1])[::-1], vectors, atol=1e-5)
    assert exported.encode([]).shape[0] == 0


def test_a_damaged_onnx_model_is_a_one_line_error(exported, models_root: Path, tmp_path: Path):
    broken = tmp_path / "broken"
    shutil.copytree(models_root / "encoders" / f"{PACKAGED_ENCODER}{onnx.SUFFIX}", broken)
    (broken / "model.onnx").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="delete the folder to export it again"):
        onnx.OnnxEncoder(broken)
