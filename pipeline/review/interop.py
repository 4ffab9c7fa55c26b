"""Reviews out, and annotation tasks out and back in, for teams that use other labelling tools.

- ``reviews_csv`` / ``reviews_jsonl``: every review row (undos included), one per line.
- Label Studio: ``label_studio_tasks`` writes tasks (``data.text`` plus the model's goals as a
  ``predictions`` entry of a ``choices`` control named ``goals``); ``label_studio_config`` is the
  matching labelling interface. Importing reads each task's latest ``annotations`` result.
- Argilla (2.x record dicts): ``argilla_records`` writes ``fields.text``, ``metadata`` and the
  model's goals as a ``suggestions`` entry for the multi-label question ``goals``; importing reads
  ``responses`` whose ``status`` is ``submitted``.

Imported annotations become reviews ("change", or "no_goal" when none is chosen) by the named
reviewer, so they join training like decisions made in the app.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.csvcells import neutralise
from pipeline.errors import DecisionError, InputError
from pipeline.review.queue import ReviewQueue
from pipeline.taxonomy import Taxonomy

REVIEW_COLUMNS = ("id", "passage_id", "taxonomy", "decision", "goals_before", "goals_after", "reviewer", "note", "created_at", "undoes", "passage_text")
GOALS = "goals"


def reviews_csv(rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REVIEW_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: neutralise(value) for key, value in {**row, "goals_before": " ".join(map(str, row["goals_before"] or [])), "goals_after": " ".join(map(str, row["goals_after"] or [])), "created_at": _iso(row["created_at"])}.items()})
    return out.getvalue()


def reviews_jsonl(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps({k: _iso(row[k]) if k == "created_at" else row[k] for k in REVIEW_COLUMNS}, ensure_ascii=False) + "\n" for row in rows)


def label_studio_config(taxonomy: Taxonomy) -> str:
    choices = "\n".join(f'    <Choice value="{g.id}" hint="{_xml(g.title)}"/>' for g in taxonomy.goals)
    return f'<View>\n  <Text name="text" value="$text"/>\n  <Choices name="{GOALS}" toName="text" choice="multiple" showInline="false">\n{choices}\n  </Choices>\n</View>\n'


def _items(queue: ReviewQueue, passage_ids: Sequence[str]) -> Iterable[tuple[str, Any, str]]:
    """(passage id, item, model id) for each passage still in the database."""
    for passage_id in passage_ids:
        item = queue.item(passage_id)
        if item is not None:
            yield passage_id, item, next((s["model"] for s in item.suggestions), "")


def label_studio_tasks(queue: ReviewQueue, passage_ids: Sequence[str]) -> list[dict[str, Any]]:
    tasks = []
    for passage_id, item, model in _items(queue, passage_ids):
        tasks.append(
            {
                "data": {"text": item.text, "passage_id": passage_id, "document": item.document["url"], "title": item.document["title"]},
                "predictions": [
                    {
                        "model_version": model,
                        "score": max((s["score"] for s in item.suggestions if s["predicted"]), default=0.0),
                        "result": [{"from_name": GOALS, "to_name": "text", "type": "choices", "value": {"choices": [str(g) for g in item.suggested]}}],
                    }
                ],
            }
        )
    return tasks


def argilla_records(queue: ReviewQueue, passage_ids: Sequence[str]) -> list[dict[str, Any]]:
    records = []
    for passage_id, item, model in _items(queue, passage_ids):
        records.append(
            {
                "id": passage_id,
                "fields": {"text": item.text},
                "metadata": {"document": item.document["url"], "title": item.document["title"], "organisation": item.document["organisation"]},
                "suggestions": [{"question_name": GOALS, "value": [str(g) for g in item.suggested], "agent": model}],
            }
        )
    return records


def import_annotations(queue: ReviewQueue, data: Any, *, reviewer: str, goal_ids: Sequence[int]) -> tuple[int, list[str]]:
    """Reviews from Label Studio tasks or Argilla records, all or nothing: returns (imported,
    problems), and with any problem imports none. Importing the same annotations again adds
    nothing (each becomes a review with a token made from the passage and its goals)."""
    if not isinstance(data, list):
        raise InputError("expected a JSON list of Label Studio tasks or Argilla records")
    if not REVIEWER.match(reviewer):
        raise InputError(f"--reviewer {reviewer!r} is not a reviewer's name; use 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
    rows, problems = [], []
    for number, entry in enumerate(data, start=1):
        try:
            passage_id, raw = _label_studio(entry) if "data" in entry else _argilla(entry)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problems.append(f"item {number}: not a Label Studio task or Argilla record ({error})")
            continue
        goals = None if raw is None else _goal_numbers(raw, number)
        if goals is None:
            continue  # not annotated yet
        try:
            token = f"import:{passage_id}:{' '.join(map(str, goals))}"
            rows.append(queue.review_row(passage_id, reviewer, "change" if goals else "no_goal", goals=goals, goal_ids=goal_ids, note="imported", token=token))
        except DecisionError as error:
            problems.append(f"item {number}: {error}")
    if problems:
        return 0, problems
    tokens = {row["token"] for row in rows}
    before = queue.store.known_tokens(tokens)
    queue.decide_all(rows)
    return len(tokens - before), problems


REVIEWER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")  # as a username: never empty, never a spreadsheet formula
_GOAL_TEXT = re.compile(r"^[0-9]{1,3}$")


def _goal_numbers(values: Any, number: int) -> list[int]:
    """The goals of an annotation, strictly: a JSON list of whole numbers or of their digits as
    text ("3"); a string ("12" is not goals 1 and 2), true, 3.9 or 1e400 is an ``InputError``:
    the file is not what the tool exports."""
    if not isinstance(values, list):
        raise InputError(f"item {number}: the goals must be a JSON list such as [\"3\", \"14\"], not {json.dumps(values)[:40]}")
    goals = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1000:
            goals.append(value)
        elif isinstance(value, str) and _GOAL_TEXT.match(value):
            goals.append(int(value))
        else:
            raise InputError(f"item {number}: {json.dumps(value)[:40]} is not a goal number; goals are whole numbers such as 3 or \"14\"")
    return sorted(set(goals))


def _label_studio(task: dict[str, Any]) -> tuple[str, Any]:
    passage_id = str(task["data"]["passage_id"])
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return passage_id, None
    latest = max(annotations, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
    choices: list[Any] = []
    for r in latest.get("result", []):
        if r.get("from_name") == GOALS:
            found = r["value"]["choices"]
            if not isinstance(found, list):
                return passage_id, found  # refused by _goal_numbers: a lone "12" is not goals 1 and 2
            choices += found
    return passage_id, choices


def _argilla(record: dict[str, Any]) -> tuple[str, Any]:
    passage_id = str(record["id"])
    submitted = [r for r in record.get("responses") or [] if r.get("status", "submitted") == "submitted" and r.get("question_name", GOALS) == GOALS]
    if not submitted:
        return passage_id, None
    return passage_id, submitted[-1]["value"]


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
