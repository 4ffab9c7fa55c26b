"""Evaluating extraction against a hand-labelled gold set.

Gold records: ``{"id", "text", "entities": [{"label", "text", "title", "role", "role_org"}],
"figures": [{"text", "value", "unit", "qualifier", "counted", "year"}]}``. Entities match on
label and exact text; figures on normalised value and unit (so "56 per cent" found as 0.56
percent matches whatever its surface span). Matches are counted as multisets per passage, so a
name mentioned twice must be found twice. Attribute accuracies (titles, roles, counted nouns,
qualifiers) are measured on the matched pairs; ``role_org`` on the matched people with a gold role
(the pipeline gives an organisation its document-wide canonical name, so an acronym written as
the role's organisation counts as wrong when its full name is found: a lower bound).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import ExtractParams
from pipeline.errors import InputError
from pipeline.jsonl import parse_lines
from pipeline.records import Extraction, Passage

ENTITY_LABELS = ("ORG", "PERSON", "GPE")


@dataclass(frozen=True)
class GoldPassage:
    id: str
    text: str
    entities: list[dict[str, Any]]
    figures: list[dict[str, Any]]


def read_gold(path: Path) -> list[GoldPassage]:
    if not path.is_file():
        raise InputError(f"{path}: no such gold file; give a JSON lines file of labelled passages")
    gold = []
    with path.open("rb") as stream:  # bytes: bad UTF-8 is an InputError naming the line
        for line in parse_lines(stream):
            value = line.value
            if line.error or not isinstance(value, dict) or not isinstance(value.get("text"), str):
                raise InputError(f"{path}: {line.error or f'line {line.number}: expected an object with a text'}")
            gold.append(GoldPassage(str(value.get("id", line.number)), value["text"], value.get("entities", []), value.get("figures", [])))
    return gold


def evaluate(gold: Sequence[GoldPassage], params: ExtractParams) -> dict[str, Any]:
    """Precision, recall and F1 per entity type and for figures, plus attribute accuracies."""
    from pipeline import extract  # the models load only when evaluating

    return score(gold, extract.run(gold_passages(gold), params))


def gold_passages(gold: Sequence[GoldPassage]) -> list[Passage]:
    """Each gold row as a one-passage document."""
    return [Passage(id=g.id, document_id=g.id, ordinal=0, text=g.text, start=0, end=len(g.text)) for g in gold]


def score(gold: Sequence[GoldPassage], found: Sequence[Extraction]) -> dict[str, Any]:
    """The metrics of ``evaluate`` for extractions already made, one per gold passage in order."""
    tallies: dict[str, Counter[str]] = {kind: Counter() for kind in (*ENTITY_LABELS, "FIGURE")}
    attributes: dict[str, Counter[str]] = {name: Counter() for name in ("title", "role", "role_org", "counted", "qualifier")}
    for expected, extraction in zip(gold, found, strict=True):
        _score_entities(expected, extraction, tallies, attributes)
        _score_figures(expected, extraction, tallies, attributes)
    metrics: dict[str, Any] = {kind: _prf(tally) for kind, tally in tallies.items()}
    metrics["attributes"] = {
        name: {"accuracy": round(t["right"] / t["total"], 4) if t["total"] else None, "n": t["total"]}
        for name, t in attributes.items()
    }
    metrics["n"] = len(gold)
    return metrics


def _score_entities(expected: GoldPassage, found: Extraction, tallies: dict[str, Counter[str]], attributes: dict[str, Counter[str]]) -> None:
    for label in ENTITY_LABELS:
        gold = [e for e in expected.entities if e["label"] == label]
        predicted = [e for e in found.entities if e.label == label]
        _tally(tallies[label], Counter(e["text"] for e in gold), Counter(e.text for e in predicted))
        if label == "PERSON":
            unmatched = list(predicted)
            for g in gold:
                match = next((p for p in unmatched if p.text == g["text"]), None)
                if match is None:
                    continue
                unmatched.remove(match)
                _attribute(attributes["title"], g.get("title"), match.title)
                _attribute(attributes["role"], g.get("role"), match.role)
                if g.get("role"):  # the organisation of a role, where the gold has a role
                    _attribute(attributes["role_org"], g.get("role_org"), match.role_org)


def _score_figures(expected: GoldPassage, found: Extraction, tallies: dict[str, Counter[str]], attributes: dict[str, Counter[str]]) -> None:
    def key(value: float, unit: str | None) -> str:
        return f"{float(value):.6g}|{unit}"

    gold = Counter(key(f["value"], f["unit"]) for f in expected.figures)
    predicted = Counter(key(f.value, f.unit) for f in found.figures)
    _tally(tallies["FIGURE"], gold, predicted)
    unmatched = list(found.figures)
    for g in expected.figures:
        match = next((f for f in unmatched if key(f.value, f.unit) == key(g["value"], g["unit"])), None)
        if match is not None:
            unmatched.remove(match)
            _attribute(attributes["counted"], g.get("counted"), match.counted)
            _attribute(attributes["qualifier"], g.get("qualifier"), match.qualifier)


def _tally(tally: Counter[str], gold: Counter[str], predicted: Counter[str]) -> None:
    tally["tp"] += sum((gold & predicted).values())
    tally["gold"] += sum(gold.values())
    tally["predicted"] += sum(predicted.values())


def _attribute(tally: Counter[str], gold: str | None, predicted: str | None) -> None:
    tally["total"] += 1
    tally["right"] += (gold or "").strip().lower() == (predicted or "").strip().lower()


def _prf(tally: Counter[str]) -> dict[str, float | int]:
    precision = tally["tp"] / tally["predicted"] if tally["predicted"] else 0.0
    recall = tally["tp"] / tally["gold"] if tally["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "support": tally["gold"]}
