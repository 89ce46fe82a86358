"""Stable-Baselines3 on TextNER-v0, unmodified: PPO, and sb3-contrib's MaskablePPO.

An MLP policy learns from the env's feature observation (``observation="features"``: hashed
features of the current word and its context, and the tags already chosen), not from word
ids. The settings are the bench's tuned recipe (``agents.bench.sb3.RECIPES``): the ``token``
reward and ``gamma=0.5``. MaskablePPO also reads the env's ``action_masks()`` (valid IOB2)::

    python examples/sb3_ner.py                  # 200k steps each, a few minutes per model
    python examples/sb3_ner.py --steps 50000
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import torch
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO

import textenvs  # noqa: F401  (registers the env ids)
from agents import evaluate
from agents.bench.sb3 import SB3Agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--reward", default="token", choices=["token", "f1", "delta_f1"])
    parser.add_argument("--gamma", type=float, default=0.5)
    args = parser.parse_args()
    torch.set_num_threads(1)  # small MLPs: one thread is fastest
    for name, cls, masked in (("PPO", PPO, False), ("MaskablePPO", MaskablePPO, True)):
        env = gym.make("TextNER-v0", reward=args.reward, observation="features")
        model = cls("MlpPolicy", env, gamma=args.gamma, seed=0, verbose=0).learn(args.steps)
        agent = SB3Agent(model, masked=masked, env_kwargs={"observation": "features"})
        scores = evaluate(agent, "TextNER-v0", split="test", observation="features")
        print(f"{name:12} after {args.steps} steps: test entity F1 {scores['f1']:.3f}")


if __name__ == "__main__":
    main()
