"""RL against supervised fine-tuning, at the same wall-clock budget: NER, SST-2, AG News.

MiniLM + LoRA (r=16 on every linear layer; ``--peft adapter``: bottleneck adapters;
``--backbone smollm2 --peft prompt_tuning``: prompt tuning) policies trained by the
supervised baseline and by RL learners that see only the env's rewards, each for ``--budget``
seconds of training (evaluation excluded), over ``--seeds`` seeds; every run is then tested
on the whole test split with the env's metrics (seqeval-exact entity F1 on TextNER-v0;
accuracy and macro-F1 on TextClassification-v0, in ``--mode whole`` by default, one step
per text; ``--mode read`` adds the mean fraction of words read). ``--eval-every N``
validates every N updates and tests the best policy. Prints a table (mean and range over
seeds), writes the runs as JSON, and ends with the best RL learner's ratio to supervised::

    python benchmarks/rl_vs_supervised.py --task ner --data ../shared/data/conll2003
    python benchmarks/rl_vs_supervised.py --task sst2 --data ../shared/data/sst2 \
        --budget 240 --eval-every 100
    python benchmarks/rl_vs_supervised.py --task agnews --data ../shared/data/ag_news \
        --budget 240 --eval-every 40
    python benchmarks/rl_vs_supervised.py --task ner --budget 60 --seeds 1   # built-in, quick
    python benchmarks/rl_vs_supervised.py --table a.json b.json   # runs merged

Classification tasks also take the untrained prompt baselines as learners,
``--learners prompt-zero-shot,prompt-4-shot`` (SmolLM2-135M-Instruct, label likelihood;
``--prompt-texts N`` tests them on the first N test texts; ``--test-texts N`` tests every
run on the first N, e.g. a 135M decoder with prompt tuning). SST-2 and AG News splits:
``benchmarks/shared_corpora.py``.

Each learner runs with its tuned settings (``agents.training.presets``); ``--learner-config
'{"learning_rate": 5e-4}'`` sets fields over them in every run (for pilots). ``--jobs 2``
runs two runs at a time with one thread each (the same CPU time per run as one job with two
threads, on a 2-core machine).
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

# Each learner runs with its tuned settings for the env (agents.training.presets, what
# `textenvs train` uses too), for the same wall-clock budget; the pilots behind those values,
# with their figures: benchmarks/RESULTS.md.
LEARNERS = ("supervised", "reinforce", "ppo", "rloo")
PROMPTS = {"prompt-zero-shot": 0, "prompt-4-shot": 4}
"""Untrained prompt baselines (classification): SmolLM2-135M-Instruct scores each class's
label word after a zero- or 4-shot prompt (:class:`agents.policies.prompting.PromptClassifier`;
the shots are drawn from the training split with the seed)."""
CLASSIFICATION_METRICS = ("accuracy", "macro_f1")
TASKS: dict[str, dict[str, Any]] = {
    "ner": {"env": "TextNER-v0", "env_kwargs": {}, "metrics": ("f1",), "target": 0.95},
    "sst2": {
        "env": "TextClassification-v0",
        "env_kwargs": {"max_length": 64},
        "metrics": CLASSIFICATION_METRICS,
        "target": 0.97,
    },
    "agnews": {
        "env": "TextClassification-v0",
        "env_kwargs": {"max_length": 64},
        "metrics": CLASSIFICATION_METRICS,
        "target": 0.97,
    },
}
"""Each task's env; classification runs in ``--mode`` (``whole`` by default: one step per
text; ``read``: word by word, which adds the mean fraction of words read)."""


def task_spec(task: str, mode: str = "whole") -> dict[str, Any]:
    """The env, env arguments and test metrics of ``task`` (in ``mode`` for classification)."""
    spec = dict(TASKS[task])
    if spec["env"] == "TextClassification-v0":
        spec["env_kwargs"] = {**spec["env_kwargs"], "mode": mode}
        if mode == "read":
            spec["metrics"] = (*spec["metrics"], "mean_fraction_read")
    return spec


PEFT_SETTINGS: dict[str, dict[str, Any]] = {
    "lora": {"r": 16, "alpha": 32, "target_modules": "all-linear"},
}
"""Each PEFT method's settings here (others: the method's defaults, e.g. bottleneck
adapters of width 64 after each feed-forward block)."""


def load_dataset(task: str, folder: Path | None) -> Any:
    """The env's ``dataset=``: the splits in ``folder``, else the built-in corpus."""
    if folder is None:
        return {"ner": None, "sst2": "sentiment", "agnews": "topic"}[task]
    if task == "ner":
        from textenvs.data import load_conll

        names = {"train": "eng.train", "validation": "eng.testa", "test": "eng.testb"}
        return {split: load_conll(folder / name) for split, name in names.items()}
    from shared_corpora import load_ag_news, load_sst2

    return load_sst2(folder) if task == "sst2" else load_ag_news(folder)


