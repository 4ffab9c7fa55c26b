"""Fine-tune the sentence encoder end to end with a multi-label goal head (experimental).

MiniLM (mean pooling) + one linear layer with a sigmoid output per goal, trained with
BCEWithLogits; "no goal" is every output under the threshold. Decisions (one global threshold
and a lower floor for keeping the top goal) are chosen on rows the model was not trained on.
Used by ``scripts/compare_finetuned.py``; nothing in the product depends on it yet.
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


class GoalModel(nn.Module):
    """Transformer encoder, attention-masked mean pooling, linear head with one logit per goal."""

    def __init__(self, path: Path, n_outputs: int) -> None:
        super().__init__()
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(str(path), local_files_only=True)
        self.head = nn.Linear(self.encoder.config.hidden_size, n_outputs)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return self.head(pooled)


class FinetunedTagger:
    """A trained ``GoalModel`` with its tokenizer; ``scores`` gives sigmoid probabilities per goal."""

    def __init__(self, model: GoalModel, tokenizer, max_len: int) -> None:
        self.model, self.tokenizer, self.max_len = model, tokenizer, max_len

    def scores(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        self.model.eval()
        out = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True,
                                       max_length=self.max_len, return_tensors="pt")  # fmt: skip
                out.append(torch.sigmoid(self.model(batch["input_ids"], batch["attention_mask"])).numpy())
        return np.vstack(out) if out else np.zeros((0, self.model.head.out_features), np.float32)


def train(
    path: Path,
    texts: Sequence[str],
    y: np.ndarray,
    settings: FinetuneSettings,
    *,
    log: Callable[[str], None] | None = None,
    max_steps: int | None = None,
) -> FinetunedTagger:
    """Fine-tune from the encoder at ``path`` on ``texts`` with label matrix ``y`` (n x goals)."""
    from transformers import AutoTokenizer

    torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    model = GoalModel(path, y.shape[1])
    encoded = tokenizer(list(texts), truncation=True, max_length=settings.max_len)
    ids, masks = encoded["input_ids"], encoded["attention_mask"]
    targets = torch.tensor(y, dtype=torch.float32)
    optimiser = torch.optim.AdamW(
        [
            {"params": model.encoder.parameters(), "lr": settings.encoder_lr},
            {"params": model.head.parameters(), "lr": settings.head_lr},
        ],
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
            width = max(len(ids[i]) for i in rows)
            input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
            attention = torch.zeros((len(rows), width), dtype=torch.long)
            for j, i in enumerate(rows):
                input_ids[j, : len(ids[i])] = torch.tensor(ids[i])
                attention[j, : len(masks[i])] = torch.tensor(masks[i])
            loss = loss_fn(model(input_ids, attention), targets[rows])
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            running += float(loss.detach())
            step += 1
            if max_steps is not None and step >= max_steps:
                if log:
                    log(f"stopped after {step} steps ({time.perf_counter() - started:.0f}s)")
                return FinetunedTagger(model, tokenizer, settings.max_len)
        if log:
            log(
                f"epoch {epoch + 1}/{settings.epochs}: loss {running / per_epoch:.4f} ({time.perf_counter() - started:.0f}s)"
            )
    return FinetunedTagger(model, tokenizer, settings.max_len)


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
