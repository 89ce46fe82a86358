"""Every registered id passes the package's conformance checks (textenvs.checks)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import textenvs
from textenvs import checks
from textenvs.envs import TextNEREnv, TextNERVectorEnv

VARIANTS = {
    "TextNER-v0": [
        *({"reward": r} for r in ("token", "f1", "delta_f1")),
        {"reward": "delta_f1", "max_length": 3},
        {"reward": "token", "observation": "features"},
        {"reward": "delta_f1", "max_length": 3, "observation": "features", "feature_dim": 64},
    ],
    "TextClassification-v0": [
        {"mode": "read"},
        {"mode": "read", "read_cost": 0.01, "dataset": "topic", "max_length": 16},
        {"mode": "whole"},
        {"mode": "read", "observation": "features"},
        {"mode": "whole", "observation": "features", "feature_dim": 128},
    ],
    "TextSummarization-v0": [
        {"reward": "rouge1", "max_new_tokens": 8},
        {"reward": "rougeL", "dense": True, "max_new_tokens": 4},
    ],
    "TextExtractiveSummarization-v0": [
        {"reward": "rouge2"},
        {"max_words": 20},
        {"max_words": 20, "observation": "features"},
    ],
}
CASES = [(env_id, kwargs) for env_id in textenvs.ENV_IDS for kwargs in VARIANTS[env_id]]
IDS = [f"{env_id}-{'-'.join(map(str, kw.values()))}" for env_id, kw in CASES]


def test_every_registered_id_has_variants() -> None:
    assert set(VARIANTS) == set(textenvs.ENV_IDS)
    assert all(env_id in gym.registry for env_id in textenvs.ENV_IDS)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_reference_checkers(env_id: str, kwargs: dict) -> None:
    checks.check_reference_checkers(env_id, **kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_determinism(env_id: str, kwargs: dict) -> None:
    checks.check_determinism(env_id, **kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_pickle(env_id: str, kwargs: dict) -> None:
    checks.check_pickle(env_id, **kwargs)


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_spec_round_trip(env_id: str) -> None:
    checks.check_spec_round_trip(env_id)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_vector_agreement(env_id: str, kwargs: dict) -> None:
    checks.check_vector_agreement(env_id, **kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_vector_pickle(env_id: str, kwargs: dict) -> None:
    checks.check_vector_pickle(env_id, **kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES, ids=IDS)
def test_vector_state(env_id: str, kwargs: dict) -> None:
    checks.check_vector_state(env_id, **kwargs)


# The checks themselves must be able to fail.


def test_state_check_catches_a_forgotten_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TextNERVectorEnv, "_state_arrays", ("_episode", "_counters", "_pred"))
    with pytest.raises(AssertionError, match="restored step"):
        checks.check_vector_state("TextNER-v0", reward="delta_f1")


def test_vector_check_catches_a_wrong_reward(monkeypatch: pytest.MonkeyPatch) -> None:
    step = TextNERVectorEnv.step

    def off_by_a_bit(self, actions):  # type: ignore[no-untyped-def]
        obs, rewards, terminated, truncated, infos = step(self, actions)
        return obs, rewards + 1e-9 * terminated, terminated, truncated, infos

    monkeypatch.setattr(TextNERVectorEnv, "step", off_by_a_bit)
    with pytest.raises(AssertionError, match="step"):
        checks.check_vector_agreement("TextNER-v0", reward="f1")


def test_determinism_check_catches_global_randomness(monkeypatch: pytest.MonkeyPatch) -> None:
    reset = TextNEREnv.reset

    def unseeded(self, *, seed=None, options=None):  # type: ignore[no-untyped-def]
        return reset(self, seed=seed, options={"index": int(np.random.randint(100))})

    monkeypatch.setattr(TextNEREnv, "reset", unseeded)
    with pytest.raises(AssertionError, match="rollout"):
        checks.check_determinism("TextNER-v0")


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_every_episode_has_an_id(env_id: str) -> None:
    env = gym.make(env_id)
    first = env.reset(seed=7)[1]["episode_id"]
    second = env.reset()[1]["episode_id"]
    assert isinstance(first, int) and first != second
    assert gym.make(env_id).reset(seed=7)[1]["episode_id"] == first  # deterministic
    # The native vector env numbers episodes as SyncVectorEnv over the single env does, each
    # sub-env apart from the others, autoresets included.
    native = gym.make_vec(env_id, num_envs=3)
    sync = gym.make_vec(env_id, num_envs=3, vectorization_mode="sync")
    seen: set[int] = set()
    for vector in (native, sync):
        ids = [vector.reset(seed=7)[1]["episode_id"].tolist()]
        vector.action_space.seed(0)  # both take the same actions
        for _ in range(60):
            infos = vector.step(vector.action_space.sample())[4]
            restarted = infos.get("_episode_id", np.zeros(3, dtype=bool))
            ids.append(infos["episode_id"][restarted].tolist() if restarted.any() else [])
        if not seen:
            seen = {i for step in ids for i in step}
            expected = ids
            assert len(seen) == sum(len(step) for step in ids) > 3  # all distinct
        else:
            assert ids == expected
