"""Wrappers that give every ``info`` the same numeric keys, for buffer-based RL libraries.

Replay and rollout buffers (tianshou's ``Collector``, torchrl's ``GymWrapper``) store each
info key as a column of fixed shape and dtype, so they need the same keys at every reset and
step, each a number. textenvs envs put words, texts and tag lists into ``info`` (for agents
that read text, and for corpus metrics), and give some keys only at reset or only at an
episode's last step. :class:`NumericInfo` (one env) and :class:`NumericInfoVector` (a vector
env) keep the numbers and fill the gaps with fixed defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.core import ActType, ObsType
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

__all__ = ["NUMERIC_INFO_KEYS", "NumericInfo", "NumericInfoVector", "NumericKey", "numeric_keys"]


@dataclass(frozen=True)
class NumericKey:
    """How one numeric info key is read from an env's infos.

    Attributes:
        default: the value wherever the env gives none (a final-step key before the last
            step, a name that is None). Its type fixes the key's dtype: ``bool`` -> bool,
            ``int`` -> int64, ``float`` -> float64.
        per_episode: True for a key of the reset info (``index``, ``episode_id``): its value
            is repeated at every step of the episode. False for a key of the last step's
            info: ``default`` at every other step.
        source: the env's info key the value is read from (by default the same name).
        names: an attribute of the unwrapped env listing names (e.g. ``"label_names"``): the
            env gives a name, kept as its position in that list.
        length: the env gives a sequence, kept as its length.
    """

    default: bool | int | float
    per_episode: bool = False
    source: str | None = None
    names: str | None = None
    length: bool = False

    @property
    def dtype(self) -> np.dtype[Any]:
        """``bool``, ``int64`` or ``float64``: the type of :attr:`default`."""
        if isinstance(self.default, bool):
            return np.dtype(np.bool_)
        if isinstance(self.default, int):
            return np.dtype(np.int64)
        return np.dtype(np.float64)


_EPISODE_KEYS = {
    "index": NumericKey(-1, per_episode=True),
    "episode_id": NumericKey(-1, per_episode=True),
}
NUMERIC_INFO_KEYS: dict[str, dict[str, NumericKey]] = {
    "TextNEREnv": {
        **_EPISODE_KEYS,
        "precision": NumericKey(math.nan),
        "recall": NumericKey(math.nan),
        "f1": NumericKey(math.nan),
        "input_truncated": NumericKey(False),
    },
    "TextClassificationEnv": {
        **_EPISODE_KEYS,
        "label_id": NumericKey(-1, source="label", names="label_names"),
        "prediction_id": NumericKey(-1, source="prediction", names="label_names"),
        "correct": NumericKey(False),
        "tokens_read": NumericKey(-1),
        "fraction_read": NumericKey(math.nan),
    },
    "TextGenerationEnv": {
        **_EPISODE_KEYS,
        "score": NumericKey(math.nan),
        "new_tokens": NumericKey(-1),
    },
    "TextExtractiveSummarizationEnv": {
        **_EPISODE_KEYS,
        "score": NumericKey(math.nan),
        "n_selected": NumericKey(-1, source="selected", length=True),
        "input_truncated": NumericKey(False),
    },
}
"""The numeric info keys of each textenvs env, by the unwrapped env's class name."""
# The native vector envs (TextNERVectorEnv, ...) give the same infos as their single envs.
NUMERIC_INFO_KEYS.update(
    {name.removesuffix("Env") + "VectorEnv": keys for name, keys in list(NUMERIC_INFO_KEYS.items())}
)


def numeric_keys(env: gym.Env[Any, Any] | VectorEnv) -> dict[str, NumericKey] | None:
    """The numeric info keys of ``env`` (a single or a vector env), or None if not known.

    Looked up in this order: the unwrapped env's ``metadata["numeric_info"]`` (a mapping of
    key to :class:`NumericKey`, for envs that declare their own), then
    :data:`NUMERIC_INFO_KEYS` by the unwrapped env's class name, then by the class name of
    the env id's entry point (so that ``SyncVectorEnv`` over a textenvs env is known).
    """
    unwrapped = env.unwrapped
    declared = unwrapped.metadata.get("numeric_info")
    if declared is not None:
        if not all(isinstance(spec, NumericKey) for spec in declared.values()):
            raise TypeError(
                f"{type(unwrapped).__name__}.metadata['numeric_info'] must map info keys to "
                f"NumericKey, got {declared!r}"
            )
        return dict(declared)
    names = [type(unwrapped).__name__]
    if env.spec is not None and isinstance(env.spec.entry_point, str):
        names.append(env.spec.entry_point.rpartition(":")[2])
    for name in names:
        if name in NUMERIC_INFO_KEYS:
            return dict(NUMERIC_INFO_KEYS[name])
    return None


