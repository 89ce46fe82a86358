"""Where a run trains: ``RunConfig.device`` ("auto": a CUDA GPU when torch sees one).

The CPU tests check the choice and the refusals; the GPU tests (skipped without CUDA) train
and evaluate each policy family there, the KL reference included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from agents.training.loop import TrainConfig, train
from agents.training.runs import RunConfig, build_run, run_device
from textenvs.errors import InputError

QUIET = {"eval_every": 0, "test_split": None, "progress": False, "tensorboard": False}


def test_auto_is_the_gpu_when_torch_sees_one_else_the_cpu() -> None:
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert run_device("auto").type == expected
    assert run_device("cpu").type == "cpu"
    config = RunConfig(
        env="TextClassification-v0", learner="ppo", backbone="tiny-bert", train=TrainConfig(**QUIET)
    )
    assert build_run(config).policy.device.type == expected


def test_a_device_this_machine_lacks_is_refused_before_a_model_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert run_device("auto").type == "cpu"
    # the backbone does not exist: the device is checked before any model loads
    config = RunConfig(device="cuda:1", backbone="/nonexistent", train=TrainConfig(**QUIET))
    with pytest.raises(InputError, match=r"device 'cuda:1': torch sees 0 CUDA GPU\(s\) here"):
        build_run(config)
    for bad in ("gpu0", "meta", "cuda:x"):
        with pytest.raises(InputError, match=f"device '{bad}': give 'auto', 'cpu', 'cuda'"):
            RunConfig(device=bad)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize(
    ("env", "learner", "backbone", "settings"),
    [
        ("TextNER-v0", "rloo", "tiny-bert", {"updates": 2, "kl_coef": 0.05}),
        ("TextNER-v0", "supervised", "tiny-bert", {"epochs": 1}),
        ("TextClassification-v0", "ppo", "tiny-bert", {"updates": 2, "kl_coef": 0.05}),
        ("TextClassification-v0", "supervised", "tiny-bert-causal", {"epochs": 1}),
        ("TextSummarization-v0", "rloo", "tiny-causal", {"updates": 2, "kl_coef": 0.05}),
        ("TextSummarization-v0", "supervised", "tiny-causal", {"epochs": 1}),
    ],
)
def test_runs_train_and_evaluate_on_a_gpu(
    tmp_path: Path, env: str, learner: str, backbone: str, settings: dict[str, Any]
) -> None:
    config = RunConfig(
        env=env,
        learner=learner,
        backbone=backbone,
        learner_config=settings,
        device="cuda",
        train=TrainConfig(
            out=str(tmp_path), eval_every=1, eval_limit=4, test_limit=4, progress=False
        ),
    )
    run = build_run(config)
    assert {p.device.type for p in run.policy.parameters()} == {"cuda"}
    result = train(run.learner, run.evaluate, config.train, run_info=run.info())
    assert result.updates >= 1
    assert (tmp_path / "results.json").exists()