def one_run(task: str, learner: str, seed: int, args: dict[str, Any]) -> dict[str, Any]:
    """Train one learner for the budget and test it; runs in a worker process."""
    import torch

    from agents.training.loop import TrainConfig, train
    from agents.training.runs import RunConfig, build_run

    torch.set_num_threads(args["threads"])
    spec = task_spec(task, args["mode"])
    dataset = load_dataset(task, Path(args["data"]) if args["data"] else None)
    if learner in PROMPTS:
        return prompt_run(spec, dataset, learner, seed, args)
    # The time budget ends every run; the rest are the learner's tuned settings.
    length = {"epochs": 1_000} if learner == "supervised" else {"updates": 1_000_000}
    length.update(args.get("learner_config", {}))  # e.g. read_or_decide.py's prefix_answers
    env_kwargs = dict(spec["env_kwargs"])
    if args.get("read_cost") is not None:  # benchmarks/read_or_decide.py's sweep
        env_kwargs["read_cost"] = args["read_cost"]
    config = RunConfig(
        env=spec["env"],
        env_kwargs=env_kwargs,
        learner=learner,
        learner_config=length,
        backbone=args["backbone"],
        init_from=args.get("init_from"),  # read_or_decide.py: RL after a supervised start
        peft=args["peft"],
        peft_kwargs=dict(PEFT_SETTINGS.get(args["peft"], {})),
        seed=seed,
        train=TrainConfig(
            out=args.get("out_dir"),  # read_or_decide.py keeps its supervised start
            eval_every=args["eval_every"],
            eval_envs=args.get("eval_envs", 32),
            test_limit=args.get("test_texts"),
            metric=args.get("metric"),  # read_or_decide.py selects on the validation return
            checkpoint_every=0,
            max_seconds=args["budget"],
            progress=False,
            tensorboard=False,
        ),
    )
    start = time.perf_counter()
    try:
        built = build_run(config, dataset)
        zero_shot = built.evaluate("test", None) if args["zero_shot"] else None
        result = train(built.learner, built.evaluate, config.train)
    except Exception as error:  # a failed run is reported; the rest go on
        return {"learner": learner, "seed": seed, "error": f"{type(error).__name__}: {error}"}
    return {
        "learner": learner,
        "seed": seed,
        "zero_shot": zero_shot,
        "test": result.test,
        "updates": result.updates,
        "env_steps": result.env_steps,
        "train_seconds": round(result.train_seconds, 1),
        "total_seconds": round(time.perf_counter() - start, 1),
    }


