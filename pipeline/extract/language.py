"""Is a passage in English? The extractors (en_core_web_sm, the figure grammar) read English
only: on Welsh, "Mae Cyngor Gwynedd" came out a person and "£1 miliwn" a count of 1. A passage
whose words are almost never English function words is not extracted, and the run says so.

A stopword count, not a language model: the most frequent English words make up a third or more
of any English prose and almost none of Welsh (or French, German ...) text, where that language's
own function words are frequent instead. Short passages (headings, captions) are too short to
tell and count as English.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


ENGLISH = _words(
    "the and of to in is for that with on are was this be by as at from have has it we our their will which were "
    "been or not they its more than who all also into over these has had but can he she his her you your"
)
# Function words of the other languages UK organisations publish in (Welsh above all): a passage
# is judged foreign on their evidence only, so English headlines and lists ("Tags: NHS, ...",
# "Headline: Morocco's solar complex ...") with few English function words stay English.
OTHER = {
    "Welsh": _words("mae yn yr y ac ar gyda wedi ein eu bod hefyd gan mewn ydy oedd fydd hyn hynny ond neu cael i o"),
    "Irish": _words("agus an na ar le go bhfuil tá sé sí ag don ach"),
    "French": _words("le la les des et est une du pour que qui dans sur pas avec nous sont au aux"),
    "German": _words("der die das und ist nicht mit für von zu den dem ein eine auch sich wir"),
    "Spanish": _words("el los las y que es por para con del una se su al como más"),
}
MIN_OTHER_SHARE = 0.15  # Welsh prose: 0.3 or more of its words are in OTHER["Welsh"]
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
MIN_WORDS = 8  # fewer words cannot be told apart
MIN_ENGLISH_SHARE = 0.12  # English prose: 0.3-0.5 of words; Welsh with an English word or two: below 0.05


def is_english(text: str) -> bool:
    """Whether ``text`` reads as English: False only when few of its words are English function
    words and many are another language's; True when too short to tell."""
    return guess_language(text) is None


def guess_language(text: str) -> str | None:
    """The language ``text`` is in, when it is clearly not English ("Welsh"); None otherwise."""
    words = [word.lower() for word in _WORD.findall(text)]
    if len(words) < MIN_WORDS or sum(word in ENGLISH for word in words) / len(words) >= MIN_ENGLISH_SHARE:
        return None
    share, language = max((sum(word in known for word in words) / len(words), name) for name, known in OTHER.items())
    return language if share >= MIN_OTHER_SHARE else None
