"""Fine-tune the sentence encoder end to end with a multi-label goal head (experimental).

MiniLM (mean pooling) + one linear layer with a sigmoid output per goal, trained with
BCEWithLogits; "no goal" is every output under the threshold. Decisions (one global threshold
and a lower floor for keeping the top goal) are chosen on rows the model was not trained on.
With ``train_layers`` only the top layers learn: the frozen layers below run once per text
(``LowerLayers``, shared across cross-validation folds), which makes a fine-tune on 2 CPU cores
about three times cheaper per step. Used by ``scripts/compare_finetuned.py``; nothing in the
product depends on it yet.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch
from torch import nn

from pipeline.errors import ConfigError


@dataclass(frozen=True)
class FinetuneSettings:
    epochs: int = 3
    batch_size: int = 16
    max_len: int = 128
    encoder_lr: float = 3e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1  # share of steps with a linear warm-up, then linear decay
    seed: int = 0
    threads: int = 2
    train_layers: int | None = None  # fine-tune only the top N transformer layers (None: all, end to end)
    device: str = "cpu"  # "cuda" (or "cuda:1") on a machine with a GPU


def resolve_device(name: str) -> torch.device:
    """The torch device called ``name``, or a :class:`ConfigError` saying why it cannot be used."""
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ConfigError(f"unknown device {name!r}: use cpu or cuda") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but this machine's torch sees no CUDA GPU: use --device cpu")
    if device.type not in ("cpu", "cuda"):
        raise ConfigError(f"device {name!r} is not supported: use cpu or cuda")
    return device


class GoalModel(nn.Module):
    """Transformer encoder, attention-masked mean pooling, linear head with one logit per goal."""

    def __init__(self, path: Path, n_outputs: int) -> None:
        super().__init__()
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.head = nn.Linear(self.encoder.config.hidden_size, n_outputs)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *, pooled: bool = False) -> torch.Tensor:
        """Logits, or with ``pooled`` the mean-pooled sentence vectors the head reads."""
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        vectors = _mean_pool(hidden, attention_mask)
        return vectors if pooled else self.head(vectors)

    def top(self, hidden: torch.Tensor, attention_mask: torch.Tensor, layers: int, *, pooled: bool = False) -> torch.Tensor:
        """Logits (or pooled vectors) from the hidden states that enter the top ``layers`` transformer layers."""
        additive = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        for layer in self.encoder.encoder.layer[len(self.encoder.encoder.layer) - layers :]:
            hidden = layer(hidden, attention_mask=additive)
        vectors = _mean_pool(hidden, attention_mask)
        return vectors if pooled else self.head(vectors)


def _mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


class LowerLayers:
    """The frozen bottom of the encoder, run once per text: the hidden states entering the top
    ``layers`` layers, kept by text (unpadded), so fine-tuning the top layers costs only their own
    forward and backward passes. Shared by every fold of a cross-validation (nothing in it is trained)."""

    def __init__(self, path: Path, layers: int, max_len: int, *, batch_size: int = 32) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.encoder = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        total = self.encoder.config.num_hidden_layers
        if not 0 < layers <= total:
            raise ValueError(f"train_layers must be between 1 and {total}, got {layers}")
        self.layers, self.max_len, self.batch_size = layers, max_len, batch_size
        self.states: dict[str, torch.Tensor] = {}

    def __call__(self, texts: Sequence[str]) -> list[torch.Tensor]:
        missing = sorted({t for t in texts if t not in self.states}, key=len)
        with torch.inference_mode():
            for start in range(0, len(missing), self.batch_size):
                chunk = missing[start : start + self.batch_size]
                batch = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
                out = self.encoder(**batch, output_hidden_states=True)
                hidden = out.hidden_states[len(out.hidden_states) - 1 - self.layers]
                for j, text in enumerate(chunk):
                    self.states[text] = hidden[j, : int(batch["attention_mask"][j].sum())].clone()
        return [self.states[t] for t in texts]


class FinetunedTagger:
    """A trained ``GoalModel`` with its tokenizer; ``scores`` gives sigmoid probabilities per goal."""

    def __init__(self, model: GoalModel, tokenizer, max_len: int, lower: LowerLayers | None = None) -> None:
        self.model, self.tokenizer, self.max_len, self.lower = model, tokenizer, max_len, lower

    def scores(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        return self._run(texts, batch_size, pooled=False)

    def embeddings(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """The fine-tuned encoder's sentence embeddings (mean-pooled, unit length, as the packaged
        encoder's): what the shipped design would read from a fine-tuned encoder in place of its own."""
        pooled = self._run(texts, batch_size, pooled=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _run(self, texts: Sequence[str], batch_size: int, *, pooled: bool) -> np.ndarray:
        self.model.eval()
        device = next(self.model.parameters()).device
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                chunk = list(texts[start : start + batch_size])
                if self.lower is not None:
                    hidden, mask = _pad(self.lower(chunk))
                    vectors = self.model.top(hidden.to(device), mask.to(device), self.lower.layers, pooled=pooled)
                else:
                    batch = self.tokenizer(chunk, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
                    vectors = self.model(batch["input_ids"].to(device), batch["attention_mask"].to(device), pooled=pooled)
                out.append((vectors if pooled else torch.sigmoid(vectors)).cpu().numpy())
        width = self.model.head.in_features if pooled else self.model.head.out_features
        return np.vstack(out) if out else np.zeros((0, width), np.float32)


def _pad(states: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(s) for s in states)
    hidden = torch.zeros((len(states), width, states[0].shape[-1]), dtype=states[0].dtype)
    mask = torch.zeros((len(states), width), dtype=torch.long)
    for j, s in enumerate(states):
        hidden[j, : len(s)], mask[j, : len(s)] = s, 1
    return hidden, mask


def train(
    path: Path,
    texts: Sequence[str],
    y: np.ndarray,
    settings: FinetuneSettings,
    *,
    log: Callable[[str], None] | None = None,
    max_steps: int | None = None,
    lower: LowerLayers | None = None,
) -> FinetunedTagger:
    """Fine-tune from the encoder at ``path`` on ``texts`` with label matrix ``y`` (n x goals).

    With ``settings.train_layers`` only the top layers (and the head) learn; the layers below run
    once per text through ``lower`` (made here when not given: pass one to share it across folds)."""
    from transformers import AutoTokenizer

    device = resolve_device(settings.device)
    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = GoalModel(path, y.shape[1])
    layers = settings.train_layers
    if layers is not None:
        lower = lower or LowerLayers(path, layers, settings.max_len)
        if lower.layers != layers:
            raise ValueError(f"the cached lower layers stop {lower.layers} layers from the top, the settings train {layers}")
        states = lower(texts)
        trained = [*model.encoder.encoder.layer[len(model.encoder.encoder.layer) - layers :].parameters()]
        for parameter in model.encoder.parameters():
            parameter.requires_grad = False
        for parameter in trained:
            parameter.requires_grad = True
    else:
        encoded = tokenizer(list(texts), truncation=True, max_length=settings.max_len)
        ids, masks = encoded["input_ids"], encoded["attention_mask"]
        trained = [*model.encoder.parameters()]
    model.to(device)
    targets = torch.tensor(y, dtype=torch.float32)
    optimiser = torch.optim.AdamW(
        [{"params": trained, "lr": settings.encoder_lr}, {"params": model.head.parameters(), "lr": settings.head_lr}],
        weight_decay=settings.weight_decay,
    )
    per_epoch = (len(texts) + settings.batch_size - 1) // settings.batch_size
    total = per_epoch * settings.epochs if max_steps is None else min(max_steps, per_epoch * settings.epochs)
    warm = max(1, int(total * settings.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min((step + 1) / warm, max(0.0, (total - step) / max(1, total - warm)))
    )
    loss_fn = nn.BCEWithLogitsLoss()
    pad = tokenizer.pad_token_id or 0
    step, started = 0, time.perf_counter()
    model.train()
    for epoch in range(settings.epochs):
        order = rng.permutation(len(texts))
        running = 0.0
        for b in range(per_epoch):
            rows = order[b * settings.batch_size : (b + 1) * settings.batch_size]
            if layers is not None:
                hidden, attention = _pad([states[i] for i in rows])
                logits = model.top(hidden.to(device), attention.to(device), layers)
            else:
                width = max(len(ids[i]) for i in rows)
                input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
                attention = torch.zeros((len(rows), width), dtype=torch.long)
                for j, i in enumerate(rows):
                    input_ids[j, : len(ids[i])] = torch.tensor(ids[i])
                    attention[j, : len(masks[i])] = torch.tensor(masks[i])
                logits = model(input_ids.to(device), attention.to(device))
            loss = loss_fn(logits, targets[rows].to(device))
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*trained, *model.head.parameters()], 1.0)
            optimiser.step()
            schedule.step()
            running += float(loss.detach())
            step += 1
            if max_steps is not None and step >= max_steps:
                if log:
                    log(f"stopped after {step} steps ({time.perf_counter() - started:.0f}s)")
                return FinetunedTagger(model, tokenizer, settings.max_len, lower)
        if log:
            log(
                f"epoch {epoch + 1}/{settings.epochs}: loss {running / per_epoch:.4f} ({time.perf_counter() - started:.0f}s)"
            )
    return FinetunedTagger(model, tokenizer, settings.max_len, lower)


@dataclass(frozen=True)
class Decisions:
    """Goals at or over ``threshold`` (best first, at most ``max_goals``); when none is, the top goal
    if it reaches ``floor`` (``floor >= threshold`` turns this off); otherwise "no goal"."""

    threshold: float
    floor: float
    max_goals: int = 3

    def goals(self, scores: np.ndarray, goal_ids: Sequence[int]) -> list[list[int]]:
        out = []
        for row in scores:
            order = np.argsort(-row)
            chosen = [goal_ids[i] for i in order[: self.max_goals] if row[i] >= self.threshold]
            if not chosen and row[order[0]] >= self.floor:
                chosen = [goal_ids[order[0]]]
            out.append(chosen)
        return out


def choose_decisions(
    scores: np.ndarray,
    gold: Sequence[Sequence[int]],
    goal_ids: Sequence[int],
    objective: Callable[[Sequence[Sequence[int]], list[list[int]]], float],
    *,
    max_goals: int = 3,
) -> tuple[Decisions, float]:
    """Grid-search one global threshold and a top-1 floor for ``objective`` on held-out rows.
    Ties go to the higher threshold and floor (fewer goals)."""
    best: tuple[float, float, float] | None = None
    for threshold in np.round(np.arange(0.05, 0.91, 0.025), 3):
        for floor in [*np.round(np.arange(0.02, threshold, 0.02), 3), threshold]:
            value = objective(gold, Decisions(float(threshold), float(floor), max_goals).goals(scores, goal_ids))
            key = (value, float(threshold), float(floor))
            if best is None or key > best:
                best = key
    assert best is not None
    return Decisions(best[1], best[2], max_goals), best[0]
