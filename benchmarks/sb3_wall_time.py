"""Is the env what makes SB3 slow? SB3 PPO's wall time on TextNER-v0 next to CartPole-v1.

Both runs use SB3's PPO with its defaults and ``MlpPolicy``, one env (``DummyVecEnv``), the
same number of steps, in one process, one after the other, so that the ratio is measured on
one machine in one state. TextNER-v0 runs on its feature observation
(``observation="features"``, a 2,071-float vector: a larger first layer than CartPole's 4).
Also printed: the envs' own steps per second with random valid actions, for scale::

    python benchmarks/sb3_wall_time.py                 # 100k steps each
    python benchmarks/sb3_wall_time.py --steps 20000
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO

import textenvs  # noqa: F401  (registers the env ids)

ENVS = {"CartPole-v1": {}, "TextNER-v0": {"observation": "features"}}


def env_steps_per_second(env_id: str, kwargs: dict, steps: int = 20_000) -> float:
    """Steps per second of the env alone, with uniformly drawn actions."""
    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def ppo_seconds(env_id: str, kwargs: dict, steps: int) -> float:
    """Wall seconds of ``PPO("MlpPolicy", env).learn(steps)`` with SB3's defaults."""
    model = PPO("MlpPolicy", gym.make(env_id, **kwargs), seed=0, verbose=0)
    start = time.perf_counter()
    model.learn(total_timesteps=steps)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (SB3's MLPs)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seconds = {}
    print(f"SB3 PPO (defaults, MlpPolicy), {args.steps} steps, {args.threads} torch thread(s)")
    print("| env | env alone, steps/s | PPO wall s per 100k steps |")
    print("|---|---:|---:|")
    for env_id, kwargs in ENVS.items():
        alone = env_steps_per_second(env_id, kwargs)
        seconds[env_id] = ppo_seconds(env_id, kwargs, args.steps) * 100_000 / args.steps
        print(f"| {env_id} | {alone:,.0f} | {seconds[env_id]:.0f} |")
    ratio = seconds["TextNER-v0"] / seconds["CartPole-v1"]
    print(f"TextNER-v0 / CartPole-v1 PPO wall time: {ratio:.2f}x (same run)")
    print(f"numpy {np.__version__}, torch {torch.__version__}")


if __name__ == "__main__":
    main()
