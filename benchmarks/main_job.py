"""The README's main job, timed: where its wall time goes, run by run.

Runs the main job's bench (the README's command: baselines, supervised and RLOO on the
built-in TextNER-v0 with each learner's tuned length) in a temporary folder and prints, per
run, the test F1 and the seconds spent training, evaluating (validation curve points and the
test split) and in all. The last line is the key figure: evaluation's share of the learners'
wall time (target: at most a tenth) and the whole job's wall time (target: at most 3 minutes
on 2 idle cores)::

    python benchmarks/main_job.py
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

from agents.bench import BenchConfig, run_bench

ROOT = Path(__file__).resolve().parents[1]


def main_job_arguments() -> list[str]:
    """The README's main-job command, as arguments of ``textenvs``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"Main job.*?```bash\n(.*?)```", readme, re.S)
    if command is None:
        sys.exit("README.md has no main job")
    return command.group(1).split()[1:]


def option(arguments: list[str], name: str, default: str) -> str:
    return arguments[arguments.index(name) + 1] if name in arguments else default


def main() -> None:
    arguments = main_job_arguments()
    with tempfile.TemporaryDirectory() as folder:
        config = BenchConfig(
            envs=option(arguments, "--envs", "TextNER-v0").split(","),
            agents=option(arguments, "--agents", "random,memorizer").split(","),
            seeds=int(option(arguments, "--seeds", "1")),
            out=str(Path(folder) / "bench"),
        )
        start = time.perf_counter()
        rows = run_bench(config)
        wall = time.perf_counter() - start
    print("| run | test f1 | train s | eval s | wall s |\n|---|---|---|---|---|")
    learner_wall = learner_eval = 0.0
    for row in rows:
        name = f"{row['agent']} (seed {row['seed']})"
        if "error" in row:
            print(f"| {name} | failed: {row['error']} | | | |")
            continue
        train = row.get("train_seconds", 0.0)
        evaluation = row.get("eval_seconds", row["wall_seconds"] - train)
        print(
            f"| {name} | {row['test']['f1']:.3f} | {train:.1f} | {evaluation:.1f} | "
            f"{row['wall_seconds']:.1f} |"
        )
        if "eval_seconds" in row:
            learner_wall += row["wall_seconds"]
            learner_eval += row["eval_seconds"]
    share = learner_eval / learner_wall if learner_wall else 0.0
    print(
        f"evaluation takes {share:.1%} of the learners' wall time (target <= 10%); "
        f"the main job took {wall:.0f} s (target <= 180 s on 2 idle cores)"
    )


if __name__ == "__main__":
    main()
