"""Alembic environment: migrations run on a connection handed over by ``pipeline.evidence.store``."""

from __future__ import annotations

from alembic import context

from pipeline.evidence.migrate import include_object
from pipeline.evidence.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
