"""Env-steps per second of every textenvs env: single, SyncVectorEnv of N, native vector of N.

Everything runs in one process pinned to one core, best of ``--repeats`` interleaved timings,
so the ratios compare like with like. Actions are drawn in advance, uniformly over the action
space (for TextClassification-v0, reading 80% of the time, so that episodes are not all one
step long), so the figures measure the environments, not an agent::

    python benchmarks/env_throughput.py --num-envs 64,256 --steps 20000
    python benchmarks/env_throughput.py --envs TextNER-v0 --num-envs 64,256,1024

The last line holds the key figures for TextNER-v0 (delta_f1): the single env's rate and the
native / sync speed-up at each size.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np

import textenvs

FEATURES = {"observation": "features"}
VARIANTS: dict[str, list[dict]] = {
    "TextNER-v0": [
        {"reward": "delta_f1"},
        {"reward": "f1"},
        {"reward": "token"},
        {"reward": "delta_f1", **FEATURES},
    ],
    "TextClassification-v0": [{"mode": "read"}, {"mode": "whole"}, {"mode": "read", **FEATURES}],
    "TextSummarization-v0": [{"reward": "rouge1"}, {"reward": "rouge1", "dense": True}],
    "TextExtractiveSummarization-v0": [{"reward": "rouge1"}, {"reward": "rouge1", **FEATURES}],
}
"""The configurations timed per env id."""


def random_actions(env_id: str, space: gym.spaces.Discrete, shape: tuple, rng) -> np.ndarray:
    actions = rng.integers(space.n, size=shape)
    if env_id == "TextClassification-v0" and space.n > 2:
        actions = np.where(rng.random(shape) < 0.8, 0, actions)  # read mostly
    return actions


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
    parser.add_argument("--envs", default=",".join(textenvs.ENV_IDS), help="comma-separated ids")
    parser.add_argument("--num-envs", default="64,256", help="comma-separated vector sizes")
    parser.add_argument("--steps", type=int, default=20000, help="env-steps per timing")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sizes = [int(n) for n in args.num_envs.split(",")]

    rng = np.random.default_rng(0)
    print(f"env-steps/s on one core, best of {args.repeats} interleaved rounds")
    header = ("env", "config", "envs", "single raw", "gym.make", "sync", "native", "nat/sync")
    print("{:<31} {:<16} {:>5} {:>10} {:>10} {:>9} {:>10} {:>8}".format(*header))
    key: list[str] = []
    single = 0.0
    for env_id in args.envs.split(","):
        for kwargs in VARIANTS[env_id]:
            config = ",".join(str(v) for v in kwargs.values())
            made = gym.make(env_id, **kwargs)
            single_actions = random_actions(env_id, made.action_space, (args.steps,), rng).tolist()
            for num_envs in sizes:
                shape = (max(1, args.steps // num_envs), num_envs)
                batches = random_actions(env_id, made.action_space, shape, rng)
                sync = gym.make_vec(env_id, num_envs, vectorization_mode="sync", **kwargs)
                native = gym.make_vec(
                    env_id, num_envs, vectorization_mode="vector_entry_point", **kwargs
                )
                rates = best_rates(
                    {
                        "raw": single_env_run(gym.make(env_id, **kwargs).unwrapped, single_actions),
                        "made": single_env_run(made, single_actions),
                        # SyncVectorEnv is slow: time it on a quarter of the steps.
                        "sync": vector_env_run(sync, batches[: max(1, len(batches) // 4)]),
                        "native": vector_env_run(native, batches),
                    },
                    args.repeats,
                )
                ratio = rates["native"] / rates["sync"]
                print(
                    f"{env_id:<31} {config:<16} {num_envs:>5} {rates['raw']:>10,.0f} "
                    f"{rates['made']:>10,.0f} {rates['sync']:>9,.0f} {rates['native']:>10,.0f} "
                    f"{ratio:>7.1f}x"
                )
                if env_id == "TextNER-v0" and config == "delta_f1":
                    key.append(f"{ratio:.1f}x at {num_envs} envs")
                    single = rates["made"]
    if key:
        print(
            f"TextNER-v0 delta_f1: single env {single:,.0f} steps/s; native/sync " + ", ".join(key)
        )


if __name__ == "__main__":
    main()
