"""The impact report draft: one document model rendered as HTML, Markdown and Word with the same
sections; tables as tables, figures with what they count, each passage once, headings never
evidence, local files named rather than linked; and a page that fits a phone."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.evidence.store import Store
from pipeline.report import model, organisation, sentences
from pipeline.report.summary import evidence_links
from pipeline.report.word import render_docx
from pipeline.review.queue import ReviewQueue
from pipeline.taxonomy import load_taxonomy
from tests.report.conftest import LOCAL_ORG, PROFILE_ORG, REPORT, seed_profile

runner = CliRunner()
PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$|\|\s*-{3}", re.MULTILINE)


class _Text(HTMLParser):
    """The visible text of a page, and its h2 headings."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.h2: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._in.append(tag)
        if tag == "h2":
            self.h2.append("")
        if tag in ("p", "li", "tr", "h2", "h3", "div", "caption", "dd", "dt"):
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        while self._in and self._in.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "style" in self._in or "title" in self._in:
            return
        self.text.append(data)
        if "h2" in self._in:
            self.h2[-1] += data


def _parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def _all_text(report: model.ImpactReport) -> list[tuple[str, str]]:
    return [(fmt, organisation.render(report, fmt)) for fmt in ("html", "md")] + [("docx", _docx_text(render_docx(report)))]


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def _check_report(report: model.ImpactReport) -> None:
    """What every draft must hold, on any data."""
    shown = [e.passage_id for c in report.chapters for e in c.evidence]
    assert len(shown) == len(set(shown)), "a passage repeats"
    for figure in report.headline + [f for c in report.chapters for f in c.figures]:
        assert re.search(r"[A-Za-z]{3}", figure.counted) and "|" not in figure.counted, figure
        assert re.search(r"\d", figure.text), figure
    assert all(c.evidence for c in report.with_evidence), "a goal section without a passage of its own"
    assert all(sentences.stands_alone(p.text, report.organisation) for p in report.summary), report.summary
    texts = [s for c in report.chapters for e in c.evidence for s in sentences.split_sentences(e.text)]
    assert not [s for s in texts if sentences.is_boilerplate(s)], "boilerplate as evidence"
    assert all(e.number and e.number <= len(report.sources) for c in report.chapters for e in c.evidence)
    html = organisation.render(report, "html")
    page = _parse(html)
    assert not PIPE_ROW.search("".join(page.text)), "a pipe table in the HTML text"
    assert page.h2 == report.section_headings()
    document = docx.Document(io.BytesIO(render_docx(report)))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == page.h2
    assert round(document.sections[0].page_width.mm) == 210 and document.inline_shapes
    markdown = organisation.render(report, "md")
    assert len(re.findall(r"^- \*\*Goal \d+", markdown, re.MULTILINE)) == len(report.without_evidence) + len(report.strengths), "list items run together"
    assert re.findall(r"^## (.+)$", markdown, re.MULTILINE) == [organisation._markdown_escape(h) for h in page.h2]
    for fmt, text in _all_text(report):
        assert "(s)" not in text, fmt
        for quote in report.foreword:  # quotes never repeated
            assert _visible(fmt, text).count(" ".join(quote.text.split())[:60]) == 1, (fmt, quote.text)
    assert all(f.number and f.number <= len(report.sources) for f in report.profile)


