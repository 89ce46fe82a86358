"""ClassificationPolicy on tiny random backbones: incremental reading, one-shot equality, IO."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import textenvs  # noqa: F401
from agents import evaluate
from agents.backbones import tiny_backbone
from agents.classification_policy import ClassificationPolicy


def make_policy(
    kind: str = "causal", mode: str = "read", peft: str = "lora"
) -> ClassificationPolicy:
    torch.manual_seed(0)
    labels = gym.make("TextClassification-v0").unwrapped.label_names
    return ClassificationPolicy(tiny_backbone(kind), labels, peft, mode)


@pytest.mark.parametrize("kind", ["causal", "encoder"])
def test_steps_match_the_one_shot_path(kind: str) -> None:
    policy = make_policy(kind)
    env = gym.make("TextClassification-v0", split="validation")
    obs, info = env.reset(options={"index": 3})
    step_logits, reads = [], 0
    while obs["position"] < len(info["tokens"]) and reads < 6:
        mask = np.ones(3, dtype=bool)
        with torch.no_grad():
            step_logits.append(policy.step_logits([obs], [info], mask[None])[0])
        obs, *_ = env.step(0)
        reads += 1
    lengths = list(range(1, len(step_logits) + 1))
    with torch.no_grad():
        one_shot, values = policy.forward_prefixes([info["tokens"]], [lengths])
    assert torch.allclose(torch.stack(step_logits), one_shot, atol=1e-5)
    assert values.shape == (len(lengths),)


def test_causal_reading_feeds_each_word_once() -> None:
    policy = make_policy("causal")
    env = gym.make("TextClassification-v0", split="validation")
    obs, info = env.reset(options={"index": 0})
    calls = policy.forward_calls
    for _ in range(5):
        policy.act(obs, info, env.unwrapped.action_masks())
        obs, *_ = env.step(0)
    assert policy.forward_calls - calls == 5  # one short pass per new word, no re-reading


def test_masks_and_evaluation() -> None:
    policy = make_policy("causal")
    env = gym.make("TextClassification-v0", split="validation", max_length=4)
    obs, info = env.reset(options={"index": 0})
    for _ in range(3):
        obs, *_ = env.step(0)
    assert policy.act(obs, info, env.unwrapped.action_masks()) != 0  # reading is masked out
    metrics = evaluate(policy, "TextClassification-v0", split="validation", limit=8)
    assert metrics["episodes"] == 8 and 0.0 <= metrics["accuracy"] <= 1.0


def test_whole_mode_and_predict() -> None:
    policy = make_policy("encoder", mode="whole")
    metrics = evaluate(policy, "TextClassification-v0", split="validation", limit=4, mode="whole")
    assert metrics["mean_fraction_read"] == 1.0
    assert set(policy.predict(["A great film.", "Awful."])) <= {"negative", "positive"}


def test_mismatched_env_fails_clearly() -> None:
    policy = make_policy("causal", mode="whole")
    with pytest.raises(ValueError, match=r"built for classes .* in whole mode"):
        evaluate(policy, "TextClassification-v0", limit=1)
    env = gym.make("TextClassification-v0")
    obs, info = env.reset(seed=0)
    with pytest.raises(ValueError, match="the env has 3 actions but this policy has 2"):
        policy.act(obs, info, env.unwrapped.action_masks())


def test_save_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy("causal")
    with torch.no_grad():
        for parameter in policy.parameters():
            if parameter.requires_grad:
                parameter.add_(0.01 * torch.randn_like(parameter))
    policy.save(tmp_path)
    loaded = ClassificationPolicy.load(tmp_path, backbone=tiny_backbone("causal"))
    words = [["A", "great", "film", "."]]
    with torch.no_grad():
        assert torch.equal(
            policy.forward_prefixes(words, [[2, 4]])[0], loaded.forward_prefixes(words, [[2, 4]])[0]
        )
