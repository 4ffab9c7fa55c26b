"""Goal mentions: a passage or heading that names a goal is evidence for it, whatever the model says.

All the data comes from the taxonomy file (``mentions`` rules, goal titles, aliases and
``short_names``), so the SDG taxonomy works the same way. Three kinds of mention, strongest first:

- ``number``: a goal number after a prefix of the framework: "Goal 4", "Levelling Up Goals 2 and
  4", "Purpose Goal Category 6", "SDG 7" (for ``sdg``). A prefix preceded by a word of another
  framework ("SDG 4", "UN Sustainable Development Goal 4" for ``levelling-up``) does not count.
- ``cue``: a title, alias or short name next to a cue word: "the enterprise goal", "won the
  Infrastructure for Opportunity award", "the Good Health and Wellbeing category", "goal of
  extending enterprise".
- ``title``: a full title or alias alone, when it is written as a name (Title Case, "Extending
  Enterprise") or the passage talks about the framework (a ``context`` word such as "goals").

A passage is a *list of the framework*, and names no goal, when it names more than
``max_goals`` goals, or refers to the whole set ("the 14 Purpose Goals, which cover themes such
as ...", "all 17 SDGs") and names goals only by title. Headings are short, so there a title or
alias counts alone, and a short name counts when it is the whole heading ("Enterprise").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.taxonomy import Taxonomy

NUMBER, CUE, TITLE, HEADING = "number", "cue", "title", "heading"
EXPLANATION = "names the goal"
# a mention makes its goal's score at least this (the goal is named: strong evidence)
MENTION_SCORE = 0.95
_SEPARATOR = r"(?:\s*,?\s+|\s*[-–]\s*)"
_NUMBER_WORDS = {12: "twelve", 13: "thirteen", 14: "fourteen", 15: "fifteen", 16: "sixteen", 17: "seventeen", 18: "eighteen"}
_MINOR_WORDS = {"and", "the", "for", "in", "of", "on", "to", "with", "through", "at", "a", "an", "&", "+", "post", "all"}


@dataclass(frozen=True)
class Mention:
    goal: int
    phrase: str  # the words of the text that name the goal
    start: int
    end: int
    kind: str  # number | cue | title | heading

    def to_dict(self) -> dict[str, object]:
        return {"kind": "mention", "text": EXPLANATION, "phrase": self.phrase, "rule": self.kind}


def phrase_pattern(phrase: str) -> str:
    """A regex for a goal name that tolerates case, hyphens for spaces, "&" for "and" and "post 16+"."""
    parts = []
    for token in re.findall(r"[\w']+|&|\+", phrase.lower()):
        if token in ("and", "&"):
            parts.append(r"(?:and|&)")
        elif token == "+":
            parts[-1] += r"\+?" if parts else ""
            continue
        elif token == "wellbeing":
            parts.append(r"well[\s-]?being")
        else:
            parts.append(re.escape(token))
    pattern = _SEPARATOR.join(part for part in parts if part)
    return pattern.replace(r"well" + _SEPARATOR + "being", r"well[\s-]?being")


class GoalMentions:
    """Finds the goals a text names, for one taxonomy (build once, use for many texts)."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        rules = taxonomy.mentions
        self.max_goals = rules.max_goals
        ids = taxonomy.goal_ids
        prefixes = "|".join(phrase_pattern(p) for p in sorted(rules.number_prefixes, key=len, reverse=True))
        number = r"(?<![\d.,])\d{1,2}(?![\d]|[.,]\d|\s*%|\s*per\s*cent)"
        listed = rf"{number}(?:\s*(?:,|and|&|or|to|-|–)\s*(?:{prefixes})?\s*{number})*"
        self._numbered = re.compile(rf"\b(?:{prefixes})\s*(?:no\.?\s*|number\s+|#\s*)?({listed})", re.IGNORECASE)
        self._foreign = re.compile(rf"\b(?:{'|'.join(phrase_pattern(p) for p in rules.foreign_prefixes)})\s*$", re.IGNORECASE) if rules.foreign_prefixes else None
        self._ids = set(ids)
        cues = "|".join(phrase_pattern(c) for c in sorted(rules.cues, key=len, reverse=True))
        self._titles: list[tuple[int, re.Pattern[str]]] = []
        self._cued: list[tuple[int, re.Pattern[str]]] = []
        self._shorts: list[tuple[int, re.Pattern[str]]] = []
        for goal in taxonomy.goals:
            names = [goal.title, *goal.aliases]
            for name in sorted(names, key=len, reverse=True):
                self._titles.append((goal.id, re.compile(rf"(?<![\w-]){phrase_pattern(name)}(?![\w-])", re.IGNORECASE)))
            for name in sorted({*names, *goal.short_names}, key=len, reverse=True):
                body = phrase_pattern(name)
                self._cued.append(
                    (goal.id, re.compile(rf"(?<![\w-])(?:{body})\s+(?:{cues})\b|\b(?:{cues})(?:\s+(?:of|on|for))?\s*[:–-]?\s+(?:{body})(?![\w-])", re.IGNORECASE))
                )
            for name in goal.short_names:
                self._shorts.append((goal.id, re.compile(rf"^{phrase_pattern(name)}$", re.IGNORECASE)))
        self._context = re.compile(rf"\b(?:{'|'.join(phrase_pattern(c) for c in rules.context)})\b", re.IGNORECASE) if rules.context else None
        total = len(ids)
        count = rf"(?:{total}|{_NUMBER_WORDS.get(total, str(total))})"
        nouns = r"(?:goals|sdgs|categories|purpose\s+goals|global\s+goals)"
        self._whole = re.compile(
            rf"\b(?:all(?:\s+of)?(?:\s+the)?(?:\s+{count})?|each\s+of\s+the(?:\s+{count})?|every\s+one\s+of\s+the(?:\s+{count})?|{count})"
            rf"\s+(?:[\w-]+\s+){{0,3}}?{nouns}\b",
            re.IGNORECASE,
        )

    # --- passages --------------------------------------------------------------------------

    def find(self, text: str) -> list[Mention]:
        """Every mention in the text, before the list rule, in text order."""
        found = self._numbers(text) + self._cue_mentions(text)
        context = bool(self._context and self._context.search(text))
        for goal, pattern in self._titles:
            for match in pattern.finditer(text):
                if context or _title_case(match.group(0)):
                    found.append(Mention(goal, match.group(0), match.start(), match.end(), TITLE))
        return sorted(found, key=lambda m: (m.start, -m.end))

    def goals(self, text: str) -> dict[int, Mention]:
        """The goals a passage names, each with its first (strongest) mention; {} for a list."""
        mentions = self.find(text)
        if len({m.goal for m in mentions}) > self.max_goals:
            return {}
        if self._whole.search(text):  # "the 14 Purpose Goals, which cover themes such as ..."
            mentions = [m for m in mentions if m.kind == NUMBER]
        return self._unless_list(mentions)

    def is_list(self, text: str) -> bool:
        """Whether the text names (or refers to) the whole framework rather than some goals."""
        mentions = self.find(text)
        return bool(mentions) and not self.goals(text)

    # --- headings --------------------------------------------------------------------------

    def heading_goals(self, heading: str) -> dict[int, Mention]:
        """The goals a heading names: a title or alias counts alone, a short name when it is the
        whole heading (after any numbering); lists of the framework name none."""
        if self._whole.search(heading):
            return {}
        mentions = self._numbers(heading) + self._cue_mentions(heading)
        mentions += [Mention(g, m.group(0), m.start(), m.end(), HEADING) for g, p in self._titles for m in p.finditer(heading)]
        bare = re.sub(r"^\s*(?:[\divxIVX]+[.):]?\s+|[-–•*]\s*)", "", heading).strip(" .:-–")
        mentions += [Mention(g, bare, 0, len(heading), HEADING) for g, p in self._shorts if p.match(bare)]
        return self._unless_list(sorted(mentions, key=lambda m: (m.start, -m.end)))

    # --- parts -----------------------------------------------------------------------------

    def _numbers(self, text: str) -> list[Mention]:
        found = []
        for match in self._numbered.finditer(text):
            if self._foreign and self._foreign.search(text[: match.start()]):
                continue
            for goal in _numbers_in(match.group(1)):
                if goal in self._ids:
                    found.append(Mention(goal, match.group(0), match.start(), match.end(), NUMBER))
        return found

    def _cue_mentions(self, text: str) -> list[Mention]:
        return [Mention(goal, m.group(0), m.start(), m.end(), CUE) for goal, pattern in self._cued for m in pattern.finditer(text)]

    def _unless_list(self, mentions: list[Mention]) -> dict[int, Mention]:
        numbered = [m for m in mentions if m.kind == NUMBER]
        mentions = [m for m in mentions if m.kind == NUMBER or not _captions(m, numbered)]
        strength = {NUMBER: 0, CUE: 1, HEADING: 2, TITLE: 3}
        by_goal: dict[int, Mention] = {}
        for mention in sorted(mentions, key=lambda m: strength[m.kind]):
            by_goal.setdefault(mention.goal, mention)
        return {} if len(by_goal) > self.max_goals else by_goal


