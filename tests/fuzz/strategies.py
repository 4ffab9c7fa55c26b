"""Random and hostile input: text with control characters, lone surrogates, huge numbers,
markup fragments and the pipeline's own favourite shapes (figures, headings, boilerplate)."""

from __future__ import annotations

from hypothesis import strategies as st

WORDS = [
    "the", "trust", "council", "over", "20,000", "staff", "56", "per", "cent", "£4.8bn", "1", "in", "5", "apprentices",
    "Goal", "3:", "Positive", "destinations", "%", "m", "bn", "more", "than", "2026", "£", "million", "jobs", "Read:", "#",
    "•", "\u00a0", "\u200b", "\ufeff", "–", "—", "…", "é", "😀", "\t", "Cookies", "Accept", "all", "cookies", "1.2.3",
    "9" * 40, "-", "+", "=", "@", "(", ")", ":", ";", ".", "\n", "\n\n", "\r\n", "\x0b", "\x0c", "\x1c", "\u2028", "\u2029",
]
TAGS = ["<p>", "</p>", "<h1>", "</h1>", "<h2>", "</h2>", "<div>", "</div>", "<table><tr><td>", "</td></tr></table>", "<br>",
        "<script>", "</script>", "<!--", "-->", "<![CDATA[", "]]>", "<meta charset='utf-8'>", "<title>", "</title>", "&amp;",
        "&#0;", "&#xD800;", "&nbsp;", "<article>", "</article>", "<", ">", "\"", "'"]

any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)  # every code point, surrogates too
wordy = st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=120).map(" ".join)
# Hostile input for the readers (files, pages, JSON lines), encoded to bytes ("surrogatepass"):
# lone surrogates included, since a file can hold their bytes.
texts = any_text | wordy
# What the readers produce, so what every later stage (segmenter, extractors, store) is fuzzed
# with: valid Unicode, no lone surrogate (the reader tests check the readers let none through;
# text_hash and spaCy cannot take one). A stage's strategy must never draw past this.
unicode_texts = st.text(st.characters(codec="utf-8"), max_size=400) | wordy
html_like = st.lists(st.sampled_from(TAGS) | wordy, max_size=60).map("".join)
raw_bytes = st.binary(max_size=2000)
