"""Schema migrations with Alembic, run programmatically (no alembic.ini to carry around)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from pipeline.errors import StoreError

SCRIPT_LOCATION = "pipeline.evidence:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision``; a database already there is left untouched, and one
    stamped with a migration this levelup does not know (a newer one) is a ``StoreError``."""
    with engine.begin() as connection:
        check_known(connection)
        command.upgrade(alembic_config(connection), revision)


def check_known(connection: Connection) -> None:
    """Refuse a database at a migration this code does not have, before alembic trips on it."""
    script = ScriptDirectory.from_config(alembic_config())
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = [rev for rev in MigrationContext.configure(connection).get_current_heads() if rev not in known]
    if unknown:
        raise StoreError(
            f"database is at migration {', '.join(unknown)}, newer than this levelup (latest {script.get_current_head()}): upgrade levelup"
        )
