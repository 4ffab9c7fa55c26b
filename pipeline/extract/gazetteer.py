"""A gazetteer of UK public bodies and coalition members, and titled names, through an EntityRuler.

The small statistical model misses or splits many organisation names in this text. The ruler
runs before the NER component, which keeps the ruler's entities and predicts around them. It
has two kinds of pattern: the exact names in ``data/organisations.yaml`` (and any extra files
configured), and token patterns for the regular shapes of UK public-body names ("... NHS
Foundation Trust", "University of ...", "... City Council", "... Integrated Care Board").
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipeline.errors import ConfigError

if TYPE_CHECKING:  # spaCy loads only when a document needs parsing
    from spacy.language import Language

NAME_PART = {"POS": "PROPN"}
CONNECTOR = {"LOWER": {"IN": ["and", "&", "of", "upon", "for"]}, "OP": "?"}
SHAPE_PATTERNS: list[list[dict[str, Any]]] = [
    [NAME_PART | {"OP": "+"}, CONNECTOR, NAME_PART | {"OP": "*"}, {"ORTH": "NHS"}, {"ORTH": "Foundation", "OP": "?"}, {"ORTH": "Trust"}],
    [{"ORTH": "University"}, {"ORTH": "of"}, {"ORTH": "the", "OP": "?"}, NAME_PART | {"OP": "+"}],
    [NAME_PART | {"OP": "+"}, {"ORTH": "University"}],
    [NAME_PART | {"OP": "+"}, {"ORTH": {"IN": ["City", "County", "Borough", "District", "Metropolitan"]}, "OP": "*"}, {"ORTH": "Council"}],
    [{"ORTH": "NHS", "OP": "?"}, NAME_PART | {"OP": "+"}, CONNECTOR, NAME_PART | {"OP": "*"},
     {"ORTH": "Integrated"}, {"ORTH": "Care"}, {"ORTH": {"IN": ["Board", "System", "Partnership"]}}],
    # a department's or ministry's short name: "a Department for Business spokeswoman"
    [{"ORTH": {"IN": ["Department", "Ministry"]}}, {"LOWER": {"IN": ["for", "of"]}}, NAME_PART | {"IS_TITLE": True}],
]  # fmt: skip


class Gazetteer:
    """Known organisation names and aliases, looked up by normalised name."""

    def __init__(self, names: tuple[str, ...], aliases: dict[str, str]) -> None:
        self.names = names
        self.aliases = aliases
        self._index = {normalise_name(name): name for name in names}
        self._index.update({normalise_name(alias): full for alias, full in aliases.items()})

    def canonical(self, name: str) -> str | None:
        """The canonical name for a known name or alias (case- and punctuation-insensitive)."""
        return self._index.get(normalise_name(name))

    def aliases_of(self, name: str) -> list[str]:
        """The aliases that resolve to ``name``: "Barnsley Council" -> ["BMBC", ...]."""
        return [alias for alias, full in self.aliases.items() if full == name]


def normalise_name(name: str) -> str:
    """Comparable form of an organisation name across documents: "The King’s Trust" and
    "kings trust" compare equal; "&" reads as "and"."""
    name = name.lower().replace("&", " and ").replace("’", "'")
    name = re.sub(r"'s\b|[^\w\s]", " ", name)
    name = re.sub(r"^the\s+", "", name.strip())
    return re.sub(r"\s+", " ", name).strip()


HONORIFIC = {"ORTH": {"IN": ["Dame", "Sir", "Lord", "Lady", "Baroness", "Dr", "Professor", "Prof", "Cllr", "Councillor"]}}
# A titled name is a person whatever the model says: "Rt Hon Dame Caroline Dinenage".
PERSON_PATTERNS: list[list[dict[str, Any]]] = [
    [{"ORTH": "Rt"}, {"ORTH": ".", "OP": "?"}, {"ORTH": "Hon"}, {"ORTH": ".", "OP": "?"}, HONORIFIC | {"OP": "*"}, {"POS": "PROPN", "IS_TITLE": True, "OP": "+"}],
    [HONORIFIC, HONORIFIC | {"OP": "?"}, {"POS": "PROPN", "IS_TITLE": True}, {"POS": "PROPN", "IS_TITLE": True, "OP": "+"}],
]  # fmt: skip


@functools.lru_cache(maxsize=4)
def load_gazetteer(extra_files: tuple[str, ...] = ()) -> Gazetteer:
    shipped = resources.files("pipeline.extract") / "data" / "organisations.yaml"
    sources = [("organisations.yaml", shipped.read_text(encoding="utf-8"))]
    for file in extra_files:
        path = Path(file)
        if not path.is_file():
            raise ConfigError(f"gazetteer file {path} does not exist; fix extract.gazetteers in params.yaml")
        sources.append((str(path), path.read_text(encoding="utf-8")))
    names: list[str] = []
    aliases: dict[str, str] = {}
    for source, text in sources:
        data = yaml.safe_load(text) or {}
        if not isinstance(data, dict) or set(data) - {"names", "aliases"}:
            raise ConfigError(f"gazetteer {source}: expected a mapping with 'names' and 'aliases' only")
        names.extend(str(name) for name in data.get("names") or [])
        aliases.update({str(k): str(v) for k, v in (data.get("aliases") or {}).items()})
    return Gazetteer(tuple(dict.fromkeys(names)), aliases)


def add_entity_ruler(nlp: Language, gazetteer: Gazetteer) -> None:
    """Put an EntityRuler with the gazetteer's names and the name-shape patterns before NER."""
    ruler = nlp.add_pipe("entity_ruler", name="gazetteer", before="ner", config={"overwrite_ents": False})
    phrases = [*gazetteer.names, *gazetteer.aliases]
    phrases += [phrase.replace(" and ", " & ") for phrase in phrases if " and " in phrase]  # "Food & Rural Affairs"
    ruler.add_patterns(  # type: ignore[attr-defined]  # add_pipe is typed as any component; this one is an EntityRuler
        [{"label": "ORG", "pattern": phrase} for phrase in phrases]
        + [{"label": "ORG", "pattern": pattern} for pattern in SHAPE_PATTERNS]
        + [{"label": "PERSON", "pattern": pattern} for pattern in PERSON_PATTERNS]
    )
