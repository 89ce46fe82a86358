"""Stable-Baselines3 algorithms train on the envs unmodified and act through SB3Agent."""

from __future__ import annotations

import gymnasium as gym
import pytest

import textenvs  # noqa: F401
from agents import RandomAgent
from agents.bench.sb3 import SB3Agent, train_sb3


def token_accuracy(agent: object, episodes: int = 100) -> float:
    """The fraction of validation words tagged right (the ``token`` reward's mean)."""
    play = getattr(agent, "env_kwargs", {})  # the observation an SB3 model reads
    env = gym.make("TextNER-v0", split="validation", reward="token", **play)
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


@pytest.mark.parametrize("algorithm", ["sb3-ppo", "sb3-maskable-ppo", "sb3-a2c", "sb3-dqn"])
def test_sb3_learns_token_accuracy_well_above_random(algorithm: str) -> None:
    agent = train_sb3(algorithm, "TextNER-v0", seconds=60, seed=0, max_steps=4096, reward="token")
    assert isinstance(agent, SB3Agent)
    random = token_accuracy(RandomAgent(0))
    learned = token_accuracy(agent)
    assert learned > random + 0.4, (learned, random)


def test_unknown_algorithm() -> None:
    with pytest.raises(ValueError, match="unknown SB3 algorithm 'sb3-sarsa'"):
        train_sb3("sb3-sarsa", "TextNER-v0", seconds=1)


def test_sb3_ppo_trains_a_lora_policy_through_the_transformer_extractor() -> None:
    import torch
    from stable_baselines3 import PPO

    from agents.bench.sb3 import transformer_extractor

    torch.manual_seed(0)
    env = gym.make("TextNER-v0", reward="token")
    model = PPO(
        "MultiInputPolicy",
        env,
        policy_kwargs=transformer_extractor(env, backbone="tiny-bert", peft="lora"),
        n_steps=64,
        batch_size=32,
        n_epochs=1,
        seed=0,
    )
    extractor = model.policy.features_extractor
    trainable = {n for n, p in model.policy.named_parameters() if p.requires_grad}
    assert any("lora_" in n for n in trainable)
    assert not any("base_layer" in n or "tag_head" in n for n in trainable)
    before = {n: p.detach().clone() for n, p in extractor.named_parameters()}
    model.learn(128)
    changed = {n for n, p in extractor.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all("lora_" in n for n in changed)  # only the adapter moved
    assert 0 <= token_accuracy(SB3Agent(model), episodes=3) <= 1


def test_sb3_make_vec_env_makes_the_envs() -> None:
    """SB3's helper asks for render_mode="rgb_array" and falls back on a TypeError."""
    from stable_baselines3.common.env_util import make_vec_env

    with pytest.warns(UserWarning, match="render_mode='rgb_array'"):  # gymnasium's own warning
        envs = make_vec_env("TextNER-v0", n_envs=2, env_kwargs={"observation": "features"})
    assert (
        envs.observation_space.shape
        == gym.make("TextNER-v0", observation="features").observation_space.shape
    )
    with pytest.raises(ValueError, match="unknown render_mode 'human'"):
        gym.make("TextNER-v0", render_mode="human")
