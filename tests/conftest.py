"""Shared fixtures: models are loaded once per session; databases are temporary files.

Tests never read or write the checkout's ``data/`` and ``models/``: the session starts with empty
temporary ones, and the session fails if a test run left a new or changed file in the checkout.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresServer, postgres_bindir

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test must never download a model
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "corpus" / "sample"
SHARED = ROOT.parent / "shared"
# a small, deterministic draw from corpus/labels/levelling-up.jsonl (see fixtures/README.md)
SMALL_LABELS = FIXTURES / "labels-small.jsonl"
FULL_LABELS = ROOT / "corpus" / "labels" / "levelling-up.jsonl"

# Written by Python and the tools themselves, not by the code under test.
TOOL_FOLDERS = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def checkout_files(root: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every untracked or ignored file in a git checkout, and every
    empty folder in it as ``"path/"`` (git lists no empty folder: a test made ``file:/tmp/...``
    folders unseen); tools' own folders left out; empty outside git."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "-z"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    entries = [entry[3:].rstrip("/") for entry in status.split("\0") if entry[:2] in ("??", "!!")]
    files: dict[str, tuple[int, int]] = {}
    for entry in entries:
        if _tool_owned(Path(entry)):
            continue  # never walked: .venv alone holds tens of thousands of files
        top = root / entry
        paths = [top] if top.is_file() else [Path(folder) / name for folder, _, names in os.walk(top) for name in names]
        for path in paths:
            relative = path.relative_to(root)
            if not _tool_owned(relative) and path.is_file():
                stat = path.stat()
                files[relative.as_posix()] = (stat.st_size, stat.st_mtime_ns)
    return files | dict.fromkeys(empty_folders(root), (0, 0))


def empty_folders(root: Path) -> list[str]:
    """Every empty folder under ``root`` (tools' own folders not walked), as ``"path/"``."""
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if name not in TOOL_FOLDERS]
        if not subfolders and not names and Path(folder) != root:
            found.append(Path(folder).relative_to(root).as_posix() + "/")
    return found


def _tool_owned(relative: Path) -> bool:
    return bool(TOOL_FOLDERS.intersection(relative.parts)) or ".egg-info" in str(relative)


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[CHECKOUT_BEFORE] = checkout_files(ROOT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when it wrote into the checkout (a stage writing to ./data, a model to ./models)."""
    before = session.stash.get(CHECKOUT_BEFORE, None)
    if before is None:
        return
    after = checkout_files(ROOT)
    written = sorted(path for path, seen in after.items() if before.get(path) != seen)
    if written:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the test run wrote into the checkout (use tmp_path): " + ", ".join(written[:20])
        if reporter is not None:
            reporter.write("\n")
            reporter.write_line(f"ERROR: {message}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


CHECKOUT_BEFORE = pytest.StashKey[dict[str, tuple[int, int]]]()


@pytest.fixture(scope="session", autouse=True)
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Tests never see the checkout's ./data (its embeddings cache, database, raw files): the
    default data folder is an empty temporary one, and ``$LEVELUP_DB`` is unset."""
    root = tmp_path_factory.mktemp("data")
    saved = {name: os.environ.pop(name, None) for name in ("LEVELUP_DATA_DIR", "LEVELUP_DB")}
    os.environ["LEVELUP_DATA_DIR"] = str(root)
    yield root
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value


@pytest.fixture(scope="session", autouse=True)
def models_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never see models trained by hand into ./models: they start from an empty models
    folder, and ask for the zero-shot tagger ($LEVELUP_TAG_MODEL: a missing trained model is an
    error), unless they ask for ``trained``."""
    root = tmp_path_factory.mktemp("models")
    os.environ["LEVELUP_MODELS_DIR"] = str(root)
    os.environ["LEVELUP_TAG_MODEL"] = "zero-shot"
    # The quantised encoder set-up exported into ./models is not a trained model: a copy saves
    # every session the export (about 15 s); without one, the first tagger exports it afresh.
    exported = ROOT / "models" / "encoders"
    if exported.is_dir():
        shutil.copytree(exported, root / "encoders")
    # The domain NER model is committed (extract.ner_model): extraction tests use it, as users do.
    ner = ROOT / "models" / "ner"
    if ner.is_dir():
        shutil.copytree(ner, root / "ner")
    return root


@pytest.fixture(scope="session")
def trained(params, models_root: Path) -> Path:
    """A levelling-up model trained on the small labels fixture with 2 cross-validation folds (the
    sklearn fits, not the encoding, cost most), in a folder of its own. It is for checking how
    trained models are saved, loaded, explained and flagged; checks of its quality use ``trained_full``."""
    from pipeline.classify.train import train

    quick = params.model_copy(update={"train": params.train.model_copy(update={"folds": 2})})
    root = models_root.parent / "trained-models"
    return train(quick, taxonomy="levelling-up", labels=[SMALL_LABELS], out=root)


@pytest.fixture(scope="session")
def trained_full(params, models_root: Path) -> Path:
    """A levelling-up model trained on all the shipped labels (a minute or more: slow tests only)."""
    from pipeline.classify.train import train

    root = models_root.parent / "trained-full-models"
    return train(params, taxonomy="levelling-up", labels=[FULL_LABELS], out=root)


@pytest.fixture(scope="session")
def supervised(params, trained: Path):
    from pipeline.classify import load_tagger

    return load_tagger(params.tag, model_dir=trained)


@pytest.fixture(scope="session")
def params():
    from pipeline.config import Params

    return Params()


@pytest.fixture(scope="session")
def nlp(params):
    from pipeline.extract.nlp import load_nlp

    return load_nlp(params.extract.spacy_model)


@pytest.fixture(scope="session")
def tagger(params):
    from pipeline.classify import load_tagger

    return load_tagger(params.tag)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'evidence.db'}"


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server on a free loopback port, for the whole session (about 2 s
    to start). Without PostgreSQL's binaries or the psycopg driver its tests are skipped, except
    in CI (``CI=true``), where they fail: CI must never pass by skipping them."""
    bindir = postgres_bindir()
    missing = None if bindir else "PostgreSQL's binaries (initdb, pg_ctl) are not installed: apt-get install postgresql"
    if missing is None and importlib.util.find_spec("psycopg") is None:
        missing = "the psycopg driver is not installed: pip install -e '.[postgresql]'"
    if missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI runs the PostgreSQL tests, but {missing}", pytrace=False)
        pytest.skip(f"PostgreSQL tests skipped: {missing}")
    assert bindir is not None
    server = PostgresServer(bindir)
    try:
        server.start()
    except (OSError, subprocess.CalledProcessError) as exc:
        server.stop()
        output = getattr(exc, "stderr", None) or ""
        pytest.fail(f"the test PostgreSQL server did not start: {exc}\n{output}\n{server.log_tail()}", pytrace=False)
    yield server
    server.stop()


DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
# for suites whose PostgreSQL run is costly (the review app's: seeding and two password hashes a test)
DATABASES_SLOW_ON_POSTGRESQL = ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgresql, pytest.mark.slow])]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty evidence database: an SQLite file, then a database on the session's PostgreSQL
    server (dropped after the test). Suites that must hold on both use it as their ``db_url``."""
    yield from new_database(request, tmp_path)


def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """``database_url``'s body, for a suite that parametrises it its own way."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'evidence.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.new_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def store(db_url: str):
    from pipeline.evidence.store import Store

    store = Store.open(db_url)
    yield store
    store.dispose()
