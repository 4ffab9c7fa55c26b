"""Quality gate on realistic passages: a model trained without them must tag them this well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.classify.evaluate import evaluate_realistic
from tests.conftest import FIXTURES, ROOT

# Measured: macro-F1 on tests/fixtures/web-passages-mini.jsonl (50 of the web passages, every
# fifth) by a model trained as `levelup train` trains the shipped one, less those 50 and every
# passage of their pages. Floor a bit below.
MACRO_F1_FLOOR = 0.70
NO_GOAL_RECALL_FLOOR = 0.6
REALISTIC = ("web-passages.jsonl", "web-passages-2.jsonl")


@pytest.fixture(scope="module")
def held_out_model(params, models_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All the shipped labels but the mini set's passages and pages (a few minutes: slow tests only)."""
    from pipeline.classify.train import train

    mini = [json.loads(line) for line in (FIXTURES / "web-passages-mini.jsonl").read_text(encoding="utf-8").splitlines()]
    texts, pages = {r["text"] for r in mini}, {r["source_url"] for r in mini}
    folder = tmp_path_factory.mktemp("held-out")
    labels = [ROOT / "corpus/labels/levelling-up.jsonl"]
    for name in REALISTIC:
        rows = [line for line in (ROOT / "corpus/labels" / name).read_text(encoding="utf-8").splitlines()
                if json.loads(line)["text"] not in texts and json.loads(line)["source_url"] not in pages]  # fmt: skip
        (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
        labels.append(folder / name)
    return train(params, taxonomy="levelling-up", labels=labels, out=folder / "models")


@pytest.mark.slow
def test_realistic_passages_are_tagged_well(params, held_out_model: Path):
    from pipeline.classify import load_tagger

    report = evaluate_realistic(FIXTURES / "web-passages-mini.jsonl", load_tagger(params.tag, model_dir=held_out_model))
    assert report["all"]["macro_f1"] >= MACRO_F1_FLOOR
    assert report["all"]["no_goal"]["recall"] >= NO_GOAL_RECALL_FLOOR
    assert report["named"]["passages"] == report["named"]["named_goal_is_gold"]  # a named goal is right


@pytest.mark.slow
def test_the_seed_reports_filings_get_the_goal_the_report_files_them_under(params, held_out_model: Path):
    """The four passages the public seed articles file under a goal (tests/fixtures/seed-filings.jsonl):
    a careers programme for pupils from year 10 is "Successful school and college years" (2), the
    pre-employment programme for unemployed people is Open recruitment (5)."""
    from pipeline import classify
    from pipeline.classify import load_tagger

    rows = [json.loads(line) for line in (FIXTURES / "seed-filings.jsonl").read_text(encoding="utf-8").splitlines()]
    results = classify.classify([r["text"] for r in rows], load_tagger(params.tag, model_dir=held_out_model))
    assert {r["id"]: [g for g, _ in res.goals if g in r["goals"]] for r, res in zip(rows, results, strict=True)} == {r["id"]: r["goals"] for r in rows}


def test_every_web_passage_naming_a_goal_gets_it(tagger):
    """The passages whose text names a goal (checked by hand: wa0066 names Goal 4) get it."""
    from pipeline import classify

    records = [json.loads(line) for line in (ROOT / "corpus/labels/web-passages.jsonl").read_text(encoding="utf-8").splitlines()]
    naming = [r for r in records if r["label_basis"] == "explicit" and "Goal " in r["text"]]
    assert naming
    for record, result in zip(naming, classify.classify([r["text"] for r in naming], tagger), strict=True):
        assert set(record["goals"]) <= {g for g, _ in result.goals}
