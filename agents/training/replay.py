"""Replay of old data when re-fine-tuning: a share of the training split drawn from it.

A run started from an earlier run's policy (``init_from``) on new data forgets the old task
unless something holds it there. Replay is the simplest control: the training split becomes
the new training records plus ``fraction / (1 - fraction)`` times as many records drawn, with
the run's seed, from the old data's training split (without replacement while there are
enough). Validation and test stay the new data's. Every learner sees the mix, since it is the
envs' dataset; ``benchmarks/continual.py`` measures what it buys.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from textenvs.data.folders import load_split_folder
from textenvs.data.generation_loaders import load_builtin_summarization
from textenvs.data.loaders import load_builtin_ner
from textenvs.data.text_loaders import BUILTIN_CLASSIFICATION, load_builtin_classification
from textenvs.errors import InputError

BUILTIN = "builtin"
"""``replay_data`` value naming the env's built-in corpus."""
SPLITS = ("train", "validation", "test")


def record_kind(env_id: str) -> str:
    """The kind of records ``env_id`` reads: ``tagging``, ``classification`` or ``generation``."""
    entry_point = str(gym.spec(env_id).entry_point)  # e.g. "textenvs.envs.ner:TextNER"
    module = entry_point.partition(":")[0].rsplit(".", 1)[-1]
    return {"ner": "tagging", "classification": "classification"}.get(module, "generation")


def load_data(env_id: str, folder: str | Path) -> dict[str, list[Any]]:
    """The splits in ``folder`` for ``env_id``'s kind of records (see textenvs.data.folders)."""
    return load_split_folder(folder, record_kind(env_id))  # type: ignore[arg-type]


def dataset_splits(env_id: str, dataset: Any) -> dict[str, list[Any]]:
    """An env's ``dataset=`` as records by split.

    A mapping stays as it is; None (or, for classification, a built-in corpus name) is
    read from the built-in corpus.
    """
    if isinstance(dataset, dict):
        return {split: list(records) for split, records in dataset.items()}
    kind = record_kind(env_id)
    named = kind == "classification" and dataset in BUILTIN_CLASSIFICATION
    if dataset is not None and not named:
        raise InputError(f"dataset {dataset!r}: expected records by split or a built-in name")
    loader: Callable[[str], list[Any]]
    if kind == "tagging":
        loader = load_builtin_ner
    elif kind == "classification":
        name = dataset or "sentiment"
        loader = lambda split: load_builtin_classification(name, split)  # noqa: E731
    else:
        loader = load_builtin_summarization
    return {split: loader(split) for split in SPLITS}


def with_replay(
    env_id: str, dataset: Any, replay_data: str, fraction: float, seed: int
) -> dict[str, list[Any]]:
    """``dataset``'s splits with ``fraction`` of the training split drawn from ``replay_data``.

    Args:
        env_id: the env (its kind of records).
        dataset: the new data (see :func:`dataset_splits`).
        replay_data: the old data: a dataset folder, or ``"builtin"``.
        fraction: the old records' share of the mixed training split, in [0, 1).
        seed: seed of the draw.
    """
    splits = dataset_splits(env_id, dataset)
    old = dataset_splits(env_id, None if replay_data == BUILTIN else load_data(env_id, replay_data))
    pool, new = old["train"], splits["train"]
    count = round(len(new) * fraction / (1.0 - fraction))
    if count and not pool:
        raise InputError(f"replay_data {replay_data}: its training split is empty")
    picks = np.random.default_rng(seed).choice(len(pool), size=count, replace=count > len(pool))
    splits["train"] = new + [pool[i] for i in picks]
    return splits
