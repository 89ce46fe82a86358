"""Feature observations (``observation="features"``): what each slot says, and that it is stable.

The conformance suite (tests/test_conformance.py) runs every reference checker, the vector
agreement and the state checks on the feature variants too.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import textenvs  # noqa: F401  (registers the env ids)
from textenvs.data import LabeledText, TaggedSentence
from textenvs.data.records import GenerationExample
from textenvs.envs.features import slot
from textenvs.errors import InputError

DIM = 4096  # few collisions among the handful of features these tests look at
SENTENCES = [
    TaggedSentence(("Ann", "met", "Bob", "in", "Rome"), ("B-PER", "O", "B-PER", "O", "B-LOC")),
    TaggedSentence(("Acme", "hired", "Ann"), ("B-ORG", "O", "B-PER")),
]
TEXTS = [LabeledText("a truly great film", "positive"), LabeledText("awful", "negative")]
DOCUMENTS = [
    GenerationExample(
        "Storms hit the coast. Storms hit the coast again. Markets rose.",
        ("Storms hit the coast.",),
        sentences=("Storms hit the coast.", "Storms hit the coast again.", "Markets rose."),
    )
]


def on(observation: np.ndarray, *features: str) -> bool:
    """Whether the hashed slots of all ``features`` are set."""
    return all(observation[slot(feature, DIM)] == 1.0 for feature in features)


def test_tagging_features_show_the_word_its_context_and_the_tags_chosen() -> None:
    env = gym.make("TextNER-v0", dataset=SENTENCES, observation="features", feature_dim=DIM)
    tags = env.unwrapped.tag_names
    observation, _ = env.reset(options={"index": 0})
    assert observation.shape == (DIM + 2 * (len(tags) + 1) + 3,)
    assert observation.dtype == np.float32 and env.observation_space.contains(observation)
    assert on(observation, "w=Ann", "lw=ann", "sh=Xx", "first=True,sh=Xx", "lw-1=<s>", "lw+1=met")
    assert observation[DIM] == 1.0 and observation[DIM + len(tags) + 1] == 1.0  # no tags yet
    assert int(observation[:DIM].sum()) <= 14  # one slot per feature of the word window
    observation, *_ = env.step(tags.index("B-PER"))
    observation, *_ = env.step(tags.index("O"))
    assert on(observation, "w=Bob", "lw-1=met", "lw-2=ann", "lw+2=rome", "s3=bob")
    assert not on(observation, "w=Ann")  # only the current word's window
    previous = observation[DIM : DIM + len(tags) + 1]
    before = observation[DIM + len(tags) + 1 : DIM + 2 * (len(tags) + 1)]
    assert previous.argmax() == 1 + tags.index("O") and previous.sum() == 1.0
    assert before.argmax() == 1 + tags.index("B-PER") and before.sum() == 1.0
    assert observation[-3] == pytest.approx(2 / 64) and observation[-1] == pytest.approx(2 / 5)
    for _ in range(3):
        observation, _, terminated, _, _ = env.step(0)
    assert terminated and observation[:DIM].sum() == 0.0  # nothing left to read


def test_classification_features_grow_with_each_word_read() -> None:
    env = gym.make("TextClassification-v0", dataset=TEXTS, observation="features", feature_dim=DIM)
    observation, _ = env.reset(options={"index": 0})
    assert on(observation, "lw=a", "bi=<s> a") and not on(observation, "lw=great")
    assert observation[-2] == pytest.approx(1 / 4)
    seen = observation[:DIM].copy()
    for _ in range(3):
        observation, *_ = env.step(0)  # read the next word
        assert (observation[:DIM] >= seen).all()  # what was read stays in the bag
        seen = observation[:DIM].copy()
    assert on(observation, "lw=great", "bi=great film", "lw=truly")
    assert observation[-2] == 1.0 and observation[-1] == pytest.approx(4 / 128)
    whole = gym.make(
        "TextClassification-v0",
        dataset=TEXTS,
        mode="whole",
        observation="features",
        feature_dim=DIM,
    )
    first, _ = whole.reset(options={"index": 0})
    assert np.array_equal(first[:DIM], observation[:DIM])  # whole mode: every word at once


def test_extractive_features_measure_overlap_with_the_document_and_the_selection() -> None:
    env = gym.make(
        "TextExtractiveSummarization-v0",
        dataset=DOCUMENTS,
        observation="features",
        feature_dim=DIM,
        max_words=10,
    )
    observation, _ = env.reset(options={"index": 0})
    facts = observation[DIM:]
    assert on(observation, "lw=storms", "bi=storms hit") and not on(observation, "lw=markets")
    assert facts[1] == 1.0  # the first sentence
    assert facts[3] == 1.0  # all its content words (storms, hit, coast) recur in sentence 2
    assert facts[4] == 0.0 and facts[6] == 0.0 and facts[7] == 1.0  # nothing selected yet
    observation, *_ = env.step(1)  # include sentence 1 (5 words of the budget of 10)
    facts = observation[DIM:]
    assert facts[4] == 0.75  # 3 of sentence 2's 4 content words are in the selected one
    assert facts[4] == facts[5]
    assert facts[6] == pytest.approx(1 / 3) and facts[7] == pytest.approx(0.5)
    observation, *_ = env.step(0)
    facts = observation[DIM:]
    assert on(observation, "lw=markets") and facts[3] == 0.0 and facts[4] == 0.0


def test_features_are_the_same_in_every_process() -> None:
    """Slots come from CRC-32, not Python's salted ``hash``: a fresh interpreter agrees."""
    code = (
        "import gymnasium as gym, hashlib, numpy as np, textenvs\n"
        "digest = hashlib.sha256()\n"
        "for env_id in ('TextNER-v0', 'TextClassification-v0', 'TextExtractiveSummarization-v0'):\n"
        "    envs = gym.make_vec(env_id, num_envs=4, observation='features')\n"
        "    observation, _ = envs.reset(seed=1)\n"
        "    for _ in range(5):\n"
        "        digest.update(observation.tobytes())\n"
        "        observation, *_ = envs.step(np.zeros(4, dtype=np.int64))\n"
        "print(digest.hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={"PYTHONHASHSEED": seed, "PATH": ""},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64
    assert hashlib.sha256(b"").hexdigest() not in digests


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"observation": "pixels"}, "unknown observation 'pixels'"),
        ({"observation": "features", "feature_dim": 8}, "feature_dim must be an integer >= 16"),
        ({"observation": "features", "feature_dim": 64.0}, "feature_dim must be an integer"),
    ],
)
def test_bad_observation_arguments(kwargs: dict[str, object], message: str) -> None:
    for env_id in ("TextNER-v0", "TextClassification-v0", "TextExtractiveSummarization-v0"):
        with pytest.raises(InputError, match=message):
            gym.make(env_id, **kwargs)