def test_draft_has_the_impact_report_shape(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    _check_report(report)
    assert report.section_headings()[:4] == [model.FOREWORD, model.SUMMARY, model.HEADLINE, model.GLANCE]
    assert report.period == "March 2024" and report.summary and report.summary[0].text.startswith("Northern Widgets took on 64")
    assert all(not p.text.startswith("Of the seven") for p in report.summary)  # leans on the sentence before it
    chapter = {c.id: c for c in report.with_evidence}
    assert set(chapter) == {3, 4, 6}  # the heading alone gave goal 11 nothing, the boilerplate goal 14 nothing
    assert all(e.text != "Positive destinations post 16+" and "available from" not in e.text for c in report.chapters for e in c.evidence)
    five = next(c for c in report.chapters if c.id == 5)
    # Example NHS Trust has evidence for goal 5 (p1), but a company is not compared with an NHS trust
    assert report.kind == "company" and report.others == 0 and five.peers == 0
    assert "No other company is in the database, so there are no peers of the same kind to compare with." in organisation.render(report, "md")
    assert five.count == 1 and not five.evidence and five in report.without_evidence  # shown once, under goal 3: no empty section
    assert chapter[3].description.startswith("Routes into further education")
    assert ("more than 750", "Apprentices in learning (2021/22)") in [(f.text, f.counted) for f in chapter[3].figures]
    assert "16" not in [f.text for f in chapter[3].figures]  # part of a row label, not a figure
    assert chapter[4].quotes == []  # her words open the draft: the goal does not print them again
    assert [b.text for b in chapter[4].evidence[0].blocks] == ["Quoted in the foreword: Jane Doe, chief executive, Northern Widgets."]
    assert [p.described for p in report.people] == ["Jane Doe, chief executive, Northern Widgets"]  # not "Barnsley"
    assert [q.attribution for q in report.foreword] == ["Jane Doe, chief executive, Northern Widgets"]  # her words open the draft
    assert [c.id for c in report.strengths] == [3, 4, 6] and model.strength(report.strengths[0]) == "2 passages of evidence."
    markdown = organisation.render(report, "md")
    assert "In their words" not in markdown
    for fmt, text in _all_text(report):  # the foreword's quote, once; its passage points to it
        assert text.count("We want every young person in Barnsley") == 1 and "Quoted in the foreword: Jane Doe" in text, fmt
    assert model.PEOPLE in report.section_headings()


def test_at_a_glance_counts_what_the_sections_show(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    glance = re.search(r"## Evidence at a glance\n(.+?)\n## ", organisation.render(report, "md"), re.DOTALL)
    counts = {int(goal): int(n) for goal, n in re.findall(r"^\| (\d+)\. .+? \| (\d+) \|$", glance.group(1) if glance else "", re.MULTILINE)}
    assert counts == {c.id: len(c.evidence) for c in report.chapters} and counts[5] == 0 and counts[3] == 2
    assert all(c.evidence for c in report.with_evidence)


@pytest.mark.parametrize(
    ("org", "sentence", "alone"),
    [
        ("Sodexo", "Sodexo has made gender balance in leadership a global priority and reports on it every year.", True),
        ("Cadent Gas Ltd", "Women now make up 31 per cent of Cadent’s workforce and a growing share of its engineering apprentices.", True),
        ("Sheffield Hallam University", "All SHU undergraduates have the chance to take a placement year or a shorter work-based project.", True),
        ("Sheffield Hallam University", "More than 2,000 apprentices are currently studying with the University while working for 500 employers.", True),
        ("Sodexo", "Similar programmes at Sodexo are open to care leavers, veterans and people who have been long-term unemployed.", False),
        ("Sheffield Hallam University", "Of the seven cohorts so far at Hallam, 43% of participants have moved into a higher-graded role.", False),
        ("Cadent Gas Ltd", "It led the HyDeploy trials, which showed that a blend of up to 20% hydrogen can be used safely by Cadent.", False),
        ("Cadent Gas Ltd", "Carbon monoxide poisoning can be fatal and is more common in poorly maintained homes.", False),
        ("Cadent Gas Ltd", "In 2022 the Foundation awarded £250,000 to advice services working in the West Midlands alone.", False),
        ("Cadent Gas Ltd", "The full Cadent Levelling Up Impact Report is available from the Purpose Coalition website.", False),
        ("Sodexo", "Trained student tutors give small-group maths tuition, and the University runs reading programmes.", False),
        # "the University" names a university only: an NHS trust with University in its name is not one
        ("Nottingham University Hospitals NHS Trust", "More than 1,200 tablets were lent to patients through the University since 2020.", False),
        ("Nottingham University Hospitals NHS Trust", "More than 1,200 tablets were lent to patients through the Trust since 2020.", True),
        ("University of Derby", "The University runs a foundation year with guaranteed progression to a degree for local students.", True),
    ],
)
def test_a_summary_sentence_stands_on_its_own(org: str, sentence: str, alone: bool):
    assert sentences.stands_alone(sentence, org) is alone


def test_the_university_is_named_by_a_university_of_any_name():
    sentence = "The University runs a foundation year with guaranteed progression to a degree for local students."
    assert sentences.stands_alone(sentence, "Cardiff Met", kind="university")  # declared a university by its source
    assert not sentences.stands_alone(sentence, "Cardiff Met", kind="company")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("The full Levelling Up Impact Report is available from the Purpose Coalition website.", ""),
        ("We ran 40 clinics. For more information visit our website.", "We ran 40 clinics."),
        ("See the full report for the methodology.", ""),
        ("Our apprentices built 12 homes.\n\nThey were handed over in May.", "Our apprentices built 12 homes.\n\nThey were handed over in May."),
    ],
)
def test_boilerplate_is_never_evidence(text: str, kept: str):
    assert sentences.without_boilerplate(text) == kept


