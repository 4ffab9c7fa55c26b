"""The domain NER model's training data and how extraction finds the model."""

import logging

import spacy

from pipeline.extract.ner_training import entity_offsets, fold_of, to_docbin
from pipeline.extract.nlp import pipeline_name

ROW = {
    "id": "r1",
    "source_url": "https://example.org/a",
    "text": "Jane Smith, chief executive of Leeds City Council, said Leeds City Council and Leeds would gain.",
    "entities": [
        {"label": "PERSON", "text": "Jane Smith"},
        {"label": "ORG", "text": "Leeds City Council"},
        {"label": "ORG", "text": "Leeds City Council"},
        {"label": "GPE", "text": "Leeds"},
    ],
}


def test_entity_offsets_place_repeated_mentions_in_listed_order():
    spans = entity_offsets(ROW)
    assert [ROW["text"][s:e] for s, e, _ in spans] == ["Jane Smith", "Leeds City Council", "Leeds City Council", "Leeds"]
    assert spans[-1][0] == ROW["text"].rindex("Leeds")  # not inside an organisation already placed


def test_to_docbin_marks_everything_else_outside():
    nlp = spacy.blank("en")
    [doc] = to_docbin([ROW], nlp).get_docs(nlp.vocab)
    assert [(e.label_, e.text) for e in doc.ents] == [("PERSON", "Jane Smith"), ("ORG", "Leeds City Council"), ("ORG", "Leeds City Council"), ("GPE", "Leeds")]
    assert all(token.ent_iob_ in ("B", "I", "O") for token in doc)  # no token left unannotated


def test_folds_keep_a_page_together():
    assert fold_of(ROW, 5) == fold_of({**ROW, "id": "r2"}, 5)


def test_extraction_falls_back_to_the_stock_pipeline_without_the_trained_model(params, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("LEVELUP_MODELS_DIR", str(tmp_path))
    with caplog.at_level(logging.WARNING):
        assert pipeline_name(params.extract.model_copy(update={"ner_model": "missing-ner"})) == params.extract.spacy_model
    assert "levelup train-ner" in caplog.text
    (tmp_path / "ner").mkdir()
    (tmp_path / "ner" / "config.cfg").write_text("[nlp]\n", encoding="utf-8")
    assert pipeline_name(params.extract) == str(tmp_path / "ner")
    assert pipeline_name(params.extract.model_copy(update={"ner_model": None})) == params.extract.spacy_model
