"""Conformance checks that every textenvs environment id must pass.

Like PettingZoo's and Minigrid's test utilities, these ship with the package so that the
test suite runs them over every registered id (``textenvs.ENV_IDS``), and so that authors
of new environments can run them too::

    from textenvs.checks import check_env_id
    check_env_id("TextNER-v0")

Each check raises ``AssertionError`` naming what differed and where.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from typing import Any, cast

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import EnvSpec
from gymnasium.spaces import Discrete


def assert_same(a: Any, b: Any, where: str = "value") -> None:
    """Assert that two nested structures (dicts, tuples, lists, arrays, scalars) are equal.

    Arrays must also agree in dtype and shape; ``where`` names the place in messages.
    """
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {a.keys()} != {b}"
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{where}: {a!r} != {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), f"{where}: array vs {type(b).__name__}"
        assert (a.dtype, a.shape) == (b.dtype, b.shape), (
            f"{where}: {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        )
        assert a.tolist() == b.tolist(), f"{where}: {a} != {b}"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


def masked_random_policy(seed: int) -> Callable[[gym.Env], int]:
    """A seeded policy drawing uniformly among the valid actions (``action_masks()``)."""
    rng = np.random.default_rng(seed)

    def act(env: gym.Env) -> int:
        masks = getattr(env.unwrapped, "action_masks", None)
        valid = np.flatnonzero(masks()) if masks else np.arange(cast(Discrete, env.action_space).n)
        return int(rng.choice(valid))

    return act


def rollout(env: gym.Env, seed: int | None, steps: int, policy_seed: int = 0) -> list[Any]:
    """Everything ``env`` returns over ``steps`` steps, resetting after each episode.

    Starts with ``env.reset(seed=seed)``, or, with ``seed=None``, continues the current episode.
    """
    act = masked_random_policy(policy_seed)
    trace: list[Any] = [] if seed is None else [env.reset(seed=seed)]
    for _ in range(steps):
        result = env.step(act(env))
        trace.append(result)
        if result[2] or result[3]:
            trace.append(env.reset())
    return trace


def check_reference_checkers(env_id: str, **kwargs: Any) -> None:
    """Gymnasium's and (if installed) Stable-Baselines3's ``check_env``, warnings as errors."""
    from gymnasium.utils.env_checker import check_env

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gym.make(env_id, **kwargs).unwrapped)
        try:
            from stable_baselines3.common.env_checker import check_env as sb3_check_env
        except ImportError:
            return
        sb3_check_env(gym.make(env_id, **kwargs), warn=True)


def check_determinism(env_id: str, seed: int = 3, steps: int = 200, **kwargs: Any) -> None:
    """The same seed and actions give the same observations, rewards, flags and infos."""
    first = rollout(gym.make(env_id, **kwargs), seed, steps)
    second = rollout(gym.make(env_id, **kwargs), seed, steps)
    assert_same(first, second, f"{env_id} rollout")
    other = rollout(gym.make(env_id, **kwargs), seed + 1, steps)
    try:
        assert_same(first, other)
    except AssertionError:
        return
    raise AssertionError(f"{env_id}: seeds {seed} and {seed + 1} gave identical rollouts")


def check_pickle(env_id: str, seed: int = 5, steps: int = 30, **kwargs: Any) -> None:
    """A pickled copy of a mid-episode env continues exactly like the original."""
    env = gym.make(env_id, **kwargs)
    rollout(env, seed, steps)
    clone = pickle.loads(pickle.dumps(env))
    assert_same(rollout(env, None, steps, 1), rollout(clone, None, steps, 1), "pickled copy")


def check_vector_pickle(env_id: str, num_envs: int = 3, steps: int = 40, **kwargs: Any) -> None:
    """A pickled copy of a native vector env, mid-run, continues exactly like the original."""
    envs = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )
    envs.reset(seed=4)
    envs.action_space.seed(4)
    for _ in range(steps // 2):
        envs.step(envs.action_space.sample())
    clone = pickle.loads(pickle.dumps(envs))
    for step in range(steps):
        actions = envs.action_space.sample()
        assert_same(clone.step(actions), envs.step(actions), f"{env_id} pickled step {step}")


def check_vector_state(env_id: str, num_envs: int = 3, steps: int = 40, **kwargs: Any) -> None:
    """A fresh vector env given a mid-run env's ``state_dict`` continues exactly like it.

    The state must be plain data (numpy arrays, numbers, strings, lists, dicts), so that a
    checkpoint can hold it without pickling objects.
    """

    def make() -> Any:
        return gym.make_vec(
            env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
        )

    envs = make()
    envs.reset(seed=4)
    envs.action_space.seed(4)
    for _ in range(steps // 2):
        envs.step(envs.action_space.sample())
    state = envs.unwrapped.state_dict()
    _assert_plain_data(state, f"{env_id} state_dict()")
    fresh = make()
    fresh.unwrapped.load_state_dict(state)
    for step in range(steps):
        actions = envs.action_space.sample()
        assert_same(fresh.step(actions), envs.step(actions), f"{env_id} restored step {step}")


def _assert_plain_data(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"{where}: key {key!r} is not a string"
            _assert_plain_data(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _assert_plain_data(item, f"{where}[{i}]")
    elif isinstance(value, np.ndarray):
        assert value.dtype.kind in "biuf", f"{where}: a {value.dtype} array is not plain data"
    else:
        assert value is None or isinstance(value, (bool, int, float, str)), (
            f"{where}: a {type(value).__name__} is not plain data"
        )


def check_spec_round_trip(env_id: str) -> None:
    """The env's spec survives JSON, and the spec makes an equal env."""
    env = gym.make(env_id)
    assert env.spec is not None, f"{env_id}: gym.make gave an env without a spec"
    spec = EnvSpec.from_json(env.spec.to_json())
    assert spec == env.spec, f"{env_id}: spec changed through JSON"
    assert_same(rollout(gym.make(spec), 0, 20), rollout(gym.make(env_id), 0, 20), "from spec")


def check_vector_agreement(
    env_id: str, num_envs: int = 4, seed: int = 9, steps: int = 150, **kwargs: Any
) -> None:
    """The native vector env (``vector_entry_point``) equals ``SyncVectorEnv`` step for step."""
    sync = gym.make_vec(env_id, num_envs=num_envs, vectorization_mode="sync", **kwargs)
    native = gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
    )
    assert native.observation_space == sync.observation_space, f"{env_id}: observation spaces"
    assert native.action_space == sync.action_space, f"{env_id}: action spaces"
    assert_same(native.reset(seed=seed), sync.reset(seed=seed), f"{env_id} reset")
    native.action_space.seed(seed)
    for step in range(steps):
        actions = native.action_space.sample()
        assert_same(native.step(actions), sync.step(actions), f"{env_id} step {step}")


def check_env_id(env_id: str, **kwargs: Any) -> None:
    """Run every check above on one registered id."""
    check_reference_checkers(env_id, **kwargs)
    check_determinism(env_id, **kwargs)
    check_pickle(env_id, **kwargs)
    check_spec_round_trip(env_id)
    if gym.spec(env_id).vector_entry_point is not None:
        check_vector_agreement(env_id, **kwargs)
        check_vector_pickle(env_id, **kwargs)
        check_vector_state(env_id, **kwargs)
