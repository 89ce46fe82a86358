"""Training checkpoints: one file, written atomically, restoring a run exactly.

A checkpoint holds the policy's trainable weights (adapter and heads), the training loop's
counters and, for every data-parallel process (one in a single process), its learner's state
(optimizer, rollout collector with its vector env, random generators, the policy's acting
caches) and its global random states. It is written to a
temporary file in the same folder and renamed over the old one, so a run killed while
writing leaves the previous checkpoint intact.

Checkpoints are pickles (like SB3's zip files and torch's ``.pt``): load only your own.
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

FORMAT = "textenvs-checkpoint-2"


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, or from a different run."""


def trainable_weights(policy: Any) -> dict[str, torch.Tensor]:
    """A copy of the policy's trainable parameters (adapter and heads)."""
    return {
        name: parameter.detach().cpu().clone()
        for name, parameter in policy.named_parameters()
        if parameter.requires_grad
    }


def load_trainable_weights(policy: Any, weights: dict[str, torch.Tensor]) -> None:
    """Put back :func:`trainable_weights`' copy."""
    with torch.no_grad():
        for name, parameter in policy.named_parameters():
            if name in weights:
                parameter.copy_(weights[name])


def process_state(learner: Any) -> dict[str, Any]:
    """One process's part of a checkpoint: its learner's state and its random states."""
    return {
        "learner": learner.state_dict(),
        "random": {
            "torch": torch.get_rng_state(),
            "numpy": np.random.get_state(),
            "python": random.getstate(),
        },
    }


def save_checkpoint(
    path: str | Path, policy: Any, loop: dict[str, Any], processes: list[dict[str, Any]]
) -> None:
    """Write the run's state to ``path`` atomically (temp file, fsync, rename).

    Args:
        path: the checkpoint file.
        policy: its trainable weights are saved (the loop's best weights ride in ``loop``).
        loop: the training loop's counters and history.
        processes: :func:`process_state` of every data-parallel process, in rank order (one
            entry in a single process).
    """
    path = Path(path)
    payload = {
        "format": FORMAT,
        "policy": trainable_weights(policy),
        "loop": loop,
        "processes": processes,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            torch.save(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load_checkpoint(
    path: str | Path, policy: Any, learner: Any, rank: int = 0, world_size: int = 1
) -> dict[str, Any]:
    """Restore ``policy`` and process ``rank``'s ``learner`` from ``path``.

    Returns:
        The loop's saved counters and history.

    Raises:
        CheckpointError: the file is missing, unreadable, not a textenvs checkpoint, written
            for other trainable parameters or another learner, or by another number of
            processes.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint there")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=False)
    except (pickle.UnpicklingError, EOFError, RuntimeError, zipfile.BadZipFile, OSError) as error:
        raise CheckpointError(f"{path}: corrupt checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file")
    processes = payload["processes"]
    if len(processes) != world_size:
        raise CheckpointError(
            f"{path}: written by a run of {len(processes)} process(es); resume it with "
            f"{len(processes)}, not {world_size}"
        )
    trainable = {n: p for n, p in policy.named_parameters() if p.requires_grad}
    saved = payload["policy"]
    if set(saved) != set(trainable):
        missing, unexpected = (
            sorted(set(trainable) - set(saved)),
            sorted(set(saved) - set(trainable)),
        )
        raise CheckpointError(
            f"{path}: written for other trainable parameters (missing {missing[:3]}, "
            f"unexpected {unexpected[:3]}): another backbone, PEFT method or policy?"
        )
    for name, parameter in trainable.items():
        if saved[name].shape != parameter.shape:
            raise CheckpointError(
                f"{path}: parameter {name} has shape {tuple(saved[name].shape)} in the "
                f"checkpoint but {tuple(parameter.shape)} in this policy"
            )
    try:
        learner.load_state_dict(processes[rank]["learner"])
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    load_trainable_weights(policy, saved)
    states = processes[rank]["random"]
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    return dict(payload["loop"])
