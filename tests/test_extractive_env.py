"""TextExtractiveSummarization-v0: choosing sentences, the word budget, truncation."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import textenvs  # noqa: F401
from textenvs.data.records import GenerationExample
from textenvs.envs import InvalidActionError
from textenvs.envs.extractive import (
    INCLUDE,
    SKIP,
    TextExtractiveSummarizationEnv,
    split_sentences,
)

DOCUMENT = GenerationExample(
    "Heavy rain fell overnight. The coast road was closed by police. Drivers were told to wait.",
    ("The coast road was closed by police.",),
)


def make(**kwargs) -> TextExtractiveSummarizationEnv:  # type: ignore[no-untyped-def]
    return TextExtractiveSummarizationEnv(dataset=[DOCUMENT], **kwargs)


def test_split_sentences() -> None:
    assert split_sentences("It rained. Roads shut! Why? 3 died.  ") == [
        "It rained.",
        "Roads shut!",
        "Why?",
        "3 died.",
    ]
    assert split_sentences("Prices rose 2.5 percent. Then fell.") == [
        "Prices rose 2.5 percent.",
        "Then fell.",
    ]


def test_choosing_the_reference_sentence_scores_one() -> None:
    env = make()
    obs, info = env.reset(options={"index": 0})
    assert info["sentences"] == split_sentences(DOCUMENT.prompt)
    assert obs["sentence_mask"][:4].tolist() == [1, 1, 1, 0]
    steps = [env.step(a) for a in (SKIP, INCLUDE, SKIP)]
    assert [s[1] for s in steps] == [0.0, 0.0, pytest.approx(1.0)]
    obs, _, terminated, truncated, info = steps[-1]
    assert (terminated, truncated) == (True, False)
    assert info["selected"] == [1] and info["summary"] == DOCUMENT.references[0]
    assert obs["selected"][:3].tolist() == [0, 1, 0] and obs["position"] == 3


def test_word_budget_masks_long_sentences() -> None:
    env = make(max_words=6)
    env.reset(options={"index": 0})
    assert env.action_masks().tolist() == [True, True]  # "Heavy rain fell overnight ." = 5
    env.step(INCLUDE)
    assert env.action_masks().tolist() == [True, False]  # 5 + 8 words > 6
    env.step(INCLUDE)  # taken anyway: treated as a skip
    assert env._selected[:2].tolist() == [1, 0]


def test_documents_longer_than_max_sentences_are_cut() -> None:
    env = make(max_sentences=2)
    env.reset(options={"index": 0})
    env.step(SKIP)
    _, _, terminated, truncated, info = env.step(INCLUDE)
    assert (terminated, truncated) == (True, False) and info["selected"] == [1]
    assert info["input_truncated"] is True
    with pytest.raises(InvalidActionError, match="episode has ended"):
        env.step(SKIP)


def test_flat_word_ids_sentence_by_sentence() -> None:
    env = make(max_sentence_words=4)
    obs, _ = env.reset(options={"index": 0})
    words = obs["word_ids"].reshape(env.max_sentences, 4)
    assert (words[0] == env.vocab.encode(["Heavy", "rain", "fell", "overnight"])).all()
    assert not words[3:].any()


def test_default_env_runs_on_the_builtin_corpus() -> None:
    env = gym.make("TextExtractiveSummarization-v0")
    _, info = env.reset(seed=0)
    assert 2 <= len(info["sentences"]) <= 6
    done, rng = False, np.random.default_rng(0)
    while not done:
        _, reward, terminated, truncated, final = env.step(int(rng.integers(2)))
        done = terminated or truncated
    assert 0.0 <= reward <= 1.0 and reward == final["score"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_words": 0}, "max_words must be a positive integer"),
        ({"max_sentences": 0}, "max_sentences must be a positive integer"),
    ],
)
def test_bad_arguments(kwargs, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        make(**kwargs)
