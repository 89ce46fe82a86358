"""A custom agent for ``textenvs bench``: any class with ``act`` (and, optionally, ``learn``).

It tags capitalised words that do not start a sentence as an entity, and learns from the
env's rewards alone which entity type pays best (an epsilon-greedy bandit over types)::

    PYTHONPATH=examples textenvs bench --envs TextNER-v0 --agents random,custom_agent:CapitalsAgent

The bench builds it as ``CapitalsAgent(train_env)`` and calls ``learn(train_env, seconds)``.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

from agents import BaseAgent


class CapitalsAgent(BaseAgent):
    """Capitalised, not sentence-initial words are ``B-<type>``; everything else is ``O``."""

    def __init__(self, env: gym.Env, epsilon: float = 0.2, seed: int = 0) -> None:
        self.tags = list(env.unwrapped.tag_names)
        self.types = sorted({tag[2:] for tag in self.tags if tag != "O"})
        self.value = dict.fromkeys(self.types, 0.0)
        self.count = dict.fromkeys(self.types, 0)
        self.epsilon, self.rng = epsilon, np.random.default_rng(seed)
        self.chosen = max(self.types, key=self.value.__getitem__)

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """``B-<chosen type>`` for a capitalised word after the first, else ``O``."""
        position = int(observation["position"])
        words = info["words"]
        word = words[min(position, len(words) - 1)]
        tag = f"B-{self.chosen}" if position > 0 and word[:1].isupper() else "O"
        action = self.tags.index(tag)
        return action if mask[action] else int(np.flatnonzero(mask)[0])

    def learn(self, env: gym.Env, seconds: float) -> None:
        """Try entity types episode by episode; keep the one with the best mean return."""
        deadline = time.perf_counter() + seconds
        episodes = 0
        while time.perf_counter() < deadline and episodes < 2_000:
            explore = self.rng.random() < self.epsilon
            self.chosen = (
                str(self.rng.choice(self.types))
                if explore
                else max(self.types, key=self.value.__getitem__)
            )
            observation, info = env.reset(seed=int(self.rng.integers(1 << 31)))
            total, done = 0.0, False
            while not done:
                action = self.act(observation, info, env.unwrapped.action_masks())
                observation, reward, terminated, truncated, _ = env.step(action)
                total += float(reward)
                done = terminated or truncated
            self.count[self.chosen] += 1
            self.value[self.chosen] += (total - self.value[self.chosen]) / self.count[self.chosen]
            episodes += 1
        self.chosen = max(self.types, key=self.value.__getitem__)


if __name__ == "__main__":
    from agents import evaluate

    train_env = gym.make("TextNER-v0", split="train")
    agent = CapitalsAgent(train_env)
    agent.learn(train_env, seconds=5)
    print(f"chosen type {agent.chosen}; test", evaluate(agent, "TextNER-v0", split="test"))
