"""Count, over every organisation's impact-report draft in an evidence database, what the drafts
promise never to do, and what their profile and peers hold.

    levelup run corpus/sample --db sqlite:///sample.db --no-report
    python scripts/check_drafts.py sqlite:///sample.db

Prints one line per organisation (its kind, its peers of that kind, the lines of "the
organisation and its place") and a total: foreword quotes printed more than once in the Markdown
draft, and quotes running over two passages whose second part is printed before its first.
"""

from __future__ import annotations

import sys
from itertools import pairwise

from pipeline.evidence.store import Store
from pipeline.report import organisation
from pipeline.taxonomy import load_taxonomy


def main(url: str) -> None:
    store = Store.open(url)
    taxonomy = load_taxonomy("levelling-up")
    repeated = reversed_quotes = placed = 0
    for name in store.organisations():
        report = organisation.build(store, taxonomy, name)
        markdown = " ".join(organisation.render(report, "md").split())
        repeated += sum(markdown.count(" ".join(q.text.split())[:50]) > 1 for q in report.foreword)
        rows = store.quotes_of(name)
        for first, second in pairwise(rows):
            if (second.get("part") or 1) > 1 and first["speaker"] == second["speaker"] and first["passage_id"] != second["passage_id"]:
                at_first, at_second = markdown.rfind(first["text"][:40]), markdown.rfind(second["text"][:40])
                reversed_quotes += 0 <= at_second < at_first
        place = "; ".join(f"{kind}: " + ", ".join(f.text for f in facts) for kind, facts in report.place)
        placed += bool(report.place)
        print(f"{name} ({report.kind}, {report.others} peer{'' if report.others == 1 else 's'} of that kind): {place or '-'}")
    print(f"{len(store.organisations())} organisations: place section {placed}; foreword quotes printed twice {repeated}; quotes over two passages printed second part first {reversed_quotes}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite:///data/evidence.db")
