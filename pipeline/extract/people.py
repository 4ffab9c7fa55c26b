"""The people a report can name: PERSON entities confirmed as persons.

The small NER model tags many capitalised words as people ("Levy", "Kent", "Schools", "Prison",
"Yorkshire", "HyDeploy"). A mention is taken as a person only when something around it says so:
a title ("Rt Hon", "Dr"), a role written next to the name ("Chief Executive"), or a quote the
person is credited with. A one-word name is never a person on its own; it is a later mention of a
full name with the same last word ("Greening" after "Justine Greening").

    people = confirmed_people(store.entities(ids, label="PERSON"), store.quotes(ids))

Entities and quotes may be records (``Entity``, ``Quote``) or the store's rows (dicts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.records import Entity, Quote


@dataclass
class Person:
    """One person with what the text says about them (first mention that says it wins)."""

    name: str
    title: str | None = None
    role: str | None = None
    organisation: str | None = None
    quoted: bool = False
    passage_ids: list[str] = field(default_factory=list)  # where named, in order, each once

    def describe(self) -> str:
        """"Dr Ana Ruiz, Director of People, Barts Health NHS Trust"."""
        name = f"{self.title} {self.name}" if self.title else self.name
        return ", ".join(part for part in (name, self.role, self.organisation) if part)


def confirmed_people(entities: Iterable[Entity | Mapping[str, Any]], quotes: Iterable[Quote | Mapping[str, Any]] = ()) -> list[Person]:
    """The persons among PERSON mentions, in order of first mention, each once, with title,
    role and organisation (from the mention, else from a quote they gave)."""
    mentions = [_get_all(e) for e in entities if _get(e, "label") == "PERSON" and (_get(e, "text") or "").strip()]
    said = [_get_all(q) for q in quotes if (_get(q, "speaker") or "").strip()]
    people: dict[str, Person] = {}
    for mention in mentions:
        name = mention["text"].strip()
        if " " in name:
            person = people.setdefault(name, Person(name))
            _add(person, mention)
    for mention in mentions:  # one-word mentions: of a full name, or titled ("Lord Blunkett")
        name = mention["text"].strip()
        if " " in name:
            continue
        full = next((p for p in people.values() if p.name.split()[-1] == name), None)
        if full is None and mention.get("title"):
            full = people.setdefault(name, Person(name))
        if full is not None:
            _add(full, mention)
    for quote in said:
        speaker = _speaker(quote["speaker"], people)
        if speaker is not None:
            speaker.quoted = True
            speaker.title = speaker.title or quote.get("title")
            speaker.role = speaker.role or quote.get("role")
            speaker.organisation = speaker.organisation or quote.get("organisation")
    return [p for p in people.values() if p.title or p.role or p.quoted]


def _add(person: Person, mention: dict[str, Any]) -> None:
    person.title = person.title or mention.get("title")
    if mention.get("role") and not person.role:
        person.role = mention["role"]
        person.organisation = person.organisation or mention.get("role_org")
    passage = mention.get("passage_id")
    if passage and passage not in person.passage_ids:
        person.passage_ids.append(passage)


def _speaker(speaker: str, people: dict[str, Person]) -> Person | None:
    speaker = speaker.strip()
    if speaker in people:
        return people[speaker]
    last = speaker.split()[-1]
    return next((p for p in people.values() if p.name.split()[-1] == last and (" " not in speaker or speaker.endswith(p.name))), None)


def _get(item: object, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _get_all(item: Entity | Quote | Mapping[str, Any]) -> dict[str, Any]:
    return dict(item) if isinstance(item, Mapping) else item.to_dict()
