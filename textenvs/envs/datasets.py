"""How an environment's ``dataset=`` and ``split=`` arguments turn into records.

Shared by every environment: ``dataset`` is ``None`` (the env's default built-in corpus), the
name of a built-in corpus, a mapping from split name to records, or a sequence of records.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from textenvs.errors import InputError

Record = TypeVar("Record")


@dataclass(frozen=True)
class ResolvedSplit(Generic[Record]):
    """The records an environment works on.

    Attributes:
        records: the chosen split's records.
        all_records: every split's records, from which label or tag sets are derived.
        vocab_source: the records a vocabulary is built from (the training split if any).
    """

    records: list[Record]
    all_records: list[Record]
    vocab_source: list[Record]


def resolve_split(
    dataset: Any,
    split: str,
    record_type: type[Record],
    builtins: Mapping[str, Callable[[str], Sequence[Record]]],
) -> ResolvedSplit[Record]:
    """Resolve an env's ``dataset`` and ``split`` arguments.

    Every split is read once, so a split given as a generator (a one-shot iterator) gives
    all its records.

    Args:
        dataset: ``None`` for the first built-in corpus, a built-in name, a mapping from split
            name to records, or a sequence of records (used whatever ``split`` is).
        split: the split wanted, when ``dataset`` has splits.
        record_type: the record class every record must be.
        builtins: built-in corpus name -> loader of a split (``"train"``, ...).

    Raises:
        ValueError: an unknown built-in name or split, an empty split.
        TypeError: a record of another type, a split that is not a collection of records.
    """
    if dataset is None:
        dataset = next(iter(builtins))
    if isinstance(dataset, str):
        if dataset not in builtins:
            raise InputError(
                f"unknown dataset {dataset!r}: pass one of {list(builtins)}, a mapping of "
                f"split name to {record_type.__name__} records, or a sequence of records"
            )
        load = builtins[dataset]
        dataset = {name: load(name) for name in ("train", "validation", "test")}
    if not isinstance(dataset, Mapping):
        records = _nonempty(_checked(dataset, "dataset", record_type), "dataset")
        return ResolvedSplit(records, records, records)
    if split not in dataset:
        raise InputError(f"unknown split {split!r}; this dataset has {sorted(dataset)}")
    splits = {
        name: _checked(part, f"dataset[{name!r}]", record_type) for name, part in dataset.items()
    }
    records = _nonempty(splits[split], f"dataset[{split!r}]")
    all_records = [record for part in splits.values() for record in part]
    return ResolvedSplit(records, all_records, splits.get("train", records))


def check_max_length(max_length: Any, name: str = "max_length") -> int:
    """``max_length`` as an int if it is a positive integer, else a ValueError naming ``name``."""
    try:
        if isinstance(max_length, (bool, np.bool_)):
            raise TypeError
        value = operator.index(max_length)
    except TypeError:
        value = 0
    if value < 1:
        raise InputError(f"{name} must be a positive integer, got {max_length!r}")
    return value


def draw_index(rng: np.random.Generator, size: int) -> int:
    """A uniform index in ``[0, size)``; cheaper than ``rng.integers(size)`` per call."""
    return int(rng.random() * size)


def _checked(records: Any, where: str, record_type: type[Record]) -> list[Record]:
    """``records`` read once into a list, each checked to be a ``record_type``."""
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise TypeError(
            f"{where} must be a sequence of {record_type.__name__} records, "
            f"got a {type(records).__name__}"
        )
    records = list(records)
    for i, record in enumerate(records):
        if not isinstance(record, record_type):
            raise TypeError(
                f"{where}[{i}] is a {type(record).__name__}, not a {record_type.__name__}"
            )
    return records


def _nonempty(records: list[Record], where: str) -> list[Record]:
    if not records:
        raise InputError(f"{where} has no records")
    return records
