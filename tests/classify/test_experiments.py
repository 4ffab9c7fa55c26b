"""``levelup experiment realistic``: grouped by source page, repeated, by kind, with the leak beside it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.classify.labels import read_labels
from pipeline.classify.train import groups
from pipeline.errors import InputError
from pipeline.taxonomy import load_taxonomy
from tests.conftest import FIXTURES, SMALL_LABELS


def test_labels_keep_their_source_page_and_kind_and_group_by_page(tmp_path: Path):
    path = tmp_path / "web.jsonl"
    rows = [
        {"text": "The trust runs a pre-employment course for unemployed local people.", "goals": [5], "source_url": "https://a.example/1", "kind": "press", "label_basis": "inferred"},
        {"text": "The same page also says it hires apprentices from the local area.", "goals": [3], "source_url": "https://a.example/1", "kind": "press", "label_basis": "inferred"},
        {"text": "Our own written label, with no page behind it at all.", "goals": [8]},
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    records = read_labels(path, load_taxonomy("levelling-up"))
    assert [(r.source, r.kind, r.basis) for r in records] == [("https://a.example/1", "press", "inferred")] * 2 + [(None, None, None)]
    found = groups(records)
    assert found[0] == found[1] == "https://a.example/1" and found[2].startswith("text:")


class Hashed:
    """Stands in for the sentence encoder where embeddings are not what a test is about."""

    id = "hashed"

    def encode(self, texts):
        return np.array([np.random.default_rng(len(t)).standard_normal(8) for t in texts], dtype=np.float32)


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.classify import experiments

    monkeypatch.setattr(experiments, "load_embedder", lambda _tag: Hashed())


@pytest.mark.usefixtures("hashed")
def test_realistic_cv_groups_pages_repeats_splits_and_reports_the_leak(params, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The protocol, with a model that only memorises pages (fitting real ones is a minute per
    fold): grouped, it can never see a test passage's page; ungrouped, it often can."""
    from pipeline.classify import experiments

    def memorise_pages(data, train, test, _params):
        seen = {data.groups[i]: data.gold[i] for i in train}
        return [seen.get(data.groups[i], []) for i in test]

    monkeypatch.setattr(experiments, "fit_predict", memorise_pages)
    rows = [json.loads(line) for line in (FIXTURES / "web-passages-mini.jsonl").read_text(encoding="utf-8").splitlines()]
    realistic = tmp_path / "web.jsonl"  # two passages per page, both with the page's goals
    realistic.write_text("".join(json.dumps(row | {"source_url": f"https://p.example/{i // 2}", "goals": rows[i - i % 2]["goals"]}) + "\n" for i, row in enumerate(rows)), encoding="utf-8")
    result = experiments.realistic_cv(params, taxonomy="levelling-up", labels=[SMALL_LABELS, realistic], folds=5, repeats=2)
    assert result["realistic"] == {"n": len(rows), "pages": len(rows) // 2, "folds": 5, "repeats": 2, "grouped_by": "source_url"}
    model = result["model"]
    assert len(model["macro_f1_splits"]) == 2 and model["macro_f1"] == pytest.approx(sum(model["macro_f1_splits"]) / 2, abs=1e-4)
    assert model["macro_f1"] == 0 and model["no_goal_recall"] == 1  # no page memorised: every passage gets no goal
    assert result["ungrouped"]["macro_f1"] > 0.5  # the leak grouping removes
    assert set(model["by_kind"]) == {row["kind"] for row in rows} and set(model["by_label_basis"]) == {row["label_basis"] for row in rows}
    assert "macro_f1_std" in model and "by_kind" in result["ungrouped"]


@pytest.mark.usefixtures("hashed")
def test_realistic_cv_needs_pages_to_split(params, tmp_path: Path):
    from pipeline.classify.experiments import realistic_cv

    with pytest.raises(InputError, match="from at least 5 pages"):
        realistic_cv(params, taxonomy="levelling-up", labels=[SMALL_LABELS], folds=5)
