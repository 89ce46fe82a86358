"""Stable-Baselines3 on TextNER-v0, unmodified: PPO, and sb3-contrib's MaskablePPO.

The envs pass SB3's ``check_env``; MaskablePPO reads their ``action_masks()`` (valid IOB2)::

    python examples/sb3_ner.py --steps 20000
"""

from __future__ import annotations

import argparse

import gymnasium as gym
from sb3_contrib import MaskablePPO
from stable_baselines3 import PPO

import textenvs  # noqa: F401  (registers the env ids)
from agents import evaluate
from agents.bench.sb3 import SB3Agent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--reward", default="token", choices=["token", "f1", "delta_f1"])
    args = parser.parse_args()
    for name, cls, masked in (("PPO", PPO, False), ("MaskablePPO", MaskablePPO, True)):
        env = gym.make("TextNER-v0", reward=args.reward)
        model = cls("MultiInputPolicy", env, seed=0, verbose=0).learn(args.steps)
        scores = evaluate(SB3Agent(model, masked=masked), "TextNER-v0", split="test")
        print(
            f"{name:12} after {args.steps} steps: test F1 {scores['f1']:.3f}, "
            f"mean return {scores['mean_return']:.2f}"
        )


if __name__ == "__main__":
    main()
