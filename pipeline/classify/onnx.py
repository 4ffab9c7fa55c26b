"""A quantised ONNX copy of a sentence-transformers encoder, for faster embeddings on a CPU.

``export`` turns a local sentence-transformers folder (BERT-style transformer, mean pooling,
normalised output, e.g. all-MiniLM-L6-v2) into::

    <folder>/model.onnx           the transformer, weights quantised to int8 per channel
    <folder>/tokenizer files      copied from the source
    <folder>/levelup-onnx.json    what it was made from and how ("source", "pooling", ...)

The conversion is local (torch's ONNX exporter, onnxruntime's dynamic quantisation): nothing is
downloaded. On the sample texts its embeddings keep a cosine similarity of about 0.99 with the
originals and are about 1.5 times faster on two cores (``scripts/bench_classify.py``). Models
trained on one encoder must be used with the same one: the encoder id differs ("-onnx-int8").
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from pipeline.errors import ModelError

log = logging.getLogger(__name__)

MARKER = "levelup-onnx.json"
SUFFIX = "-onnx-int8"
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "config.json")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def is_onnx_dir(path: Path) -> bool:
    return (path / MARKER).is_file()


def export(source: Path, out: Path, *, source_id: str) -> Path:
    """Export and quantise the encoder in ``source`` into ``out`` (written atomically)."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    config = model[1].get_config_dict() if len(model) > 1 and hasattr(model[1], "get_config_dict") else {}
    if config.get("pooling_mode") != "mean" and config.get("pooling_mode_mean_tokens") is not True:
        raise ModelError(f"cannot export {source} to ONNX: only mean-pooling sentence-transformers models are supported")
    transformer = model[0].auto_model.eval()

    class _Hidden(torch.nn.Module):  # a positional forward for the exporter
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
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
                    "max_seq_length": int(model.max_seq_length),
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
            threads = os.environ.get("OMP_NUM_THREADS")
            if threads and threads.isdigit():
                options.intra_op_num_threads = int(threads)
            options.inter_op_num_threads = 1
            self.session = onnxruntime.InferenceSession(str(path / "model.onnx"), options, providers=["CPUExecutionProvider"])
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"could not load the ONNX encoder in {path}: {exc}; delete the folder to export it again") from exc
        except Exception as exc:  # onnxruntime raises its own exception types for a damaged file
            raise ModelError(f"could not load the ONNX encoder in {path} ({type(exc).__name__}); delete the folder to export it again") from exc
        self.id = f"{meta['source']}{SUFFIX}"
        self.max_tokens = int(meta["max_seq_length"])
        self.batch_size = batch_size
        self.dimension = int(self.session.get_outputs()[0].shape[-1]) if isinstance(self.session.get_outputs()[0].shape[-1], int) else 0
        self._wanted = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension or 0), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        vectors: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [texts[i] for i in order[start : start + self.batch_size]]
            encoded = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
            feeds = {name: encoded[name].astype(np.int64) for name in _INPUTS if name in self._wanted}
            if "token_type_ids" in self._wanted and "token_type_ids" not in feeds:
                feeds["token_type_ids"] = np.zeros_like(feeds["input_ids"])
            hidden = self.session.run(None, feeds)[0]
            mask = encoded["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            vectors.append(pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None))
        result = np.empty((len(texts), vectors[0].shape[1]), dtype=np.float32)
        result[order] = np.vstack(vectors)
        return result