def test_sources_are_listed_once_and_a_dispute_is_never_printed_as_reviewed(report_db: str):
    store = Store.open(report_db)
    queue = ReviewQueue(store, "levelling-up", reviewers_per_passage=2)
    queue.decide("w2", "ada", "change", goals=[3, 5], goal_ids=range(1, 15))
    queue.decide("w2", "rita", "change", goals=[3], goal_ids=range(1, 15))  # they disagree; nobody settles it
    assert store.disputed_passages("levelling-up", [f"x{i}" for i in range(1200)] + ["w2", "w3"]) == {"w2"}  # read in chunks
    report = organisation.build(store, load_taxonomy("levelling-up"), LOCAL_ORG)
    _check_report(report)
    assert [(s.number, s.title, s.file, s.date) for s in report.sources] == [(1, "northern-widgets-2024.html", "northern-widgets-2024.html", "2024-03-05")]
    shown = {e.passage_id: e for c in report.chapters for e in c.evidence}
    assert shown["w2"].disputed and not shown["w2"].reviewed and all(e.number == 1 for e in shown.values())
    for fmt, text in _all_text(report):
        visible = "".join(_parse(text).text) if fmt == "html" else text
        assert "Source:" not in visible and visible.count("northern-widgets-2024.html") == 1, fmt  # once, in the list
        after = visible[visible.rindex("Northern Widgets took on 64") :][:400]  # the passage, not the summary
        assert "[1]" in after and "disputed: reviewers disagree" in after and "reviewed)" not in after.split("disputed")[0], fmt
    trust = organisation.build(store, load_taxonomy("levelling-up"), "example nhs trust")
    assert len(trust.sources) == 1 and trust.sources[0].link == "https://example.org/news/<b>1</b>"
    assert any(e.reviewed and e.standing == "reviewed" for c in trust.chapters for e in c.evidence)


def test_a_disputed_passage_reads_as_disputed_in_the_summary_and_the_evidence_links(report_db: str):
    """The summary's sentence from a passage reviewers disagree on is not the model's word alone
    (issue 26): it says disputed in every format, and the links every table counts say so too."""
    store = Store.open(report_db)
    queue = ReviewQueue(store, "levelling-up", reviewers_per_passage=2)
    queue.decide("w2", "ada", "change", goals=[3, 5], goal_ids=range(1, 15))
    queue.decide("w2", "rita", "change", goals=[3], goal_ids=range(1, 15))  # unsettled
    taxonomy = load_taxonomy("levelling-up")
    report = organisation.build(store, taxonomy, LOCAL_ORG)
    point = next(p for p in report.summary if p.text.startswith("Northern Widgets took on 64"))
    assert point.disputed and not point.reviewed
    for fmt, text in _all_text(report):
        visible = "".join(_parse(text).text) if fmt == "html" else text
        summary = visible[visible.index("Northern Widgets took on 64") :][:300]  # the summary's point comes first
        assert "disputed: reviewers disagree" in summary.split("Northern Widgets took on 64")[1][:200], (fmt, summary)
    links = evidence_links(store, taxonomy)
    assert set(links[links.passage_id == "w2"].source) == {"disputed"} and set(links[links.passage_id == "p2"].source) == {"review"}
    assert "disputed" not in set(links[~links.passage_id.isin(["w2"])].source)
    queue.settle("w2", "ada", [3], goal_ids=range(1, 15))  # settled: reviewed, and disputed nowhere
    settled = organisation.build(store, taxonomy, LOCAL_ORG)
    assert not any(p.disputed for p in settled.summary) and set(evidence_links(store, taxonomy).source) == {"model", "review"}


