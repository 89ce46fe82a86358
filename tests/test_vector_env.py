"""The native TextNER vector env against Gymnasium's SyncVectorEnv, step for step."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import textenvs  # noqa: F401
from textenvs.checks import assert_same
from textenvs.data import TaggedSentence
from textenvs.envs import InvalidActionError, TextNERVectorEnv


@pytest.mark.parametrize("reward", ["token", "f1", "delta_f1"])
@pytest.mark.parametrize("max_length", [64, 9])
def test_native_matches_sync_step_for_step(reward: str, max_length: int) -> None:
    kwargs = {"reward": reward, "max_length": max_length, "split": "validation"}
    sync = gym.make_vec("TextNER-v0", num_envs=6, vectorization_mode="sync", **kwargs)
    native = gym.make_vec(
        "TextNER-v0", num_envs=6, vectorization_mode="vector_entry_point", **kwargs
    )
    assert isinstance(native.unwrapped, TextNERVectorEnv)
    assert native.observation_space == sync.observation_space
    assert native.action_space == sync.action_space
    assert_same(native.reset(seed=11), sync.reset(seed=11), "reset")
    rng = np.random.default_rng(0)
    n_tags = native.single_action_space.n
    corpus = native.unwrapped.corpus
    for step in range(250):
        # Mostly gold tags so that entities get found, plus random (often invalid) ones.
        position = np.minimum(native.unwrapped._position, max_length - 1)
        gold = corpus.gold_ids[native.unwrapped._index, position]
        actions = np.where(rng.random(6) < 0.6, gold, rng.integers(n_tags, size=6))
        assert_same(native.step(actions), sync.step(actions), f"step {step}")
    assert native.unwrapped.action_masks().shape == (6, n_tags)
    masks = np.stack([e.unwrapped.action_masks() for e in sync.envs])
    assert (native.unwrapped.action_masks() == masks).all()


def test_autoreset_next_step() -> None:
    envs = TextNERVectorEnv(num_envs=2, split="test", reward="f1")
    envs.reset(seed=0)
    steps = envs.corpus.steps[envs._index]
    done_at = None
    for t in range(int(steps.max()) + 1):
        _, rewards, terminated, _, infos = envs.step(np.zeros(2, dtype=np.int64))
        if terminated[0] and done_at is None:
            done_at = t
            assert infos["_f1"][0] and infos["f1"][0] == rewards[0]
        elif done_at is not None and t == done_at + 1:
            assert rewards[0] == 0.0 and not terminated[0]
            assert infos["_words"][0]  # the reset info of the new sentence
            break
    assert done_at == steps[0] - 1


def test_reset_mask_and_seed_list() -> None:
    envs = TextNERVectorEnv(num_envs=3)
    obs, _ = envs.reset(seed=[1, 2, None])
    envs.step(np.zeros(3, dtype=np.int64))
    obs, infos = envs.reset(options={"reset_mask": np.array([True, False, False])})
    assert infos["_words"].tolist() == [True, False, False]
    assert obs["position"].tolist() == [0, 1, 1]


def test_vector_actions_are_checked() -> None:
    envs = TextNERVectorEnv(num_envs=2)
    envs.reset(seed=0)
    with pytest.raises(InvalidActionError, match="outside Discrete"):
        envs.step(np.array([0, 99]))
    with pytest.raises(InvalidActionError, match="2 integers"):
        envs.step(np.array([0.0, 1.0]))
    with pytest.raises(InvalidActionError, match="2 integers"):
        envs.step(np.array([0]))


def test_caller_actions_are_not_mutated() -> None:
    envs = TextNERVectorEnv(num_envs=4, split="test")
    envs.reset(seed=0)
    actions = np.ones(4, dtype=np.int64)
    for _ in range(80):
        envs.step(actions)
    assert actions.tolist() == [1, 1, 1, 1]


def test_default_make_vec_uses_native_env() -> None:
    envs = gym.make_vec("TextNER-v0", num_envs=64)
    assert isinstance(envs.unwrapped, TextNERVectorEnv) and envs.num_envs == 64
    obs, _ = envs.reset(seed=0)
    assert obs["word_ids"].shape == (64, 64)
    assert envs.observation_space.contains(obs)


def test_pickled_vector_env_continues_like_the_original() -> None:
    import pickle

    envs = TextNERVectorEnv(num_envs=3, max_length=8, split="validation")
    envs.reset(seed=0)
    clone = pickle.loads(pickle.dumps(envs))
    rng = np.random.default_rng(1)
    for step in range(60):
        actions = rng.integers(len(envs.tag_names), size=3)
        assert_same(clone.step(actions), envs.step(actions), f"step {step}")


def test_delta_f1_with_tiny_max_length_and_every_word_an_entity() -> None:
    # A sub-env waiting for its reset must not count its ignored action.
    envs = TextNERVectorEnv(num_envs=2, max_length=1)
    envs.reset(seed=0)
    begin = envs.tag_names.index("B-PER")
    for _ in range(50):
        _, rewards, *_ = envs.step(np.full(2, begin))
        assert np.isfinite(rewards).all()


def test_sub_envs_never_reset_cannot_step() -> None:
    envs = TextNERVectorEnv(num_envs=2)
    with pytest.raises(InvalidActionError, match=r"sub-envs \[0, 1\] were never reset"):
        envs.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(ValueError, match="at least one sub-env"):
        envs.reset(options={"reset_mask": np.zeros(2, dtype=np.bool_)})
    envs.reset(options={"reset_mask": np.array([True, False])})
    with pytest.raises(InvalidActionError, match=r"sub-envs \[1\] were never reset"):
        envs.step(np.zeros(2, dtype=np.int64))


@pytest.mark.parametrize("seed", ["x", 1.5, [1, 2, 3]])
def test_bad_vector_seeds(seed) -> None:  # type: ignore[no-untyped-def]
    envs = TextNERVectorEnv(num_envs=2)
    with pytest.raises(ValueError, match="seed must be None, an int, or a list of 2"):
        envs.reset(seed=seed)
    envs.reset(seed=np.int64(3))


def test_uint64_action_message_names_the_value() -> None:
    envs = TextNERVectorEnv(num_envs=2)
    envs.reset(seed=0)
    with pytest.raises(InvalidActionError, match=f"action {2**64 - 1} of env 1"):
        envs.step(np.array([0, 2**64 - 1], dtype=np.uint64))


def test_memory_is_linear_in_max_length() -> None:
    import tracemalloc

    sentences = [TaggedSentence(("Ann", "met", "Bob"), ("B-PER", "O", "B-PER"))] * 4
    data = {"train": sentences, "test": sentences}
    tracemalloc.start()
    envs = gym.make_vec("TextNER-v0", num_envs=2, dataset=data, max_length=20_000)
    envs.reset(seed=0)
    rewards = [envs.step(np.zeros(2, dtype=np.int64))[1] for _ in range(3)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # 4 sentences x 20,000 words of int64 arrays: a few MB; a table quadratic in
    # max_length would need gigabytes.
    assert peak < 50_000_000, peak
    assert rewards[-1].tolist() == [0.0, 0.0]  # all-O: F1 0 after "Ann met Bob", delta 0
