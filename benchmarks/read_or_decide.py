r"""Read or decide: accuracy against the fraction of words read, over a sweep of ``read_cost``.

TextClassification-v0 in ``mode="read"`` reveals a text word by word; each read costs
``read_cost`` and an answer earns +1 if right, -1 if wrong. An RL learner (PPO by default,
its tuned settings) trains a policy that reads on or answers, for ``--budget`` seconds per
read cost and seed; each policy is then tested on the test split, which gives its accuracy,
macro-F1 and mean fraction of words read. A higher cost should buy earlier answers at some
accuracy; the table and the plot show the trade-off, next to the accuracy of the whole-text
supervised classifier of ``benchmarks/rl_vs_supervised.py --mode whole`` (``--whole
its.json``), with the target: a point at >= 0.95x that accuracy reading <= 50% of the words.

The backbone reads each text once, left to right: ``minilm-causal`` (all-MiniLM-L6-v2 with
a causal attention mask, so that acting extends a KV cache word by word and the learner's
gradient pass reads each text in one pass) by default, or ``smollm2`` (a causal LM). A
bidirectional encoder (``--backbone minilm``) re-reads every prefix: honest but O(n^2).
``--start-budget S`` first trains a supervised read-mode policy (it reads every word, then
answers) for S seconds per seed, and each RL run starts from it (SFT, then RL, with its
rewards only); ``--prefix-answers`` also trains that start's answer at every prefix.
``--start-from DIR`` reuses a start saved by an earlier run (``<out>_start_seed{seed}``;
``{seed}`` in DIR stands for the seed) instead of training one. ``--eval-every N`` validates
every N RL updates and tests the policy with the best validation return (``--select-on``):
the env's reward, answers and read costs together, the quantity RL maximises::

    python benchmarks/read_or_decide.py --task agnews --data ../shared/data/ag_news \
        --whole agnews_whole.json --out agnews_read.json --plot agnews_read.png
    python benchmarks/read_or_decide.py --task agnews --budget 30 --seeds 1 \
        --read-costs 0,0.02   # the built-in topic corpus, quick
    python benchmarks/read_or_decide.py --task agnews --data ../shared/data/ag_news \
        --start-from agnews_read_start_seed{seed} --read-costs 0.004 --out agnews_0.004.json
    python benchmarks/read_or_decide.py --table agnews_read.json --whole agnews_whole.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from rl_vs_supervised import PEFT_SETTINGS, add_eval_every, one_run

TARGET_RATIO, TARGET_FRACTION = 0.95, 0.5
"""The issue's target: >= 0.95x whole-text supervised accuracy, reading <= 50% of words."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=("agnews", "sst2"), default="agnews")
    parser.add_argument("--data", type=Path, help="../shared/data/ag_news or sst2")
    parser.add_argument("--learner", default="ppo", help="ppo, reinforce or rloo")
    parser.add_argument("--read-costs", default="0,0.005,0.01,0.02,0.04")
    parser.add_argument("--budget", type=float, default=240.0, help="training seconds per run")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--backbone", default="minilm-causal")
    parser.add_argument("--peft", default="lora")
    add_eval_every(parser)
    parser.add_argument(
        "--select-on",
        choices=("mean_return", "accuracy", "macro_f1"),
        default="mean_return",
        help="validation metric that picks the best policy with --eval-every: mean_return "
        "(the env's reward: answers and read costs together, what RL maximises) or accuracy",
    )
    parser.add_argument(
        "--start-budget",
        type=float,
        default=0.0,
        help="first train a supervised read-mode policy (reads every word, then answers) for "
        "this many seconds per seed, and start each RL run from it (0: RL from scratch)",
    )
    parser.add_argument(
        "--prefix-answers",
        action="store_true",
        help="the supervised start also trains the answer at every prefix (prefix_answers)",
    )
    parser.add_argument(
        "--start-from",
        help="start each RL run from this saved supervised start ({seed}: the seed) "
        "instead of training one",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--whole", type=Path, nargs="*", default=[], help="whole-mode runs")
    parser.add_argument("--out", type=Path, help="JSON of the runs (default: <task>_read.json)")
    parser.add_argument("--plot", type=Path, help="PNG of accuracy against fraction read")
    parser.add_argument("--table", type=Path, nargs="+", help="only print these runs, merged")
    args = parser.parse_args(argv)
    missing = [str(path) for path in (args.table or []) + args.whole if not path.is_file()]
    if missing:
        parser.error(f"--table/--whole: no such file {', '.join(missing)}")
    whole = whole_supervised_accuracy(args.whole)
    if args.table:
        saved = [json.loads(path.read_text()) for path in args.table]
        runs = [{"select_on": s.get("select_on")} | run for s in saved for run in s["runs"]]
        print_table(runs, whole, saved[0])
        if args.plot:
            plot(runs, whole, args.plot, saved[0])
        return
    if args.data is not None and not args.data.is_dir():
        parser.error(f"--data {args.data}: not a folder")
    try:
        costs = [float(c) for c in args.read_costs.split(",") if c.strip()]
    except ValueError:
        parser.error(f"--read-costs {args.read_costs!r}: not a comma-separated list of numbers")
    if any(c < 0 for c in costs):
        parser.error("--read-costs: a read cost is >= 0")
    if args.start_from and args.start_budget > 0:
        parser.error("--start-from and --start-budget: give one (reuse a start, or train one)")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    saved_starts = {seed: saved_start(args.start_from, seed) for seed in seeds}
    if args.start_from and None in saved_starts.values():
        missing = [start_dir(args.start_from, s) for s, v in saved_starts.items() if v is None]
        parser.error(f"--start-from: no saved start (results.json) in {', '.join(missing)}")
    settings = {
        "task": args.task,
        "learner": args.learner,
        "budget": args.budget,
        "backbone": args.backbone,
        "peft": args.peft,
        "peft_kwargs": PEFT_SETTINGS.get(args.peft, {}),
        "start_budget": args.start_budget,
        "prefix_answers": args.prefix_answers,
        "eval_every": args.eval_every,
        "select_on": args.select_on if args.eval_every else None,
    }
    if args.start_from:
        first = next(iter(saved_starts.values()))
        settings["start_from"] = args.start_from
        settings["start_budget"] = first["config"]["max_seconds"] if first else 0.0
    shared = {
        "data": str(args.data) if args.data else None,
        "budget": args.budget,
        "threads": args.threads,
        "zero_shot": False,
        "peft": args.peft,
        "mode": "read",
        "backbone": args.backbone,
        "prompt_texts": None,
        "eval_every": args.eval_every,
        "metric": args.select_on,
        "eval_envs": 128,  # texts read side by side when testing: one batched pass per step
    }
    out = args.out or Path(f"{args.task}_read.json")
    # A reused start is reported once, however many seeds start from it.
    reused = {start_dir(args.start_from, seed): seed for seed in reversed(seeds) if args.start_from}
    runs = [
        {"read_cost": None, "learner": "supervised", "seed": seed, "start_dir": folder}
        | {"test": saved_starts[seed]["test"]}
        for folder, seed in reused.items()
    ]
    # One worker: runs go in submission order, so each seed's start is there before its RL.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        futures = []
        starts = {seed: start_dir(args.start_from, seed) for seed in seeds if args.start_from}
        for seed in seeds:
            if args.start_budget > 0:
                starts[seed] = str(out.with_suffix("")) + f"_start_seed{seed}"
                start_args = {
                    **shared,
                    "budget": args.start_budget,
                    "metric": None,  # the start reads every word: select on accuracy
                    "out_dir": starts[seed],
                    "learner_config": {"prefix_answers": args.prefix_answers},
                }
                futures.append(
                    (None, pool.submit(one_run, args.task, "supervised", seed, start_args))
                )
        for cost in costs:
            for seed in seeds:
                run_args = {**shared, "read_cost": cost, "init_from": starts.get(seed)}
                futures.append(
                    (cost, pool.submit(one_run, args.task, args.learner, seed, run_args))
                )
        for cost, future in futures:
            picked = settings["select_on"] if cost is not None else None
            runs.append({"read_cost": cost, "select_on": picked, **future.result()})
            print(json.dumps(runs[-1]), flush=True)
    out.write_text(json.dumps({**settings, "runs": runs}, indent=2))
    print_table(runs, whole, settings)
    if args.plot:
        plot(runs, whole, args.plot, settings)


def start_dir(pattern: str, seed: int) -> str:
    """``--start-from``'s folder for one seed: ``{seed}`` in the pattern is the seed."""
    return pattern.replace("{seed}", str(seed))


def saved_start(pattern: str | None, seed: int) -> dict[str, Any] | None:
    """The ``results.json`` of a supervised start saved by an earlier run, if there is one."""
    if not pattern:
        return None
    results = Path(start_dir(pattern, seed)) / "results.json"
    return json.loads(results.read_text()) if results.is_file() else None


def whole_supervised_accuracy(paths: list[Path]) -> float | None:
    """Mean test accuracy of the supervised runs in ``rl_vs_supervised.py`` whole-mode JSON."""
    values = []
    for path in paths:
        saved = json.loads(path.read_text())
        if saved.get("mode", "whole") != "whole":
            raise SystemExit(f"{path}: not a whole-mode run of rl_vs_supervised.py")
        values += [r["test"]["accuracy"] for r in saved["runs"] if r["learner"] == "supervised"]
    return statistics.mean(values) if values else None


def points(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean (and range over seeds) accuracy, macro-F1 and fraction read of each point.

    A point is a read cost and the way its policies were picked (last, or best on validation).
    """
    by_point: dict[tuple[float, str], list[dict[str, Any]]] = {}
    for run in runs:
        if "test" in run and run["read_cost"] is not None:  # not a supervised start
            key = (run["read_cost"], run.get("select_on") or "")
            by_point.setdefault(key, []).append(run["test"])
    rows = []
    for cost, select_on in sorted(by_point):
        tests = by_point[cost, select_on]
        row: dict[str, Any] = {"read_cost": cost, "select_on": select_on, "seeds": len(tests)}
        for metric in ("accuracy", "macro_f1", "mean_fraction_read"):
            values = [t[metric] for t in tests]
            row[metric] = (statistics.mean(values), min(values), max(values))
        rows.append(row)
    return rows


def supervised_starts(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The supervised starts among the runs, each once.

    Runs merged from several files repeat a start that several sweeps reused; the same
    start has the same test figures.
    """
    starts: dict[str, dict[str, Any]] = {}
    for run in runs:
        if run.get("read_cost") is None and "test" in run:
            starts.setdefault(json.dumps(run["test"], sort_keys=True), run)
    return list(starts.values())


def picked(select_on: str) -> str:
    """How a point's policies were picked: the last one, or the best on validation."""
    return f"best {select_on}" if select_on else "last"


def print_table(runs: list[dict[str, Any]], whole: float | None, settings: dict[str, Any]) -> None:
    """One row per read cost; the ratio to the whole-text supervised accuracy; the target."""
    start = settings.get("start_budget", 0)
    print(
        f"\n{settings['task']} test set, read mode, {settings['learner']}, "
        f"{settings['backbone']} + {settings['peft']}, {settings['budget']:.0f} s per run"
        + (f", after a {start:.0f} s supervised start" if start else "")
    )
    print(
        f"{'read cost':>9} {'accuracy (mean, range)':>24} {'macro-F1':>9} "
        f"{'fraction read':>22} {'x whole sup.':>12} {'seeds':>6}  policy"
    )
    for row in points(runs):
        accuracy, f1, fraction = row["accuracy"], row["macro_f1"], row["mean_fraction_read"]
        ratio = f"{accuracy[0] / whole:12.3f}" if whole else f"{'-':>12}"
        print(
            f"{row['read_cost']:9g} {accuracy[0]:8.3f} ({accuracy[1]:.3f}-{accuracy[2]:.3f})"
            f" {f1[0]:9.3f} {fraction[0]:8.3f} ({fraction[1]:.3f}-{fraction[2]:.3f})"
            f" {ratio} {row['seeds']:6d}  {picked(row['select_on'])}"
        )
    for run in runs:
        if "error" in run:
            print(f"read cost {run['read_cost']}, seed {run['seed']}: failed: {run['error']}")
    for run in supervised_starts(runs):
        test, budget = run["test"], settings.get("start_budget", 0)
        where = f"{run['start_dir']}" if run.get("start_dir") else f"seed {run['seed']}"
        print(
            f"supervised start, {where} ({budget:.0f} s): "
            f"accuracy {test['accuracy']:.3f}, {test['mean_fraction_read']:.1%} of the words"
        )
    if whole:
        within = [r for r in points(runs) if r["mean_fraction_read"][0] <= TARGET_FRACTION]
        best = max(within, key=lambda r: r["accuracy"][0], default=None)
        if best is None:
            print(f"no point reads <= {TARGET_FRACTION:.0%} of the words")
        else:
            print(
                f"best point reading <= {TARGET_FRACTION:.0%}: read cost {best['read_cost']} "
                f"({picked(best['select_on'])} policy), "
                f"{best['accuracy'][0] / whole:.3f}x the whole-text supervised accuracy "
                f"{whole:.3f}, {best['mean_fraction_read'][0]:.1%} of the words "
                f"(target >= {TARGET_RATIO}x)"
            )


def plot(
    runs: list[dict[str, Any]], whole: float | None, path: Path, settings: dict[str, Any]
) -> None:
    """Accuracy against mean fraction of words read, one point per read cost."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    for select_on in sorted({r["select_on"] for r in points(runs)}):
        rows = [r for r in points(runs) if r["select_on"] == select_on]
        x = [r["mean_fraction_read"][0] for r in rows]
        y = [r["accuracy"][0] for r in rows]
        low = [r["accuracy"][0] - r["accuracy"][1] for r in rows]
        high = [r["accuracy"][2] - r["accuracy"][0] for r in rows]
        label = f"{settings['learner']}, {picked(select_on)} policy"
        axes.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, linestyle="", label=label)
        for row, xi, yi in zip(rows, x, y):
            axes.annotate(
                f"{row['read_cost']:g}", (xi, yi), textcoords="offset points", xytext=(4, 4)
            )
    starts = [r["test"] for r in supervised_starts(runs)]
    if starts:
        axes.scatter(
            [t["mean_fraction_read"] for t in starts],
            [t["accuracy"] for t in starts],
            marker="s",
            color="black",
            label="supervised start",
        )
    if whole:
        axes.axhline(whole, color="gray", linestyle="--", label="whole text, supervised")
        axes.axhline(TARGET_RATIO * whole, color="gray", linestyle=":", label="0.95x of it")
        axes.axvline(TARGET_FRACTION, color="lightgray", linestyle=":")
    axes.set_xlabel("mean fraction of words read")
    axes.set_ylabel("test accuracy")
    axes.set_xlim(0, 1.02)
    axes.set_title(f"{settings['task']}: read or decide (labels: read cost)")
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"plot: {path}")


if __name__ == "__main__":
    main()
