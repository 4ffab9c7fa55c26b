import pytest

from pipeline.tables import cell_label, cell_spans, linearise, parse_pipe_table, readable, structure

TRAFILATURA_TABLE = (
    "| Apprenticeships at a glance |  |  | \n\n|---|---|---|\n\n| Measure | 2022 | 2023 | \n\n|---|---|---|\n\n"
    "| Apprenticeship starts | 95 | 120 | \n\n| Completions | 60 | 80 | "
)


def test_parse_pipe_table_drops_separator_rows_and_keeps_cells():
    assert parse_pipe_table(TRAFILATURA_TABLE) == [
        ["Apprenticeships at a glance", "", ""],
        ["Measure", "2022", "2023"],
        ["Apprenticeship starts", "95", "120"],
        ["Completions", "60", "80"],
    ]


@pytest.mark.parametrize("text", ["", "Starts: 120", "| a | b |\nnot a row", "|---|---|"])
def test_parse_pipe_table_is_none_for_what_is_not_a_table(text: str):
    assert parse_pipe_table(text) is None


def test_parse_pipe_table_pads_short_rows():
    assert parse_pipe_table("| Staff | 18,000 |\n| Patients |") == [["Staff", "18,000"], ["Patients", ""]]


def test_cell_spans_index_the_text():
    rows = cell_spans(TRAFILATURA_TABLE)
    assert rows is not None
    for row in rows:
        for cell, start, end in row:
            assert TRAFILATURA_TABLE[start:end] == cell


def test_structure_finds_caption_header_and_body():
    table = structure(parse_pipe_table(TRAFILATURA_TABLE) or [])
    assert table.caption == "Apprenticeships at a glance"
    assert table.header == ["Measure", "2022", "2023"]
    assert table.body == [["Apprenticeship starts", "95", "120"], ["Completions", "60", "80"]]
    assert table.leading_rows == 2


def test_structure_a_row_of_figures_is_not_a_header():
    table = structure([["Apprenticeships at a glance", ""], ["Starts", "120"], ["Completions", "80"]])
    assert (table.caption, table.header) == ("Apprenticeships at a glance", None)


def test_linearise_reads_caption_and_rows_as_sentences():
    assert linearise([["Apprenticeships at a glance", ""], ["Starts", "120"], ["Completions", "80"]]) == (
        "Apprenticeships at a glance. Starts: 120; Completions: 80."
    )
    assert linearise(parse_pipe_table(TRAFILATURA_TABLE) or []) == (
        "Apprenticeships at a glance. Apprenticeship starts: 95 (2022), 120 (2023); Completions: 60 (2022), 80 (2023)."
    )


def test_cell_label_joins_row_and_column_labels_with_the_year():
    table = structure(parse_pipe_table(TRAFILATURA_TABLE) or [])
    assert cell_label(table, table.body[0], 2) == ("Apprenticeship starts (2023)", 2023)


def test_cell_label_a_row_labelled_by_a_year_reads_column_first():
    table = structure([["Year", "Starts", "Completions"], ["2021/22", "95", "60"]])
    assert cell_label(table, table.body[0], 1) == ("Starts (2021/22)", 2021)


def test_cell_label_ignores_a_lone_generic_value_column():
    table = structure([["Measure", "Figure"], ["Engineers trained", "1,500"]])
    assert cell_label(table, table.body[0], 1) == ("Engineers trained", None)


def test_readable_is_the_linearised_table_or_the_text():
    assert readable("| Starts | 120 |", [["Starts", "120"]]) == "Starts: 120."
    assert readable("Plain prose.", None) == "Plain prose."
