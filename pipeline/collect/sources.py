"""Where nightly ingestion looks: ``corpus/sources.yaml``, validated on load.

    sources:
      - name: nuh-news
        organisation: Nottingham University Hospitals NHS Trust
        kind: feed                 # feed | sitemap | listing | urls
        start_urls: [https://www.nuh.nhs.uk/news/rss]
        allow: ['/news/']          # regular expressions a document URL must match (any)
        deny: ['/tag/', '\\?page=']  # ... and must not match (none)
        page_budget: 50            # at most this many documents fetched per run

``listing`` sources fetch the links on the start pages whose URL matches ``link_pattern`` (or
``allow``), and read further listing pages matching ``follow`` (pagination) up to ``max_depth``
deep; ``urls`` sources fetch the start URLs themselves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError
from pipeline.records import OrganisationKind


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    organisation: str = Field(min_length=1)
    organisation_kind: OrganisationKind | None = None  # read from the name when not given
    kind: Literal["feed", "sitemap", "listing", "urls"]
    start_urls: list[str] = Field(min_length=1)
    allow: list[str] = []
    deny: list[str] = []
    link_pattern: str | None = None  # listing: links that are documents (default: the allow patterns)
    follow: list[str] = []  # listing: links that are further listing pages (pagination)
    max_depth: int = Field(1, ge=0, le=5)  # listing: how many listing pages deep to follow
    page_budget: int = Field(50, ge=1, le=10_000)

    @field_validator("start_urls")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"'{url}' is not an http(s) URL")
        return urls

    @field_validator("allow", "deny", "follow")
    @classmethod
    def _patterns(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _compile(pattern)
        return patterns

    @model_validator(mode="after")
    def _link_pattern(self) -> Source:
        if self.link_pattern is not None:
            _compile(self.link_pattern)
        return self

    def wants(self, url: str) -> bool:
        """Whether a discovered URL is a document of this source (allow and deny patterns)."""
        if self.allow and not any(re.search(p, url) for p in self.allow):
            return False
        return not any(re.search(p, url) for p in self.deny)


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicates)}")
        return self


def load_sources(path: Path, only: list[str] | None = None) -> list[Source]:
    """The sources in ``path`` (those named in ``only``, if given); a bad file is one ConfigError
    naming the source and the key."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such sources file; create one (see corpus/sources.yaml) or pass --sources")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where} ({getattr(exc, 'problem', None) or exc.__class__.__name__})") from exc
    try:
        sources = SourcesFile.model_validate(raw).sources
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_describe(exc, raw)}") from exc
    if only:
        unknown = sorted(set(only) - {s.name for s in sources})
        if unknown:
            raise ConfigError(f"{path}: no source named {', '.join(unknown)}; known: {', '.join(s.name for s in sources)}")
        sources = [s for s in sources if s.name in only]
    return sources


def _describe(exc: ValidationError, raw: object) -> str:
    errors = exc.errors()
    error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])  # a typo explains the rest
    where = list(error["loc"])
    if len(where) >= 2 and where[0] == "sources" and isinstance(where[1], int):
        entries = raw.get("sources") if isinstance(raw, dict) else None
        entry = entries[where[1]] if isinstance(entries, list) and where[1] < len(entries) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"source '{name}'" if name else f"source #{where[1] + 1}"
        key = ".".join(str(part) for part in where[2:]) or "(the entry)"
        if error["type"] == "extra_forbidden":
            return f"{label}: unknown key '{key}'; valid keys: {', '.join(Source.model_fields)}"
        return f"{label}: {key}: {error['msg']}"
    if error["type"] == "extra_forbidden":
        return f"unknown top-level key '{where[0]}'; the file holds one key, 'sources'"
    return f"{'.'.join(map(str, where)) or 'file'}: {error['msg']}"


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"'{pattern}' is not a valid regular expression ({exc})") from exc
