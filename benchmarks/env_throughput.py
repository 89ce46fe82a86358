"""Env-steps per second of TextNER-v0: single env, SyncVectorEnv of N, native vector env of N.

Everything runs in one process pinned to one core, best of ``--repeats`` timings each, so
the ratios compare like with like. Actions are drawn in advance (uniform over all tags), so
the figures measure the environments, not the agent::

    python benchmarks/env_throughput.py --num-envs 64 --steps 20000

The last line is the key figure: native / sync speed-up at ``--num-envs``.
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


def best_rate(run: Callable[[], int], repeats: int) -> float:
    """Best env-steps per second over ``repeats`` calls of ``run`` (which returns steps done)."""
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        steps = run()
        rates.append(steps / (time.perf_counter() - start))
    return max(rates)


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
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=20000, help="single-env steps per timing")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rewards", default="token,f1,delta_f1")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    rng = np.random.default_rng(0)
    n_tags = TextNEREnv().action_space.n
    single_actions = [int(a) for a in rng.integers(n_tags, size=args.steps)]
    vector_steps = max(1, args.steps // args.num_envs)
    batches = rng.integers(n_tags, size=(vector_steps, args.num_envs))
    # SyncVectorEnv is slow: time it on fewer steps (rates are per env-step either way).
    sync_batches = batches[: max(1, vector_steps // 4)]

    print(f"TextNER-v0 env-steps/s, one core, best of {args.repeats}, {args.num_envs} envs")
    header = ("reward", "raw env", "gym.make", "sync", "native", "native/sync")
    print("{:<9} {:>10} {:>10} {:>10} {:>11} {:>12}".format(*header))
    ratio = 0.0
    for reward in args.rewards.split(","):
        raw = best_rate(single_env_run(TextNEREnv(reward=reward), single_actions), args.repeats)
        made = best_rate(
            single_env_run(gym.make("TextNER-v0", reward=reward), single_actions), args.repeats
        )
        sync = gym.make_vec(
            "TextNER-v0", num_envs=args.num_envs, vectorization_mode="sync", reward=reward
        )
        native = gym.make_vec(
            "TextNER-v0",
            num_envs=args.num_envs,
            vectorization_mode="vector_entry_point",
            reward=reward,
        )
        sync_rate = best_rate(vector_env_run(sync, sync_batches), args.repeats)
        native_rate = best_rate(vector_env_run(native, batches), args.repeats)
        ratio = native_rate / sync_rate
        print(
            f"{reward:<9} {raw:>10,.0f} {made:>10,.0f} {sync_rate:>10,.0f} {native_rate:>11,.0f} "
            f"{ratio:>11.1f}x"
        )
    print(f"native/sync speed-up at {args.num_envs} envs ({reward} reward): {ratio:.1f}x")


if __name__ == "__main__":
    main()