def prompt_run(
    spec: dict[str, Any], dataset: Any, learner: str, seed: int, args: dict[str, Any]
) -> dict[str, Any]:
    """Test a prompt baseline (no training) on the first ``prompt_texts`` test texts."""
    import gymnasium as gym

    from agents import evaluate
    from agents.policies.backbones import load_backbone
    from agents.policies.prompting import PromptClassifier

    start = time.perf_counter()
    train_env = gym.make(spec["env"], split="train", dataset=dataset, **spec["env_kwargs"])
    agent = PromptClassifier.from_env(train_env, load_backbone("smollm2"), PROMPTS[learner], seed)
    test = evaluate(
        agent,
        spec["env"],
        split="test",
        limit=args["prompt_texts"],
        num_envs=32,
        dataset=dataset,
        **spec["env_kwargs"],
    )
    return {
        "learner": learner,
        "seed": seed,
        "test": test,
        "updates": 0,
        "env_steps": 0,
        "train_seconds": 0.0,
        "total_seconds": round(time.perf_counter() - start, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="ner")
    parser.add_argument("--data", type=Path, help="../shared/data/conll2003, sst2 or ag_news")
    parser.add_argument(
        "--mode",
        choices=("whole", "read"),
        default="whole",
        help="classification: one step per text, or word by word",
    )
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds per run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--learners", default="supervised,reinforce,ppo,rloo")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time")
    parser.add_argument("--threads", type=int, default=2, help="torch threads in all")
    parser.add_argument("--zero-shot", action="store_true", help="also test before training")
    parser.add_argument("--peft", default="lora", help="the PEFT method (lora, adapter, ...)")
    parser.add_argument(
        "--backbone",
        default="minilm",
        help="minilm, minilm-causal (read mode), or smollm2 (e.g. with --peft prompt_tuning)",
    )
    add_eval_every(parser)
    parser.add_argument(
        "--prompt-texts", type=int, help="test the prompt baselines on the first N test texts"
    )
    parser.add_argument(
        "--test-texts",
        type=int,
        help="test every run on the first N test texts (default: all; the prompt baselines: "
        "--prompt-texts if given)",
    )
    parser.add_argument(
        "--learner-config",
        type=json.loads,
        default={},
        help="JSON of learner settings over the tuned ones, e.g. '{\"batch_size\": 16}'",
    )
    parser.add_argument(
        "--out", type=Path, help="JSON of the runs (default: <task>_rl_vs_supervised.json)"
    )
    parser.add_argument(
        "--table", type=Path, nargs="+", help="only print the table of these JSON files, merged"
    )
    args = parser.parse_args(argv)
    if args.table:
        missing = [str(path) for path in args.table if not path.is_file()]
        if missing:
            parser.error(f"--table: no such file {', '.join(missing)}")
        print_saved_tables(args.table)
        return
    spec = task_spec(args.task, args.mode)
    learners = [name.strip() for name in args.learners.split(",") if name.strip()]
    unknown = sorted(set(learners) - set(LEARNERS) - set(PROMPTS))
    if unknown:
        parser.error(f"unknown learners {unknown}; known: {sorted(LEARNERS)} {sorted(PROMPTS)}")
    if set(learners) & set(PROMPTS) and spec["env"] != "TextClassification-v0":
        parser.error("the prompt baselines are classifiers: use them with --task sst2 or agnews")
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data}: not a folder")
    for flag in ("prompt_texts", "test_texts"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            parser.error(f"--{flag.replace('_', '-')} must be >= 1, got {getattr(args, flag)}")
    if not isinstance(args.learner_config, dict):
        parser.error(f"--learner-config {args.learner_config!r}: not a JSON object")
    shared = {
        "data": str(args.data) if args.data else None,
        "budget": args.budget,
        "threads": max(1, args.threads // args.jobs),
        "zero_shot": args.zero_shot,
        "peft": args.peft,
        "mode": args.mode,
        "backbone": args.backbone,
        "prompt_texts": args.prompt_texts or args.test_texts,
        "test_texts": args.test_texts,
        "eval_every": args.eval_every,
        "learner_config": args.learner_config,
    }
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    # A zero-shot prompt has no seed: it runs once.
    grid = [
        (learner, seed)
        for seed in seeds
        for learner in learners
        if PROMPTS.get(learner) != 0 or seed == args.first_seed
    ]
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(one_run, args.task, learner, seed, shared) for learner, seed in grid]
        runs = []
        for future in futures:
            runs.append(future.result())
            print(json.dumps(runs[-1]), flush=True)
    out = args.out or Path(f"{args.task}_rl_vs_supervised.json")
    out.write_text(json.dumps({"task": args.task, **shared, "runs": runs}, indent=2))
    policy = f"{args.backbone} + {args.peft}"
    print_table(spec, learners, runs, args.budget, policy, args.test_texts)


def add_eval_every(parser: argparse.ArgumentParser) -> None:
    """The ``--eval-every`` option, shared with ``read_or_decide.py``."""
    parser.add_argument(
        "--eval-every",
        type=int,
        default=0,
        help="validate every N updates and test the best policy (0: test the last)",
    )


def print_saved_tables(paths: list[Path]) -> None:
    """The table of earlier runs (e.g. two invocations with different ``--first-seed``)."""
    saved = [json.loads(path.read_text()) for path in paths]
    first = saved[0]
    keys = ("task", "mode", "budget", "backbone", "peft", "test_texts")
    different = [p for p, s in zip(paths, saved) if any(s.get(k) != first.get(k) for k in keys)]
    if different:
        raise SystemExit(f"{different[0]}: not the same {', '.join(keys)} as {paths[0]}")
    runs = [run for s in saved for run in s["runs"]]
    learners = list(dict.fromkeys(run["learner"] for run in runs))
    spec = task_spec(first["task"], first.get("mode", "whole"))
    policy = f"{first.get('backbone', 'minilm')} + {first.get('peft', 'lora')}"
    print_table(spec, learners, runs, first["budget"], policy, first.get("test_texts"))


def print_table(
    spec: dict[str, Any],
    learners: list[str],
    runs: list[dict[str, Any]],
    budget: float,
    policy: str = "minilm + lora",
    test_texts: int | None = None,
) -> None:
    """Mean and range over seeds of each test metric, per learner; the RL/supervised ratio."""
    metrics = spec["metrics"]
    print(f"\n{spec['env']} test set, {policy}, {budget:.0f} s of training per run")
    header = "".join(f" {m + ' (mean, range)':>30}" for m in metrics)
    print(f"{'learner':17}{header} {'env steps':>10} {'seeds':>6}")
    means = {}
    for learner in learners:
        done = [r for r in runs if r["learner"] == learner and "test" in r]
        failed = [r for r in runs if r["learner"] == learner and "error" in r]
        if not done:
            print(f"{learner:17} failed: {failed[0]['error'] if failed else 'no runs'}")
            continue
        cells = []
        for metric in metrics:
            values = [r["test"][metric] for r in done]
            mean = statistics.mean(values)
            cells.append(f"{mean:.3f} ({min(values):.3f}-{max(values):.3f})")
            if metric == metrics[0]:
                means[learner] = mean
        steps = statistics.mean(r["env_steps"] for r in done)
        note = f"  ({len(failed)} failed)" if failed else ""
        if learner in PROMPTS or test_texts:
            note += f"  (first {done[0]['test']['episodes']} test texts)"
        print(
            f"{learner:17}" + "".join(f" {c:>30}" for c in cells) + f" {steps:10,.0f}"
            f" {len(done):6d}{note}"
        )
    rl = {k: v for k, v in means.items() if k in LEARNERS and k != "supervised"}
    if rl and means.get("supervised"):
        best = max(rl, key=rl.__getitem__)
        ratio = rl[best] / means["supervised"]
        print(
            f"best RL learner {best}: {ratio:.3f}x the supervised {metrics[0]} "
            f"(target >= {spec['target']}x)"
        )


if __name__ == "__main__":
    main()
