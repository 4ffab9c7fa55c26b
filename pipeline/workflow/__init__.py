"""How the stages are wired together, in one place.

    batch    the one per-batch function: segment → extract → attribute → tag, and saving a batch
    run      ``levelup run``: local files, folders and URLs into the store
    nightly  what a run has to do, decided from raw-byte hashes before any model loads
    distributed  ``levelup run --workers/--scheduler``: batches processed on a Dask cluster
    ingest   ``levelup ingest``: the nightly crawl of sources.yaml into the store
    analyze  ``levelup analyze``: the whole pipeline on local files, no database
    load     the file-based (DVC) stages: tag stage files, load them into the store

Stages (collect, segment, extract, classify) never import each other or the store; this package
is where they meet the store (``pipeline.evidence``).
"""

from pipeline.workflow.run import RunReport, run

__all__ = ["RunReport", "run"]
