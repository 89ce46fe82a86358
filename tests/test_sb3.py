"""Stable-Baselines3 algorithms train on the envs unmodified and act through SB3Agent."""

from __future__ import annotations

import gymnasium as gym
import pytest

import textenvs  # noqa: F401
from agents import RandomAgent
from agents.sb3 import SB3Agent, train_sb3


def token_accuracy(agent: object, episodes: int = 100) -> float:
    """The fraction of validation words tagged right (the ``token`` reward's mean)."""
    env = gym.make("TextNER-v0", split="validation", reward="token")
    correct = words = 0.0
    for index in range(episodes):
        observation, info = env.reset(options={"index": index})
        done = False
        while not done:
            action = agent.act(observation, info, env.unwrapped.action_masks())  # type: ignore[attr-defined]
            observation, reward, terminated, truncated, _ = env.step(action)
            correct, words = correct + reward, words + 1
            done = terminated or truncated
    return correct / words


@pytest.mark.parametrize("algorithm", ["sb3-ppo", "sb3-maskable-ppo"])
def test_sb3_learns_token_accuracy_well_above_random(algorithm: str) -> None:
    agent = train_sb3(algorithm, "TextNER-v0", seconds=60, seed=0, max_steps=4096, reward="token")
    assert isinstance(agent, SB3Agent)
    random = token_accuracy(RandomAgent(0))
    learned = token_accuracy(agent)
    assert learned > random + 0.4, (learned, random)


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unknown SB3 algorithm 'sb3-dqn'"):
        train_sb3("sb3-dqn", "TextNER-v0", seconds=1)
