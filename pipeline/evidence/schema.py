"""The evidence database schema (SQLAlchemy Core).

Model output and human decisions live apart: ``suggestions`` is rewritten by every tagging run,
``reviews`` only ever grows and has no foreign key to ``passages``, so re-segmenting a changed
document can never delete a human decision. Every row says where it came from: the document URL
(through its passage), the model or reviewer, and a time.

Changing this file needs a new migration in ``pipeline/evidence/migrations/versions``; a test
compares the migrated database with this metadata.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    true,
)

ID = String(32)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

documents = Table(
    "documents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("url", Text, nullable=False, unique=True),
    Column("kind", String(8), nullable=False),
    Column("title", Text),
    Column("author", Text),
    Column("date", String(32)),
    Column("sitename", Text),
    Column("organisation", Text, index=True),
    Column("organisation_kind", String(16), index=True),  # pipeline/evidence/organisation_kind.py
    Column("text", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("page_starts", JSON),
    Column("collected_at", DateTime(timezone=True), nullable=False),
    Column("run_id", ID),
    Column("source", Text),  # the sources.yaml entry that found it (levelup ingest)
    Column("simhash", String(32)),  # near-duplicate fingerprint of the text
    Column("also_at", JSON),  # other URLs with the same or nearly the same text
    Column("raw_sha256", String(64)),  # the stored raw response (data/raw/), for re-extraction
    Column("encoding_warning", Text),  # bytes invalid in the declared encoding were replaced (what, how many)
)

passages = Table(
    "passages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("document_id", ID, ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("ordinal", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("page", Integer),
    Column("headings", JSON),  # the heading path above the passage, outermost first
    Column("table_rows", JSON),  # a table passage's rows of cells (Passage.table); null for prose
    # past segment.max_passages of its document: stored, but not extracted or tagged
    Column("unprocessed", Boolean, nullable=False, server_default=false()),
)

entities = Table(
    "entities",
    metadata,
    Column("id", ID, primary_key=True),
    Column("passage_id", ID, ForeignKey("passages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("label", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("title", Text),
    Column("role", Text),
    Column("role_org", Text),
    Column("canonical", Text, index=True),
    Column("model", Text, nullable=False),
)

quotes = Table(
    "quotes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("passage_id", ID, ForeignKey("passages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("speaker", Text),
    Column("title", Text),
    Column("role", Text),
    Column("organisation", Text),
    Column("part", Integer, nullable=False),
    Column("model", Text, nullable=False),
)

figures = Table(
    "figures",
    metadata,
    Column("id", ID, primary_key=True),
    Column("passage_id", ID, ForeignKey("passages.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("text", Text, nullable=False),
    Column("value", Float, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("qualifier", Text),
    Column("counted", Text),
    Column("year", Integer),
    Column("upper", Float),  # the upper bound of a range ("200–300 apprentices": value 200, upper 300)
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("model", Text, nullable=False),
)

suggestions = Table(
    "suggestions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("passage_id", ID, ForeignKey("passages.id", ondelete="CASCADE"), nullable=False),
    Column("taxonomy", String(64), nullable=False),
    Column("goal", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("predicted", Boolean, nullable=False),
    Column("model", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("run_id", ID),
    Column("flagged", Boolean, nullable=False, server_default=false()),  # in the review queue
    Column("priority", Float),  # expected value of a review; higher first
    Column("reasons", JSON),  # ["uncertain", "disagree", "new_for_organisation"]
    Column("explanation", JSON),  # {"goal", "phrases": [...], "examples": [...]}
    UniqueConstraint("passage_id", "taxonomy", "goal", name="uq_suggestions_passage_taxonomy_goal"),
    Index("ix_suggestions_taxonomy_goal", "taxonomy", "goal"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("passage_id", ID, nullable=False, index=True),  # no FK: reviews outlive passages
    Column("passage_text", Text, nullable=False),  # what the reviewer saw, kept for training
    Column("taxonomy", String(64), nullable=False),
    Column("decision", String(16), nullable=False),  # accept | reject | change | no_goal | skip | undo
    Column("goals_before", JSON, nullable=False),  # the suggested goals shown
    Column("goals_after", JSON, nullable=False),  # the goals the reviewer settled on
    Column("reviewer", Text, nullable=False),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("undoes", Integer),  # on an "undo" row: the id of the review it takes back
    Column("token", String(64), unique=True),  # the form's idempotency token: one review per submission
    Column("shown", String(64)),  # the version of the suggestions the reviewer saw (``suggestion_version``)
    # false for an undo row and for a row an undo took back; kept on every write (``standing.py``)
    Column("stands", Boolean, nullable=False, server_default=true()),
    Index("ix_reviews_reviewer_passages", "taxonomy", "reviewer", "stands", "passage_id", "decision"),  # covers a reviewer's decisions
    Index("ix_reviews_status", "taxonomy", "stands", "decision", "reviewer", "created_at"),  # covers /status's one pass over decisions
)

# The standing decision of each reviewed passage, kept on every review write so no read has to
# go through the whole review history (``standing.py`` is the one definition of what stands), and
# each flagged passage's place in the review queue, kept on every suggestion write.
passage_standing = Table(
    "passage_standing",
    metadata,
    Column("taxonomy", String(64), primary_key=True),
    Column("passage_id", ID, primary_key=True),
    Column("decided_id", Integer),  # latest standing review that decides (any but a skip)
    Column("label_id", Integer),  # latest standing accept, change or "no goal" (a training label)
    Column("settled_id", Integer),  # latest standing "settle": an administrator's label, which wins
    Column("reviewers", Integer, nullable=False, server_default="0"),  # reviewers with a standing decision
    Column("priority", Float),  # best priority of the passage's flagged suggestions; None: not flagged
    # reviewers decided it differently and no administrator has settled it: no standing label
    Column("disputed", Boolean, nullable=False, server_default=false()),
    Index("ix_passage_standing_queue", "taxonomy", "reviewers", "priority", "settled_id", "passage_id"),  # covers the queue: open passages
    Index("ix_passage_standing_disputed", "taxonomy", "disputed"),  # /status's count of disputes
)

# What /status adds up, kept per passage on every review write (``standing.refresh``) so the page
# never reads the review history: kind "pair" (reviewer pairs on the passage, ``n``, and those that
# agree, ``m``), "reviewer" (per reviewer, ``key``), "goal" (per goal: pairs where one chose it,
# pairs where both did) and "model" (goals suggested on its standing decisions, ``n``, and kept, ``m``).
review_counts = Table(
    "review_counts",
    metadata,
    Column("taxonomy", String(64), primary_key=True),
    Column("passage_id", ID, primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("m", Integer, nullable=False),
    Index("ix_review_counts_sum", "taxonomy", "kind", "key", "n", "m"),  # covers the sums
)

# The evidence that stands (what ``levelup export``'s ``evidence`` table holds), one row per
# taxonomy, passage and goal, with what the evidence explorer filters and counts by, kept on
# every write that changes it (``evidence_index.refresh``) so a search never works out what
# stands. Passage text is searched through ``passages_fts`` (SQLite FTS5, kept by triggers) or,
# on PostgreSQL, a stored generated tsvector column ``passages.text_search`` with a GIN index
# (``ix_passages_fts``); both come from migration 0014 and are outside this metadata
# (``migrate.include_object``), so nothing here ever writes the column.
evidence_index = Table(
    "evidence_index",
    metadata,
    Column("taxonomy", String(64), primary_key=True),
    Column("passage_id", ID, ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True),
    Column("goal", Integer, primary_key=True),
    Column("document_id", ID, nullable=False),
    Column("organisation", Text),
    Column("organisation_kind", String(16)),  # the document's (``documents.organisation_kind``)
    Column("year", Integer),  # of the document's date
    Column("kind", String(8)),  # the document's: html, pdf, txt
    Column("source", String(8), nullable=False),  # model | review | disputed, as in the export
    Column("figures", Boolean, nullable=False),  # the passage has figures
    Column("score", Float),  # the model's score for the goal, where it scored it
    Index("ix_evidence_index_passage_id", "passage_id"),
    Index("ix_evidence_index_goal", "taxonomy", "goal", "organisation"),
    Index("ix_evidence_index_organisation", "taxonomy", "organisation", "goal", "year"),
    Index("ix_evidence_index_year", "taxonomy", "year", "passage_id"),  # newest first, a page at a time
    Index("ix_evidence_index_organisation_kind", "taxonomy", "organisation_kind", "organisation"),
)

# One row (id 1): how many times evidence_index has changed, counted after each change commits,
# so an explorer process knows when its in-memory snapshot is out of date (``explorer.py``).
evidence_index_version = Table(
    "evidence_index_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

# Review-app sessions: the cookie holds a random id, the table its SHA-256, so logging out or a
# password change ends a session for good.
sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # sha256 hex of the cookie's random id
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),  # argon2id
    Column("role", String(16), nullable=False),  # reviewer | admin
    Column("created_at", DateTime(timezone=True), nullable=False),
)

fetches = Table(
    "fetches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("url", Text, nullable=False, index=True),
    Column("source", Text),
    Column("run_id", ID),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
    Column("status", Integer),  # HTTP status; null when no answer
    Column("outcome", String(16), nullable=False),  # new | changed | unchanged | duplicate | failed
    Column("etag", Text),
    Column("last_modified", Text),
    Column("content_hash", String(64)),  # of the extracted text
    Column("raw_sha256", String(64)),
    Column("document_id", ID),
    Column("error", Text),
)

runs = Table(
    "runs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("command", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False),  # running | ok | partial | failed | interrupted
    Column("counts", JSON),
    Column("failures", JSON),
    Column("pid", Integer),  # the process running it, checked by later runs
    Column("host", Text),
)
