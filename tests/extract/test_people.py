from pipeline.extract.people import Person, confirmed_people
from pipeline.records import Entity, Quote


def person(text: str, passage: str = "p1", **attributes: str) -> Entity:
    return Entity(passage, "PERSON", text, 0, len(text), **attributes)


NOT_PEOPLE = ["Levy", "Kent", "Schools", "Prison", "Yorkshire", "HyDeploy", "Northern Powerhouse"]


def test_confirmed_people_are_named_with_a_title_a_role_or_a_quote():
    entities = [
        *(person(name) for name in NOT_PEOPLE),
        person("Justine Greening", title="Rt Hon"),
        person("Ana Ruiz", role="Director of People", role_org="Barts Health NHS Trust"),
        person("Kirsten Major"),
        person("Phil Wood"),  # named, nothing says who: not listed
    ]
    quotes = [Quote("p1", "We are proud.", 0, 13, speaker="Kirsten Major", role="Chief Executive", organisation="Sheffield Teaching Hospitals")]
    people = confirmed_people(entities, quotes)
    assert [p.name for p in people] == ["Justine Greening", "Ana Ruiz", "Kirsten Major"]
    assert people[1].describe() == "Ana Ruiz, Director of People, Barts Health NHS Trust"
    assert (people[2].quoted, people[2].role, people[2].organisation) == (True, "Chief Executive", "Sheffield Teaching Hospitals")


def test_confirmed_people_a_surname_mention_joins_its_full_name():
    entities = [person("Justine Greening", "p1"), person("Greening", "p2", role="Chair", role_org="Purpose Coalition")]
    [greening] = confirmed_people(entities)
    assert (greening.name, greening.role, greening.organisation, greening.passage_ids) == ("Justine Greening", "Chair", "Purpose Coalition", ["p1", "p2"])


def test_confirmed_people_a_titled_single_name_is_a_person_and_store_rows_work():
    rows = [{"passage_id": "p1", "label": "PERSON", "text": "Blunkett", "title": "Rt Hon Lord", "role": "Co-Chair", "role_org": None},
            {"passage_id": "p1", "label": "ORG", "text": "Purpose Coalition", "title": None, "role": None, "role_org": None}]  # fmt: skip
    assert confirmed_people(rows, [{"speaker": None}]) == [Person("Blunkett", "Rt Hon Lord", "Co-Chair", None, False, ["p1"])]
