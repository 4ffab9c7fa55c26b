"""A person's role and the organisation of that role, read from the words around the name.

The shapes English news and press releases use (``extraction-conventions.md``: the role is kept
whole as written; ``role_org`` is the organisation the text names for it, null for "its", "the
trust's"):

- an apposition after the name: "Matthew Trainer, chief executive of BHRUT, said",
  "Emma Revie, the Trussell Trust's chief executive,", "“…,” said Jon Smith, head of policy.";
  also "Oliver Helm, who was CEO";
- a role written before the name: "Health Secretary Wes Streeting", "Transport Focus chief
  executive Anthony Smith", "its interim head of fundraising Louise Kelly", "Vice-chancellor
  Professor Geoff Layer";
- a possessive before a comma: "National Grid's Director of Corporate Affairs, Chris Hayton,".

A phrase is a role only when its head (the last word before "of", "for", "at" ...) is a job
word (``ROLE_HEADS``); the organisation is the last ORG entity inside the phrase or the one
whose possessive opens it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing
    from spacy.tokens import Doc, Span

# Job words that head a role phrase ("chief executive", "director of nursing", "MP for Barking").
ROLE_HEADS = {
    "chair", "chairman", "chairwoman", "chairperson", "co-chair", "vice-chair", "chief", "executive", "executives",
    "director", "directors", "head", "headteacher", "manager", "officer", "president", "vice-president",
    "vice-chancellor", "chancellor", "pro-vice-chancellor", "dean", "minister", "secretary", "founder",
    "co-founder", "lead", "leader", "partner", "governor", "trustee", "mayor", "councillor", "member",
    "principal", "professor", "ceo", "cfo", "coo", "cto", "cio", "md", "coordinator", "co-ordinator", "adviser",
    "advisor", "ambassador", "commissioner", "nurse", "midwife", "consultant", "spokesperson", "spokesman",
    "spokeswoman", "clerk", "analyst", "economist", "representative", "mp", "msp", "mep", "holder", "volunteer",
    "apprentice", "engineer", "doctor", "surgeon", "physician", "matron", "administrator", "controller",
    "superintendent", "constable", "inspector", "editor", "researcher", "scientist", "fellow", "lecturer",
    "teacher", "owner", "boss", "convener", "convenor", "champion", "organiser", "specialist", "practitioner",
    "therapist", "paramedic", "pharmacist", "assistant", "deputy", "treasurer", "registrar", "provost",
    "rector", "warden", "vicar", "bishop", "chairs", "heads", "managers", "leaders", "commander",
    "captain", "correspondent", "architect", "planner", "strategist", "steward", "ranger", "student",
    "graduate", "coach", "mentor", "officers", "worker", "instructor", "tutor", "principals", "governors",
    "trustees", "secretaries", "ministers", "presidents", "economists", "journalist", "lieutenant",
    "councillors", "nurses", "midwives", "volunteers", "apprentices", "pupils", "partners",
}  # fmt: skip
# Words a role may not open with (they start a clause, not a job title).
_CLAUSE = re.compile(r"^(?:who|which|that|where|when|and|but|as|while|who's)\b", re.IGNORECASE)
_POST_NOMINALS = r"(?:\s+(?:MP|MSP|MS|MEP|OBE|CBE|MBE|DBE|KBE|KC|QC|FRS|FRCP|FRCS|FREng|FMedSci|DL|JP)\b)*"
_SPEECH = r"said|says|added|adds|explained|commented|noted|told|warned|welcomed|believes|stated|argued|urged|wrote|writes|called|praised|thanked|hosted|opened|marked|backed|spoke|insisted|described|announced|agreed"
# ", chief executive of X," after a name (to the next comma, full stop, bracket or speech verb)
_APPOSITION = re.compile(
    rf"{_POST_NOMINALS}\s*,\s*(?P<role>[^,;:()“”\"]+?)(?=\s*(?:[,;:()“”\"]|\.(?:\s|$)|$)|\s+(?:{_SPEECH}|who|which|whose)\b)"
)
# "Welsh Water's", "HS2 Ltd's", "Doncaster and Bassetlaw Teaching Hospitals'"; "the agency's" (no name)
_NAMED_POSSESSOR = re.compile(r"(?P<org>[A-Z][\w&.-]*(?:\s+(?:[A-Z0-9][\w&.-]*|and|of|&))*|[a-z][\w-]*)(?:['’]s|(?<=s)['’])\s+")
_WHO_IS = re.compile(r"^who\s+(?:is|was|became|has\s+been|had\s+been)\s+(?:now\s+)?", re.IGNORECASE)
_DETERMINER = re.compile(r"(?:the|its|their|his|her|our|whose|a|an)\s+", re.IGNORECASE)
_APPOINTED = re.compile(r"(?:(?:newly|recently|the\s+newly)\s+)?(?:appointed|elected|named)\s+", re.IGNORECASE)
_PREPOSITION = re.compile(r"\s+(?:of|for|at|in|with|from|since|on|to)\s+", re.IGNORECASE)
# "director of policy at manufacturers' organisation [EEF]": the organisation's part starts at the last preposition
_ORG_LEAD_IN = re.compile(r"^(?P<role>.*?)\s+(?P<preposition>of|at|for|with|in|from)\s+(?:(?!\b(?:of|at|for|with|in|from)\b).)*$", re.IGNORECASE | re.DOTALL)
# "at Manchester Metropolitan University", "of Norfolk and Suffolk Foundation Trust" (last word a kind of body)
_SHAPED_ORG = re.compile(
    r"\s+(?:of|at)\s+(?:the\s+)?(?P<org>(?:[A-Z][\w&'’.-]*\s+)(?:(?:and|of|for|&)\s+|[A-Z][\w&'’.-]*\s+)*?"
    r"(?:Trust|University|College|Council|Ltd|Limited|plc|PLC|Group|Society|Foundation|Partnership|Board|Authority|"
    r"Association|Agency|Service|Services|Bank|Company|Institute|School|Academy|Police|Commission))$"
)
# "… at the council": the organisation named by a common noun, which the conventions leave out
_GENERIC_ORG = re.compile(
    r"\s+(?:of|at|for)\s+(?:the|this|its)\s+(?:council|trust|company|charity|organisation|firm|group|university|college|"
    r"school|board|bank|authority|association|federation|society|business|agency|foundation|hospital|partnership)$",
    re.IGNORECASE,
)
# "Trust chief executive X": the generic noun before a role is not part of it (conventions, xa036)
_GENERIC_LEAD = re.compile(r"^(?:trust|council|company|charity|college|university|school)\s+(?=\S)", re.IGNORECASE)
# Words that stop a role read backwards from a name: it starts after them.
_STOP_BEFORE = {
    "the", "its", "their", "his", "her", "our", "whose", "a", "an", "this", "that", "these", "those", "by", "from",
    "with", "to", "said", "says", "and", "while", "but", "as", "including", "include", "included", "like", "when",
    "where", "after", "before", "under", "between", "both", "also", "then", "new", "who", "which",
}  # fmt: skip
_ROLE_MODIFIERS = {"shadow", "acting", "interim", "joint", "former", "deputy", "managing", "executive", "lead", "chief"}
_INNER_WORDS = {"of", "for", "at", "in", "and", "&", "-", "the", "on"}  # allowed inside a role read backwards
MAX_ROLE_WORDS = 16  # a longer "apposition" is a clause, not a job


def role_of(text: str, person: Span, start_char: int, orgs: list[Span], people: list[Span]) -> tuple[str | None, str | None]:
    """The role written next to ``person`` (whose titles begin at ``start_char``) and the
    organisation of that role; (None, None) when the text gives none."""
    doc = person.doc
    first = _token_at(doc, start_char)
    found = _role_before(doc, first, orgs, people, allow_comma=False)
    if found is None:
        found = _role_after(text, person, orgs, people)
    if found is None and _followed_by_comma(doc, person):
        found = _role_before(doc, first, orgs, people, allow_comma=True)
    return found or (None, None)


def _token_at(doc: Doc, char: int) -> int:
    for token in doc:
        if token.idx >= char:
            return token.i
    return len(doc)


def _followed_by_comma(doc: Doc, person: Span) -> bool:
    end = person.end
    while end < len(doc) and doc[end].text.upper() in {"MP", "MSP", "OBE", "CBE", "MBE", "DBE", "KBE"}:
        end += 1
    return end < len(doc) and doc[end].text == ","


def _role_after(text: str, person: Span, orgs: list[Span], people: list[Span]) -> tuple[str | None, str | None] | None:
    match = _APPOSITION.match(text, person.end_char, min(len(text), person.end_char + 240))
    if match is None:
        return None
    start, end = match.span("role")
    for org in orgs:  # "chief executive of Barking, Havering and Redbridge University Hospitals NHS Trust"
        if start <= org.start_char < end < org.end_char:
            end = org.end_char
    phrase = text[start:end]
    who = _WHO_IS.match(phrase)
    if who:
        start += who.end()
        phrase = text[start:end]
        phrase = re.split(r"\s+and\s+(?=[a-z]+s\b)", phrase)[0]  # "who was CEO and moves to ..."
        end = start + len(phrase)
    if _CLAUSE.match(phrase) or any(start <= p.start_char < end for p in people):
        return None
    return _read_role(text, start, end, orgs)


def _read_role(text: str, start: int, end: int, orgs: list[Span]) -> tuple[str | None, str | None] | None:
    """Determiners and a possessive opening the phrase taken off, the organisation split off;
    None unless a job word heads what is left."""
    role_org = None
    determiner = _DETERMINER.match(text, start, end)
    if determiner:
        start = determiner.end()
    possessor = next((o for o in orgs if o.start_char == start and re.match(r"['’]s?\s", text[o.end_char : o.end_char + 3])), None)
    if possessor is not None:
        role_org = possessor.text
        start = possessor.end_char + len(re.match(r"['’]s?\s+", text[possessor.end_char :]).group())  # type: ignore[union-attr]
    else:
        named = _NAMED_POSSESSOR.match(text, start, end)  # "Welsh Water's chief executive", "the agency's chair"
        if named:
            role_org = named.group("org") if named.group("org")[0].isupper() else None
            start = named.end()
    appointed = _APPOINTED.match(text, start, end)
    if appointed:
        start = appointed.end()
    phrase = text[start:end].strip()
    if not phrase or len(phrase.split()) > MAX_ROLE_WORDS or not _headed_by_a_job(phrase):
        return None
    inside = [o for o in orgs if start <= o.start_char and o.end_char <= end]
    if inside:
        org = inside[-1]  # "Director of Digital Impact at BT Group": the last
        before = text[start : org.start_char].rstrip()
        if not before:  # "Transport Focus chief executive": the organisation opens the role
            rest = text[org.end_char : end].strip()
            return (_tidy(rest), org.text) if rest and _headed_by_a_job(rest) else None
        lead_in = _ORG_LEAD_IN.match(before + " x")
        if lead_in and lead_in.group("preposition").lower() == "for":  # "Minister for Skills", "MP for Barking"
            return _tidy(phrase), role_org
        role = lead_in.group("role") if lead_in else before
        return (_tidy(role), org.text) if _headed_by_a_job(role) else None
    shaped = _SHAPED_ORG.search(phrase)  # an organisation the NER missed: "of Norfolk and Suffolk Foundation Trust"
    if shaped and _headed_by_a_job(phrase[: shaped.start()]):
        return _tidy(phrase[: shaped.start()]), shaped.group("org")
    return _tidy(_GENERIC_ORG.sub("", phrase)), role_org


def _headed_by_a_job(phrase: str) -> bool:
    head = _PREPOSITION.split(phrase, maxsplit=1)[0].split()
    return bool(head) and head[-1].lower().strip(".,") in ROLE_HEADS


def _tidy(role: str) -> str | None:
    role = _GENERIC_LEAD.sub("", role.strip(" ,"))
    return role or None


def _role_before(doc: Doc, first: int, orgs: list[Span], people: list[Span], *, allow_comma: bool) -> tuple[str | None, str | None] | None:
    """The job words just before the name ("Health Secretary", "its head of fundraising,")."""
    end = first
    if allow_comma:
        if end == 0 or doc[end - 1].text != ",":
            return None
        end -= 1
    elif end > 0 and not (doc[end - 1].text[0].isalnum() or doc[end - 1].text in {"-", "&"}):
        return None
    j = end - 1
    person_tokens = {i for p in people for i in range(p.start, p.end)}
    while j >= 0 and end - j <= MAX_ROLE_WORDS:
        token = doc[j]
        lower = token.lower_
        if token.i in person_tokens or token.tag_ == "POS" or token.text in {"'", "’"}:
            break
        inner = lower in _INNER_WORDS and j > 0 and doc[j - 1].lower_ in {"of", "for", "at", "in", "on"}  # "of the"
        if lower in _STOP_BEFORE and not inner and not (lower == "and" and j > 0 and _joins_a_title(doc, j)):
            break
        if not (token.text[0].isalnum() or token.text in {"-", "&"}) or (
            token.pos_ in {"VERB", "AUX", "PRON", "ADV", "NUM", "SCONJ"} and lower not in ROLE_HEADS and token.tag_ != "VBG" and lower not in _ROLE_MODIFIERS
        ):
            break
        if token.is_sent_start:
            j -= 1
            break
        j -= 1
    begin = j + 1
    while begin < end and doc[begin].lower_ in _INNER_WORDS:
        begin += 1
    if begin >= end or any(p.start < end and p.end > begin for p in people):
        return None
    if allow_comma and not _hard_start(doc, begin):
        return None
    role_org = _possessor(doc, begin, orgs)
    found = _read_role(doc.text, doc[begin].idx, doc[end - 1].idx + len(doc[end - 1]), orgs)
    if found is None or (doc[end - 1].lower_ not in ROLE_HEADS and not _headed_by_a_job(found[0] or "")):
        return None
    return found if found[1] or not role_org else (found[0], role_org)


def _joins_a_title(doc: Doc, j: int) -> bool:
    """"Principal and Chief Executive", "Health and Social Care Secretary": "and" inside a title."""
    before, after = doc[j - 1], doc[j + 1] if j + 1 < len(doc) else None
    if before.lower_ in ROLE_HEADS or after is None:
        return True
    same_case = before.is_title == after.is_title and before.is_lower == after.is_lower
    return same_case and before.pos_ in {"NOUN", "PROPN", "ADJ"} and after.pos_ in {"NOUN", "PROPN", "ADJ"}


def _hard_start(doc: Doc, begin: int) -> bool:
    """A role before a comma and a name must open its clause: "The chair of X, Ian Barham,"."""
    if begin == 0 or doc[begin].is_sent_start:
        return True
    previous = doc[begin - 1]
    return previous.tag_ == "POS" or previous.text in {"'", "’"} or previous.lower_ in {"the", "its", "their", "new", "and", "while", "but", ",", ";", ":"}


def _possessor(doc: Doc, begin: int, orgs: list[Span]) -> str | None:
    """The organisation whose possessive ends just before ``begin``: "National Grid's …"."""
    if begin == 0 or not (doc[begin - 1].tag_ == "POS" or doc[begin - 1].text in {"'", "’"}):
        return None
    end_char = doc[begin - 1].idx
    return next((o.text for o in orgs if o.end_char == end_char), None)
