"""Training the domain NER model with spaCy's own training (`levelup train-ner`, DVC stage `ner-model`).

    train_ner(Path("corpus/extraction/extraction-web.jsonl"), Path("models/ner"), config=Path("configs/ner.cfg"))

Rows of extraction-web.jsonl (extraction-conventions.md) become spaCy ``DocBin`` files: every
ORG, GPE and PERSON mention is placed in its passage's text in the order the row lists it, and
all other tokens are outside any entity (the annotation is exhaustive). ``configs/ner.cfg``
sources every component from the packaged en_core_web_sm and fine-tunes only its NER, for a fixed
number of epochs (no checkpoint is picked on held-out rows). Folds group rows by ``source_url``
with a stable hash, so a page's passages never sit on both sides of a split
(``scripts/cv_ner.py``).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import DocBin

LABELS = ("ORG", "GPE", "PERSON")


def fold_of(row: dict[str, Any], folds: int) -> int:
    """The fold a row belongs to: a stable hash of its page."""
    return zlib.crc32(str(row.get("source_url") or row["id"]).encode()) % folds


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The annotated rows of a JSON lines file."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the annotated passages (corpus/extraction/extraction-web.jsonl)")
    rows = []
    with path.open(encoding="utf-8") as stream:
        for number, line in enumerate(stream, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                raise InputError(f"{path}: line {number}: expected an object with a text and entities")
            rows.append(row)
    return rows


def entity_offsets(row: dict[str, Any]) -> list[tuple[int, int, str]]:
    """Character spans of a row's entities, found in listed order; a mention that cannot be
    placed without overlapping another is left out."""
    text, cursor = row["text"], 0
    spans: list[tuple[int, int, str]] = []
    for entity in row.get("entities", []):
        if entity["label"] not in LABELS:
            continue
        name = entity["text"]
        free = [i for i in _occurrences(text, name) if not any(i < e and i + len(name) > s for s, e, _ in spans)]
        start = next((i for i in free if i >= cursor), free[0] if free else -1)  # listed out of order: the first free one
        if start < 0:
            continue
        spans.append((start, start + len(name), entity["label"]))
        cursor = start + len(name)
    return sorted(spans)


def _occurrences(text: str, name: str) -> list[int]:
    found, start = [], text.find(name)
    while start >= 0:
        found.append(start)
        start = text.find(name, start + 1)
    return found


def to_docbin(rows: list[dict[str, Any]], nlp: Language) -> DocBin:
    """The rows as annotated ``Doc``s (tokens outside the listed entities are marked outside)."""
    from spacy.tokens import DocBin

    docbin = DocBin()
    for row in rows:
        doc = nlp.make_doc(row["text"])
        kept, taken = [], set[int]()
        for start, end, label in entity_offsets(row):
            span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is not None and not taken & set(range(span.start, span.end)):
                kept.append(span)
                taken.update(range(span.start, span.end))
        doc.set_ents(kept, default="outside")
        docbin.add(doc)
    return docbin


def write_corpus(rows: list[dict[str, Any]], out: Path, *, held_out: list[dict[str, Any]] | None = None) -> tuple[Path, Path]:
    """``out/train.spacy`` from ``rows`` and ``out/dev.spacy`` from ``held_out`` (default: the
    training rows, which `spacy train` needs to log a score but nothing here selects on)."""
    import spacy

    nlp = spacy.blank("en")
    out.mkdir(parents=True, exist_ok=True)
    train, dev = out / "train.spacy", out / "dev.spacy"
    to_docbin(rows, nlp).to_disk(train)
    to_docbin(held_out if held_out is not None else rows, nlp).to_disk(dev)
    return train, dev


def train_ner(data: Path | list[dict[str, Any]], out: Path, *, config: Path, seed: int = 0, epochs: int = 20) -> Path:
    """Fine-tune en_core_web_sm's NER on ``data`` (a file or rows) with ``config``; write the
    pipeline (without the unused lemmatizer) to ``out``, replacing it only once trained."""
    from spacy.cli.train import train

    if not config.is_file():
        raise InputError(f"{config}: no such training config; give configs/ner.cfg from the repository")
    rows = read_rows(data) if isinstance(data, Path) else data
    with tempfile.TemporaryDirectory(prefix="ner-") as work:
        train_path, dev_path = write_corpus(rows, Path(work) / "corpus")
        output = Path(work) / "output"
        overrides = {"paths.train": str(train_path), "paths.dev": str(dev_path), "system.seed": seed, "training.max_epochs": epochs}
        train(config, output, overrides=overrides)
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = out.with_name(out.name + ".tmp")
        shutil.rmtree(staging, ignore_errors=True)
        _save_without_lemmatizer(output / "model-last", staging)
        shutil.rmtree(out, ignore_errors=True)
        staging.rename(out)
    return out


def _save_without_lemmatizer(trained: Path, folder: Path) -> None:
    import spacy

    nlp = spacy.load(trained)
    if "lemmatizer" in nlp.pipe_names:
        nlp.remove_pipe("lemmatizer")
    nlp.meta["name"] = "levelup_ner"
    nlp.to_disk(folder)