def _captions(mention: Mention, numbered: list[Mention]) -> bool:
    """Whether a title follows a goal number as its caption ("Goal 8: Good health ..."): the
    number names the goal, even where the title is another goal's in this taxonomy."""
    return any(0 <= mention.start - n.end <= 3 for n in numbered)


def _numbers_in(listed: str) -> list[int]:
    """ "2, 3 and 4" -> [2, 3, 4]; "1 to 14" and "1-14" are ranges."""
    numbers: list[int] = []
    tokens = re.findall(r"\d+|to|-|–", listed)
    i = 0
    while i < len(tokens):
        if tokens[i].isdigit():
            if i + 2 < len(tokens) and tokens[i + 1] in ("to", "-", "–") and tokens[i + 2].isdigit():
                numbers.extend(range(int(tokens[i]), int(tokens[i + 2]) + 1))
                i += 3
                continue
            numbers.append(int(tokens[i]))
        i += 1
    return numbers


def _title_case(phrase: str) -> bool:
    """ "Extending Enterprise", "Right Advice and Experiences": every major word capitalised."""
    words = [w for w in re.findall(r"[\w'&+-]+", phrase) if w.lower() not in _MINOR_WORDS and not w[0].isdigit()]
    return len(words) >= 1 and all(w[0].isupper() for w in words) and not phrase.isupper()


_MATCHERS: dict[str, GoalMentions] = {}


def matcher(taxonomy: Taxonomy) -> GoalMentions:
    """The (cached) mention finder of a taxonomy."""
    key = taxonomy.model_dump_json()
    if key not in _MATCHERS:
        _MATCHERS[key] = GoalMentions(taxonomy)
    return _MATCHERS[key]


def mentioned_goals(text: str, taxonomy: Taxonomy) -> dict[int, Mention]:
    """The goals a passage names (``{}`` for none, or for a list of the whole framework)."""
    return matcher(taxonomy).goals(text)


def heading_names_goal(heading: str, taxonomy: Taxonomy) -> list[int]:
    """The goals a heading names, in taxonomy order (empty if none, or a list of the framework)."""
    found = matcher(taxonomy).heading_goals(heading)
    return [goal for goal in taxonomy.goal_ids if goal in found]


def heading_goals(headings: list[str] | None, taxonomy: Taxonomy) -> dict[int, str]:
    """Goals named by the innermost heading that names any (``headings`` outermost first),
    each with that heading's text."""
    for heading in reversed(headings or []):
        goals = heading_names_goal(heading, taxonomy)
        if goals:
            return dict.fromkeys(goals, heading)
    return {}
