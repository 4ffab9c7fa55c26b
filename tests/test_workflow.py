"""End to end: `levelup run` on the shipped sample corpus into a temporary database."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence import schema
from pipeline.evidence.store import Store
from tests.conftest import SAMPLE

runner = CliRunner()
SAMPLE_FILES = sorted(p for p in SAMPLE.iterdir() if p.suffix in {".html", ".pdf", ".txt"})


def run(*args: str):
    return runner.invoke(app, ["run", *args])


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'evidence.db'}"
    result = run(str(SAMPLE), "--db", db)
    return db, result


@pytest.mark.slow
def test_sample_corpus_has_the_promised_shape():
    kinds = {p.suffix for p in SAMPLE_FILES}
    assert len(SAMPLE_FILES) >= 8 and {".html", ".pdf", ".txt"} <= kinds


@pytest.mark.slow
def test_run_on_sample_corpus_stores_documents_passages_entities_figures_and_suggestions(sample_db):
    db, result = sample_db
    assert result.exit_code == 0, result.output
    counts = Store.open(db).counts()
    assert counts["documents"] == len(SAMPLE_FILES)
    assert counts["passages"] >= 8 * len(SAMPLE_FILES)
    assert counts["entities"] > counts["documents"] * 5
    assert counts["figures"] > counts["documents"] * 2
    assert counts["suggestions"] == counts["passages"] * 14
    assert counts["runs"] == 1


@pytest.mark.slow
def test_run_on_sample_corpus_tags_evidence_and_leaves_boilerplate_untagged(sample_db):
    db, _ = sample_db
    store = Store.open(db)
    s, p = schema.suggestions, schema.passages
    with store.engine.connect() as connection:
        goals = set(connection.execute(select(s.c.goal).where(s.c.predicted.is_(True))).scalars())
        untagged = connection.execute(
            select(func.count()).select_from(p).where(~p.c.id.in_(select(s.c.passage_id).where(s.c.predicted.is_(True))))
        ).scalar_one()
    assert len(goals) >= 8  # the corpus carries evidence for most goals
    assert untagged > 0  # and passages that are evidence for none


@pytest.mark.slow
def test_run_on_sample_corpus_attributes_documents_to_organisations(sample_db):
    db, _ = sample_db
    with Store.open(db).engine.connect() as connection:
        organisations = connection.execute(select(schema.documents.c.organisation)).scalars().all()
    assert sum(o is not None for o in organisations) >= len(organisations) - 1
    assert not {"Purpose Coalition", "Social Mobility Pledge"} & set(organisations)


@pytest.mark.slow
def test_run_prints_the_evidence_table(sample_db):
    _, result = sample_db
    assert "Passages of evidence per organisation and goal" in result.stdout
    assert "Total" in result.stdout


@pytest.mark.slow
def test_run_twice_leaves_every_row_count_unchanged(sample_db):
    db, _ = sample_db
    before = Store.open(db).counts()
    result = run(str(SAMPLE), "--db", db, "--no-report")
    assert result.exit_code == 0
    assert f"documents unchanged {len(SAMPLE_FILES)}" in result.stderr
    after = Store.open(db).counts()
    assert after == before | {"runs": before["runs"] + 1}


@pytest.mark.slow
def test_run_reprocesses_only_changed_documents(tmp_path: Path, tagger):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE, corpus)
    db = f"sqlite:///{tmp_path / 'evidence.db'}"
    assert run(str(corpus), "--db", db, "--no-report").exit_code == 0
    text_file = next(corpus.glob("*.txt"))
    text_file.write_text(text_file.read_text(encoding="utf-8") + "\n\nThe company has since added 40 more apprenticeships for school leavers.\n", encoding="utf-8")
    result = run(str(corpus), "--db", db, "--no-report")
    assert "documents changed 1" in result.stderr
    assert f"documents unchanged {len(SAMPLE_FILES) - 1}" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("command", [[sys.executable, "-m", "pipeline"], [str(Path(sys.executable).parent / "levelup")]])
def test_console_script_and_module_entry_points(command: list[str]):
    result = subprocess.run([*command, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "classify" in result.stdout


@pytest.fixture(scope="module")
def supervised_db(tmp_path_factory: pytest.TempPathFactory, trained: Path):
    """The sample corpus run with the default tagger when a trained model exists."""
    import os

    db = f"sqlite:///{tmp_path_factory.mktemp('e2e-supervised') / 'evidence.db'}"
    before, asked = os.environ["LEVELUP_MODELS_DIR"], os.environ.pop("LEVELUP_TAG_MODEL", None)
    os.environ["LEVELUP_MODELS_DIR"] = str(trained.parent.parent)
    try:
        yield db, run(str(SAMPLE), "--db", db)
    finally:
        os.environ["LEVELUP_MODELS_DIR"] = before
        if asked is not None:
            os.environ["LEVELUP_TAG_MODEL"] = asked


@pytest.mark.slow
def test_run_with_a_trained_model_stores_flags_and_explanations(supervised_db):
    db, result = supervised_db
    assert result.exit_code == 0, result.output
    s = schema.suggestions
    with Store.open(db).engine.connect() as connection:
        rows = connection.execute(select(s.c.passage_id, s.c.model, s.c.predicted, s.c.flagged, s.c.priority, s.c.reasons, s.c.explanation)).all()
    assert {row.model.split("/")[0] for row in rows} == {"supervised"}
    predicted = [row for row in rows if row.predicted]
    assert predicted and all(row.explanation and row.explanation["examples"] for row in predicted)
    flagged = [row for row in rows if row.flagged]
    assert flagged and all(row.reasons and row.priority is not None for row in flagged)
    assert len({row.passage_id for row in flagged}) <= 50  # tag.flag_budget
