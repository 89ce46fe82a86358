"""Train the tiny NER task under torchrun (or in one process) and report; see test_distributed.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/distributed_worker.py OUT
    python tests/distributed_worker.py OUT          # the single-process counterpart

For every learner it trains one run with the same global batch, checking after every update
that all processes hold identical parameters, and writes ``OUT/report.json`` (main process):
the largest parameter gap between processes after each update, the test metrics and the env
steps. It also trains RLOO stopped after update 4 and resumed, next to an uninterrupted
run, and saves both runs' final parameters (``OUT/<run>.pt``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import torch

from agents.common import distributed
from agents.training.loop import TrainConfig, train
from agents.training.runs import RunConfig, build_run
from textenvs.data import TaggedSentence

TINY = [
    TaggedSentence(("Ann", "met", "Bob", "in", "Rome"), ("B-PER", "O", "B-PER", "O", "B-LOC")),
    TaggedSentence(("Acme", "hired", "Ann"), ("B-ORG", "O", "B-PER")),
    TaggedSentence(("Rome", "is", "big"), ("B-LOC", "O", "O")),
    TaggedSentence(("Bob", "left", "Acme", "Corp"), ("B-PER", "O", "B-ORG", "I-ORG")),
]
DATA = {"train": TINY, "validation": TINY, "test": TINY}
# Global batches: every setting is split over the processes (16 sub-envs -> 8 + 8, ...).
RUNS: dict[str, dict[str, Any]] = {
    "supervised": {
        "learner_config": {
            "epochs": 30,
            "batch_size": 4,
            "learning_rate": 3e-3,
            "head_learning_rate": 3e-2,
        }
    },
    "ppo": {
        "env_kwargs": {"reward": "token"},
        "num_envs": 16,
        "learner_config": {
            "updates": 25,
            "steps_per_update": 8,
            "learning_rate": 3e-3,
            "head_learning_rate": 3e-2,
        },
    },
    "reinforce": {
        "env_kwargs": {"reward": "token"},
        "num_envs": 16,
        "learner_config": {
            "updates": 50,
            "whole_episodes": True,
            "baseline": "value",
            "learning_rate": 3e-3,
            "head_learning_rate": 3e-2,
        },
    },
    "rloo": {
        "env_kwargs": {"reward": "f1"},
        "learner_config": {
            "updates": 60,
            "k": 4,
            "examples_per_update": 4,
            "learning_rate": 3e-3,
            "head_learning_rate": 3e-2,
        },
    },
}


def config(learner: str, out: Path, **train_settings: Any) -> RunConfig:
    """The run of ``learner`` on the tiny task, writing to ``out``."""
    settings = {"eval_every": 10, "checkpoint_every": 3, "progress": False, "tensorboard": False}
    return RunConfig(
        env="TextNER-v0",
        learner=learner,
        backbone="tiny-bert",
        peft="lora",
        seed=1,
        tuned=False,
        train=TrainConfig(out=str(out), **{**settings, **train_settings}),
        **RUNS[learner],
    )


def trainable(policy: Any) -> torch.Tensor:
    """Every trainable parameter, flattened."""
    return torch.cat([p.detach().reshape(-1) for p in policy.parameters() if p.requires_grad])


def fit(run: RunConfig, resume: bool = False, total: int | None = None) -> dict[str, Any]:
    """Train ``run``; the largest gap between processes' parameters after each update."""
    built = build_run(run, dataset=DATA)
    learner, gaps = built.learner, []
    update = learner.update

    def checked_update() -> dict[str, float]:
        row = update()
        everyone = learner.distributed.gather(trainable(built.policy))
        gaps.append(max(float((p - everyone[0]).abs().max()) for p in everyone))
        return row

    learner.update = checked_update  # type: ignore[method-assign]
    result = train(learner, built.evaluate, run.train, resume=resume, total_updates=total)
    return {
        "processes": learner.distributed.world_size,
        "gaps": gaps,
        "test": result.test,
        "updates": result.updates,
        "env_steps": result.env_steps,
        "main": learner.distributed.is_main,
        "weights": trainable(built.policy),
    }


def main(out: Path) -> None:
    """Train every run and write the report (main process)."""
    torch.set_num_threads(1)
    report: dict[str, Any] = {}
    for learner in RUNS:
        report[learner] = fit(config(learner, out / learner))
    # Stopped after update 4 (and its checkpoint), resumed to 6; and uninterrupted.
    every = {"eval_every": 2, "checkpoint_every": 2}
    report["rloo_whole"] = fit(config("rloo", out / "whole", **every), total=6)
    fit(config("rloo", out / "resumed", **every), total=4)
    report["rloo_resumed"] = fit(config("rloo", out / "resumed", **every), True, total=6)
    if report["rloo"]["main"]:
        for name, row in report.items():
            torch.save(row.pop("weights"), out / f"{name}.pt")
        (out / "report.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
    distributed.finish()
