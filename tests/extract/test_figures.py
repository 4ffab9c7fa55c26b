import pytest

from pipeline.extract.figures import find_figures, find_table_figures, merge_duplicates
from pipeline.records import Figure, Passage


def figures(nlp, text: str) -> list[tuple]:
    return [(f.text, f.value, f.unit, f.qualifier, f.counted) for f in find_figures(nlp(text), "p")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Employing over 20,000 staff, UHB is large.", ("over 20,000", 20000, "count", "over", "staff")),
        ("It treats more than 2.2 million patients.", ("more than 2.2 million", 2_200_000, "count", "more than", "patients")),
        ("56 per cent of the workforce are women.", ("56 per cent", 0.56, "percent", None, "workforce")),
        ("Uptake rose to 43% of eligible families.", ("43%", 0.43, "percent", None, "eligible families")),
        ("The company invested £4.8bn in the network.", ("£4.8bn", 4.8e9, "GBP", None, None)),
        # money counts nothing but a kind of value (extraction-conventions.md): "a budget of £4,500" as "a fund of"
        ("A fund of £250,000 for local charities.", ("£250,000", 250_000, "GBP", None, None)),
        ("The bank lent £1.2m to small firms.", ("£1.2m", 1_200_000, "GBP", None, None)),
        ("It opened seven family hubs.", ("seven", 7, "count", None, "family hubs")),
        ("1 in 5 staff volunteered last year.", ("1 in 5", 0.2, "ratio", None, "staff")),
        ("Life expectancy falls by over eight years.", ("over eight", 8, "years", "over", None)),
    ],
)
def test_find_figures_normalises_value_unit_qualifier_and_counted_noun(nlp, text, expected):
    found = figures(nlp, text)
    assert len(found) == 1
    surface, value, unit, qualifier, counted = found[0]
    assert (surface, unit, qualifier, counted) == (expected[0], expected[2], expected[3], expected[4])
    assert value == pytest.approx(expected[1])


@pytest.mark.parametrize(
    "text",
    [
        "The goals were launched in 2021.",
        "It was published on 2 February 2021.",
        "Pupils in Year 10 and Key Stage 2 took part.",
        "Call 0121 371 2000 for details.",
        "Visit us at B15 2TH.",
        "The 1st cohort started during COVID-19.",
        "The 21/22 strategic objectives were agreed.",
        "Barts Health has one of the most diverse workforces.",
    ],
)
def test_find_figures_ignores_years_dates_labels_phones_postcodes_and_ordinals(nlp, text):
    assert figures(nlp, text) == []


def test_find_figures_attaches_a_year_in_the_same_sentence(nlp):
    [figure] = find_figures(nlp("In 2022 the trust hired 300 apprentices."), "p")
    assert figure.year == 2022 and figure.value == 300


def test_find_figures_offsets_index_the_passage(nlp):
    text = "Around 1,500 patients and £3m of funding."
    for figure in find_figures(nlp(text), "p"):
        assert text[figure.start : figure.end] == figure.text


def test_find_figures_handles_non_breaking_spaces_and_tables(nlp):
    text = "| Staff | 18,000 |\n\n| Patients | 2.1\u00a0million |"
    assert [f.value for f in find_figures(nlp(text), "p")] == [18000, 2_100_000]


def table_passage(text: str, rows: list[list[str]]) -> Passage:
    return Passage(id="t", document_id="d", ordinal=0, text=text, start=0, end=len(text), table=rows)


