"""What kind of organisation a document is about: from its name, its address, or its source's word."""

from __future__ import annotations

import pytest

from pipeline.evidence.organisation_kind import KINDS, organisation_kind
from pipeline.evidence.store import Store
from pipeline.ids import text_hash
from pipeline.records import Document, Provenance


@pytest.mark.parametrize(
    ("name", "url", "kind"),
    [
        ("Sheffield Teaching Hospitals NHS Foundation Trust", None, "nhs"),
        ("Nottingham University Hospitals NHS Trust", None, "nhs"),  # a university in the name, an NHS trust all the same
        ("Yorkshire Ambulance Service", None, "nhs"),
        ("Sheffield Hallam University", None, "university"),
        ("Barnsley Council", None, "council"),
        ("Barnsley Metropolitan Borough Council", None, "council"),
        ("West Midlands Combined Authority", None, "council"),
        ("South Yorkshire Police", None, "public body"),
        ("West Yorkshire Fire and Rescue Service", None, "public body"),
        ("Department for Work and Pensions", None, "public body"),
        ("Clarion Housing Group", None, "housing"),
        ("Berneslai Homes", None, "housing"),
        ("The Trussell Trust", None, "charity"),
        ("Purpose Coalition", None, "charity"),
        ("Sodexo", "https://uk.sodexo.com/impact", "company"),
        ("BT Group", None, "company"),
        ("Leeds Building Society", None, "company"),
        ("Royal Papworth", "https://royalpapworth.nhs.uk/news", "nhs"),  # the name says nothing: the address does
        ("Kirklees", "https://www.kirklees.gov.uk/news", "council"),
        ("", None, None),
        (None, "https://www.nhs.uk/", None),  # no organisation, no kind
    ],
)
def test_organisation_kind_from_name_then_address(name, url, kind):
    assert organisation_kind(name, url) == kind
    assert kind is None or kind in KINDS


def _document(doc_id: str, url: str) -> Document:
    text = f"Document {doc_id} about apprenticeships."
    return Document(id=doc_id, url=url, kind="html", text=text, content_hash=text_hash(text))


def test_documents_are_stored_with_their_kind_and_a_source_may_declare_it(store: Store):
    with store.transaction() as tx:
        tx.save_document(_document("a", "https://www.shu.ac.uk/a"), [], organisation="Sheffield Hallam University")
        tx.save_document(_document("b", "https://www.shu.ac.uk/b"), [], organisation="Sheffield Hallam University")
        tx.save_document(_document("c", "https://example.org/c"), [], organisation="Aspire Together", provenance=Provenance(source="aspire", organisation="Aspire Together", organisation_kind="charity"))
        tx.save_document(_document("d", "https://example.org/d"), [])  # no organisation: no kind
    assert store.organisation_kinds() == {"Sheffield Hallam University": "university", "Aspire Together": "charity"}


def test_a_source_with_an_unknown_organisation_kind_is_refused_in_one_line(tmp_path):
    from pipeline.collect.sources import load_sources
    from pipeline.errors import ConfigError

    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - name: a\n    organisation: A\n    organisation_kind: hospital\n    kind: urls\n    start_urls: [https://example.org/]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert "organisation_kind" in str(caught.value) and "\n" not in str(caught.value)
