"""Re-fine-tuning without forgetting: CoNLL-2003 first, then the built-in NER corpus.

For each seed: a MiniLM + LoRA tagger is trained (supervised) on CoNLL-2003 for
``--old-budget`` seconds (the "old" task), then continued on the built-in TextNER-v0 corpus
(the "new" task) from that policy (``init_from``), with each forgetting control:

* ``none``: plain continued training;
* ``kl``: plus ``kl_coef`` times KL(policy || starting policy) on the new data;
* ``replay``: a ``replay_fraction`` share of each epoch's records drawn from CoNLL-2003;
* ``replay+kl``: both;

and, for scale, ``new-only``: a fresh tagger trained on the new corpus alone. Every run on
the new data uses the supervised learner's tuned settings (``agents.training.presets``) and
the same adapter. Old-test is CoNLL-2003 ``eng.testb`` (3,453 sentences), new-test the
built-in test split (seqeval-exact entity F1). Prints a table (mean and range over seeds),
writes the runs as JSON::

    python benchmarks/continual.py --old ../shared/data/conll2003 --seeds 3
    python benchmarks/continual.py --table a/continual.json b/continual.json   # seeds merged

The issue's target: with the controls, old-test F1 drops by at most 1 point while new-test
F1 is within 2 points of ``new-only``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

CONDITIONS = ("new-only", "none", "kl", "replay", "replay+kl")
PEFT = {"r": 16, "alpha": 32, "target_modules": "all-linear"}  # the CoNLL setting


def old_dataset(folder: Path) -> dict[str, list[Any]]:
    """CoNLL-2003's splits (IOB1 read as IOB2): train, validation (testa), test (testb)."""
    from textenvs.data import load_conll

    names = {"train": "eng.train", "validation": "eng.testa", "test": "eng.testb"}
    return {split: load_conll(folder / name) for split, name in names.items()}


def run_config(seed: int, out: Path, **settings: Any) -> Any:
    """A supervised TextNER-v0 run on MiniLM + LoRA (the CoNLL setting) writing to ``out``."""
    from agents.training.loop import TrainConfig
    from agents.training.runs import RunConfig

    train = {"eval_every": 0, "checkpoint_every": 0, "progress": False, "tensorboard": False}
    train.update(settings.pop("train", {}))
    return RunConfig(
        env="TextNER-v0",
        learner="supervised",
        backbone="minilm",
        peft="lora",
        peft_kwargs=dict(PEFT),
        seed=seed,
        train=TrainConfig(out=str(out), **train),
        **settings,
    )


def test_f1(policy: Any, dataset: Any) -> float:
    """Test-split entity F1 of ``policy`` on ``dataset`` (None: the built-in corpus)."""
    from agents.common.evaluation import evaluate

    return evaluate(policy, "TextNER-v0", split="test", dataset=dataset, num_envs=64)["f1"]


