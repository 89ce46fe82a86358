"""Env-steps per second of TextNER-v0: single env, SyncVectorEnv of N, native vector env of N.

Everything runs in one process pinned to one core, best of ``--repeats`` timings each, so
the ratios compare like with like. Actions are drawn in advance (uniform over all tags), so
the figures measure the environments, not the agent::

    python benchmarks/env_throughput.py --num-envs 64,256 --steps 20000

The last line holds the key figures: the single env's rate and the native / sync speed-up.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np

import textenvs  # noqa: F401
from textenvs.envs import TextNEREnv


def best_rates(runs: dict[str, Callable[[], int]], repeats: int) -> dict[str, float]:
    """Best env-steps per second of each run over ``repeats`` rounds.

    Rounds interleave the runs, so that a slow spell of a shared machine hits them all alike.
    """
    rates: dict[str, float] = dict.fromkeys(runs, 0.0)
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            steps = run()
            rates[name] = max(rates[name], steps / (time.perf_counter() - start))
    return rates


def single_env_run(env: gym.Env, actions: np.ndarray) -> Callable[[], int]:
    def run() -> int:
        env.reset(seed=0)
        for action in actions:
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        return len(actions)

    return run


def vector_env_run(envs: gym.vector.VectorEnv, actions: np.ndarray) -> Callable[[], int]:
    def run() -> int:
        envs.reset(seed=0)
        for batch in actions:
            envs.step(batch)
        return actions.size

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-envs", default="64,256", help="comma-separated vector sizes")
    parser.add_argument("--steps", type=int, default=20000, help="env-steps per timing")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rewards", default="delta_f1,f1,token")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sizes = [int(n) for n in args.num_envs.split(",")]

    rng = np.random.default_rng(0)
    n_tags = TextNEREnv().action_space.n
    single_actions = [int(a) for a in rng.integers(n_tags, size=args.steps)]
    print(f"TextNER-v0 env-steps/s on one core, best of {args.repeats} interleaved rounds")
    header = ("reward", "envs", "single raw", "gym.make", "sync", "native", "native/sync")
    print("{:<9} {:>5} {:>11} {:>10} {:>10} {:>11} {:>12}".format(*header))
    key: list[str] = []
    single = 0.0
    for reward in args.rewards.split(","):
        for num_envs in sizes:
            batches = rng.integers(n_tags, size=(max(1, args.steps // num_envs), num_envs))
            sync = gym.make_vec(
                "TextNER-v0", num_envs=num_envs, vectorization_mode="sync", reward=reward
            )
            native = gym.make_vec(
                "TextNER-v0",
                num_envs=num_envs,
                vectorization_mode="vector_entry_point",
                reward=reward,
            )
            rates = best_rates(
                {
                    "raw": single_env_run(TextNEREnv(reward=reward), single_actions),
                    "made": single_env_run(gym.make("TextNER-v0", reward=reward), single_actions),
                    # SyncVectorEnv is slow: time it on a quarter of the steps.
                    "sync": vector_env_run(sync, batches[: max(1, len(batches) // 4)]),
                    "native": vector_env_run(native, batches),
                },
                args.repeats,
            )
            ratio = rates["native"] / rates["sync"]
            print(
                f"{reward:<9} {num_envs:>5} {rates['raw']:>11,.0f} {rates['made']:>10,.0f} "
                f"{rates['sync']:>10,.0f} {rates['native']:>11,.0f} {ratio:>11.1f}x"
            )
            if reward == args.rewards.split(",")[0]:
                key.append(f"{ratio:.1f}x at {num_envs} envs")
                single = rates["made"]
    first = args.rewards.split(",")[0]
    print(f"{first}: single env {single:,.0f} steps/s; native/sync " + ", ".join(key))


if __name__ == "__main__":
    main()
