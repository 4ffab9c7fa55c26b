"""Exceptions raised by the pipeline: every domain error lives here.

The library raises these; the command line (``pipeline.cli``) turns them into one-line messages
and exit codes, and the review app into HTTP responses, each in exactly one place, from the
``exit_code`` and ``http_status`` declared below. Every message says what was expected, what was
found and how to fix it.

    PipelineError              exit 2 · HTTP 500
    ├── ConfigError            bad params file, unknown taxonomy, missing model
    ├── InputError             a path or record the user gave cannot be used (exit 2 for a whole
    │   │                      command; counted per item inside a batch) · HTTP 400
    │   ├── ExtractionError    a file was read but yielded no usable text
    │   ├── FetchError         a URL could not be fetched
    │   ├── DecisionError      a review decision that cannot be recorded
    │   │   └── StaleDecision  made on a page whose suggestions have changed since · HTTP 409
    │   └── NotFound           what the address names is not in the database · HTTP 404
    ├── ModelError             a model could not be loaded or run
    ├── StoreError             the evidence database cannot be opened or written · HTTP 503
    │   └── DatabaseLocked     another process is writing to the database: try later · exit 4
    ├── IngestLocked           another ingest run holds the lock · exit 4
    └── AccessError            the review app: not signed in (HTTP 401) or not allowed (403)
        ├── LoginRequired
        └── Forbidden
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    exit_code = 2
    http_status = 500


class ConfigError(PipelineError):
    """Configuration, taxonomy or model settings are invalid."""


class InputError(PipelineError):
    """An input path or record cannot be used."""

    http_status = 400


class NotFound(InputError):
    """What a request names (an organisation, a goal) has nothing in the database."""

    http_status = 404


class ExtractionError(InputError):
    """A document was read but no usable text could be extracted from it."""


class FetchError(InputError):
    """A URL could not be fetched; ``reason`` is a short machine-readable kind."""

    def __init__(self, url: str, reason: str, detail: str, status: int | None = None) -> None:
        super().__init__(f"{url}: {detail}")
        self.url = url
        self.reason = reason
        self.status = status


class OutOfTime(FetchError):
    """A fetch given up because the caller's time budget would run out first (a long
    ``Retry-After``): not the page's fault, so it is left for the next run, not failed."""


class DecisionError(InputError):
    """A review decision names an unknown passage, decision or goal."""


class StaleDecision(DecisionError):
    """A decision made on a page drawn from suggestions that have changed since; ``fresh`` is the
    passage as it stands now, to show again."""

    http_status = 409

    def __init__(self, fresh: object, message: str) -> None:
        super().__init__(message)
        self.fresh = fresh


class ModelError(PipelineError):
    """A model could not be loaded or applied."""


class StoreError(PipelineError):
    """The evidence database could not be opened, migrated or written."""

    http_status = 503


class DatabaseLocked(StoreError):
    """The database stayed locked by another writer past the wait (SQLite "database is locked")."""

    exit_code = 4


class IngestLocked(PipelineError):
    """Another ingest run holds the lock."""

    exit_code = 4


class AccessError(PipelineError):
    """The review app refuses a request for who is (not) signed in."""

    http_status = 403


class LoginRequired(AccessError):
    http_status = 401


class Forbidden(AccessError):
    pass