def test_find_table_figures_count_what_their_row_and_column_labels_say():
    text = "| Apprenticeships at a glance | | |\n\n|---|---|---|\n\n| Measure | 2022 | 2023 |\n\n| Apprenticeship starts | 95 | more than 120 |\n\n| Share aged 16–24 | 55% | 1 in 4 |"
    rows = [["Apprenticeships at a glance", "", ""], ["Measure", "2022", "2023"], ["Apprenticeship starts", "95", "more than 120"], ["Share aged 16–24", "55%", "1 in 4"]]
    found = find_table_figures(table_passage(text, rows))
    assert [(f.text, f.value, f.unit, f.qualifier, f.counted, f.year) for f in found] == [
        ("95", 95, "count", None, "Apprenticeship starts (2022)", 2022),
        ("more than 120", 120, "count", "more than", "Apprenticeship starts (2023)", 2023),
        ("55%", 0.55, "percent", None, "Share aged 16–24 (2022)", 2022),
        ("1 in 4", 0.25, "ratio", None, "Share aged 16–24 (2023)", 2023),
    ]
    assert all(text[f.start : f.end] == f.text for f in found)
    assert all("|" not in (f.counted or "") for f in found)


def test_find_table_figures_in_a_later_piece_use_the_repeated_header():
    text = "| Completions | 80 |"
    found = find_table_figures(table_passage(text, [["Measure", "2023"], ["Completions", "80"]]))
    assert [(f.counted, f.year, text[f.start : f.end]) for f in found] == [("Completions (2023)", 2023, "80")]


def test_find_table_figures_word_ratio_in_a_cell():
    text = "| Measure | Figure |\n\n| Graduates promoted within a year | seven in ten |"
    [figure] = find_table_figures(table_passage(text, [["Measure", "Figure"], ["Graduates promoted within a year", "seven in ten"]]))
    assert (figure.value, figure.unit, figure.counted) == (0.7, "ratio", "Graduates promoted within a year")


@pytest.mark.parametrize(
    "text",
    [
        "The academy supports 16–24 year olds into work.",
        "Places are open to people aged 16-24 across the city.",
        "Most 18–24s now apply online.",
        "Positive destinations post 16+ improved.",
        "She was the first in her family to go to university.",
        "The Trust is ranked 3rd in the region and celebrated its 75th anniversary.",
        "Two of our staff won awards.",
        "One of the largest employers in the North.",
        "Both trusts agreed; the two organisations will share a board.",
    ],
)
def test_find_figures_ages_ordinals_and_number_words_in_prose_are_not_figures(nlp, text):
    assert figures(nlp, text) == []


def test_find_figures_a_dash_range_is_one_figure_with_an_upper_bound(nlp):
    [figure] = find_figures(nlp("The scheme offers 200–300 apprenticeships a year."), "p")
    assert (figure.text, figure.value, figure.upper, figure.counted) == ("200–300", 200, 300, "apprenticeships")


def test_find_figures_between_and_range_shares_the_counted_noun(nlp):
    found = figures(nlp, "It welcomes between 200 and 300 sixth-formers every summer.")
    assert [(f[1], f[4]) for f in found] == [(200, "sixth-formers"), (300, "sixth-formers")]


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("The programme placed 85 young people into paid roles.", "young people"),
        ("It will recruit 60 community health champions.", "community health champions"),
        ("The company has trained over 500 mental health first aiders.", "mental health first aiders"),
        ("38% of the University’s undergraduates are the first in their family.", "undergraduates"),
        ("9 in 10 of them were still in work a year later.", None),
        ("The council announced a £120m investment in the east of the city.", None),
        ("Severn Trent has awarded £750k in grants to community projects.", "grants"),
        ("Apprentices recruited: 342 | Work experience placements: 1,150", "apprentices"),
        ("It reaches 1,400 students, of whom 480 are mature learners.", "mature learners"),
        ("The rate compares with a national average of 12%.", None),
    ],
)
def test_find_figures_counted_phrases(nlp, text, counted):
    assert figures(nlp, text)[-1 if "480" in text else 0][4] == counted


def test_find_figures_two_hospitals_is_a_figure_and_a_year_is_no_ratio_base(nlp):
    assert figures(nlp, "The Trust runs two hospitals.") == [("two", 2, "count", None, "hospitals")]
    assert [f[1] for f in figures(nlp, "It now offers 64 apprenticeships, up from 20 in 2020.")] == [64, 20]


