"""The ``textenvs`` command: list what is registered, train a run, evaluate a saved one.

    textenvs list
    textenvs train --env TextNER-v0 --learner ppo --backbone minilm --peft lora --out runs/x
    textenvs train --config run.yaml --out runs/x learner_config.learning_rate=3e-4
    textenvs train --out runs/x --resume
    textenvs train --learner rloo --out runs/x --num-processes 2   # data-parallel (torchrun)
    textenvs eval --checkpoint runs/x --split test
    textenvs export --checkpoint runs/x --out model/   # a transformers model, adapter merged
    textenvs bench --envs TextNER-v0,TextClassification-v0 --agents random,memorizer,ppo \
        --seeds 3 --budget 10m --out bench/
    textenvs bench --agents ppo,rloo --seeds 5 --backend ray --address auto   # on a Ray cluster

Bad arguments get one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import textenvs
from agents.bench.config import SB3_AGENTS, BenchConfig, parse_budget
from agents.bench.report import format_table, summarize
from agents.bench.run import run_bench
from agents.common import distributed
from agents.common.config import describe, load_config
from agents.common.evaluation import evaluate
from agents.policies.backbones import EMBEDDED, TINY
from agents.policies.peft_methods import PEFT_METHODS
from agents.training.export import EXPORT_FILE, export_run
from agents.training.folder import lock_run_folder, write_atomically
from agents.training.loop import train
from agents.training.runs import (
    LEARNER_CONFIGS,
    LEARNERS,
    RunConfig,
    build_run,
    check_resumable,
    env_kwargs,
    load_policy,
)
from textenvs.data.text_loaders import BUILTIN_CLASSIFICATION
from textenvs.envs.ner import REWARD_MODES
from textenvs.errors import InputError
from textenvs.rewards import ROUGE_TYPES

EXIT_USAGE = 2


class UsageError(InputError):
    """A bad argument, reported as one line."""


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("textenvs: interrupted", file=sys.stderr)
        return 130
    except InputError as error:  # the user's input; anything else is a bug: its traceback shows
        print(f"textenvs {args.command}{_process()}: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except FloatingPointError as error:  # training diverged; the last checkpoint is intact
        print(f"textenvs {args.command}{_process()}: stopped: {error}", file=sys.stderr)
        return 1


def _process() -> str:
    """`` (process N)`` in a data-parallel run's workers, else nothing."""
    return f" (process {os.environ['RANK']})" if os.environ.get("RANK", "0") != "0" else ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textenvs", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    listing = commands.add_parser("list", help="env ids, learners, PEFT methods, backbones")
    listing.set_defaults(run=_list)

    train = commands.add_parser("train", help="train a policy (the learners' training loop)")
    train.add_argument("overrides", nargs="*", help="key=value config settings (dotted keys)")
    train.add_argument("--config", type=Path, help="a YAML run config")
    train.add_argument("--env", help="registered env id (default TextNER-v0)")
    train.add_argument(
        "--learner", help="rloo (the default), grpo, ppo, a2c, reinforce or supervised"
    )
    train.add_argument(
        "--backbone", help="minilm, minilm-causal, smollm2, tiny-bert, tiny-causal, hub name, path"
    )
    train.add_argument(
        "--peft", help=f"{', '.join(PEFT_METHODS)} (settings: peft_kwargs.NAME=VALUE)"
    )
    train.add_argument("--seed", type=int)
    train.add_argument("--data", help="a dataset folder (train/validation/test files)")
    train.add_argument(
        "--init-from",
        help="a trained run folder to start from (e.g. an SFT run): its policy, merged, is "
        "the start and the KL reference; a new adapter trains on top",
    )
    train.add_argument("--out", type=Path, help="the run folder (required to train)")
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out; a larger learner_config.updates or train.max_seconds "
        "trains on",
    )
    train.add_argument(
        "--help-config",
        action="store_true",
        help="list every config key (key=value overrides) with its default and help, then exit",
    )
    train.add_argument(
        "--num-processes",
        type=int,
        default=1,
        help="data-parallel processes on this machine (started with torchrun; one per GPU)",
    )
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("eval", help="evaluate a trained run's best policy")
    evaluate.add_argument("--checkpoint", type=Path, required=True, help="a run folder")
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--limit", type=int, help="the first N records only")
    evaluate.set_defaults(run=_eval)

    export = commands.add_parser(
        "export", help="write a run's policy as a transformers model directory (for pipeline)"
    )
    export.add_argument("--checkpoint", type=Path, required=True, help="a run folder")
    export.add_argument("--out", type=Path, required=True, help="the model directory to write")
    export.add_argument("--policy", default="best", help="the run's saved policy (subfolder)")
    export.set_defaults(run=_export)

    bench = commands.add_parser("bench", help="agents x envs x seeds: table, JSON, report, plots")
    bench.add_argument("--envs", default="TextNER-v0", help="comma-separated env ids")
    bench.add_argument(
        "--agents",
        default="random,memorizer",
        help="comma-separated: random, memorizer, a learner (ppo, rloo, supervised, ...) "
        "or package.module:Class",
    )
    bench.add_argument("--seeds", type=int, default=3)
    bench.add_argument(
        "--budget",
        help="training time per run, with its unit (90s, 10m, 1h), for equal-time "
        "comparisons; default: each learner's tuned length in updates or epochs",
    )
    bench.add_argument("--out", type=Path, default=Path("bench"))
    bench.add_argument("--backbone", default="minilm")
    bench.add_argument("--peft", default="lora")
    bench.add_argument(
        "--eval-every",
        type=int,
        help="updates between curve points (default: 6 points over a learner's tuned length; "
        "every 10 updates with --budget)",
    )
    bench.add_argument("--eval-limit", type=int, default=100, help="validation records per point")
    bench.add_argument("--jobs", type=int, default=1, help="runs at a time")
    bench.add_argument("--threads", type=int, help="torch threads per run")
    bench.add_argument("--data", help="a dataset folder for every env (train/validation/test)")
    bench.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local: processes here; ray: one Ray task per run (pip install 'textenvs[ray]')",
    )
    bench.add_argument("--address", help="ray: join the cluster at this address")
    bench.add_argument("--cpus-per-run", type=int, default=1, help="ray: CPUs per run")
    bench.add_argument("--gpus-per-run", type=float, default=0.0, help="ray: GPUs per run")
    bench.add_argument(
        "--overwrite", action="store_true", help="replace an earlier bench's results in --out"
    )
    bench.set_defaults(run=_bench)
    return parser


