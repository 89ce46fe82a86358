"""RL against supervised fine-tuning on NER, at the same wall-clock budget.

MiniLM + LoRA (r=16 on every linear layer) taggers trained on CoNLL-2003 (or the built-in
corpus) by the supervised baseline and by RL learners that see only the env's rewards, each
for ``--budget`` seconds of training, over ``--seeds`` seeds; every run is then tested on the
whole test split with the env's seqeval-exact entity F1. Prints a table (mean and spread over
seeds), writes the runs as JSON, and ends with the best RL learner's ratio to supervised::

    python benchmarks/ner_rl_vs_supervised.py --data ../shared/data/conll2003 --budget 300
    python benchmarks/ner_rl_vs_supervised.py --budget 60 --seeds 1      # built-in, quick

Each learner's settings are in ``SETTINGS`` below; ``--jobs 2`` runs two runs at a time with
one thread each (the same CPU time per run as one job with two threads, on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

SETTINGS: dict[str, dict[str, Any]] = {
    # learner -> RunConfig fields; all on the same backbone, PEFT method and budget
    "supervised": {"learner_config": {"epochs": 100, "batch_size": 32, "learning_rate": 1e-3}},
    "reinforce": {
        "env_kwargs": {"reward": "delta_f1"},
        "learner_config": {"steps_per_update": 8, "learning_rate": 1e-3, "baseline": "value"},
    },
    "ppo": {
        "env_kwargs": {"reward": "delta_f1"},
        "learner_config": {
            "steps_per_update": 16,
            "epochs": 2,
            "minibatches": 2,
            "learning_rate": 1e-3,
        },
    },
    "rloo": {
        "env_kwargs": {"reward": "f1"},
        "learner_config": {"k": 4, "learning_rate": 1e-3},
    },
}


def one_run(learner: str, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    """Train one learner for the budget and test it; runs in a worker process."""
    import torch

    from agents.runs import RunConfig, build_run
    from agents.training import TrainConfig, train
    from textenvs.data import load_conll

    torch.set_num_threads(args["threads"])
    dataset = None
    if args["data"]:
        folder = Path(args["data"])
        names = {"train": "eng.train", "validation": "eng.testa", "test": "eng.testb"}
        dataset = {split: load_conll(folder / name) for split, name in names.items()}
    settings = SETTINGS[learner]
    config = RunConfig(
        env="TextNER-v0",
        env_kwargs=dict(settings.get("env_kwargs", {})),
        learner=learner,
        learner_config={"updates": 1_000_000, **settings["learner_config"]},
        backbone="minilm",
        peft="lora",
        peft_kwargs={"r": 16, "alpha": 32, "target_modules": "all-linear"},
        num_envs=32,
        seed=seed,
        train=TrainConfig(
            eval_every=0,
            checkpoint_every=0,
            max_seconds=args["budget"],
            progress=False,
            tensorboard=False,
        ),
    )
    start = time.perf_counter()
    try:
        built = build_run(config, dataset)
        result = train(built.learner, built.evaluate, config.train)
    except Exception as error:  # a failed run is reported; the rest go on
        return {"learner": learner, "seed": seed, "error": f"{type(error).__name__}: {error}"}
    return {
        "learner": learner,
        "seed": seed,
        "test": result.test,
        "updates": result.updates,
        "env_steps": result.env_steps,
        "train_seconds": round(result.train_seconds, 1),
        "total_seconds": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="CoNLL-2003 folder (eng.train/testa/testb)")
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--learners", default="supervised,reinforce,ppo,rloo")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in all")
    parser.add_argument("--out", type=Path, default=Path("ner_rl_vs_supervised.json"))
    args = parser.parse_args()
    learners = [name.strip() for name in args.learners.split(",") if name.strip()]
    unknown = sorted(set(learners) - set(SETTINGS))
    if unknown:
        parser.error(f"unknown learners {unknown}; known: {sorted(SETTINGS)}")
    shared = {
        "data": str(args.data) if args.data else None,
        "budget": args.budget,
        "threads": max(1, args.threads // args.jobs),
    }
    grid = [(learner, seed) for seed in range(args.seeds) for learner in learners]
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(one_run, learner, seed, shared) for learner, seed in grid]
        runs = []
        for future in futures:
            runs.append(future.result())
            print(json.dumps(runs[-1]), flush=True)
    args.out.write_text(json.dumps({"settings": SETTINGS, **shared, "runs": runs}, indent=2))

    print(f"\ntest entity F1, MiniLM + LoRA, {args.budget:.0f} s of training per run")
    print(f"{'learner':12} {'F1 mean':>8} {'min':>6} {'max':>6} {'env steps':>10} {'seeds':>6}")
    means = {}
    for learner in learners:
        done = [r for r in runs if r["learner"] == learner and "test" in r]
        failed = [r for r in runs if r["learner"] == learner and "error" in r]
        if not done:
            print(f"{learner:12} failed: {failed[0]['error'] if failed else 'no runs'}")
            continue
        f1 = [r["test"]["f1"] for r in done]
        steps = statistics.mean(r["env_steps"] for r in done)
        means[learner] = statistics.mean(f1)
        print(
            f"{learner:12} {means[learner]:8.3f} {min(f1):6.3f} {max(f1):6.3f} "
            f"{steps:10,.0f} {len(done):6d}" + (f"  ({len(failed)} failed)" if failed else "")
        )
    rl = {k: v for k, v in means.items() if k != "supervised"}
    if rl and means.get("supervised"):
        best = max(rl, key=rl.__getitem__)
        ratio = rl[best] / means["supervised"]
        print(f"best RL learner {best}: {ratio:.2f}x the supervised F1 (target >= 0.95x)")


if __name__ == "__main__":
    main()
