"""Connecting to a Dask cluster for ``backend='dask'``: quickly, and with a message that says
what to fix when the ``distributed`` package is missing or no scheduler answers.

``distributed`` is imported here, when a cluster is asked for, never when the package loads: it
is an optional extra (``pip install "revops[dask]"``).
"""
from __future__ import annotations

from typing import Any

from forecasting.errors import ForecastInputError

# Seconds to wait for a scheduler. distributed's own default is 30 s: far too long to learn that
# an address is mistyped; a scheduler on a reachable host answers in milliseconds.
CONNECT_TIMEOUT = 5.0
INSTALL_HINT = ('install the dask extra where the forecast runs and on every worker: '
                'pip install "revops[dask]"')


class ClusterError(ForecastInputError):
    """The Dask cluster cannot be used: the extra is missing or the scheduler does not answer."""


def import_client() -> Any:
    """``distributed.Client``, or a ClusterError naming the extra to install."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ClusterError(f"backend 'dask' needs the 'distributed' package, which is not "
                           f"installed ({exc}); {INSTALL_HINT}, or set backend='loky'.") from None
    return Client


def connect(scheduler: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` connected to ``scheduler`` within ``timeout`` seconds
    (None: :data:`CONNECT_TIMEOUT`)."""
    client_class = import_client()
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        return client_class(scheduler, timeout=timeout, set_as_default=True)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"scheduler {scheduler!r}: no Dask scheduler answered within {timeout:g} s ({exc}); "
            "expected the address a running scheduler prints, e.g. tcp://10.0.0.5:8786. Start "
            "one ('dask scheduler', then 'dask worker ADDRESS' on each worker machine), fix the "
            "scheduler address, or set backend='loky' to run on this machine.") from None