@pytest.mark.parametrize(
    ("figure", "label"),
    [
        (model.FigureItem("43%", "participants"), "43% of participants"),
        (model.FigureItem("31 per cent", "workforce"), "31 per cent of workforce"),
        (model.FigureItem("More than 2,000", "apprentices"), "More than 2,000 apprentices"),
        (model.FigureItem("up to 20%", "hydrogen"), "up to 20% hydrogen"),
        (model.FigureItem("£250,000", "advice services", year=2022), "£250,000 advice services (2022)"),
        (model.FigureItem("48%", "Women in senior leadership", from_table=True), "Women in senior leadership: 48%"),
    ],
)
def test_a_figure_says_what_it_counts(figure: model.FigureItem, label: str):
    assert figure.label == label


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("The University has run reading programmes in more than 60 primary schools since the partnership was set up in 2017.", None),
        ("Over 400 prison leavers have been recruited since 2019.", None),
        ("In 2022 the Foundation awarded £250,000 to advice services.", 2022),
        ("We took on 64 apprentices in 2023.", 2023),
        ("We took on 64 apprentices last year; the scheme began in 2023.", None),
    ],
)
def test_a_figure_gets_a_year_only_when_its_sentence_ties_it(text: str, year: int | None):
    figure = next(f for f in ("more than 60", "400", "£250,000", "64") if f in text)
    assert model.tied_year(text, figure, 2017 if "2017" in text else 2019 if "2019" in text else 2022 if "2022" in text else 2023) == year


