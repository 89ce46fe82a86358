"""TextClassification-v0: reading, answering, rewards, masks, infos and errors."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import textenvs  # noqa: F401
from textenvs.checks import assert_same
from textenvs.data import LabeledText
from textenvs.envs import InvalidActionError, TextClassificationEnv
from textenvs.envs.classification import READ

TEXTS = {
    "train": [
        LabeledText("A great film, truly great.", "positive"),
        LabeledText("Awful plot and bad acting, awful ending.", "negative"),
        LabeledText("Not bad at all.", "positive"),
    ],
    "test": [
        LabeledText("Great cast but an awful , awful ending .", "negative"),
        LabeledText("Fine.", "positive"),
    ],
}


def make(**kwargs: Any) -> TextClassificationEnv:
    return TextClassificationEnv(dataset=TEXTS, split="test", **kwargs)


def test_reset_observes_the_first_word() -> None:
    env = make()
    obs, info = env.reset(options={"index": 0})
    assert "text" not in info and info["index"] == 0
    assert info["tokens"] == ["Great"]  # the words read so far, never one more
    assert obs["position"] == 1 and obs["attention_mask"].sum() == 1
    assert obs["token_ids"][0] == 1  # "Great" is unknown: the training split has "great"
    assert not obs["token_ids"][1:].any()
    assert env.label_names == ("negative", "positive")
    assert env.action_space == gym.spaces.Discrete(3)


def test_reading_then_answering() -> None:
    env = make(read_cost=0.05)
    env.reset(options={"index": 0})
    obs, reward, terminated, truncated, info = env.step(READ)
    assert (reward, terminated, truncated) == (-0.05, False, False)
    assert info == {"tokens": ["Great", "cast"]}
    assert obs["position"] == 2 and obs["token_ids"][1] == 1
    _, reward, terminated, truncated, info = env.step(1 + 0)  # "negative": correct
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info == {
        "text": TEXTS["test"][0].text,
        "label": "negative",
        "prediction": "negative",
        "correct": True,
        "tokens_read": 2,
        "fraction_read": 2 / 9,
    }


def test_wrong_answer_reward() -> None:
    env = make(wrong_reward=-0.5)
    env.reset(options={"index": 0})
    _, reward, terminated, _, info = env.step(2)
    assert reward == -0.5 and terminated and info["correct"] is False
    assert info["prediction"] == "positive"


def test_reading_past_the_end_ends_without_answer() -> None:
    env = make()
    env.reset(options={"index": 1})  # "Fine." = 2 words
    assert env.action_masks().tolist() == [True, True, True]
    env.step(READ)
    assert env.action_masks().tolist() == [False, True, True]
    _, reward, terminated, truncated, info = env.step(READ)
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["prediction"] is None and info["correct"] is False and info["tokens_read"] == 2


def test_max_length_limits_what_can_be_read() -> None:
    env = make(max_length=4)
    env.reset(options={"index": 0})
    for _ in range(3):
        env.step(READ)
    assert not env.action_masks()[READ]
    _, _, terminated, _, info = env.step(READ)
    assert terminated and info["tokens_read"] == 4 and info["fraction_read"] == 4 / 9


def test_whole_mode_is_one_step() -> None:
    env = make(mode="whole")
    assert env.action_space == gym.spaces.Discrete(2)
    obs, _ = env.reset(options={"index": 0})
    assert obs["position"] == 9 and obs["attention_mask"].sum() == 9
    _, reward, terminated, truncated, info = env.step(0)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["tokens_read"] == 9 and info["fraction_read"] == 1.0


def test_render_marks_what_was_read() -> None:
    env = make(render_mode="ansi")
    env.reset(options={"index": 0})
    env.step(READ)
    assert env.render() == "Great cast | but an awful , awful ending .\n[negative]\n"


def test_native_vector_env_agrees_when_reading_mostly() -> None:
    kwargs = {"dataset": TEXTS, "split": "test", "read_cost": 0.1, "max_length": 6}
    sync = gym.make_vec("TextClassification-v0", num_envs=4, vectorization_mode="sync", **kwargs)
    native = gym.make_vec(
        "TextClassification-v0", num_envs=4, vectorization_mode="vector_entry_point", **kwargs
    )
    assert_same(native.reset(seed=1), sync.reset(seed=1), "reset")
    rng = np.random.default_rng(0)
    for step in range(200):
        actions = np.where(rng.random(4) < 0.75, READ, rng.integers(1, 3, size=4))
        assert_same(native.step(actions), sync.step(actions), f"step {step}")
    masks = np.stack([e.unwrapped.action_masks() for e in sync.envs])
    assert (native.unwrapped.action_masks() == masks).all()


@pytest.mark.parametrize("action", [-1, 3, 1.0, "read", None])
def test_bad_actions(action: Any) -> None:
    env = make()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="action"):
        env.step(action)


def test_step_after_end() -> None:
    env = make()
    env.reset(seed=0)
    env.step(1)
    with pytest.raises(InvalidActionError, match="episode has ended"):
        env.step(1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "peek"}, "unknown mode 'peek'"),
        ({"read_cost": -0.1}, "read_cost must be a finite number >= 0.0"),
        ({"wrong_reward": float("nan")}, "wrong_reward must be a finite number"),
        ({"max_length": -3}, "max_length must be a positive integer"),
        ({"label_names": ["negative"]}, "label 'positive', which is not in label_names"),
        ({"split": "validation"}, "unknown split 'validation'"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    arguments = {"dataset": TEXTS, "split": "test", **kwargs}
    with pytest.raises(ValueError, match=message):
        TextClassificationEnv(**arguments)


def test_unknown_builtin_dataset() -> None:
    with pytest.raises(ValueError, match="unknown dataset 'imdb'"):
        TextClassificationEnv(dataset="imdb")
