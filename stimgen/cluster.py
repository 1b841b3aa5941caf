"""Dask clusters for ``stimgen score`` and ``stimgen optimize``: a local one, or an existing scheduler.

:func:`dask_client` is the one way the commands get a
:class:`distributed.Client`: ``workers=N`` starts a
:class:`distributed.LocalCluster` of ``N`` worker processes with one thread
each (Dask's nanny sets ``OMP_NUM_THREADS`` and friends to 1 in them), closed
when the block ends; ``scheduler=ADDRESS`` connects to a running cluster
(e.g. one started by ``dask scheduler`` / ``dask worker`` or by
``dask-jobqueue`` on SLURM), which is left running.  Dask is imported only
here and in the functions that receive the client.
"""

from __future__ import annotations

import contextlib
import logging

from .errors import ParameterError

__all__ = ["CONNECT_TIMEOUT_S", "dask_client", "dashboard_address", "dask_setup"]

#: How long to wait for ``--scheduler`` to answer (s).
CONNECT_TIMEOUT_S = 10.0


def dashboard_address(client) -> str | None:
    """The dashboard URL of a client's cluster, or ``None`` if it has none (no ``bokeh``)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return None
    link = getattr(client, "dashboard_link", None)
    return str(link) if link else None


def dask_setup(worker) -> None:
    """Preload of the local cluster's workers: ignore Ctrl-C, log only critical errors.

    On a terminal Ctrl-C reaches every process of the group; the command
    that started the cluster handles it (writes what is finished, cancels
    the rest, closes the cluster), so the workers must not die on it first.
    Closing the cluster while a worker still talks to another (e.g. fetching
    the harmonics) makes Dask log connection errors with tracebacks; the
    commands report every file's or candidate's failure themselves (task
    errors come back to the client), so the local workers' Dask log is
    limited to critical messages.  Dask calls this in each worker process
    when it starts (also after a restart), from the process's main thread.
    """
    import signal
    import threading

    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def dask_client(*, workers: int | None = None, scheduler: str | None = None):
    """Yield a :class:`distributed.Client` to a new local cluster or an existing scheduler.

    Parameters
    ----------
    workers : int or None
        Worker processes of a new local cluster (>= 1).
    scheduler : str or None
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``;
        exclusive with ``workers``.

    Yields
    ------
    distributed.Client

    Raises
    ------
    ParameterError
        If both or neither are given, ``workers`` is not a positive integer,
        or the scheduler cannot be reached within :data:`CONNECT_TIMEOUT_S`.

    Examples
    --------
    >>> with dask_client(workers=2) as client:   # doctest: +SKIP
    ...     print(sum(client.nthreads().values()))
    2
    """
    if (workers is None) == (scheduler is None):
        raise ParameterError("give either --workers N or --scheduler ADDRESS, not both")
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise ParameterError(
                f"--scheduler '{scheduler}' cannot be reached within {CONNECT_TIMEOUT_S:g} s "
                f"({type(exc).__name__}: {' '.join(str(exc).split())}); allowed: the address of a running "
                "Dask scheduler, e.g. tcp://host:8786"
            ) from None
        try:
            yield client
        except BaseException:
            _quiet_shutdown()
            raise
        finally:
            client.close()
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"--workers={workers!r} is not allowed; allowed: an integer >= 1")
    try:
        import bokeh  # noqa: F401

        dashboard = ":0"  # any free port
    except ImportError:
        dashboard = None
    cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=dashboard,
                           silence_logs=logging.ERROR, preload=[__name__])
    try:
        client = Client(cluster)
        try:
            yield client
        except BaseException:
            _quiet_shutdown()
            raise
        finally:
            client.close()
    finally:
        cluster.close()


def _quiet_shutdown() -> None:
    """Silence Dask's and Tornado's loggers while an interrupted run shuts down.

    After Ctrl-C, callbacks still pending on the client's event loop can fail
    inside Dask and Tornado, which log their own tracebacks; the user has
    already been told what was kept, so those lines are noise.
    """
    for name in ("distributed", "tornado", "tornado.application", "tornado.general", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
