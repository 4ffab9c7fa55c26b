"""A quantised ONNX copy of a sentence-transformers encoder, for faster embeddings on a CPU.

``export`` turns a local sentence-transformers folder (BERT-style transformer, mean pooling,
normalised output, e.g. all-MiniLM-L6-v2) into::

    <folder>/model.onnx           the transformer, weights quantised to int8 per channel
    <folder>/tokenizer files      copied from the source
    <folder>/levelup-onnx.json    what it was made from and how ("source", "pooling", ...)

The conversion is local (torch's ONNX exporter, onnxruntime's dynamic quantisation): nothing is
downloaded. On the sample texts its embeddings keep a cosine similarity of about 0.99 with the
originals and are about 1.5 times faster on two cores (``scripts/bench_classify.py``). Each text
is encoded alone (``ROWWISE``), so its embedding never depends on the batch it came in. Models
trained on one encoder must be used with the same one: the encoder id differs ("-onnx-int8").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import ModelError

log = logging.getLogger(__name__)

MARKER = "levelup-onnx.json"
SUFFIX = "-onnx-int8"
# Dynamic quantisation scales activations per call, so a text embedded in a batch got numbers
# that depended on its neighbours (goal 8: 0.695 alone, 0.749 in a batch of 41). Every text is
# therefore run alone (no padding either, which also saves the time batching would): its
# embedding depends on its text only. The encoder id says so, so cached vectors and models from
# the batched encoder are never mixed with these.
ROWWISE = "-rowwise"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def is_onnx_dir(path: Path) -> bool:
    return (path / MARKER).is_file()


def encoder_id_for(source_id: str) -> str:
    """The id of the ONNX export of the encoder ``source_id``."""
    return f"{source_id}{SUFFIX}{ROWWISE}"


def encoder_id(path: Path) -> str:
    """The id of the exported encoder in ``path``, from its marker file (nothing is loaded)."""
    try:
        return encoder_id_for(json.loads((path / MARKER).read_text(encoding="utf-8"))["source"])
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"could not read the ONNX encoder's {path / MARKER}: {exc}; delete the folder to export it again") from exc


def export(source: Path, out: Path, *, source_id: str) -> Path:
    """Export and quantise the encoder in ``source`` into ``out`` (written atomically)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from sentence_transformers import SentenceTransformer

    model: Any = SentenceTransformer(str(source), device="cpu", local_files_only=True)  # modules typed as Tensor | Module
    config = model[1].get_config_dict() if len(model) > 1 and hasattr(model[1], "get_config_dict") else {}
    if config.get("pooling_mode") != "mean" and config.get("pooling_mode_mean_tokens") is not True:
        raise ModelError(f"cannot export {source} to ONNX: only mean-pooling sentence-transformers models are supported")
    transformer = model[0].auto_model.eval()

    class _Hidden(torch.nn.Module):  # a positional forward for the exporter
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            output = self.transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return output.last_hidden_state

    sample = model.tokenizer(["An example sentence.", "Another, longer example sentence for the exporter."], padding=True, return_tensors="pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".onnx-", dir=out.parent))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on deprecations and opset choices
            torch.onnx.export(
                _Hidden(),
                tuple(sample[name] for name in _INPUTS),
                str(work / "full.onnx"),
                input_names=list(_INPUTS),
                output_names=["last_hidden_state"],
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")},
                opset_version=17,
                dynamo=False,
            )
        quant_pre_process(str(work / "full.onnx"), str(work / "pre.onnx"), skip_symbolic_shape=True)
        quantize_dynamic(str(work / "pre.onnx"), str(work / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True)
        for name in ("full.onnx", "pre.onnx"):
            (work / name).unlink()
        for name in _TOKENIZER_FILES:
            if (source / name).is_file():
                shutil.copy2(source / name, work / name)
        (work / MARKER).write_text(
            json.dumps(
                {
                    "source": source_id,
                    "pooling": "mean",
                    "normalize": True,
                    "max_seq_length": int(model.max_seq_length or 256),
                    "quantization": "dynamic int8, per channel",
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        if out.exists():
            shutil.rmtree(out)
        work.chmod(0o755)
        work.rename(out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return out


class OnnxEncoder:
    """Normalised mean-pooled embeddings from an exported folder, through onnxruntime."""

    def __init__(self, path: Path, *, batch_size: int = 64) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        try:
            meta = json.loads((path / MARKER).read_text(encoding="utf-8"))
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1  # one text per call: a thread per text beats threads per text
            options.inter_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(str(path / "model.onnx"), options, providers=["CPUExecutionProvider"])
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"could not load the ONNX encoder in {path}: {exc}; delete the folder to export it again") from exc
        except Exception as exc:  # onnxruntime raises its own exception types for a damaged file
            raise ModelError(f"could not load the ONNX encoder in {path} ({type(exc).__name__}); delete the folder to export it again") from exc
        self.id = encoder_id_for(meta["source"])
        self.max_tokens = int(meta["max_seq_length"])
        self.batch_size = batch_size
        self.dimension = int(self.session.get_outputs()[0].shape[-1]) if isinstance(self.session.get_outputs()[0].shape[-1], int) else 0
        self._wanted = {i.name for i in self.session.get_inputs()}
        threads = os.environ.get("OMP_NUM_THREADS", "")
        self.workers = int(threads) if threads.isdigit() and int(threads) > 0 else min(os.cpu_count() or 1, 4)

    def encode(self, texts: list[str]) -> np.ndarray:
        """One normalised vector per text, each computed alone (see ``ROWWISE``)."""
        if not texts:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        encoded = self.tokenizer(texts, truncation=True, max_length=self.max_tokens)
        rows = [{name: encoded[name][i] for name in encoded} for i in range(len(texts))]
        if self.workers > 1 and len(rows) > 1:  # onnxruntime releases the GIL: texts run side by side
            with ThreadPoolExecutor(self.workers) as pool:
                vectors = list(pool.map(self._one, rows))
        else:
            vectors = [self._one(row) for row in rows]
        return np.vstack(vectors).astype(np.float32)

    def _one(self, encoded: dict[str, list[int]]) -> np.ndarray:
        ids = np.asarray([encoded["input_ids"]], dtype=np.int64)
        feeds = {"input_ids": ids}
        if "attention_mask" in self._wanted:
            feeds["attention_mask"] = np.ones_like(ids)
        if "token_type_ids" in self._wanted:
            feeds["token_type_ids"] = np.asarray([encoded.get("token_type_ids", [0] * ids.shape[1])], dtype=np.int64)
        pooled = self.session.run(None, feeds)[0][0].mean(axis=0)  # no padding: a plain mean over tokens
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)
