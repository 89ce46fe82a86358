"""Prompt baselines: label-likelihood classification with a causal LM, zero- and k-shot."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import textenvs  # noqa: F401
from agents import evaluate
from agents.bench.config import BenchConfig
from agents.policies.backbones import tiny_backbone
from agents.policies.prompting import TEMPLATE, PromptClassifier
from textenvs.data import LabeledText

TEXTS = [LabeledText("a truly great film", "positive"), LabeledText("awful and dull", "negative")]


def test_scores_are_the_label_words_log_likelihood_after_the_prompt() -> None:
    backbone = tiny_backbone("causal")
    agent = PromptClassifier(backbone, ["negative", "positive"], examples=[("fine film", 1)])
    assert agent.prefix.endswith(TEMPLATE.format(text="fine film") + " positive\n\n")
    scores = agent.class_scores("a truly great film")
    for label, word in enumerate(["negative", "positive"]):
        context = agent.tokenizer(agent.prefix + TEMPLATE.format(text="a truly great film"))
        candidate = agent.tokenizer(" " + word, add_special_tokens=False)["input_ids"]
        ids = torch.tensor([context["input_ids"] + candidate])
        with torch.no_grad():
            logprobs = backbone.model(input_ids=ids).logits[0].log_softmax(-1)
        start = len(context["input_ids"]) - 1
        expected = sum(float(logprobs[start + i, t]) for i, t in enumerate(candidate))
        assert scores[label] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("mode", ["read", "whole"])
def test_it_reads_every_word_then_answers_the_likeliest_class(mode: str) -> None:
    agent = PromptClassifier(tiny_backbone("causal"), ["negative", "positive"])
    env = gym.make("TextClassification-v0", dataset=TEXTS, mode=mode)
    metrics = evaluate(agent, env)
    assert metrics["episodes"] == 2 and metrics["mean_fraction_read"] == 1.0
    env = gym.make("TextClassification-v0", dataset=TEXTS, mode=mode)
    _, info = env.reset(options={"index": 0})
    done = False
    while not done:
        action = agent.act(None, info, env.unwrapped.action_masks())
        _, _, done, _, step_info = env.step(action)
        info = {**info, **step_info}
    expected = int(np.argmax(agent.class_scores(TEXTS[0].text)))
    assert step_info["prediction"] == ["negative", "positive"][expected]


def test_k_shot_examples_come_from_the_training_split_cycling_through_the_classes() -> None:
    env = gym.make("TextClassification-v0", split="train", dataset="sentiment")
    agent = PromptClassifier.from_env(env, tiny_backbone("causal"), k=4, seed=1)
    assert agent.prefix.count("Text: ") == 4
    shown = [line.split()[-1] for line in agent.prefix.splitlines() if line.startswith("Label:")]
    assert sorted(shown) == ["negative", "negative", "positive", "positive"]


def test_bad_prompt_agents() -> None:
    with pytest.raises(ValueError, match="needs a causal LM"):
        PromptClassifier(tiny_backbone("encoder"), ["a", "b"])
    with pytest.raises(ValueError, match="2 label words for 3 classes"):
        PromptClassifier(tiny_backbone("causal"), ["a", "b", "c"], label_words=["x", "y"])
    BenchConfig(envs=["TextClassification-v0"], agents=["prompt-zero-shot", "prompt-4-shot"])
