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


def direct_scores(agent: PromptClassifier, text: str) -> list[float]:
    """Each label word's log-likelihood after the whole prompt, from one plain forward pass."""
    context = agent.tokenizer(agent.prefix + TEMPLATE.format(text=text))["input_ids"]
    scores = []
    for word in agent.label_words:
        candidate = agent.tokenizer(" " + word, add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            logits = agent.model(input_ids=torch.tensor([context + candidate])).logits
        logprobs = logits[0].log_softmax(-1)
        start = len(context) - 1
        scores.append(sum(float(logprobs[start + i, t]) for i, t in enumerate(candidate)))
    return scores


def test_scores_are_the_label_words_log_likelihood_after_the_prompt() -> None:
    agent = PromptClassifier(
        tiny_backbone("causal"), ["negative", "positive"], examples=[("fine film", 1)]
    )
    assert agent.prefix.endswith(TEMPLATE.format(text="fine film") + " positive\n\n")
    scores = agent.class_scores("a truly great film")
    assert scores == pytest.approx(direct_scores(agent, "a truly great film"), abs=1e-4)


def test_a_batch_shares_the_prompts_cache_and_scores_as_one_text_at_a_time() -> None:
    # Label words of several tokens, texts of different lengths, more rows than one pass.
    agent = PromptClassifier(
        tiny_backbone("causal"),
        ["neg", "pos", "mixed"],
        examples=[("fine film", 1), ("dull", 0)],
        label_words=["very negative", "positive", "mixed feelings"],
    )
    texts = ["a truly great film", "awful", "not bad at all , and quite long too", "meh"]
    assert sorted(len(c) for c in agent.candidates)[1:] != [1, 1]  # words of several tokens
    scores = agent.class_scores_batch(texts, texts_per_pass=3)
    assert scores.shape == (4, 3)
    for row, text in zip(scores, texts):
        assert row == pytest.approx(direct_scores(agent, text), abs=1e-4)
    prefix, _ = agent._prefix_cache()  # every text went through the cached beginning
    for text in texts:
        context = agent.tokenizer(agent.prefix + TEMPLATE.format(text=text))["input_ids"]
        assert context[: len(prefix)] == prefix
    agent._prefix = ([-1], None)  # a beginning no text's tokens start with: no cache
    assert agent.class_scores_batch(texts) == pytest.approx(scores, abs=1e-4)


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
