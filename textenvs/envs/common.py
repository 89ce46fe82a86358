"""Argument checks and info helpers shared by every textenvs environment."""

from __future__ import annotations

import operator
import secrets
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from textenvs.envs.datasets import draw_index


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
        if isinstance(action, (bool, np.bool_)):
            raise TypeError
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
    checked = array.astype(np.int64, copy=False)
    # Negative ids wrap to huge unsigned ones; so do uint64 ids too big for int64.
    if (checked.view(np.uint64) >= n_actions).any() or (checked < 0).any():
        env = int(np.flatnonzero((checked < 0) | (checked >= n_actions))[0])
        raise InvalidActionError(
            f"action {array[env]} of env {env} is outside Discrete({n_actions})"
        )
    return checked


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


class EpisodeIds:
    """Numbers the episodes of one env: the ``info["episode_id"]`` of every reset.

    An id is ``stream * 2**32 + count``: ``count`` counts the env's resets, and ``stream`` is
    the last seed it was reset with (a random number before any seed). Ids are unique within
    an env, and sub-envs seeded apart (``s + i``, as ``SyncVectorEnv`` and the native vector
    envs seed them) number their episodes apart, so ids also tell the episodes of a vector
    env's sub-envs apart. Agents recognise an episode by its id (its acting caches, the steps
    a learner groups), never by the identity of an info object.
    """

    def __init__(self) -> None:
        self.stream: int | None = None
        self.count = 0

    def next(self, seed: int | None) -> int:
        """The id of the episode a reset with ``seed`` starts."""
        if seed is not None:
            self.stream = int(seed) % 2**31
        elif self.stream is None:
            self.stream = secrets.randbits(31)
        self.count += 1
        return self.stream * 2**32 + self.count % 2**32


def next_episode_id(env: gym.Env, seed: int | None) -> int:
    """The ``episode_id`` of the episode a single env's ``reset(seed=seed)`` starts."""
    ids = env.__dict__.get("_episode_ids")
    if ids is None:
        ids = env.__dict__["_episode_ids"] = EpisodeIds()
    return ids.next(seed)


def record_index(env: gym.Env, options: dict[str, Any] | None, size: int) -> int:
    """The record a single env's reset starts on: ``options["index"]``, or a uniform draw."""
    if options and "index" in options:
        return episode_index(options["index"], size)
    return draw_index(env.np_random, size)


class TextVectorEnv(VectorEnv):
    """What the native vector envs share: batched spaces, seeding, reset and autoreset.

    Sub-env ``i`` has its own generator, seeded like ``SyncVectorEnv`` seeds its ``i``-th env
    (an int seed ``s`` gives ``s + i``; a list gives one seed each; None keeps the generator,
    seeding it randomly at the first reset), so that a native vector env draws the same records
    as ``SyncVectorEnv`` over the single env. Subclasses call :meth:`_init_batch` and implement
    :meth:`_reset_envs` and :meth:`_observations`; their ``step`` resets the sub-envs flagged in
    ``self._autoreset`` (Gymnasium's ``NEXT_STEP`` mode).
    """

    metadata = {"render_modes": ["ansi"], "autoreset_mode": AutoresetMode.NEXT_STEP}
    _index: np.ndarray  # record index per sub-env, -1 before the first reset

    def _init_batch(
        self,
        num_envs: int,
        single_action_space: spaces.Space,
        single_observation_space: spaces.Space,
    ) -> None:
        if not isinstance(num_envs, int) or isinstance(num_envs, bool) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        self.num_envs = num_envs
        self.single_action_space = single_action_space
        self.single_observation_space = single_observation_space
        self.action_space = batch_space(single_action_space, num_envs)
        self.observation_space = batch_space(single_observation_space, num_envs)
        self._rngs = [seeding.np_random()[0] for _ in range(num_envs)]
        self._episode_ids = [EpisodeIds() for _ in range(num_envs)]
        self._autoreset = np.zeros(num_envs, dtype=np.bool_)
        self._ready = False  # every sub-env has been reset at least once

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Reset every sub-env, or those in ``options["reset_mask"]``.

        ``options={"index": i}`` starts every reset sub-env on record ``i`` (as
        ``SyncVectorEnv`` passes the same options to every env).
        """
        options = dict(options or {})
        reset_mask = options.pop("reset_mask", np.ones(self.num_envs, dtype=np.bool_))
        if not (
            isinstance(reset_mask, np.ndarray)
            and reset_mask.shape == (self.num_envs,)
            and reset_mask.dtype == np.bool_
        ):
            raise ValueError(
                f"options['reset_mask'] must be a bool array of shape ({self.num_envs},)"
            )
        if not reset_mask.any():
            raise ValueError("options['reset_mask'] must select at least one sub-env")
        seeds = self._seeds(seed)
        envs = np.flatnonzero(reset_mask)
        for i in envs.tolist():
            if seeds[i] is not None or self._index[i] < 0:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
        infos = self._start_episodes(envs, options.get("index"), seeds)
        self._autoreset[envs] = False
        self._ready = bool((self._index >= 0).all())
        return self._observations(), infos

    def _seeds(self, seed: Any) -> list[int | None]:
        """One seed per sub-env from a vector reset's ``seed`` (see the class docstring)."""
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            return [int(seed) + i for i in range(self.num_envs)]
        if isinstance(seed, (list, tuple)) and len(seed) == self.num_envs:
            return list(seed)
        raise ValueError(
            f"seed must be None, an int, or a list of {self.num_envs} ints or None, got {seed!r}"
        )

    def _check_ready(self) -> None:
        if not self._ready:
            never = np.flatnonzero(self._index < 0).tolist()
            raise InvalidActionError(
                f"call reset() before step(): sub-envs {never} were never reset"
            )

    def _draw_records(self, envs: list[int], index: Any, size: int) -> list[int]:
        """The records sub-envs ``envs`` start on: ``index`` for all, or each one's draw."""
        if index is None:
            rngs = self._rngs
            return [draw_index(rngs[env], size) for env in envs]
        return [episode_index(index, size)] * len(envs)

    def _start_episodes(
        self, envs: np.ndarray, index: Any, seeds: list[int | None] | None = None
    ) -> dict[str, Any]:
        """Reset sub-envs ``envs`` (also on autoreset): their reset infos with ``episode_id``."""
        infos = self._reset_envs(envs, index)
        ids = np.zeros(self.num_envs, dtype=np.int64)
        for env in envs.tolist():
            ids[env] = self._episode_ids[env].next(seeds[env] if seeds is not None else None)
        infos.update(batched_info(envs, episode_id=ids))
        return infos

    def _reset_envs(self, envs: np.ndarray, index: Any) -> dict[str, Any]:
        """Start new episodes in sub-envs ``envs``; return their reset infos, batched."""
        raise NotImplementedError

    def _observations(self) -> dict[str, np.ndarray]:
        """The batched observation of every sub-env (fresh arrays)."""
        raise NotImplementedError