def _list(args: argparse.Namespace) -> None:
    rouge = f"reward {' | '.join(ROUGE_TYPES)} | a mix | your callable"
    details = {
        "TextNER-v0": f"reward {' | '.join(REWARD_MODES)}; built-in dataset: ner",
        "TextClassification-v0": "mode read | whole; reward +1 / wrong_reward / -read_cost; "
        f"built-in datasets: {', '.join(BUILTIN_CLASSIFICATION)}",
        "TextSummarization-v0": f"{rouge}; built-in dataset: summarization",
        "TextExtractiveSummarization-v0": f"{rouge}; built-in dataset: summarization",
    }
    print("environments (dataset= a built-in name or records; --data a folder):")
    for env_id in textenvs.ENV_IDS:
        print(f"  {env_id:32} {details.get(env_id, '')}")
    print(f"learners: {', '.join(LEARNERS)}")
    print(
        f"agents: random, memorizer, {', '.join(SB3_AGENTS)}, every learner above, "
        "or package.module:Class"
    )
    print(f"PEFT methods: {', '.join(PEFT_METHODS)}")
    print(f"embedded backbones: {', '.join((*EMBEDDED, *TINY))} (or a hub name or local path)")


def _train(args: argparse.Namespace) -> int | None:
    if args.help_config:
        print_config_keys(args.learner)
        return None
    if args.out is None:
        raise UsageError("--out is required: the run folder")
    if args.num_processes < 1:
        raise UsageError(f"--num-processes must be >= 1, got {args.num_processes}")
    if args.num_processes > 1 and not distributed.launched():
        return _launch(args)
    flags = {
        "env": args.env,
        "learner": args.learner,
        "backbone": args.backbone,
        "peft": args.peft,
        "seed": args.seed,
        "data": args.data,
        "init_from": args.init_from,
    }
    overrides = [f"{k}={v}" for k, v in flags.items() if v is not None]
    if args.resume:
        saved_path = args.out / "run_config.json"
        if not saved_path.is_file():
            raise UsageError(f"{args.out}: no run to resume (no run_config.json)")
        saved = load_config(RunConfig, saved_path)
        config = load_config(RunConfig, saved_path, [*overrides, *args.overrides])
        check_resumable(saved, config)
    else:
        config = load_config(RunConfig, args.config, [*overrides, *args.overrides])
    config.train.out = str(args.out)
    if not args.resume and (args.out / "checkpoint.pt").exists():
        raise UsageError(f"{args.out} already holds a run: add --resume, or pick another --out")
    built = build_run(config)
    main = built.learner.distributed.is_main
    if not args.resume and main:
        try:
            lock_run_folder(args.out)  # before writing anything: one run at a time in a folder
        except OSError as error:
            raise UsageError(f"--out {args.out}: {error.strerror or error}") from None
        write_atomically(
            args.out / "run_config.json", json.dumps(built.info()["run_config"], indent=2)
        )
    result = train(
        built.learner, built.evaluate, config.train, resume=args.resume, run_info=built.info()
    )
    if main:
        print(result.summary(config.train.eval_split))
    distributed.finish()
    return None


