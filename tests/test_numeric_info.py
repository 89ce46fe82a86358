"""NumericInfo and NumericInfoVector: fixed numeric infos for buffer-based RL libraries."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

import textenvs
from textenvs.checks import masked_random_policy
from textenvs.envs.classification import READ
from textenvs.wrappers import NumericInfo, NumericInfoVector, NumericKey

FLOAT, INT, BOOL = np.dtype(np.float64), np.dtype(np.int64), np.dtype(np.bool_)
EPISODE = {"index": INT, "episode_id": INT}
EXPECTED_KEYS: dict[str, dict[str, np.dtype[Any]]] = {
    "TextNER-v0": {
        **EPISODE,
        "precision": FLOAT,
        "recall": FLOAT,
        "f1": FLOAT,
        "input_truncated": BOOL,
    },
    "TextClassification-v0": {
        **EPISODE,
        "label_id": INT,
        "prediction_id": INT,
        "correct": BOOL,
        "tokens_read": INT,
        "fraction_read": FLOAT,
    },
    "TextSummarization-v0": {**EPISODE, "score": FLOAT, "new_tokens": INT},
    "TextExtractiveSummarization-v0": {
        **EPISODE,
        "score": FLOAT,
        "n_selected": INT,
        "input_truncated": BOOL,
    },
}
# Small settings, so that episodes are short and the input cuts (input_truncated) happen.
KWARGS: dict[str, dict[str, Any]] = {
    "TextNER-v0": {"max_length": 9},
    "TextClassification-v0": {"max_length": 12},
    "TextSummarization-v0": {"max_new_tokens": 6},
    "TextExtractiveSummarization-v0": {"max_sentences": 3},
}
DEFAULTS = {FLOAT: math.nan, INT: -1, BOOL: False}
SCORE_KEYS = {  # a float key of each env's last step
    "TextNER-v0": "f1",
    "TextClassification-v0": "fraction_read",
    "TextSummarization-v0": "score",
    "TextExtractiveSummarization-v0": "score",
}


def test_every_env_id_has_expected_keys() -> None:
    assert set(EXPECTED_KEYS) == set(textenvs.ENV_IDS)


def same(a: Any, b: Any) -> bool:
    """Equal, with NaN equal to NaN."""
    return bool(a == b or (np.isnan(a) and np.isnan(b)))


class RecordInfo(gym.Wrapper[Any, Any, Any, Any]):
    """Keeps the last info the env gave, before NumericInfo (outside it) changes it."""

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        obs, self.info = self.env.reset(**kwargs)
        return obs, self.info

    def step(self, action: Any) -> tuple[Any, Any, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, self.info = self.env.step(action)
        return obs, reward, terminated, truncated, self.info


def numbers_in(raw: dict[str, Any], env: gym.Env[Any, Any]) -> dict[str, Any]:
    """The numeric values of a raw info, names and lists turned into ints as documented."""
    numbers = {k: v for k, v in raw.items() if isinstance(v, (bool, int, float))}
    if "label" in raw:
        names = list(env.unwrapped.label_names)  # type: ignore[attr-defined]
        numbers["label_id"] = names.index(raw["label"])
        prediction = raw["prediction"]
        numbers["prediction_id"] = -1 if prediction is None else names.index(prediction)
    if "selected" in raw:
        numbers["n_selected"] = len(raw["selected"])
    return numbers


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_single_env_infos_are_the_same_numeric_keys(env_id: str) -> None:
    recorder = RecordInfo(gym.make(env_id, **KWARGS[env_id]))
    env = NumericInfo(recorder)
    expected = EXPECTED_KEYS[env_id]
    assert env.numeric_keys is not None and set(env.numeric_keys) == set(expected)
    act = masked_random_policy(0)
    _, info = env.reset(seed=0)
    started = numbers_in(recorder.info, env)
    infos = [info]
    ends = 0
    while ends < 5:
        _, _, terminated, truncated, info = env.step(act(env))
        ended = terminated or truncated
        infos.append(info)
        for key in ("index", "episode_id"):  # held from the reset for the whole episode
            assert info[key] == started[key]
        raw = numbers_in(recorder.info, env)
        final_keys = set(expected) - set(EPISODE)
        for key in final_keys:
            if ended:  # the env's own final value, or the default where it gives none
                assert same(info[key], raw.get(key, DEFAULTS[expected[key]])), key
            else:
                assert same(info[key], DEFAULTS[expected[key]]), key
        if ended:
            assert set(raw) <= set(info), "a numeric value of the env was left out"
            ends += 1
            _, info = env.reset()
            started = numbers_in(recorder.info, env)
            infos.append(info)
    for info in infos:
        assert list(info) == list(expected)
        for key, value in info.items():
            assert type(value) is expected[key].type, (key, type(value))


def test_classification_without_an_answer_has_prediction_id_minus_one() -> None:
    env = NumericInfo(gym.make("TextClassification-v0", max_length=5))
    env.reset(seed=1)
    terminated = False
    while not terminated:  # read past the last word: the episode ends with no answer
        _, _, terminated, _, info = env.step(READ)
    assert info["prediction_id"] == -1 and info["label_id"] >= 0
    assert info["correct"] == np.False_ and info["tokens_read"] > 0


def random_actions(envs: VectorEnv, rng: np.random.Generator) -> np.ndarray:
    masks = getattr(envs.unwrapped, "action_masks", None)
    if masks is None:
        return rng.integers(envs.single_action_space.n, size=envs.num_envs)  # type: ignore[attr-defined]
    return np.array([rng.choice(np.flatnonzero(row)) for row in masks()])


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_vector_infos_match_the_single_env_wrapper(env_id: str) -> None:
    n, kwargs = 3, KWARGS[env_id]
    native = NumericInfoVector(gym.make_vec(env_id, num_envs=n, **kwargs))
    sync = NumericInfoVector(gym.make_vec(env_id, n, vectorization_mode="sync", **kwargs))
    each = gym.make_vec(
        env_id, n, vectorization_mode="sync", wrappers=[NumericInfo], **kwargs
    )  # a NumericInfo in each sub-env
    expected = EXPECTED_KEYS[env_id]
    layout = [k for key in expected for k in (key, f"_{key}")]
    results = [envs.reset(seed=5)[1] for envs in (native, sync, each)]
    rng = np.random.default_rng(0)
    ended = 0
    for _ in range(40):
        for infos in results[:2]:
            assert sorted(infos) == sorted(layout)
            for key, dtype in expected.items():
                assert isinstance(infos[key], np.ndarray) and infos[key].shape == (n,)
                assert infos[key].dtype == dtype, key
                assert infos[f"_{key}"].all()
        for key, dtype in expected.items():
            for other in results[1:]:  # (SyncVectorEnv batches numpy bools as objects)
                np.testing.assert_array_equal(results[0][key], other[key].astype(dtype), key)
        actions = random_actions(native, rng)
        steps = [envs.step(actions) for envs in (native, sync, each)]
        results = [step[4] for step in steps]
        ended += int(steps[0][2].sum() + steps[0][3].sum())
    assert ended >= 3  # the episode ends (and the autoresets after them) were compared


def test_vector_reset_mask_keeps_the_other_episodes() -> None:
    venv = gym.make_vec(
        "TextNER-v0", 2, vectorization_mode="sync", vector_kwargs={"autoreset_mode": "Disabled"}
    )
    envs = NumericInfoVector(venv)
    _, first = envs.reset(seed=0)
    _, again = envs.reset(options={"reset_mask": np.array([False, True])})
    assert again["index"][0] == first["index"][0]
    assert again["episode_id"][0] == first["episode_id"][0]
    assert again["episode_id"][1] != first["episode_id"][1]


def test_same_step_autoreset_is_refused() -> None:
    venv = gym.make_vec(
        "TextNER-v0", 2, vectorization_mode="sync", vector_kwargs={"autoreset_mode": "SameStep"}
    )
    with pytest.raises(ValueError, match="SAME_STEP"):
        NumericInfoVector(venv)


def test_float_default_replaces_nan() -> None:
    env = NumericInfo(gym.make("TextNER-v0"), float_default=0.0)
    _, info = env.reset(seed=0)
    assert info["f1"] == 0.0 and info["index"] >= 0


class ToyEnv(gym.Env[np.ndarray, Any]):
    """An env no table knows: a level at reset, a bonus and a name at the end."""

    def __init__(self) -> None:
        self.observation_space = spaces.Box(0, 1, (1,))
        self.action_space = spaces.Discrete(2)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.t = 0
        return np.zeros(1, np.float32), {"level": 3, "name": "toy"}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.t += 1
        done = self.t == 2
        return np.zeros(1, np.float32), 0.0, done, False, {"bonus": 1.5} if done else {}


def play_toy(env: gym.Env[Any, Any]) -> list[dict[str, Any]]:
    infos = [env.reset(seed=0)[1]]
    infos += [env.step(0)[4] for _ in range(2)]
    return infos


def test_unknown_env_keeps_the_first_resets_numbers_and_warns_of_later_ones() -> None:
    env = NumericInfo(ToyEnv())
    assert env.numeric_keys is None
    with pytest.warns(UserWarning, match="bonus"):
        infos = play_toy(env)
    assert [list(info) for info in infos] == [["level"]] * 3
    assert all(type(info["level"]) is np.int64 and info["level"] == 3 for info in infos)


def test_keys_argument_and_declared_keys() -> None:
    keys = {"level": NumericKey(-1, per_episode=True), "bonus": NumericKey(math.nan)}
    explicit = play_toy(NumericInfo(ToyEnv(), keys=keys))
    declared_env = ToyEnv()
    declared_env.metadata = {"render_modes": [], "numeric_info": keys}
    declared = play_toy(NumericInfo(declared_env))
    for infos in (explicit, declared):
        assert [info["level"] for info in infos] == [3, 3, 3]
        assert math.isnan(infos[1]["bonus"]) and infos[2]["bonus"] == 1.5


def test_wrappers_do_not_import_torch() -> None:
    code = "import sys, textenvs.wrappers; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# Integration with buffer-based libraries: skipped where they are not installed.


def collect_with_tianshou(env_id: str, num_envs: int, float_default: float) -> Any:
    """The buffer of tianshou's Collector after 60 uniformly random steps."""
    from tianshou.algorithm.algorithm_base import Policy
    from tianshou.data import Batch, Collector, ReplayBuffer, VectorReplayBuffer
    from tianshou.env import DummyVectorEnv

    class UniformPolicy(Policy):
        """Uniform integer actions (tianshou's RandomActionPolicy gives float ones)."""

        rng = np.random.default_rng(0)

        @staticmethod
        def _compile() -> None:
            """Skip the JIT compilation (seconds) of return estimators never used here."""

        def forward(self, batch: Any, state: Any = None, **kwargs: Any) -> Any:
            assert isinstance(self.action_space, spaces.Discrete)
            actions = self.rng.integers(self.action_space.n, size=len(batch.obs))
            return Batch(act=actions, state=state)

    def make() -> gym.Env[Any, Any]:
        return NumericInfo(gym.make(env_id, **KWARGS[env_id]), float_default=float_default)

    venv = DummyVectorEnv([make] * num_envs)
    collector: Any = Collector(
        UniformPolicy(venv.action_space[0]),
        venv,
        # VectorReplayBuffer JIT-compiles its index functions (seconds): only where needed.
        ReplayBuffer(200) if num_envs == 1 else VectorReplayBuffer(200, num_envs),
        raise_on_nan_in_buffer=not math.isnan(float_default),
    )
    collector.reset()
    stats = collector.collect(n_step=60)
    assert stats.n_collected_steps == 60 and stats.n_collected_episodes >= 1
    buffer = collector.buffer
    info = buffer.info
    assert set(info.keys()) == {*EXPECTED_KEYS[env_id], "env_id"}  # tianshou adds env_id
    for key, dtype in EXPECTED_KEYS[env_id].items():
        assert info[key].dtype == dtype, key
    indices = buffer.sample_indices(0)  # every stored step
    scores, done = info[SCORE_KEYS[env_id]][indices], buffer.done[indices]
    assert done.any() and np.isfinite(scores[done]).all()
    np.testing.assert_array_equal(scores[~done], float_default)
    return buffer


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_tianshou_collector_stores_the_infos(env_id: str) -> None:
    pytest.importorskip("tianshou")
    collect_with_tianshou(env_id, num_envs=1, float_default=math.nan)


