"""The two baseline agents every table starts with: uniform random and the memoriser."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import gymnasium as gym
import numpy as np

from agents.common.protocol import BaseAgent
from textenvs.errors import InputError


class RandomAgent(BaseAgent):
    """Uniform over the valid actions.

    Args:
        seed: seed of the agent's own generator (the env's is separate).
    """

    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """A uniformly drawn valid action."""
        return int(self.rng.choice(np.flatnonzero(mask)))


class MemorizerAgent(BaseAgent):
    """The memorising baseline: most frequent tag per word, or most frequent label.

    Fitted on an env's records (its training split): on TextNER-v0 each word gets its most
    frequent training tag (``O`` for unknown words), the most frequent valid one when the mask
    forbids it; on TextClassification-v0 the agent answers the most frequent label at once.

    Args:
        train_env: an env (usually ``split="train"``) whose records the agent counts.

    Raises:
        ValueError: for an env it has no baseline for (generation, extractive).
    """

    def __init__(self, train_env: gym.Env) -> None:
        env = train_env.unwrapped
        corpus = getattr(env, "corpus", None)
        if hasattr(corpus, "sentences") and hasattr(env, "tag_names"):
            self.kind = "tagging"
            counts: dict[str, Counter[str]] = defaultdict(Counter)
            for sentence in corpus.sentences:
                for word, tag in zip(sentence.words, sentence.tags):
                    counts[word][tag] += 1
            self.tag_counts = counts
            self.tag_names = tuple(env.tag_names)
        elif hasattr(corpus, "texts") and hasattr(env, "label_names"):
            self.kind = "classification"
            label = Counter(t.label for t in corpus.texts).most_common(1)[0][0]
            self.label_names = tuple(env.label_names)
            self.answer = env.label_names.index(label) + getattr(env, "_answer_offset", 1)
        else:
            raise InputError(
                f"MemorizerAgent has no baseline for {type(env).__name__}: it supports "
                "tagging (TextNER-v0) and classification (TextClassification-v0) envs"
            )

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The memorised action, made valid under ``mask``."""
        if self.kind == "classification":
            return self.answer if mask[self.answer] else int(np.flatnonzero(mask)[0])
        word = info["words"][int(observation["position"])]
        for tag, _ in self.tag_counts.get(word, Counter()).most_common():
            action = self.tag_names.index(tag) if tag in self.tag_names else -1
            if action >= 0 and mask[action]:
                return action
        outside = self.tag_names.index("O") if "O" in self.tag_names else 0
        return outside if mask[outside] else int(np.flatnonzero(mask)[0])
