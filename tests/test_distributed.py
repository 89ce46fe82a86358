"""Data-parallel training: 2 CPU processes (gloo) under torchrun against one process.

``tests/distributed_worker.py`` trains every learner on the tiny NER task with the same
global batch, once under ``torchrun --nproc-per-node 2`` and once in a single process.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from distributed_worker import DATA

from agents import RandomAgent, evaluate
from agents.common import distributed
from agents.learners.optim import gradient_step
from agents.training.checkpoint import read_checkpoint

WORKER = Path(__file__).with_name("distributed_worker.py")
LEARNERS = ("supervised", "ppo", "reinforce", "rloo")
# RL learners in 2 processes play other (equally distributed) episodes than in one, so
# their results agree only statistically; the tolerance on this 4-sentence task's test F1
# (a different tag on one of its 15 entities moves F1 by about 0.1):
RL_TOLERANCE = 0.3


def run_worker(out: Path, processes: int) -> dict[str, Any]:
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"]
    command = [sys.executable, *(launcher if processes > 1 else []), str(WORKER), str(out)]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    for name in report:
        report[name]["weights"] = torch.load(out / f"{name}.pt")
    return report


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    return {n: run_worker(tmp_path_factory.mktemp(f"processes{n}"), n) for n in (1, 2)}


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
def test_processes_hold_identical_parameters_after_every_update(
    reports: dict[int, dict[str, Any]], learner: str
) -> None:
    run = reports[2][learner]
    assert run["processes"] == 2
    assert len(run["gaps"]) == run["updates"] > 0
    assert max(run["gaps"]) == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
def test_two_processes_learn_like_one(reports: dict[int, dict[str, Any]], learner: str) -> None:
    one, two = reports[1][learner], reports[2][learner]
    random = evaluate(RandomAgent(0), "TextNER-v0", dataset=DATA)["f1"]
    assert one["updates"] == two["updates"]
    assert min(one["test"]["f1"], two["test"]["f1"]) >= random + 0.35
    if learner == "supervised":
        # The same records in the same batches: the same parameters up to float rounding.
        assert one["env_steps"] == two["env_steps"]
        assert torch.allclose(one["weights"], two["weights"], atol=1e-5)
        assert one["test"] == two["test"]
    else:
        # Env steps are counted over both processes; whole episodes vary a little in length.
        assert abs(two["env_steps"] - one["env_steps"]) <= 0.05 * one["env_steps"]
        assert abs(two["test"]["f1"] - one["test"]["f1"]) <= RL_TOLERANCE


@pytest.mark.slow
def test_a_two_process_run_resumes_exactly(reports: dict[int, dict[str, Any]]) -> None:
    whole, resumed = reports[2]["rloo_whole"], reports[2]["rloo_resumed"]
    assert max(resumed["gaps"]) == 0.0 and resumed["updates"] == 6
    assert torch.equal(whole["weights"], resumed["weights"])
    assert whole["test"] == resumed["test"] and whole["env_steps"] == resumed["env_steps"]


def test_a_checkpoint_resumes_only_with_its_number_of_processes(tmp_path: Path) -> None:
    from agents.training.checkpoint import FORMAT, CheckpointError, load_checkpoint

    path = tmp_path / "checkpoint.pt"
    body = io.BytesIO()
    torch.save({"format": FORMAT, "policy": {}, "loop": {}, "processes": [{}, {}]}, body)
    digest = hashlib.sha256(body.getvalue()).hexdigest()
    path.write_bytes(f"{FORMAT} sha256={digest}\n".encode() + body.getvalue())
    with pytest.raises(
        CheckpointError, match=r"written by a run of 2 process\(es\); resume it with 2"
    ):
        load_checkpoint(path, None, None)


def test_one_process_needs_no_launcher() -> None:
    assert not distributed.launched()
    single = distributed.current()
    assert single is distributed.SINGLE and single.is_main and not single.enabled
    assert single.broadcast("x") == "x" and single.gather(3) == [3] and single.sum(2.5) == 2.5
    assert single.seed(7) == 7
    with pytest.raises(ValueError, match="num_envs=6 does not split over 4 processes"):
        distributed.Distributed(rank=1, world_size=4).share(6, "num_envs")
    assert distributed.Distributed(rank=1, world_size=4).seed(7) != 7


def test_a_process_without_samples_joins_the_average_with_zeros() -> None:
    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    gradient_step(None, optimizer, [weight], 1.0, "update 0")  # alone: nothing to do
    assert torch.equal(weight, torch.ones(2))
    with pytest.raises(FloatingPointError, match="update 3: the loss is nan"):
        gradient_step(weight.sum() * float("nan"), optimizer, [weight], 1.0, "update 3")
    assert torch.equal(weight, torch.ones(2))


def textenvs_train(out: Path, groups: int) -> subprocess.CompletedProcess[str]:
    command = [
        *(sys.executable, "-m", "agents.cli", "train", "--learner", "rloo"),
        *("--backbone", "tiny-bert", "--out", str(out), "--num-processes", "2"),
        *("learner_config.updates=4", f"learner_config.examples_per_update={groups}"),
        *("train.eval_every=2", "train.progress=false", "tuned=false"),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_textenvs_train_num_processes(tmp_path: Path) -> None:
    done = textenvs_train(tmp_path / "run", groups=4)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("test: f1") == 1  # only the main process reports
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["updates"] == 4
    saved = read_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert len(saved["processes"]) == 2
    rows = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [r["update"] for r in rows if r["event"] == "update"] == [1, 2, 3, 4]
    bad = textenvs_train(tmp_path / "bad", groups=3)
    assert bad.returncode != 0
    assert "examples_per_update=3 does not split over 2 processes" in bad.stderr
