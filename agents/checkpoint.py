"""Training checkpoints: one file, written atomically, restoring a run exactly.

A checkpoint holds the policy's trainable weights (adapter and heads), the learner's state
(optimizer, rollout collector with its vector env, random generators, the policy's acting
caches), the training loop's counters and the global random states. It is written to a
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

FORMAT = "textenvs-checkpoint-1"


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


def save_checkpoint(path: str | Path, policy: Any, learner: Any, loop: dict[str, Any]) -> None:
    """Write the run's state to ``path`` atomically (temp file, fsync, rename)."""
    path = Path(path)
    payload = {
        "format": FORMAT,
        "policy": trainable_weights(policy),  # the loop's best weights ride in ``loop``
        "learner": learner.state_dict(),
        "loop": loop,
        "random": {
            "torch": torch.get_rng_state(),
            "numpy": np.random.get_state(),
            "python": random.getstate(),
        },
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


def load_checkpoint(path: str | Path, policy: Any, learner: Any) -> dict[str, Any]:
    """Restore ``policy`` and ``learner`` from ``path``; returns the loop's saved counters.

    Raises:
        CheckpointError: the file is missing, unreadable, not a textenvs checkpoint, or
            written for other trainable parameters or another learner.
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
        learner.load_state_dict(payload["learner"])
    except ValueError as error:
        raise CheckpointError(f"{path}: {error}") from None
    load_trainable_weights(policy, saved)
    torch.set_rng_state(payload["random"]["torch"])
    np.random.set_state(payload["random"]["numpy"])
    random.setstate(payload["random"]["python"])
    return dict(payload["loop"])
