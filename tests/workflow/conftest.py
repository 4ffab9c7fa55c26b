"""Every test here runs on SQLite and on PostgreSQL (``database_url`` in tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def db_url(database_url: str) -> str:
    return database_url