@pytest.mark.slow
def test_tianshou_vector_buffer_with_nan_checks() -> None:
    pytest.importorskip("tianshou")
    # float_default=0.0: no NaN, so the Collector's NaN check can stay on.
    collect_with_tianshou("TextNER-v0", num_envs=2, float_default=0.0)


@pytest.mark.parametrize("env_id", textenvs.ENV_IDS)
def test_torchrl_gym_wrapper_passes_check_env_specs(env_id: str) -> None:
    pytest.importorskip("torchrl")
    import torch
    from torchrl.envs import GymWrapper
    from torchrl.envs.utils import check_env_specs

    env = GymWrapper(NumericInfo(gym.make(env_id, **KWARGS[env_id])))
    env = env.auto_register_info_dict()  # the reader takes its specs from the first infos
    check_env_specs(env, seed=0)
    rollout = env.rollout(30, break_when_any_done=False)
    torch_dtypes = {FLOAT: torch.float64, INT: torch.int64, BOOL: torch.bool}
    for key, dtype in EXPECTED_KEYS[env_id].items():
        assert rollout["next", key].dtype == torch_dtypes[dtype], key
    done = rollout["next", "done"].squeeze(-1)
    assert done.any()
    scores = rollout["next", SCORE_KEYS[env_id]]
    assert scores[done].isfinite().all() and scores[~done].isnan().all()


def test_torchrl_gym_wrapper_over_a_vector_env() -> None:
    pytest.importorskip("torchrl")
    from torchrl.envs import GymWrapper
    from torchrl.envs.utils import check_env_specs

    # torchrl resets finished sub-envs itself, so the vector env must not autoreset.
    venv = gym.make_vec(
        "TextNER-v0",
        3,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": AutoresetMode.DISABLED},
        max_length=9,
    )
    env = GymWrapper(NumericInfoVector(venv)).auto_register_info_dict()
    check_env_specs(env, seed=0)
    rollout = env.rollout(30, break_when_any_done=False)
    done = rollout["next", "done"].squeeze(-1)
    f1 = rollout["next", "f1"]
    assert done.any() and f1[done].isfinite().all() and f1[~done].isnan().all()
    assert (rollout["next", "index"] >= 0).all()


def test_vector_wrapper_is_a_vector_wrapper() -> None:
    envs = NumericInfoVector(gym.make_vec("TextNER-v0", num_envs=2))
    assert isinstance(envs, VectorWrapper) and envs.num_envs == 2
    assert envs.autoreset_mode == AutoresetMode.NEXT_STEP
