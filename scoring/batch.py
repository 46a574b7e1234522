"""Batch scoring in parts: in this process, or on the workers of a Dask cluster, with results in
input order and only a few parts in memory at once.

:func:`score_chunks` takes any iterable of lead frames (a file read in chunks) and yields one
scored frame per chunk, in the same order. With an ``executor`` (anything with ``submit(fn,
*args)`` returning a future with ``result()``: a ``distributed.Client``, a
``concurrent.futures`` pool), the chunks are scored there, at most ``in_flight`` at a time, so
the memory of this process stays flat in the number of leads. :func:`connect` opens a
``distributed.Client`` for a scheduler address, quickly, with a message that names the fix.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd

from scoring.errors import ScoringInputError

# Seconds to wait for a scheduler (distributed's default, 30 s, is long to learn of a typo).
CONNECT_TIMEOUT = 5.0
INSTALL_HINT = ('install the dask extra here and on every worker: pip install "revops[dask]"')


class ClusterError(ScoringInputError):
    """The Dask cluster cannot be used: the extra is missing or the scheduler does not answer."""


def connect(scheduler: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` connected to ``scheduler`` within ``timeout`` seconds (None:
    :data:`CONNECT_TIMEOUT`); a ClusterError naming the fix otherwise."""
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        from distributed import Client
    except ImportError as exc:
        raise ClusterError(f"backend 'dask' needs the 'distributed' package, which is not "
                           f"installed ({exc}); {INSTALL_HINT}, or set backend='local'.") from None
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"scheduler {scheduler!r}: no Dask scheduler answered within {timeout:g} s ({exc}); "
            "expected the address a running scheduler prints, e.g. tcp://10.0.0.5:8786. Start "
            "one ('dask scheduler', then 'dask worker ADDRESS' on each worker machine), fix the "
            "scheduler address, or set backend='local' to score on this machine.") from None


def score_part(scorer: Any, frame: pd.DataFrame, reasons: bool) -> pd.DataFrame:
    """``scorer.score_frame(frame, reasons)``: the unit of work sent to a worker."""
    return scorer.score_frame(frame, reasons=reasons)


def score_chunks(scorer: Any, chunks: Iterable[pd.DataFrame], *, reasons: bool = True,
                 executor: Any = None, scorer_on_workers: Any = None,
                 in_flight: int = 4) -> Iterator[pd.DataFrame]:
    """Score each chunk of leads; yield the scored chunks in input order.

    ``scorer``: a fitted :class:`~scoring.model.LeadScorer`. ``executor``: where chunks are
    scored (None: here). ``scorer_on_workers``: the scorer as the executor already holds it
    (e.g. ``client.scatter(scorer, broadcast=True)``), so it is not sent with every chunk.
    ``in_flight``: chunks submitted and not yet yielded (bounds memory: each is a chunk of
    leads and its scores). Rows without an id column are numbered across chunks (1, 2, ...),
    as one whole-table call numbers them.
    """
    if in_flight < 1:
        raise ScoringInputError(f"in_flight must be 1 or more; got {in_flight!r}")
    id_col = getattr(scorer, "id_col_", None)
    offset = 0
    if executor is None:
        for chunk in chunks:
            n, has_ids = len(chunk), id_col in chunk.columns
            scored = score_part(scorer, chunk, reasons)
            del chunk  # not kept alive while the next chunk is read
            yield _renumber(scored, has_ids, id_col, offset)
            del scored
            offset += n
        return
    handle = scorer if scorer_on_workers is None else scorer_on_workers
    pending: deque = deque()
    for chunk in chunks:
        # what the result needs from the chunk: its length and whether it carried ids
        pending.append((executor.submit(score_part, handle, chunk, reasons), len(chunk),
                        id_col in chunk.columns))
        del chunk  # the executor holds it now; this process keeps only the future
        while len(pending) >= in_flight:
            offset = yield from _collect(pending, id_col, offset)
    while pending:
        offset = yield from _collect(pending, id_col, offset)


def _collect(pending: deque, id_col: str | None, offset: int):
    future, n, has_ids = pending.popleft()
    scored = future.result()
    del future  # released: the worker may drop the result
    yield _renumber(scored, has_ids, id_col, offset)
    return offset + n


def _renumber(scored: pd.DataFrame, has_ids: bool, id_col: str | None,
              offset: int) -> pd.DataFrame:
    if id_col is not None and not has_ids and id_col in scored.columns and offset:
        scored[id_col] = scored[id_col].to_numpy() + np.int64(offset)
    return scored