def test_import_textenvs_does_not_import_torch() -> None:
    code = (
        "import sys, gymnasium as gym, textenvs\n"
        "gym.make('TextNER-v0', observation='features').reset(seed=0)\n"
        "assert 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        ("TextNER-v0", {}),
        ("TextClassification-v0", {}),
        ("TextExtractiveSummarization-v0", {"max_words": 40}),
        ("TextExtractiveSummarization-v0", {"max_sentences": 4}),
    ],
)
def test_the_single_env_observes_what_the_vector_env_does(env_id: str, kwargs: dict) -> None:
    """The single env's own fast path gives the batched code's observation at every step."""
    settings = {"observation": "features", "feature_dim": 256, **kwargs}
    single = gym.make(env_id, **settings)
    vector = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point", **settings)
    rng = np.random.default_rng(0)
    for episode in range(20):
        observation, _ = single.reset(seed=episode)
        batch, _ = vector.reset(seed=episode)
        done, steps = False, 0
        while not done:
            np.testing.assert_array_equal(observation, batch[0], err_msg=f"step {steps}")
            mask = single.unwrapped.action_masks()
            action = int(rng.choice(np.flatnonzero(mask)))
            observation, _, terminated, truncated, _ = single.step(action)
            batch, *_ = vector.step(np.array([action]))
            done, steps = terminated or truncated, steps + 1
        assert steps > 0
