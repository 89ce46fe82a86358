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
from textenvs.errors import InputError


class InvalidActionError(InputError):
    """An action outside the action space, or a step after the episode ended."""


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise InputError(f"unknown {name} {value!r}; expected one of {list(choices)}")


class RenderModeError(InputError, TypeError):
    """A ``render_mode`` the env does not have.

    Also a ``TypeError``, as an unexpected keyword argument is: Stable-Baselines3's
    ``make_vec_env`` asks for ``render_mode="rgb_array"`` first and, on a ``TypeError``,
    makes the env without it.
    """


def check_render_mode(env: Any, render_mode: str | None) -> None:
    """Raise :class:`RenderModeError` unless ``render_mode`` is None or in the env's metadata."""
    modes = env.metadata["render_modes"]
    if render_mode is not None and render_mode not in modes:
        raise RenderModeError(
            f"unknown render_mode {render_mode!r}; expected one of {[None, *modes]}"
        )


def check_finite(name: str, value: Any, *, minimum: float | None = None) -> float:
    """``value`` as a float if it is a finite number (at least ``minimum``), else a ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(number) or (minimum is not None and number < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise InputError(f"{name} must be a finite number{bound}, got {value!r}")
    return number


def episode_index(index: Any, size: int) -> int:
    """Check ``reset(options={"index": index})`` against a split of ``size`` records."""
    try:
        row = operator.index(index)
    except TypeError:
        raise InputError(f"options['index'] must be an integer, got {index!r}") from None
    if not 0 <= row < size:
        raise InputError(f"options['index']={row} is outside this split's {size} records")
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


def put_in_column(
    infos: dict[str, Any], key: str, envs: np.ndarray, items: list[Any], num_envs: int
) -> None:
    """Put ``items`` at sub-envs ``envs`` of the batched object column ``infos[key]``.

    The column (and its ``_key`` mask) is made if absent, else copied and filled in, so that
    entries of other sub-envs (e.g. this step's resets) stay and shared masks are not changed.
    """
    if key in infos:
        column, present = infos[key].copy(), infos[f"_{key}"].copy()
    else:
        column = np.full(num_envs, None, dtype=object)
        present = np.zeros(num_envs, dtype=np.bool_)
    for env, item in zip(envs.tolist(), items):
        column[env] = item
    present[envs] = True
    infos[key], infos[f"_{key}"] = column, present


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


def _generator(state: Any) -> np.random.Generator:
    """A PCG64 generator (what ``seeding.np_random`` makes) put back from its saved state."""
    if not (isinstance(state, dict) and state.get("bit_generator") == "PCG64"):
        raise InputError("env state: a random generator's state is not a PCG64 state")
    generator = np.random.Generator(np.random.PCG64())
    generator.bit_generator.state = state
    return generator


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
    corpus: Any
    _state_arrays: tuple[str, ...] = ()
    """The numpy arrays (attribute names) that hold the episodes in flight."""

    def _init_batch(
        self,
        num_envs: int,
        single_action_space: spaces.Space,
        single_observation_space: spaces.Space,
    ) -> None:
        if not isinstance(num_envs, int) or isinstance(num_envs, bool) or num_envs < 1:
            raise InputError(f"num_envs must be a positive integer, got {num_envs!r}")
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
            raise InputError(
                f"options['reset_mask'] must be a bool array of shape ({self.num_envs},)"
            )
        if not reset_mask.any():
            raise InputError("options['reset_mask'] must select at least one sub-env")
        seeds = self._seeds(seed)
        envs = np.flatnonzero(reset_mask)
        for i in envs.tolist():
            if seeds[i] is not None or self._index[i] < 0:
                self._rngs[i] = seeding.np_random(seeds[i])[0]
        infos = self._start_episodes(envs, options.get("index"), seeds)
        self._autoreset[envs] = False
        self._ready = bool((self._index >= 0).all())
        return self._observations(), infos

    def state_dict(self) -> dict[str, Any]:
        """The episodes in flight and the random state, as plain data.

        Numpy arrays, ints, bools, strings, lists and dicts only (no objects), so that a
        checkpoint can hold it in a format that cannot run code. With
        :meth:`load_state_dict`, an env made with the same arguments continues exactly.
        """
        return {
            "env": type(self).__name__,
            "num_envs": self.num_envs,
            "records": len(self.corpus),
            "arrays": {
                name: getattr(self, name).copy() for name in ("_autoreset", *self._state_arrays)
            },
            "ready": self._ready,
            "rngs": [rng.bit_generator.state for rng in self._rngs],
            "episode_ids": [[ids.stream, ids.count] for ids in self._episode_ids],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict` of an env made with the same arguments.

        Raises:
            ValueError: the state is another env's (class, number of sub-envs, split size or
                array shapes differ) or malformed.
        """
        expected = {"env": type(self).__name__, "num_envs": self.num_envs}
        expected["records"] = len(self.corpus)
        for key, value in expected.items():
            if not isinstance(state, dict) or state.get(key) != value:
                found = state.get(key) if isinstance(state, dict) else state
                raise InputError(f"env state: {key} is {found!r}, this env has {value!r}")
        arrays = state["arrays"]
        names = ("_autoreset", *self._state_arrays)
        if not isinstance(arrays, dict) or set(arrays) != set(names):
            raise InputError(f"env state: arrays {sorted(arrays)} are not {sorted(names)}")
        for name in names:
            current, saved = getattr(self, name), arrays[name]
            if not (
                isinstance(saved, np.ndarray)
                and saved.shape == current.shape
                and saved.dtype == current.dtype
            ):
                raise InputError(
                    f"env state: {name} is not a {current.dtype} array of shape {current.shape}"
                )
        rngs = [_generator(saved) for saved in state["rngs"]]
        ids = state["episode_ids"]
        if len(rngs) != self.num_envs or len(ids) != self.num_envs:
            raise InputError(f"env state: expected {self.num_envs} generators and id counters")
        for name in names:  # in place: other attributes are views of these arrays
            np.copyto(getattr(self, name), arrays[name])
        self._rngs = rngs
        for counter, (stream, count) in zip(self._episode_ids, ids):
            counter.stream = None if stream is None else int(stream)
            counter.count = int(count)
        self._ready = bool(state["ready"])

    def _seeds(self, seed: Any) -> list[int | None]:
        """One seed per sub-env from a vector reset's ``seed`` (see the class docstring)."""
        if seed is None:
            return [None] * self.num_envs
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
            return [int(seed) + i for i in range(self.num_envs)]
        if isinstance(seed, (list, tuple)) and len(seed) == self.num_envs:
            return list(seed)
        raise InputError(
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
