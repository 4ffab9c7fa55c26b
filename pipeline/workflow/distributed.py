"""``levelup run --workers N`` and ``--scheduler ADDRESS``: the heavy stages on a Dask cluster.

What runs where:

- **the driver** (the ``levelup run`` process) collects the inputs, so every fetch keeps the
  fetcher's per-host politeness however many workers there are; decides what is unchanged from
  content hashes and model ids alone (it never loads a model); cuts the work into the same
  batches as the single-process path; and stores each finished batch with
  :func:`pipeline.workflow.batch.save`, one transaction per document, in batch order;
- **each worker** (a process with one thread) runs :func:`pipeline.workflow.batch.process` on a
  batch, the same function the single-process path calls, with spaCy and the encoder loaded once
  per worker process (:func:`_tagger` is cached, and so are the loaders under it).

The rows come out exactly as a single-process run's. What a batch flags for review depends on
the batches before it (the per-run flag budget, and the goals each organisation has by then), so
batches after the first are computed on the assumption that the budget is spent by then (it
usually is: the first batch of 32 documents holds hundreds of passages); a batch whose assumption
turns out wrong is computed again with the true state before it is stored. A worker that dies
loses nothing: Dask runs its batches again elsewhere, and storing is idempotent (ids are hashes
of content, writes are upserts), so a retried batch or a re-run duplicates nothing.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from pipeline import classify
from pipeline.config import Params, TagParams
from pipeline.errors import ConfigError, ModelError
from pipeline.progress import Track, no_progress
from pipeline.records import Document
from pipeline.workflow.batch import Batch, KnownGoals, process, save

if TYPE_CHECKING:
    from distributed import Client

    from pipeline.evidence.store import Store
    from pipeline.workflow.run import RunReport

log = logging.getLogger(__name__)

RETRIES = 2  # a batch whose task raised (not a killed worker: Dask reschedules those itself) is tried again
WORKER_ENV = {"OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}  # one thread per worker, as asked


class Cluster:
    """Where batches are processed: a local cluster of ``workers`` processes, or the one at
    ``scheduler``. Nothing starts until there is a batch to process, so a run that finds
    nothing new starts no worker."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None) -> None:
        if (workers is None) == (scheduler is None):
            raise ConfigError("give --workers (a local cluster) or --scheduler (an existing one), not both")
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.scheduler = scheduler
        self._stack = ExitStack()
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = self._stack.enter_context(_start(self.workers, self.scheduler))
        return self._client

    def close(self) -> None:
        self._stack.close()
        self._client = None

    def process_and_save(
        self,
        batches: Sequence[Sequence[Document]],
        params: Params,
        store: Store,
        model_id: str,
        known: KnownGoals,
        report: RunReport,
        *,
        track: Track = no_progress,
    ) -> None:
        """Every batch through :func:`process` on the workers, stored in order by the driver."""
        from pipeline.workflow.run import count, flag_budget_left

        first_budget = flag_budget_left(params, store, batches[0]) if batches else 0
        futures = [
            self._submit(list(documents), params, known.by_organisation if i == 0 else {}, first_budget if i == 0 else 0, priority=-i)
            for i, documents in enumerate(batches)
        ]
        for i, (documents, future) in enumerate(track(list(zip(batches, futures, strict=True)), "process", len(batches))):
            budget = flag_budget_left(params, store, documents)
            batch: Batch = future.result()
            if budget != (first_budget if i == 0 else 0):  # earlier batches left flags to give: redo with the true state
                log.info("batch %d: %d flags left to give, processing it again with them", i, budget)
                batch = self._submit(list(documents), params, known.by_organisation, budget, priority=len(batches)).result()
            future.release()
            _check_model(batch, model_id)
            save(store, batch, run_id=report.run_id)
            count(report, batch)
            known.learn(batch)

    def _submit(self, documents: list[Document], params: Params, known: dict[str, set[int]], budget: int, *, priority: int) -> Any:
        return self.client.submit(process_batch, documents, params, known, budget, pure=False, retries=RETRIES, priority=priority)


def process_batch(documents: list[Document], params: Params, known: dict[str, set[int]], flag_budget: int) -> Batch:
    """A worker's task: :func:`pipeline.workflow.batch.process` with this process's models."""
    return process(documents, params, _tagger(params.tag.model_dump_json()), KnownGoals(known), flag_budget=flag_budget)


@functools.lru_cache(maxsize=2)
def _tagger(tag_params: str) -> classify.Tagger:
    """One tagger per worker process and settings (spaCy is cached the same way by ``load_nlp``)."""
    return classify.lazy_tagger(TagParams.model_validate_json(tag_params))


def _check_model(batch: Batch, model_id: str) -> None:
    found = {s.model for group in batch.suggestions.values() for s in group}
    if found - {model_id}:
        raise ModelError(
            f"the workers tagged with {sorted(found)} but this run expects '{model_id}'; "
            "give the workers the same models folder (LEVELUP_MODELS_DIR) and params as the driver"
        )


@contextmanager
def connect(*, workers: int | None = None, scheduler: str | None = None) -> Iterator[Cluster]:
    """A :class:`Cluster` for the length of a run, shut down (or disconnected) after it."""
    cluster = Cluster(workers=workers, scheduler=scheduler)
    try:
        yield cluster
    finally:
        cluster.close()


@contextmanager
def _start(workers: int | None, scheduler: str | None) -> Iterator[Client]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError("the distributed engine needs Dask: pip install 'dask[distributed]'") from exc
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="30s")
        except OSError as exc:
            raise ConfigError(f"no Dask scheduler answered at {scheduler} ({exc}); start one with 'dask scheduler' or check the address") from exc
        with client:
            yield client
        return
    env = {key: os.environ.get(key, value) for key, value in WORKER_ENV.items()}
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, env=env) as local,
        Client(local) as client,
    ):
        yield client