def one_seed(seed: int, args: argparse.Namespace, old: dict[str, list[Any]]) -> list[dict]:
    """The old run (reused if its folder holds one), then every condition on the new data."""
    from agents.training.loop import train
    from agents.training.runs import build_run, load_policy

    folder = args.out / f"seed{seed}"
    start = folder / "old"
    rows: list[dict[str, Any]] = []
    if not (start / "best" / "policy_config.json").is_file():
        config = run_config(
            seed, start, learner_config={"epochs": 1_000}, train={"max_seconds": args.old_budget}
        )
        begun = time.perf_counter()
        built = build_run(config, old)
        train(built.learner, built.evaluate, config.train)
        print(f"seed {seed}: old task trained in {time.perf_counter() - begun:.0f} s", flush=True)
    policy = load_policy(start / "best")
    tested = json.loads((start / "results.json").read_text())["test"]  # the old run's, on CoNLL
    before = {"old_test": tested["f1"], "new_test": test_f1(policy, None)}
    rows.append({"seed": seed, "condition": "start", **before})
    print(json.dumps(rows[-1]), flush=True)
    for condition in args.conditions:
        settings: dict[str, Any] = {}
        if condition != "new-only":
            settings["init_from"] = str(start)
        if "kl" in condition.split("+"):
            settings["learner_config"] = {"kl_coef": args.kl_coef}
        if "replay" in condition:
            settings["replay_data"] = str(args.old)
            settings["replay_fraction"] = args.replay_fraction
        out = folder / condition.replace("+", "-")
        shutil.rmtree(out, ignore_errors=True)  # a rerun starts afresh (the old run stays)
        config = run_config(seed, out, **settings)
        begun = time.perf_counter()
        built = build_run(config)
        result = train(built.learner, built.evaluate, config.train)
        row = {
            "seed": seed,
            "condition": condition,
            "new_test": result.test["f1"],
            "old_test": test_f1(built.learner.policy, old) if condition != "new-only" else None,
            "updates": result.updates,
            "train_seconds": round(result.train_seconds, 1),
            "total_seconds": round(time.perf_counter() - begun, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    """Old-test and new-test F1 per condition: mean (range) over seeds, and the targets."""

    def cell(values: list[float]) -> str:
        if not values:
            return "-"
        return f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})"

    def values(condition: str, key: str) -> list[float]:
        return [r[key] for r in rows if r["condition"] == condition and r[key] is not None]

    print(f"\n{'condition':12} {'old-test F1':>24} {'new-test F1':>24} {'train s':>8}")
    for condition in ("start", *CONDITIONS):
        if not values(condition, "new_test"):
            continue
        seconds = [r.get("train_seconds", 0.0) for r in rows if r["condition"] == condition]
        print(
            f"{condition:12} {cell(values(condition, 'old_test')):>24} "
            f"{cell(values(condition, 'new_test')):>24} {statistics.mean(seconds):8.0f}"
        )
    start, alone = values("start", "old_test"), values("new-only", "new_test")
    for condition in ("kl", "replay", "replay+kl", "none"):
        olds, news = values(condition, "old_test"), values(condition, "new_test")
        if olds and start and alone:
            kept = 100 * (statistics.mean(olds) - statistics.mean(start))
            learned = 100 * (statistics.mean(news) - statistics.mean(alone))
            met = kept >= -1.0 and learned >= -2.0
            print(
                f"{condition}: old-test {kept:+.1f} points against the start (target >= -1), "
                f"new-test {learned:+.1f} against new-only (target >= -2): "
                f"{'met' if met else 'not met'}"
            )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, help="../shared/data/conll2003 (required to run)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--old-budget", type=float, default=300.0, help="seconds on CoNLL")
    parser.add_argument("--kl-coef", type=float, default=0.1)
    parser.add_argument("--replay-fraction", type=float, default=0.5)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--out", type=Path, default=Path("continual_runs"))
    parser.add_argument(
        "--table", type=Path, nargs="+", help="only print the table of these continual.json files"
    )
    args = parser.parse_args(argv)
    if args.table:
        rows = [row for path in args.table for row in json.loads(path.read_text())["runs"]]
        print_table(rows)
        return
    args.conditions = [c.strip() for c in args.conditions.split(",") if c.strip()]
    unknown = sorted(set(args.conditions) - set(CONDITIONS))
    if unknown:
        parser.error(f"unknown conditions {unknown}; known: {list(CONDITIONS)}")
    if args.old is None or not args.old.is_dir():
        parser.error(f"--old {args.old}: not a folder (CoNLL-2003's eng.train, eng.testa, ...)")
    import torch

    torch.set_num_threads(args.threads)
    old = old_dataset(args.old)
    rows: list[dict[str, Any]] = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        rows += one_seed(seed, args, old)
        settings = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        (args.out / "continual.json").write_text(
            json.dumps({"settings": settings, "runs": rows}, indent=2)
        )
    print_table(rows)


if __name__ == "__main__":
    main()