class _InfoColumns:
    """The numeric infos of ``num_envs`` episodes in flight: what both wrappers share.

    Reads infos in Gymnasium's vector layout (``key`` -> one value per sub-env, ``_key`` ->
    which sub-envs have one) and returns one fresh array per numeric key.
    """

    def __init__(
        self,
        keys: Mapping[str, NumericKey] | None,
        num_envs: int,
        float_default: float,
        names_of: Callable[[str], Sequence[str]],
        where: str,
    ) -> None:
        self.float_default = float_default
        self.keys = None if keys is None else self._with_float_default(keys)
        self._fallback = keys is None
        self.num_envs = num_envs
        self._names_of = names_of
        self._positions: dict[str, dict[str, int]] = {}
        self._episode: dict[str, np.ndarray] = {}
        self._where = where
        self._warned: set[str] = set()

    def _with_float_default(self, keys: Mapping[str, NumericKey]) -> dict[str, NumericKey]:
        return {
            key: replace(spec, default=self.float_default)
            if isinstance(spec.default, float) and math.isnan(spec.default)
            else spec
            for key, spec in keys.items()
        }

    def read(self, infos: Mapping[str, Any], new_episodes: np.ndarray) -> dict[str, np.ndarray]:
        """This call's column of every key; ``new_episodes`` marks the sub-envs just reset."""
        if self.keys is None:
            self.keys = self._with_float_default(_keys_seen(infos))
        columns: dict[str, np.ndarray] = {}
        for key, spec in self.keys.items():
            if spec.per_episode:
                column = self._episode.get(key)
                if column is None:
                    column = self._episode[key] = np.full(self.num_envs, spec.default, spec.dtype)
                column[new_episodes] = spec.default
            else:
                column = np.full(self.num_envs, spec.default, spec.dtype)
            source = spec.source or key
            if source in infos:
                present = np.asarray(infos.get(f"_{source}", True), dtype=np.bool_)
                present = np.broadcast_to(present, (self.num_envs,))
                column[present] = self._convert(spec, source, np.asarray(infos[source])[present])
            columns[key] = column.copy() if spec.per_episode else column
        if self._fallback:
            self._warn_dropped(infos, self.keys)
        return columns

    def _convert(self, spec: NumericKey, source: str, values: np.ndarray) -> np.ndarray:
        items = values.tolist()
        if spec.names is not None:
            positions = self._positions.get(spec.names)
            if positions is None:
                names = self._names_of(spec.names)
                positions = self._positions[spec.names] = {n: i for i, n in enumerate(names)}
            items = [None if item is None else positions[item] for item in items]
        elif spec.length:
            items = [None if item is None else len(item) for item in items]
        try:
            return np.array(
                [spec.default if item is None else item for item in items], dtype=spec.dtype
            )
        except (TypeError, ValueError):
            raise ValueError(
                f"{self._where}: info[{source!r}] = {values.tolist()!r} is not {spec.dtype}"
            ) from None

    def _warn_dropped(self, infos: Mapping[str, Any], keys: Mapping[str, NumericKey]) -> None:
        """Warn once per numeric key that the fallback's fixed key set leaves out."""
        dropped = sorted(set(_keys_seen(infos)) - set(keys) - self._warned)
        if dropped:
            self._warned.update(dropped)
            gym.logger.warn(
                f"{self._where}: info keys {dropped} are numeric but were not in the first "
                "reset's info, so they are left out (the keys must be the same at every "
                "step); pass keys={name: NumericKey(default), ...} to keep them"
            )


def _keys_seen(infos: Mapping[str, Any]) -> dict[str, NumericKey]:
    """The fallback: every column of numbers in ``infos``, held for the episode it starts."""
    keys = {}
    for key, column in infos.items():
        if (
            key.startswith("_")
            or not isinstance(column, np.ndarray)
            or column.ndim != 1
            or column.dtype.kind not in "biuf"
        ):
            continue
        default: bool | int | float = {"b": False, "f": math.nan}.get(column.dtype.kind, -1)
        keys[key] = NumericKey(default, per_episode=True)
    return keys


