"""Does a SetFit-style contrastive fine-tune of the encoder help? A held-out check on our own labels.

SetFit (Tunstall et al., 2022) fine-tunes a sentence encoder on pairs of labelled examples (same
goals: similar; disjoint goals: dissimilar) with a cosine-similarity loss, then fits the usual
classifier head on the new embeddings. This script splits our labels once (80/20, seeded), trains
the head of ``levelup train`` on the base encoder and on the fine-tuned one, and prints both
scores on the held-out fifth. A plain torch loop: no extra packages.

    python scripts/try_setfit.py [--taxonomy levelling-up] [--pairs-per-example 16] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402

from pipeline.classify.encoder import load_encoder  # noqa: E402
from pipeline.classify.evaluate import evaluate  # noqa: E402
from pipeline.classify.labels import Labelled, read_labels  # noqa: E402
from pipeline.classify.supervised import Decisions, choose_no_goal_floor, choose_thresholds, make_estimator, out_of_fold  # noqa: E402
from pipeline.taxonomy import load_taxonomy  # noqa: E402


def pairs(records: list[Labelled], per_example: int, rng: random.Random) -> list[tuple[str, str, float]]:
    """(a, b, 1.0) for passages sharing a goal (or both "no goal"), (a, b, 0.0) for disjoint ones."""
    out = []
    for record in records:
        same = [r for r in records if r is not record and (set(r.goals) & set(record.goals) or (not r.goals and not record.goals))]
        other = [r for r in records if not set(r.goals) & set(record.goals) and (r.goals or record.goals)]
        for _ in range(per_example // 2):
            if same:
                out.append((record.text, rng.choice(same).text, 1.0))
            if other:
                out.append((record.text, rng.choice(other).text, 0.0))
    rng.shuffle(out)
    return out


def fine_tune(model, examples: list[tuple[str, str, float]], *, epochs: int, batch_size: int = 16, lr: float = 2e-5) -> None:  # noqa: ANN001
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    for epoch in range(epochs):
        started = time.time()
        for start in range(0, len(examples), batch_size):
            batch = examples[start : start + batch_size]
            a = model.tokenize([x[0] for x in batch])
            b = model.tokenize([x[1] for x in batch])
            ea = model(a)["sentence_embedding"]
            eb = model(b)["sentence_embedding"]
            similarity = torch.nn.functional.cosine_similarity(ea, eb)
            loss = loss_fn(similarity, torch.tensor([x[2] for x in batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        print(f"epoch {epoch + 1}: {len(examples)} pairs in {time.time() - started:.0f}s", flush=True)
    model.eval()


def head_scores(embed, train: list[Labelled], test: list[Labelled], goal_ids: list[int]) -> dict:  # noqa: ANN001
    binarizer = MultiLabelBinarizer(classes=goal_ids)
    x_train, x_test = embed([r.text for r in train]), embed([r.text for r in test])
    y = binarizer.fit_transform([r.goals for r in train])
    oof = out_of_fold(x_train, y, c=4.0, folds=5, seed=0)
    decisions = Decisions(choose_thresholds(oof, y, 0.7), choose_no_goal_floor(oof, y, 0.9))
    model = make_estimator(4.0, 5, 0).fit(x_train, y)
    return evaluate([r.goals for r in test], decisions.goals(model.predict_proba(x_test), goal_ids), goal_ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxonomy", default="levelling-up")
    parser.add_argument("--labels", type=Path)
    parser.add_argument("--pairs-per-example", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(0)
    taxonomy = load_taxonomy(args.taxonomy)
    records = read_labels(args.labels or Path("corpus/labels") / f"{taxonomy.name}.jsonl", taxonomy)
    train, test = train_test_split(records, test_size=0.2, random_state=0)
    encoder = load_encoder(None)

    def embed(texts: list[str]) -> np.ndarray:
        return encoder.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)

    base = head_scores(embed, train, test, taxonomy.goal_ids)
    print(f"base encoder:       macro-F1 {base['macro_f1']:.3f}  no-goal P {base['no_goal']['precision']:.3f}", flush=True)
    fine_tune(encoder.model, pairs(train, args.pairs_per_example, random.Random(0)), epochs=args.epochs)
    tuned = head_scores(embed, train, test, taxonomy.goal_ids)
    print(f"base encoder:       macro-F1 {base['macro_f1']:.3f}  no-goal P {base['no_goal']['precision']:.3f}")
    print(f"contrastive tuned:  macro-F1 {tuned['macro_f1']:.3f}  no-goal P {tuned['no_goal']['precision']:.3f}")


if __name__ == "__main__":
    main()
