"""`--org` may name an organisation by any of its names: the store resolves it."""

from __future__ import annotations

import pytest

from pipeline.evidence.store import Store
from pipeline.extract.gazetteer import Gazetteer
from pipeline.ids import text_hash
from pipeline.records import Document


def add(store: Store, doc_id: str, organisation: str) -> None:
    text = f"{organisation} publishes its report."
    document = Document(id=doc_id, url=f"https://example.org/{doc_id}", kind="html", text=text, content_hash=text_hash(text))
    with store.transaction() as tx:
        tx.save_document(document, [], organisation=organisation)


@pytest.mark.parametrize(
    ("asked", "found"),
    [
        ("Barnsley Council", "Barnsley Council"),
        ("barnsley council", "Barnsley Council"),
        ("Barnsley", "Barnsley Council"),
        ("BMBC", "Barnsley Council"),
        ("Barnsley Metropolitan Borough Council", "Barnsley Council"),
        ("the King’s Trust", "King's Trust"),
        ("Sheffield", None),  # begins two organisations: ambiguous
        ("Nobody Ltd", None),
    ],
)
def test_resolve_organisation_accepts_any_alias(store: Store, asked: str, found: str | None):
    for doc_id, organisation in (("a", "Barnsley Council"), ("b", "King's Trust"), ("c", "Sheffield Hallam University"), ("d", "Sheffield Teaching Hospitals NHS Foundation Trust")):
        add(store, doc_id, organisation)
    assert store.resolve_organisation(asked) == found


def test_resolve_organisation_a_stored_former_name_answers_to_the_canonical_name(store: Store):
    add(store, "a", "Barnsley Metropolitan Borough Council")  # stored before the names were made canonical
    gazetteer = Gazetteer(("Barnsley Council",), {"Barnsley Metropolitan Borough Council": "Barnsley Council"})
    assert store.resolve_organisation("Barnsley Council", gazetteer) == "Barnsley Metropolitan Borough Council"
