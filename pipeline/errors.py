"""Exceptions raised by the pipeline.

The library raises these; the command line (``pipeline.cli``) turns them into one-line messages
and exit codes in exactly one place. Every message says what was expected, what was found and
how to fix it.

    PipelineError
    ├── ConfigError        bad params file, unknown taxonomy, missing model (exit 2)
    ├── InputError         a path or record the user gave cannot be used (exit 2 for a whole
    │   │                  command; counted per item inside a batch)
    │   └── ExtractionError   a file was read but yielded no usable text
    ├── ModelError         a model could not be loaded or run
    └── StoreError         the evidence database cannot be opened or written
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    exit_code = 2


class ConfigError(PipelineError):
    """Configuration, taxonomy or model settings are invalid."""


class InputError(PipelineError):
    """An input path or record cannot be used."""


class ExtractionError(InputError):
    """A document was read but no usable text could be extracted from it."""


class ModelError(PipelineError):
    """A model could not be loaded or applied."""


class StoreError(PipelineError):
    """The evidence database could not be opened, migrated or written."""
