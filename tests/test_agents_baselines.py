"""The agent protocol, the random and memorizer baselines, and evaluate()."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import Agent, MemorizerAgent, RandomAgent, evaluate
from textenvs.data.tags import first_iob2_violation
from textenvs.metrics import corpus_span_scores


class FirstValidAgent:
    """A custom agent written against the protocol only."""

    def act(self, observation, info, mask):  # type: ignore[no-untyped-def]
        return int(np.flatnonzero(mask)[0])

    def act_batch(self, observations, infos, masks):  # type: ignore[no-untyped-def]
        return masks.argmax(axis=1)


def test_protocol() -> None:
    assert isinstance(RandomAgent(), Agent) and isinstance(FirstValidAgent(), Agent)


def test_random_agent_respects_masks_and_evaluate_scores_the_corpus() -> None:
    env = gym.make("TextNER-v0", split="validation", reward="f1")
    metrics = evaluate(RandomAgent(seed=3), env, limit=60)
    golds, preds = [], []
    agent = RandomAgent(seed=3)
    for index in range(60):
        obs, info = env.reset(options={"index": index})
        done = False
        while not done:
            obs, _, terminated, truncated, final = env.step(
                agent.act(obs, info, env.unwrapped.action_masks())
            )
            done = terminated or truncated
        assert first_iob2_violation(final["pred_tags"]) is None
        golds.append(final["gold_tags"])
        preds.append(final["pred_tags"])
    expected = corpus_span_scores(golds, preds)
    assert metrics["f1"] == pytest.approx(expected["f1"]) and metrics["episodes"] == 60


def test_majority_agent_on_ner() -> None:
    memorizer = evaluate(MemorizerAgent(gym.make("TextNER-v0", split="train")), "TextNER-v0")
    random = evaluate(RandomAgent(), "TextNER-v0")
    assert 0.45 < memorizer["f1"] < 0.7 and random["f1"] < 0.1


def test_majority_agent_on_classification_answers_at_once() -> None:
    agent = MemorizerAgent(gym.make("TextClassification-v0", split="train", dataset="topic"))
    metrics = evaluate(agent, "TextClassification-v0", dataset="topic")
    label = agent.label_names[agent.answer - 1]
    test = gym.make("TextClassification-v0", split="test", dataset="topic").unwrapped
    share = np.mean([t.label == label for t in test.corpus.texts])
    assert metrics["accuracy"] == pytest.approx(share)
    assert metrics["mean_fraction_read"] < 0.2  # the first word only


def test_evaluate_generation_envs() -> None:
    metrics = evaluate(FirstValidAgent(), "TextExtractiveSummarization-v0", limit=5)
    assert set(metrics) == {"score", "episodes", "mean_return"} and metrics["episodes"] == 5
    assert metrics["score"] == pytest.approx(metrics["mean_return"])


def test_majority_agent_has_no_generation_baseline() -> None:
    with pytest.raises(ValueError, match="MemorizerAgent has no baseline for TextGenerationEnv"):
        MemorizerAgent(gym.make("TextSummarization-v0"))


def test_act_batch_loops_over_act() -> None:
    envs = gym.make_vec("TextNER-v0", num_envs=3)
    obs, infos = envs.reset(seed=0)
    reset_infos = [{"words": infos["words"][i]} for i in range(3)]
    actions = MemorizerAgent(gym.make("TextNER-v0")).act_batch(
        obs, reset_infos, envs.unwrapped.action_masks()
    )
    assert actions.shape == (3,) and envs.unwrapped.action_masks()[np.arange(3), actions].all()


@pytest.mark.parametrize("env_id", ["TextNER-v0", "TextClassification-v0"])
def test_batched_evaluation_equals_one_by_one(env_id: str) -> None:
    agent = MemorizerAgent(gym.make(env_id, split="train"))
    one_by_one = evaluate(agent, env_id, split="validation", limit=37)
    batched = evaluate(agent, env_id, split="validation", limit=37, num_envs=8)
    assert batched == one_by_one and batched["episodes"] == 37


def test_batched_evaluation_of_a_policy_equals_one_by_one() -> None:
    from agents.policies.backbones import tiny_backbone
    from agents.policies.tagging import TaggingPolicy

    tags = gym.make("TextNER-v0").unwrapped.tag_names
    policy = TaggingPolicy(tiny_backbone("encoder"), tags, peft="none")
    torch.nn.init.normal_(policy.tag_head.weight, std=1.0)  # varied tags, not all one class
    one_by_one = evaluate(policy, "TextNER-v0", split="test", limit=40)
    batched = evaluate(policy, "TextNER-v0", split="test", limit=40, num_envs=16)
    assert batched == pytest.approx(one_by_one, abs=1e-9)