def _as_column(value: Any) -> np.ndarray:
    """One env's info value as a column of one (numbers keep their dtype)."""
    if isinstance(value, (bool, int, float, np.bool_, np.number)):
        return np.array([value])
    column = np.empty(1, dtype=object)
    column[0] = value
    return column


class NumericInfo(gym.Wrapper[ObsType, ActType, ObsType, ActType]):
    """Makes every ``info`` a dict of the same numeric keys, each a numpy scalar.

    Buffer-based RL libraries store each info key as a fixed-shape column: tianshou's
    ``Collector`` fails on infos whose keys change between steps or that hold lists, and
    torchrl's ``GymWrapper`` reads infos into tensors. textenvs infos hold words, texts and
    tag lists (for agents that read text) and give some keys only at reset or only at the
    last step. This wrapper gives, at every reset and step, exactly the same keys, each a
    numpy scalar of one fixed dtype (``float64``, ``int64`` or ``bool``); no strings, lists
    or None. Observations, rewards and flags are passed through unchanged.

    What it keeps (:data:`NUMERIC_INFO_KEYS`): every env's ``index`` and ``episode_id``, and
    the keys of its last step's info:

    * ``TextNER-v0``: ``precision``, ``recall``, ``f1``, ``input_truncated``;
    * ``TextClassification-v0``: ``label_id``, ``prediction_id``, ``correct``,
      ``tokens_read``, ``fraction_read``;
    * ``TextSummarization-v0``: ``score``, ``new_tokens``;
    * ``TextExtractiveSummarization-v0``: ``score``, ``n_selected``, ``input_truncated``.

    ``index`` (the record in the split) and ``episode_id`` come with the reset info and are
    repeated at every step of the episode, so each stored step names its episode. The
    final-step keys hold the env's value at the episode's last step and a default at every
    other step: NaN for floats (so that a mean over a column cannot silently count steps
    that have no score), -1 for ints and counts, False for flags. Names become ints:
    ``label_id`` and ``prediction_id`` are positions in ``env.unwrapped.label_names`` (-1
    for an episode ended without an answer), ``n_selected`` counts the selected sentences.
    The text itself (``words``, ``tokens``, ``prompt``, tags, ``references``) is left out:
    read it from an unwrapped env, or look the record up by ``index``.

    An env not in the table may declare its keys as ``metadata["numeric_info"]``. Otherwise
    the numeric values of the first reset's info are kept (held for each episode, as
    ``index`` is), and numeric keys that appear only later are left out with a warning,
    since the key set must not change; pass ``keys=`` to choose them.

    Example:
        ```python
        env = NumericInfo(gym.make("TextNER-v0"))
        obs, info = env.reset(seed=0)  # {"index": ..., "episode_id": ..., "f1": nan, ...}
        ```

    Wrap each single env with it where a library batches single envs itself (tianshou's
    ``DummyVectorEnv``, torchrl's ``GymWrapper``). For ``gym.make_vec`` use
    :class:`NumericInfoVector`: the native vector envs step all sub-envs at once, with no
    single env inside to wrap.

    Args:
        env: the env to wrap.
        keys: the keys to keep, by name; by default :func:`numeric_keys` of ``env``.
        float_default: the value of float keys where the env gives none (NaN by default);
            e.g. 0.0 for tools that reject NaN (tianshou's
            ``Collector(raise_on_nan_in_buffer=True)``).
    """

    def __init__(
        self,
        env: gym.Env[ObsType, ActType],
        keys: Mapping[str, NumericKey] | None = None,
        float_default: float = math.nan,
    ) -> None:
        super().__init__(env)
        keys = keys if keys is not None else numeric_keys(env)
        self._columns = _InfoColumns(
            keys,
            1,
            float_default,
            lambda attribute: getattr(env.unwrapped, attribute),
            str(env),
        )

    @property
    def numeric_keys(self) -> dict[str, NumericKey] | None:
        """The keys every info has (None until the first reset for an env not in the table)."""
        return None if self._columns.keys is None else dict(self._columns.keys)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[ObsType, dict[str, Any]]:
        """Reset the env; its info made numeric."""
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._numeric(info, new_episode=True)

    def step(self, action: ActType) -> tuple[ObsType, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env; its info made numeric."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, reward, terminated, truncated, self._numeric(info, new_episode=False)

    def _numeric(self, info: dict[str, Any], *, new_episode: bool) -> dict[str, Any]:
        layout = {key: _as_column(value) for key, value in info.items()}
        columns = self._columns.read(layout, np.array([new_episode]))
        return {key: column[0] for key, column in columns.items()}


class NumericInfoVector(VectorWrapper):
    """:class:`NumericInfo` for vector envs: the same numeric keys at every reset and step.

    Infos keep Gymnasium's vector layout: ``key`` -> an array of ``num_envs`` values of one
    dtype, and ``_key`` -> a bool mask, True for every sub-env, since each has a value (the
    default where its env gave none). Keys, dtypes and defaults are those of
    :class:`NumericInfo`; ``index`` and ``episode_id`` of a sub-env change at the step where
    it starts a new episode (its autoreset step, with ``NEXT_STEP`` autoreset).

    Works over the native vector envs (``gym.make_vec(id, num_envs=n)``) and over
    ``SyncVectorEnv`` or ``AsyncVectorEnv`` of textenvs envs, which give the same infos.
    (Wrapping each single env of a ``SyncVectorEnv`` in :class:`NumericInfo` also gives fixed
    keys, but Gymnasium batches numpy bools into object arrays; this wrapper does not.)
    ``autoreset_mode`` is an attribute, as on Gymnasium's vector envs: torchrl's
    ``GymWrapper`` reads it, and takes a vector env only with ``DISABLED`` (it resets
    finished sub-envs itself), e.g. ``gym.make_vec(id, n, vectorization_mode="sync",
    vector_kwargs={"autoreset_mode": "Disabled"})``.

    Args:
        env: the vector env to wrap, with ``NEXT_STEP`` autoreset (the textenvs default and
            Gymnasium's) or none (``DISABLED``: reset with ``options={"reset_mask": m}``).
        keys: the keys to keep, by name; by default :func:`numeric_keys` of ``env``.
        float_default: the value of float keys where the env gives none (NaN by default).

    Raises:
        ValueError: ``env`` autoresets in ``SAME_STEP`` mode, where the step that ends an
            episode returns the next episode's first observation: a row of its infos would
            mix two episodes.
    """

    def __init__(
        self,
        env: VectorEnv,
        keys: Mapping[str, NumericKey] | None = None,
        float_default: float = math.nan,
    ) -> None:
        super().__init__(env)
        mode = AutoresetMode(env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP))
        if mode == AutoresetMode.SAME_STEP:
            raise ValueError(
                f"NumericInfoVector({env}): autoreset_mode {mode} is not supported; use "
                "NEXT_STEP (the default) or DISABLED"
            )
        self.autoreset_mode = mode
        self._ended = np.zeros(env.num_envs, dtype=np.bool_)
        keys = keys if keys is not None else numeric_keys(env)
        self._columns = _InfoColumns(
            keys,
            env.num_envs,
            float_default,
            self._env_attribute,
            str(env),
        )

    @property
    def numeric_keys(self) -> dict[str, NumericKey] | None:
        """The keys every info has (None until the first reset for an env not in the table)."""
        return None if self._columns.keys is None else dict(self._columns.keys)

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Reset the sub-envs (all, or ``options["reset_mask"]``); infos made numeric."""
        mask = (options or {}).get("reset_mask")  # read first: SyncVectorEnv pops it
        reset = np.ones(self.num_envs, dtype=np.bool_) if mask is None else np.array(mask)
        obs, infos = self.env.reset(seed=seed, options=options)  # type: ignore[arg-type]
        self._ended[reset] = False
        return obs, self._numeric(infos, reset)

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        """Step the sub-envs; infos made numeric."""
        obs, rewards, terminated, truncated, infos = self.env.step(actions)
        next_step = self.autoreset_mode == AutoresetMode.NEXT_STEP
        starting = self._ended if next_step else np.zeros(self.num_envs, dtype=np.bool_)
        self._ended = np.logical_or(terminated, truncated)
        return obs, rewards, terminated, truncated, self._numeric(infos, starting)

    def _numeric(self, infos: dict[str, Any], starting: np.ndarray) -> dict[str, Any]:
        present = np.ones(self.num_envs, dtype=np.bool_)
        numeric: dict[str, Any] = {}
        for key, column in self._columns.read(infos, starting).items():
            numeric[key], numeric[f"_{key}"] = column, present
        return numeric

    def _env_attribute(self, name: str) -> Any:
        """An attribute of the sub-envs: the native vector env's, or the first sub-env's."""
        unwrapped = self.env.unwrapped
        if hasattr(unwrapped, name):
            return getattr(unwrapped, name)
        return unwrapped.get_attr(name)[0]  # type: ignore[attr-defined]
