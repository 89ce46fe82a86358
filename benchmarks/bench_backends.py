"""Wall time of one benchmark grid on the local backend and on Ray.

Runs the same grid (default: TextNER-v0 x {random, ppo} x 2 seeds = 4 runs, 10 s of training
per learner, MiniLM + LoRA) three ways, in one process so the figures share the machine's
state: the local backend one run at a time, the local backend with ``--jobs`` worker
processes, and Ray with ``--jobs`` workers (a local cluster); prints each wall time and the
speed-ups over one run at a time::

    python benchmarks/bench_backends.py
    python benchmarks/bench_backends.py --agents random,ppo,rloo --seeds 2 --budget 20 --jobs 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from agents.bench import BenchConfig, run_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--envs", default="TextNER-v0")
    parser.add_argument("--agents", default="random,ppo")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--budget", type=float, default=10.0, help="training seconds per run")
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time (workers)")
    parser.add_argument("--backbone", default="minilm")
    args = parser.parse_args(argv)
    grid = {
        "envs": args.envs.split(","),
        "agents": args.agents.split(","),
        "seeds": args.seeds,
        "budget": args.budget,
        "backbone": args.backbone,
        "threads": 1,  # one core per run in every backend
    }
    ways = {
        "local, 1 at a time": {"jobs": 1},
        f"local, {args.jobs} processes": {"jobs": args.jobs},
        f"ray, {args.jobs} workers": {"jobs": args.jobs, "backend": "ray"},
    }
    runs = len(grid["envs"]) * len(grid["agents"]) * args.seeds
    print(f"{runs} runs: {grid}")
    seconds = {}
    with tempfile.TemporaryDirectory() as folder:
        for name, settings in ways.items():
            config = BenchConfig(**grid, **settings, out=str(Path(folder) / name[:5]))
            start = time.perf_counter()
            rows = run_bench(config)
            seconds[name] = time.perf_counter() - start
            failed = sum("error" in row for row in rows)
            print(f"{name:24} {seconds[name]:7.1f} s  ({failed} failed)", flush=True)
    base = seconds["local, 1 at a time"]
    for name, value in seconds.items():
        print(f"speed-up of {name}: {base / value:.2f}x")


if __name__ == "__main__":
    main()