def print_config_keys(learner: str | None = None) -> None:
    """Every ``key=value`` a run takes: the run's keys, then each learner's settings."""
    rows = [row for row in describe(RunConfig) if row[0] != "learner_config"]
    print("run keys (key=value; train.* are the training loop's):")
    for key, default, text in rows:
        print(f"  {key:34} {default:14} {text}")
    for name in [learner] if learner else LEARNERS:
        if name not in LEARNER_CONFIGS:
            raise UsageError(f"unknown learner {name!r}; choose one of {', '.join(LEARNERS)}")
        print(f"learner_config keys of {name} (learner_config.KEY=value):")
        for key, default, text in describe(LEARNER_CONFIGS[name], "learner_config."):
            print(f"  {key:34} {default:14} {text}")


def _launch(args: argparse.Namespace) -> int:
    """Run this very ``train`` command in ``--num-processes`` processes under torchrun."""
    argv, rest = [], iter(args.argv)
    for token in rest:  # the same arguments, less --num-processes
        if token == "--num-processes":
            next(rest, None)
        elif not token.startswith("--num-processes="):
            argv.append(token)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={args.num_processes}",
        "-m",
        "agents.cli",
        *argv,
    ]
    threads = max(1, (os.cpu_count() or 1) // args.num_processes)
    environment = {"OMP_NUM_THREADS": str(threads), **os.environ}  # the user's setting wins
    return subprocess.call(command, env=environment)


def _eval(args: argparse.Namespace) -> None:
    if args.limit is not None and args.limit < 1:
        raise UsageError(f"--limit must be >= 1, got {args.limit}")
    folder: Path = args.checkpoint
    if not (folder / "run_config.json").is_file():
        raise UsageError(f"{folder}: not a run folder of `textenvs train` (no run_config.json)")
    config = load_config(RunConfig, folder / "run_config.json")
    policy = load_policy(folder / "best")
    kwargs = env_kwargs(config, policy)
    metrics = evaluate(
        policy,
        config.env,
        split=args.split,
        limit=args.limit,
        num_envs=config.train.eval_envs,
        **kwargs,
    )
    print(json.dumps({"env": config.env, "split": args.split, **metrics}, indent=2))


def _export(args: argparse.Namespace) -> None:
    out = export_run(args.checkpoint, args.out, policy=args.policy)
    task = json.loads((out / EXPORT_FILE).read_text(encoding="utf-8"))["pipeline_task"]
    print(f'{out}: load it with transformers.pipeline("{task}", model="{out}")')


def _bench(args: argparse.Namespace) -> int:
    config = BenchConfig(
        envs=[e.strip() for e in args.envs.split(",") if e.strip()],
        agents=[a.strip() for a in args.agents.split(",") if a.strip()],
        seeds=args.seeds,
        budget=parse_budget(args.budget) if args.budget is not None else None,
        out=str(args.out),
        backbone=args.backbone,
        peft=args.peft,
        eval_every=args.eval_every,
        eval_limit=args.eval_limit,
        jobs=args.jobs,
        threads=args.threads,
        data=args.data,
        backend=args.backend,
        address=args.address,
        cpus_per_run=args.cpus_per_run,
        gpus_per_run=args.gpus_per_run,
        overwrite=args.overwrite,
    )
    rows = run_bench(config)
    print(format_table(summarize(rows)))
    print(f"results: {args.out / 'results.json'}, report: {args.out / 'report.md'}")
    failed = sum("error" in r for r in rows)
    if failed:
        print(f"{failed} of {len(rows)} runs failed (see the table)", file=sys.stderr)
    return 1 if failed == len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
