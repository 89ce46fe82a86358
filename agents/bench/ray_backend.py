"""The Ray backend of the benchmark harness: every (env, agent, seed) run is a Ray task.

``textenvs bench --backend ray`` starts a local Ray cluster of ``--jobs`` x
``--cpus-per-run`` CPUs (or joins the cluster at ``--address``) and submits one task per run,
each asking for ``cpus_per_run`` CPUs and ``gpus_per_run`` GPUs, so Ray runs as many at a
time as the cluster holds. A task that raises or whose worker dies (killed, out of memory)
is retried once; a second failure becomes the run's error row and the other runs go on.
The driver gathers the rows and writes the same ``results.json``, report and plots as the
local backend.

Ray is an optional extra: ``pip install "textenvs[ray]"``. On a multi-node cluster, each
learner's run folder (``<out>/runs/...``) is written on the node that ran it; give ``--out``
on a shared file system to keep them together.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from textenvs.errors import InputError

INSTALL = 'pip install "textenvs[ray]"  (or: pip install "ray>=2.40")'
RETRIES = 1


def import_ray() -> Any:
    """The ``ray`` module, or a ValueError saying exactly what to install."""
    try:
        import ray
    except ImportError:
        raise InputError(f"--backend ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def run_grid(
    grid: list[tuple[str, str, int]], config: Any, run_one: Callable[..., dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run ``grid``'s (env, agent, seed) runs as Ray tasks; rows in grid order.

    ``run_one(env, agent, seed, config, raise_errors=True)`` is one run (see
    :func:`agents.bench.run.run_one`); it is passed in so that this backend does not depend
    on the harness that calls it.
    """
    ray = import_ray()

    started_here = not ray.is_initialized()
    if started_here:
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if config.address is None:  # a local cluster of ``jobs`` runs at a time
            options["num_cpus"] = config.jobs * config.cpus_per_run
            # Workers import what the driver can (custom agents from the current folder).
            path = os.pathsep.join(p for p in (os.getcwd(), *sys.path) if p)
            options["runtime_env"] = {"env_vars": {"PYTHONPATH": path}}
        else:
            options["address"] = config.address
        ray.init(**options)
    try:
        task = ray.remote(
            num_cpus=config.cpus_per_run,
            num_gpus=config.gpus_per_run,
            max_retries=RETRIES,  # the worker died
            retry_exceptions=True,  # the run raised
        )(run_one)
        futures = [
            task.remote(env, agent, seed, config, raise_errors=True) for env, agent, seed in grid
        ]
        rows = []
        for (env, agent, seed), future in zip(grid, futures):
            try:
                rows.append(ray.get(future))
            except Exception as error:  # failed twice: reported, the others go on
                rows.append(
                    {
                        "env": env,
                        "agent": agent,
                        "seed": seed,
                        "error": f"failed {RETRIES + 1} times on Ray: {_reason(error)}",
                    }
                )
        return rows
    finally:
        if started_here:
            ray.shutdown()


def _reason(error: Exception) -> str:
    """The run's own error in one line (a Ray error wraps it in a traceback)."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    first = str(error).strip().splitlines()
    name = type(error).__name__
    return f"{name}: {first[0]}" if first else name