def test_no_figure_is_printed_twice(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    assert len({f.key for f in report.headline}) == len(report.headline)
    markdown = organisation.render(report, "md")
    assert markdown.count("more than 750") == 2  # the table in its passage, and the headline box: not a third time in "In numbers"
    for chapter in report.with_evidence:
        listed = report.numbers(chapter)
        assert not {f.key for f in listed} & {f.key for f in report.headline} and not any(f.from_table for f in listed)
    assert "| Year |" not in markdown and "Figure | What it counts | Year" not in markdown


def test_html_draft_renders_tables_names_local_files_and_has_print_styles(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    html = organisation.render(report, "html")
    assert "<caption>Apprenticeships at a glance</caption>" in html and '<th scope="row">New starts aged 16–24</th>' in html
    assert "northern-widgets-2024.html" in html and 'href="/home' not in html and "file:" not in html
    assert "@media print" in html and "<svg" not in html and "<script" not in html
    markdown = organisation.render(report, "md")
    assert "| Apprentices in learning | more than 750 |" in markdown and "|---|---|\n\n|---" not in markdown


def test_word_draft_has_real_tables_and_links(report_db: str, tmp_path: Path):
    out = tmp_path / "draft.docx"
    result = runner.invoke(app, ["report", "--db", report_db, "--org", "example nhs trust", "--format", "docx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(out))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[:2] == [model.FOREWORD, model.SUMMARY] and "Goal 3: Positive destinations post 16+" in headings
    assert len(document.tables) >= 1 and "href" not in document.paragraphs[0].text
    assert any("example.org" in rel.target_ref for rel in document.part.rels.values() if rel.is_external)


def test_word_draft_is_a4_with_chart_images_and_no_leftovers(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    data = render_docx(report)
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    images = [rel.target_part for rel in document.part.rels.values() if "image" in rel.reltype]
    assert images and all(part.blob.startswith(b"\x89PNG") for part in images) and len(document.inline_shapes) == len(images)
    assert "█" not in _docx_text(data)
    empty = [i for i, p in enumerate(document.paragraphs) if not p.text.strip() and "<w:drawing" not in p._p.xml]
    assert empty == []
    assert not any(name.startswith("docProps/thumbnail") for name in zipfile.ZipFile(io.BytesIO(data)).namelist())


@pytest.mark.parametrize(
    ("text", "heading"),
    [
        ("Positive destinations post 16+", True),
        ("Annual report", True),
        ("Our people", True),
        ("Hydrogen blend trialled in homes up to 20%", False),
        ("We trained 300 managers.", False),
    ],
)
def test_a_passage_that_is_only_a_heading_is_not_evidence(text: str, heading: bool):
    passage = {"text": text, "headings": ["Annual report"]}
    assert organisation._is_heading(passage, load_taxonomy("levelling-up")) is heading


def test_pipe_tables_become_rows_and_labelled_figures():
    blocks = model.blocks_of("Our year in numbers:\n| Careers engagement | |\n|---|---|\n| Schools reached | 140 |\n| Students | over 2,600 |\nMore to come.")
    assert [b.is_table for b in blocks] == [False, True, False]
    table = blocks[1]
    assert table.caption == "Careers engagement" and table.header == () and table.body[1] == ("Students", "over 2,600")
    assert [(f.text, f.counted) for f in model.table_figures(table.rows)] == [("140", "Schools reached"), ("over 2,600", "Students")]
    stored = model.blocks_of("Key figures", [["Measure", "2022"], ["Staff", "20,000"]])
    assert stored[1].header == ("Measure", "2022") and model.table_figures(stored[1].rows)[0].year == 2022


def test_plurals_and_sources_read_as_finished_text():
    assert model.plural(1, "document") == "1 document" and model.plural(2, "document") == "2 documents"
    assert model.source_name("corpus/sample/report.pdf", None) == ("report.pdf", None)
    assert model.source_name("https://x.org/a", "A") == ("A", "https://x.org/a")


@pytest.mark.slow
@pytest.mark.parametrize("org", ["Sodexo", "Cadent Gas Ltd", "Barnsley", "Sheffield Hallam University"])
def test_sample_corpus_drafts_hold_the_promises(sample_db: str, org: str):
    report = organisation.build(Store.open(sample_db), load_taxonomy("levelling-up"), org)
    _check_report(report)
    assert report.with_evidence and report.summary
    misread = {"Levy", "Kent", "Schools", "Prison", "Yorkshire", "HyDeploy", "Carbon"}
    assert all(p.name not in misread and (p.title or p.role or p.quoted) for p in report.people), report.people


@pytest.mark.slow
def test_sample_corpus_sodexo_tables_are_tables(sample_db: str):
    report = organisation.build(Store.open(sample_db), load_taxonomy("levelling-up"), "Sodexo")
    html = organisation.render(report, "html")
    assert html.count("<table") >= 4 and "Apprenticeships at a glance" in html and "| Measure" not in html
    assert report.headline and all(f.counted for f in report.headline)


@pytest.mark.slow
def test_the_draft_fits_a_desktop_and_a_phone_in_chromium(sample_db: str, tmp_path: Path):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (CI installs it)") if not __import__("os").environ.get("CI") else pytest.fail("chromium missing in CI")
    out = tmp_path / "sodexo.html"
    result = runner.invoke(app, ["report", "--db", sample_db, "--org", "Sodexo", "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for width in (1400, 390):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(out.as_uri())
                assert page.evaluate("document.scrollingElement.scrollWidth") <= width
                assert page.locator("#chart-goals li").count() == 14
                assert page.locator("section.goal table").count() >= 4
                page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert (tmp_path / "report-390.png").stat().st_size > 20_000 and (tmp_path / "report-1400.png").stat().st_size > 20_000


def test_report_joins_the_parts_of_one_quote_in_order():
    from pipeline.report.organisation import _whole_quotes

    rows = [
        {"text": "It is the start.", "speaker": "Jo Bloggs", "part": 2, "start": 60},
        {"text": "We are proud,", "speaker": "Jo Bloggs", "part": 1, "start": 0},
        {"text": "Another voice entirely.", "speaker": "Sam Lee", "part": 1, "start": 120},
    ]
    assert [(r["speaker"], r["text"]) for r in _whole_quotes(rows)] == [
        ("Jo Bloggs", "We are proud. It is the start."),
        ("Sam Lee", "Another voice entirely."),
    ]


def test_report_all_writes_a_draft_per_organisation_and_an_index(report_db: str, tmp_path: Path):
    out = tmp_path / "drafts"
    result = runner.invoke(app, ["report", "--db", report_db, "--all", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["example-nhs-trust.html", "index.html", "northern-widgets.html"]
    index = (out / "index.html").read_text(encoding="utf-8")
    page = _parse(index)
    rows = {m.group(1): m.group(2) for m in re.finditer(r'<a href="([^"]+)">[^<]+</a></th><td>\d+</td>(.*?)</tr>', index)}
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    assert [int(n) for n in re.findall(r">(\d+)</td>", rows["northern-widgets.html"])][:14] == [c.shown for c in report.chapters]
    assert "Northern Widgets" in "".join(page.text) and "<script" not in index
    markdown = runner.invoke(app, ["report", "--db", report_db, "--all", "--format", "md", "--out", str(tmp_path / "md")])
    assert markdown.exit_code == 0 and "[Northern Widgets](<northern-widgets.md>)" in (tmp_path / "md" / "index.md").read_text(encoding="utf-8")
    refused = runner.invoke(app, ["report", "--db", report_db, "--all", "--org", "Northern Widgets"])
    assert refused.exit_code == 2 and "leave out --org" in refused.stderr


def _visible(fmt: str, text: str) -> str:
    return " ".join("".join(_parse(text).text).split()) if fmt == "html" else " ".join(text.split())


def test_the_organisation_and_its_place_gives_its_size_and_places_with_sources(profile_db: str):
    report = organisation.build(Store.open(profile_db), load_taxonomy("levelling-up"), PROFILE_ORG)
    _check_report(report)
    place = [(kind, [(f.text, f.citation) for f in facts]) for kind, facts in report.place]
    assert place == [
        (model.STAFF, [("more than 5,000 staff", "[1]")]),  # not "nine more staff": a supplier's words in a quote
        (model.SERVES, [("around 300,000 people", "[1]")]),  # "cares for a population of": "40 people" into work is no size
        (model.PLACES, [("Walsall, Cannock", "[1]")]),  # not "Aspire" (a programme), "south-west" or England (a comparison)
    ]
    headings = report.section_headings()
    assert headings.index(model.PLACE) == headings.index(model.GLANCE) + 1 and headings[headings.index(model.PLACE) + 1].startswith("Goal")
    # the about-us page holds no evidence, yet it is cited: listed first, as it is cited first
    assert [(s.number, s.title) for s in report.sources] == [(1, "About Riverside"), (2, "Riverside impact report")]
    assert all(e.number == 2 for c in report.chapters for e in c.evidence)
    for fmt, text in _all_text(report):
        visible = _visible(fmt, text)
        assert model.PLACE in visible and "more than 5,000 staff" in visible and "Walsall, Cannock" in visible, fmt
        assert "Aspire" not in visible.split(model.PLACE)[1][:300], fmt


def test_no_place_section_when_nothing_qualifies(report_db: str):
    report = organisation.build(Store.open(report_db), load_taxonomy("levelling-up"), LOCAL_ORG)
    assert report.profile == [] and model.PLACE not in report.section_headings()  # 64 apprentices, 300 managers: no size
    for fmt, text in _all_text(report):
        assert model.PLACE not in text, fmt  # never an empty heading


def test_a_quote_running_over_two_passages_is_shown_whole_and_in_source_order(profile_db: str):
    report = organisation.build(Store.open(profile_db), load_taxonomy("levelling-up"), PROFILE_ORG)
    for fmt, text in _all_text(report):
        visible = _visible(fmt, text)
        assert visible.index("The apprenticeship gave me a trade") < visible.index("Two years later I am teaching"), fmt
    five = next(c for c in report.chapters if c.id == 5)
    first, second = REPORT[1].split("“")[1], REPORT[2].strip("“”")
    assert [q.text for q in five.quotes] == [f"{first} {second}"]  # one quote, whole
    assert [e.passage_ids for e in five.evidence] == [("report1", "report2")]  # one unit, although the second half scores higher
    assert five.shown == 2 and five.elsewhere == 0


def test_a_leaders_foreword_quote_is_not_printed_again_in_its_goal_section(profile_db: str):
    report = organisation.build(Store.open(profile_db), load_taxonomy("levelling-up"), PROFILE_ORG)
    for fmt, text in _all_text(report):
        visible = _visible(fmt, text)
        assert visible.count("see a future with us") == 1 and visible.count("held to every promise") == 1, fmt
    assert [(q.speaker, q.text) for q in report.foreword] == [
        ("Ann Smith", "We want every young person in our towns to see a future with us. That is why we open our doors to schools, and why we will be held to every promise in this report.")
    ]  # whole, first part first, from two passages
    six = next(c for c in report.chapters if c.id == 6)
    assert [e.passage_ids for e in six.evidence] == [("report3", "report4")] and six.quotes == []
    assert [b.text for b in six.evidence[0].blocks] == ["Quoted in the foreword: Ann Smith, Chief Executive, Riverside NHS Trust."]
    assert six.evidence[0].text == ""  # no words of the source left to summarise
    assert all("Quoted in the foreword: Ann Smith" in _visible(fmt, text) for fmt, text in _all_text(report))


@pytest.mark.slow
def test_sample_corpus_organisations_and_their_places(sample_db: str):
    store = Store.open(sample_db)
    expected = {
        "Sheffield Hallam University": {model.STAFF: "around 4,500 staff", model.SERVES: "more than 31,000 students"},
        "Sheffield Teaching Hospitals NHS Foundation Trust": {model.STAFF: "over 18,000 staff", model.SERVES: "around 2.1 million patient contacts"},
        "Severn Trent Water": {model.STAFF: "over 7,000 people", model.SERVES: "more than 4.6 million households and businesses"},
        "BT Group": {model.STAFF: "close to 100,000 people"},  # not the 3.2 million rural homes its fibre is to reach
        "Sodexo": {model.STAFF: "around 30,000 people"},  # not a supplier's "nine more staff"
    }
    for org, figures in expected.items():
        report = organisation.build(store, load_taxonomy("levelling-up"), org)
        assert {kind: facts[0].text for kind, facts in report.place if kind != model.PLACES} == figures, org
    places = {org: ", ".join(f.text for f in organisation.build(store, load_taxonomy("levelling-up"), org).profile if f.kind == model.PLACES) for org in ("Sheffield Hallam University", "Nottingham University Hospitals NHS Trust")}
    assert "Sheffield" in places["Sheffield Hallam University"] and "Aspire" not in places["Sheffield Hallam University"]
    assert "Nottingham" in places["Nottingham University Hospitals NHS Trust"] and "Scrubs" not in places["Nottingham University Hospitals NHS Trust"]


@pytest.mark.slow
def test_sample_corpus_sodexo_chief_executive_is_quoted_once_whole(sample_db: str):
    report = organisation.build(Store.open(sample_db), load_taxonomy("levelling-up"), "Sodexo")
    assert [q.speaker for q in report.foreword] == ["Catherine Dunn"]
    assert report.foreword[0].text.startswith("We serve every kind of community") and report.foreword[0].text.endswith("we will be held to it.")
    for fmt, text in _all_text(report):
        visible = _visible(fmt, text)
        assert visible.count("We have made good progress on gender") == 1 and visible.count("We serve every kind of community") == 1, fmt


def test_what_more_could_be_done_compares_with_peers_of_the_same_kind_only(report_db: str):
    store = Store.open(report_db)
    seed_profile(store)  # Riverside NHS Trust: evidence for goals 3, 5 and 6
    report = organisation.build(store, load_taxonomy("levelling-up"), "Example NHS Trust")
    for fmt, text in _all_text(report):
        visible = _visible(fmt, text)
        # Northern Widgets, a company, has evidence for goals 4 and 6: never counted for an NHS trust
        assert "other organisations in the database" not in visible and "Northern Widgets" not in visible, fmt
        assert "The 1 other NHS organisation in the database has no evidence for this goal." in visible, fmt
    chapters = {c.id: c for c in report.chapters}
    assert report.kind == "nhs" and report.others == 1
    assert (chapters[6].peers, chapters[6].peer_names) == (1, ["Riverside NHS Trust"]) and chapters[4].peers == 0
    assert model.peers(chapters[6], report.others, report.kind) == "The 1 other NHS organisation in the database has evidence for this goal: Riverside NHS Trust."


def test_peers_are_named_up_to_three_then_counted():
    chapter = model.GoalChapter(6, "Fair career progression", "", [], peers=5, peer_names=["A", "B", "C", "D", "E"])
    assert model.peers(chapter, 7, "university") == "5 of the 7 other universities in the database have evidence for this goal: A, B, C and 2 more."
    assert model.peers(chapter, 0, "university") == ""
    none = model.GoalChapter(6, "Fair career progression", "", [])
    assert model.peers(none, 7, "company") == "None of the 7 other companies in the database has evidence for this goal."


@pytest.mark.slow
def test_sample_corpus_peers_are_of_the_same_kind(sample_db: str):
    store = Store.open(sample_db)
    university = organisation.build(store, load_taxonomy("levelling-up"), "Sheffield Hallam University")
    assert (university.kind, university.others) == ("university", 1)  # the University of Derby, not 11 organisations of every kind
    assert {name for c in university.without_evidence for name in c.peer_names} <= {"University of Derby"}
    council = organisation.build(store, load_taxonomy("levelling-up"), "Barnsley")
    assert council.others == 0 and "No other council is in the database" in organisation.render(council, "md")
    assert all(not model.peers(c, council.others, council.kind) for c in council.without_evidence)
