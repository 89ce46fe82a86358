"""Training checkpoints: one file, data only, checksummed, written atomically.

A checkpoint holds the policy's trainable weights (adapter and heads), the training loop's
counters and, for every data-parallel process (one in a single process), its learner's state
(optimizer, the rollout collector's episodes in flight and its vector env's state, random
generators) and its global random states. It restores a run exactly.

Reading a checkpoint cannot run code: everything in it is plain data (tensors, numbers,
strings, lists, dicts; see :mod:`agents.training.plain_data`), read back with
``torch.load(weights_only=True)``. The file is one header line, ``textenvs-checkpoint-3
sha256=<hex>``, then the ``torch.save`` bytes; the SHA-256 of those bytes is checked before
anything is read, so a file changed after it was written (flipped bytes, a truncated copy)
is refused in one line rather than loaded with wrong weights. Checkpoints of the earlier,
pickled format are refused too.

It is written to a temporary file in the same folder and renamed over the old one, so a run
killed while writing leaves the previous checkpoint intact.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import random
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.training.plain_data import decode, encode
from textenvs.errors import InputError

FORMAT = "textenvs-checkpoint-3"
_HEADER = re.compile(rb"textenvs-checkpoint-3 sha256=([0-9a-f]{64})\n")


class CheckpointError(InputError):
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
    body = io.BytesIO()
    torch.save(encode(payload, "the checkpoint"), body)
    digest = hashlib.sha256(body.getbuffer()).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(f"{FORMAT} sha256={digest}\n".encode())
            file.write(body.getbuffer())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The checked, decoded contents of the checkpoint at ``path`` (see the module docstring)."""
    if not path.is_file():
        raise CheckpointError(f"{path}: no checkpoint there")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"{path}: cannot read it ({error.strerror})") from None
    header = _HEADER.match(data)
    if header is None:
        if data.startswith(b"PK"):  # a zip: torch.save's pickles, the format before this one
            raise CheckpointError(
                f"{path}: a checkpoint of an older textenvs, a pickle that could run code "
                "when read; it is not loaded (start the run again)"
            )
        raise CheckpointError(f"{path}: not a {FORMAT} file")
    body = memoryview(data)[header.end() :]
    if hashlib.sha256(body).hexdigest() != header.group(1).decode():
        raise CheckpointError(
            f"{path}: corrupt checkpoint (its checksum does not match: the file changed "
            "after it was written)"
        )
    try:
        payload = decode(torch.load(io.BytesIO(body), map_location="cpu", weights_only=True))
    except (pickle.UnpicklingError, EOFError, RuntimeError, zipfile.BadZipFile) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: unreadable checkpoint ({first})") from None
    except ValueError as error:
        raise CheckpointError(f"{path}: malformed checkpoint ({error})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a {FORMAT} file")
    return payload


def load_checkpoint(
    path: str | Path, policy: Any, learner: Any, rank: int = 0, world_size: int = 1
) -> dict[str, Any]:
    """Restore ``policy`` and process ``rank``'s ``learner`` from ``path``.

    Returns:
        The loop's saved counters and history.

    Raises:
        CheckpointError: the file is missing, unreadable, not a textenvs checkpoint of this
            format, changed since it was written (checksum), written for other trainable
            parameters or another learner, or by another number of processes.
    """
    path = Path(path)
    payload = read_checkpoint(path)
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
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path}: {error}") from None
    load_trainable_weights(policy, saved)
    states = processes[rank]["random"]
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    return dict(payload["loop"])