def fig(passage: str, value: float, counted: str | None, unit: str = "count") -> Figure:
    return Figure(passage, str(value), value, unit, 0, 1, counted=counted)


def test_merge_duplicates_keeps_a_repeated_claim_once_with_its_label():
    merged = merge_duplicates([
        [fig("p1", 0.38, None, "percent"), fig("p1", 20, "schools")],
        [fig("p2", 0.38, "Reduction in carbon (2023)", "percent"), fig("p2", 20, "apprentices"), fig("p2", 20, "schools")],
    ])  # fmt: skip
    assert [[(f.value, f.counted) for f in group] for group in merged] == [
        [(0.38, "Reduction in carbon (2023)"), (20, "schools")],
        [(20, "apprentices")],
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1. Leeds Building Society was founded in 1875.",
        "Staff in bands 2 and 3 learnt to use the NHS App.",
        "Students join a four-week placement and a 12-month programme.",
    ],
)
def test_find_figures_list_markers_label_lists_and_duration_adjectives_are_not_figures(nlp, text):
    assert figures(nlp, text) == []


def test_find_figures_a_fraction_in_words_is_a_ratio(nlp):
    assert figures(nlp, "Around two-thirds of students are the first in their family at university.") == [
        ("Around two-thirds", pytest.approx(2 / 3), "ratio", "around", "students")
    ]


def test_find_figures_a_duration_of_an_activity_counts_nothing(nlp):
    assert figures(nlp, "Most moved up within two years of finishing the programme.") == [("two", 2, "years", None, None)]


@pytest.mark.parametrize(
    ("text", "counted"),
    [
        ("The trust will buy 120 new ambulances this year.", "ambulances"),  # "new" is not what is counted
        ("The plan adds 4,000 extra school places.", "school places"),
        ("The network reaches 3.2 million homes and businesses across the region.", "homes and businesses"),
        ("The county has seen a 14% rise in referrals.", None),  # a change, not a count
        ("The hospice raised £2.1m of gift aid last year.", "gift aid"),  # money of a kind of value
        ("The charity received £1.5m in March.", None),  # a month is not what money is "in"
        ("Overall lending: £3.4 billion.", "overall lending"),  # a labelled sum counts its label
        ("Revenue: £1,251m (£1,332m).", "revenue"),  # a comparison in brackets counts what the figure before it does
        ("Each councillor has a budget of £4,500 for local groups.", None),  # money "of" a budget counts nothing
        ("The hub supports 1,200 registered carers.", "registered carers"),  # a participle classifies
        ("It trained 2,000 previously unemployed adults.", "previously unemployed adults"),
        ("Survey results: Tenants satisfied with repairs: 74%.", "tenants"),  # a label up to what qualifies it
        ("Results: Homes and businesses supplied: 3.8 million.", "homes and businesses"),
        ("Results: Equivalent heat pumps: 171,000.", "heat pumps"),
        ("Key figures: National average: 42%.", None),  # a label that measures counts nothing
        ("Plan: Running costs: £500 million.", None),  # a labelled sum that is spending counts nothing
        ("Half-year: Underlying profit before tax: £104.4m.", "underlying profit before tax"),
        ("Firms: partners promoted 11; trainees a year 22.", "partners promoted"),  # a list without colons
        ("Gains: overall achievement rate 83.8%; national rate 67%.", "overall achievement rate"),
        ("Leeds firms. DLA Piper: turnover £581m, down 1 per cent.", "turnover"),  # "over" inside "turnover" is no qualifier
        ("In 2022, staff raised £5,000.", None),  # a clause, not a label
    ],
)
def test_find_figures_what_a_figure_counts_on_unseen_shapes(nlp, text, counted):
    assert figures(nlp, text)[0][-1] == counted


def test_find_figures_a_place_before_the_noun_says_where_not_what(nlp):
    assert figures(nlp, "The scheme reached 4.5 million UK households.")[0][-1] == "households"
