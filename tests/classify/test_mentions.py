"""Goal mentions: passages and headings that name a goal, in both taxonomies; lists of the framework are not."""

import pytest

from pipeline.classify.mentions import heading_goals, heading_names_goal, mentioned_goals
from pipeline.taxonomy import load_taxonomy

LU = load_taxonomy("levelling-up")
SDG = load_taxonomy("sdg")


@pytest.mark.parametrize(
    ("text", "goals"),
    [
        ("Under Goal 1, the council funds family hubs in every ward.", {1}),
        ("Our volunteering falls under the enterprise goal.", {9}),
        ("The trust won the Infrastructure for Opportunity award at the ceremony.", {11}),
        ("The college is recognised under Purpose Goal Category 6 for its progression routes.", {6}),
        ("Calderdale and Huddersfield has won a Purpose Coalition award for Levelling Up Goal 4, Right advice and experiences.", {4}),
        ("Its work on post-16 destinations was highlighted in the Levelling Up impact report.", {3}),
        ("Levelling Up Goals 2 and 4 are where the partnership is strongest.", {2, 4}),
        (
            "The report maps its activity to five goals: Successful school years, Positive destinations post 16+, "
            "Open recruitment, Fair career progression and Extending enterprise.",
            {2, 3, 5, 6, 9},
        ),
        ("Staff networks are part of our Achieve Equality, Through Diversity & Inclusion strategy.", {14}),
    ],
)
def test_a_passage_naming_a_goal_names_it(text: str, goals: set[int]):
    found = mentioned_goals(text, LU)
    assert set(found) == goals
    assert all(m.to_dict()["text"] == "names the goal" and m.phrase in text for m in found.values())


@pytest.mark.parametrize(
    "text",
    [
        "The Levelling Up Goals help organisations measure their social impact.",
        "Our goal of reaching 2030 with net zero emissions is ambitious.",
        "SDG 4 and SDG 13 frame the university's sustainability report.",  # another framework's numbers
        "UN Sustainable Development Goal 8 is about decent work.",
        "Whether the priority is early learning, better health and wellbeing, digital skills, building homes or "
        "harnessing the energy transition, every community is different.",  # titles in prose, no goal context
        "A lack of positive destinations after 16 is one of the major barriers to opportunity.",
        "Apprenticeship starts rose by 12 per cent, with goal 10% higher next year.",
    ],
)
def test_prose_and_other_frameworks_name_no_goal(text: str):
    assert mentioned_goals(text, LU) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Loughborough University will have its activities mapped against the 14 Purpose Goals, which cover themes "
        "such as sustainable communities, extending enterprise, good health and wellbeing, and positive destinations post 16+.",
        "Nominations are open across all 14 Purpose Goals categories until Sunday.",
        "The 14 Levelling Up Goals are: Strong foundations in early years, Successful school years, Positive destinations "
        "post 16+, Right advice and experiences, Open recruitment, Fair career progression, Widening access to savings "
        "and credit, Good health and wellbeing, Extending enterprise, Closing the digital divide, Infrastructure for "
        "opportunity, Building homes & sustainable communities, Harness the energy transition, and Achieve equality, "
        "through diversity & inclusion.",
        "Our work touches Goals 1, 2, 3, 4, 5, 6, 7 and 8 of the framework.",
        "Goals 1-14 all feature in the report.",
    ],
)
def test_a_list_of_all_or_most_goals_names_none(text: str):
    assert mentioned_goals(text, LU) == {}


@pytest.mark.parametrize(
    ("text", "goals"),
    [
        ("The programme contributes to SDG 7 and SDG 13.", {7, 13}),
        ("Goal 13: Climate action. The firm halved its emissions.", {13}),
        ("Aligned with Sustainable Development Goal 4, the charity trains teachers.", {4}),
        ("Its Gender Equality strategy is reported against the SDGs.", {5}),
        ("Levelling Up Goal 4 recognised its careers work.", set()),  # another framework's number
        ("The university reports on all 17 SDGs, from No poverty to Partnerships for the goals.", set()),
    ],
)
def test_sdg_mentions(text: str, goals: set[int]):
    assert set(mentioned_goals(text, SDG)) == goals


@pytest.mark.parametrize(
    ("heading", "goals"),
    [
        ("Goal 8: Good health and wellbeing", [8]),
        ("Extending Enterprise", [9]),
        ("3. Positive destinations post-16", [3]),
        ("Enterprise", [9]),
        ("The Levelling Up Goals", []),
        ("Our people", []),
        ("Introduction", []),
    ],
)
def test_headings_that_name_a_goal(heading: str, goals: list[int]):
    assert heading_names_goal(heading, LU) == goals


def test_the_innermost_heading_naming_a_goal_wins():
    path = ["Barts Health Levelling Up Impact Report", "Goal 8: Good health and wellbeing", "Wellbeing hubs"]
    assert heading_goals(path, LU) == {8: "Goal 8: Good health and wellbeing"}
    assert heading_goals(["Goal 2: Successful school years", "Goal 4: Right advice and experiences"], LU) == {
        4: "Goal 4: Right advice and experiences"
    }
    assert heading_goals([], LU) == {} and heading_goals(None, LU) == {}
