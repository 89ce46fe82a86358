"""Argument checks and info helpers shared by every textenvs environment."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from gymnasium.utils import seeding


class InvalidActionError(ValueError):
    """An action outside the action space, or a step after the episode ended."""


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}; expected one of {list(choices)}")


def check_finite(name: str, value: Any, *, minimum: float | None = None) -> float:
    """``value`` as a float if it is a finite number (at least ``minimum``), else a ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or (minimum is not None and number < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")
    return number


def episode_index(index: Any, size: int) -> int:
    """Check ``reset(options={"index": index})`` against a split of ``size`` records."""
    try:
        row = operator.index(index)
    except TypeError:
        raise ValueError(f"options['index'] must be an integer, got {index!r}") from None
    if not 0 <= row < size:
        raise ValueError(f"options['index']={row} is outside this split's {size} records")
    return row


def action_id(action: Any, n_actions: int) -> int:
    """Check one action of a ``Discrete(n_actions)`` space and return it as an int."""
    try:
        checked = operator.index(action)
    except TypeError:
        raise InvalidActionError(
            f"action {action!r} is not an integer in the action space Discrete({n_actions})"
        ) from None
    if not 0 <= checked < n_actions:
        raise InvalidActionError(
            f"action {checked} is outside the action space Discrete({n_actions})"
        )
    return checked


def action_ids(actions: Any, num_envs: int, n_actions: int) -> np.ndarray:
    """Check a batch of ``Discrete(n_actions)`` actions and return them as int64."""
    array = np.asarray(actions)
    if array.shape != (num_envs,) or array.dtype.kind not in "iu":
        raise InvalidActionError(
            f"actions must be {num_envs} integers, got shape {array.shape} and dtype {array.dtype}"
        )
    array = array.astype(np.int64, copy=False)
    if (array.view(np.uint64) >= n_actions).any():  # negative ids wrap to huge unsigned ones
        env = int(np.flatnonzero((array < 0) | (array >= n_actions))[0])
        raise InvalidActionError(
            f"action {array[env]} of env {env} is outside Discrete({n_actions})"
        )
    return array


def batched_info(envs: np.ndarray, **values: np.ndarray) -> dict[str, np.ndarray]:
    """Infos in Gymnasium's vector layout: ``key`` -> batched values, ``_key`` -> which envs.

    The keys given together share one mask array (they are present for the same sub-envs).
    """
    present = np.zeros(len(next(iter(values.values()))), dtype=np.bool_)
    present[envs] = True
    infos: dict[str, np.ndarray] = {}
    for key, value in values.items():
        infos[key], infos[f"_{key}"] = value, present
    return infos


def object_column(num_envs: int, envs: list[int], items: list[Any]) -> np.ndarray:
    """An object array with ``items`` at ``envs`` and None elsewhere (items kept as they are)."""
    column = np.full(num_envs, None, dtype=object)
    for env, item in zip(envs, items):
        column[env] = item
    return column


def reset_targets(env: Any, reset_mask: Any, seed: Any) -> np.ndarray:
    """Check a native vector env's reset arguments, reseed its sub-envs; return those to reset.

    Seeds follow ``SyncVectorEnv``: an int ``s`` seeds sub-env ``i`` with ``s + i``, a list
    gives one seed per sub-env, None keeps each sub-env's generator (seeding it randomly on
    the first reset). ``env`` holds one generator per sub-env in ``env._rngs`` and its
    sentence indices, -1 before the first reset, in ``env._index``.
    """
    n = env.num_envs
    if not (
        isinstance(reset_mask, np.ndarray)
        and reset_mask.shape == (n,)
        and reset_mask.dtype == np.bool_
    ):
        raise ValueError(f"options['reset_mask'] must be a bool array of shape ({n},)")
    if seed is None or isinstance(seed, int):
        seeds = [None if seed is None else seed + i for i in range(n)]
    else:
        seeds = list(seed)
        if len(seeds) != n:
            raise ValueError(f"got {len(seeds)} seeds for {n} envs")
    envs = np.flatnonzero(reset_mask)
    for i in envs.tolist():
        if seeds[i] is not None or env._index[i] < 0:
            env._rngs[i] = seeding.np_random(seeds[i])[0]
    return envs
