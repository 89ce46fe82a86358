"""A run's state as plain data, which ``torch.load(weights_only=True)`` reads without running code.

``weights_only`` loading accepts tensors and Python's own containers and scalars only, so a
checkpoint made of them cannot execute anything when it is read (a pickle of objects can).
:func:`encode` turns what a run's state holds into that form: numpy arrays become tensors,
and numpy scalars, tuples, object arrays and numpy random generators become tagged dicts of
plain values. :func:`decode` turns them back. Any other object is refused, naming where it
was, so an unsupported piece of state fails when the checkpoint is written, not when it is
read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from textenvs.errors import InputError

TAG = "__plain_data__"

# The bit generators a saved numpy Generator may name (its state is data; these rebuild it).
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64,
    "PCG64DXSM": np.random.PCG64DXSM,
    "MT19937": np.random.MT19937,
    "Philox": np.random.Philox,
    "SFC64": np.random.SFC64,
}


def encode(value: Any, where: str = "state") -> Any:
    """``value`` as tensors, numbers, strings, lists and dicts (see the module docstring).

    Raises:
        ValueError: ``value`` holds something else (named with its place in ``value``).
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, np.generic):
        return {TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            native = value.astype(value.dtype.newbyteorder("="), copy=False)
            return {TAG: "array", "data": torch.from_numpy(np.array(native, copy=True))}
        if value.dtype.kind in "OU":
            items = [encode(item, f"{where}[...]") for item in value.ravel().tolist()]
            return {TAG: "object array", "shape": list(value.shape), "items": items}
    if isinstance(value, np.random.Generator):
        return {TAG: "generator", "state": encode(value.bit_generator.state, where)}
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, list):
        return [encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        if all(_plain_key(key) for key in value) and TAG not in value:
            return {key: encode(item, f"{where}[{key!r}]") for key, item in value.items()}
        return {
            TAG: "dict",
            "items": [[encode(k, where), encode(v, f"{where}[{k!r}]")] for k, v in value.items()],
        }
    raise InputError(
        f"cannot checkpoint {where}: a {type(value).__name__} is not plain data "
        "(tensors, numpy arrays, numbers, strings, lists, dicts)"
    )


def decode(value: Any, where: str = "state") -> Any:
    """The inverse of :func:`encode`.

    Raises:
        ValueError: a tagged value is malformed (named with its place).
    """
    if isinstance(value, list):
        return [decode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if not isinstance(value, dict):
        return value
    kind = value.get(TAG)
    if kind is None:
        return {key: decode(item, f"{where}[{key!r}]") for key, item in value.items()}
    try:
        if kind == "array":
            return value["data"].numpy()
        if kind == "scalar":
            return np.dtype(value["dtype"]).type(value["value"])
        if kind == "object array":
            items = [decode(item, where) for item in value["items"]]
            array = np.empty(len(items), dtype=object)
            array[:] = items
            return array.reshape(value["shape"])
        if kind == "generator":
            state = decode(value["state"], where)
            generator = np.random.Generator(_BIT_GENERATORS[state["bit_generator"]]())
            generator.bit_generator.state = state
            return generator
        if kind == "tuple":
            return tuple(decode(item, f"{where}[{i}]") for i, item in enumerate(value["items"]))
        if kind == "dict":
            return {decode(k, where): decode(v, f"{where}[{k!r}]") for k, v in value["items"]}
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise InputError(f"{where}: a malformed {kind} ({error})") from None
    raise InputError(f"{where}: unknown plain-data tag {kind!r}")


def _plain_key(key: Any) -> bool:
    return isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool))
