"""Quoted statements with their speaker, the speaker's title, role and organisation.

Handles the two shapes press releases use, `Name, Role, said: “…”` and `“…,” said Name, Role`,
a speaker named in the paragraph before ("… MP said:" then the quote), and quotes running over
several paragraphs (each continuation paragraph opens with a quotation mark, and only the last
one closes it), which keep the speaker of their first paragraph.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.records import Entity, Passage, Quote

SPEAKER_REACH = 300  # characters before or after a quote searched for "Name said"
MIN_QUOTE_WORDS = 4  # shorter quoted strings are scare quotes or titles: ‘level up’
_QUOTE = re.compile(r"[“\"](?P<body>[^”\"]+?)(?P<close>[”\"]|$)", re.DOTALL)
_SPEECH = r"(?:said|says|added|adds|commented|explained|noted|stated|continued|remarked|told\b[^:“\"]{0,60}?)"
_SPEAKER_BEFORE = re.compile(rf"{_SPEECH}\s*[:,]?\s*$", re.IGNORECASE)
_SPEAKER_AFTER = re.compile(rf"\s*[,.]?\s*(?:{_SPEECH}\s+(?P<a>\S)|(?P<b>[A-Z][^,.;]{{0,60}}?)\s+{_SPEECH}\b)", re.IGNORECASE)


@dataclass(frozen=True)
class _Speaker:
    name: str | None
    title: str | None = None
    role: str | None = None
    organisation: str | None = None


NOBODY = _Speaker(None)


class _People:
    """A passage's people in text order, with their start offsets for bisection."""

    def __init__(self, items: list[Entity]) -> None:
        self.items = items
        self.starts = [person.start for person in items]


def find_quotes(passages: Sequence[Passage], entities: Sequence[Sequence[Entity]]) -> list[list[Quote]]:
    """Quotes per passage, for the passages of one document in order."""
    people = _people_index([e for group in entities for e in group if e.label == "PERSON"])
    results: list[list[Quote]] = []
    open_quote: tuple[_Speaker, int] | None = None  # speaker and part of a quote still open
    last: tuple[_Speaker, int] | None = None  # the previous quote's speaker and part
    previous_text = ""
    for passage, found in zip(passages, entities, strict=True):
        persons = _People(sorted((e for e in found if e.label == "PERSON"), key=lambda e: e.start))
        lead = len(passage.text) - len(passage.text.lstrip())  # where the paragraph's text begins
        quotes: list[Quote] = []
        for match in _QUOTE.finditer(passage.text):
            body = match.group("body").strip()
            if len(body.split()) < MIN_QUOTE_WORDS:
                continue
            at_start = match.start() <= lead
            if open_quote is not None and at_start:
                speaker, part = open_quote[0], open_quote[1] + 1
            else:
                speaker, part = _speaker(passage.text, match, at_start, persons, previous_text, people), 1
                if speaker is NOBODY and last is not None and (quotes or at_start):
                    # "“…,” said Name. “More …”" or a new paragraph of quotation: same speaker
                    speaker, part = last[0], last[1] + 1
            start = match.start("body") + (len(match.group("body")) - len(match.group("body").lstrip()))
            quotes.append(Quote(passage.id, body, start, start + len(body), speaker.name, speaker.title,
                                speaker.role, speaker.organisation, part))  # fmt: skip
            open_quote = (speaker, part) if not match.group("close") else None
            last = (speaker, part) if speaker is not NOBODY else None
        if not quotes:
            open_quote = last = None
        results.append(quotes)
        previous_text = passage.text
    return results


def _speaker(
    text: str, match: re.Match[str], at_start: bool, persons: _People, previous_text: str, people: dict[str, _Speaker]
) -> _Speaker:
    """Only the text near the quote is read, so
    a passage with thousands of quotes costs no more per quote than a short one."""
    before = text[max(0, match.start() - SPEAKER_REACH) : match.start()]
    starts = persons.starts
    if _SPEAKER_BEFORE.search(before):
        for person in reversed(persons.items[: bisect_right(starts, match.start())]):
            if person.end <= match.start():
                return _resolve(person, people)
    after = _SPEAKER_AFTER.match(text, match.end(), match.end() + SPEAKER_REACH)
    if after:
        named = persons.items[bisect_left(starts, match.end()) : bisect_right(starts, after.end() + 40)]
        if named:
            return _resolve(named[0], people)
    if at_start and _SPEAKER_BEFORE.search(previous_text[-SPEAKER_REACH:]):
        return _last_person_in(previous_text, people)
    return NOBODY


def _last_person_in(text: str, people: dict[str, _Speaker]) -> _Speaker:
    """The speaker introduced at the end of the previous paragraph ("… MP said:")."""
    positions = [(text.rfind(name), speaker) for name, speaker in people.items() if name in text]
    return max(positions, key=lambda item: item[0])[1] if positions else NOBODY


def _people_index(persons: list[Entity]) -> dict[str, _Speaker]:
    """Every way a person is named in the document, mapped to their fullest description, so
    "Greening said" gets the title and role given with "Rt Hon Justine Greening, Chair of …"."""
    index: dict[str, _Speaker] = {}
    for person in sorted(persons, key=lambda p: (len(p.text.split()), bool(p.role), bool(p.title))):
        speaker = _Speaker(person.text, person.title, person.role, person.role_org)
        index[person.text] = speaker
        if len(person.text.split()) > 1:
            index.setdefault(person.text.split()[-1], speaker)  # surname
            index.setdefault(person.text.split()[0], speaker)  # first name, as in "Justine"
            index[person.text.split()[-1]] = _fuller(index[person.text.split()[-1]], speaker)
    return index


def _fuller(a: _Speaker, b: _Speaker) -> _Speaker:
    def score(s: _Speaker) -> tuple[int, bool, bool]:
        return len((s.name or "").split()), bool(s.role), bool(s.title)

    return b if score(b) >= score(a) else a


def _resolve(person: Entity, people: dict[str, _Speaker]) -> _Speaker:
    known = people.get(person.text) or people.get(person.text.split()[-1])
    if known is None or (person.role and not known.role):
        return _Speaker(person.text, person.title, person.role, person.role_org)
    return known
