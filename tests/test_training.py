"""The training loop: evaluation, model selection, logs, checkpoints, exact resume, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import evaluate
from agents.learners.averaging import WeightAverage
from agents.training.checkpoint import CheckpointError, read_checkpoint
from agents.training.loop import TrainConfig, train, trainable_weights
from agents.training.runs import RunConfig, build_run
from textenvs.data import TaggedSentence

SENTENCES = [
    TaggedSentence(("Ann", "met", "Bob", "in", "Rome"), ("B-PER", "O", "B-PER", "O", "B-LOC")),
    TaggedSentence(("Acme", "hired", "Ann"), ("B-ORG", "O", "B-PER")),
    TaggedSentence(("Rome", "is", "big"), ("B-LOC", "O", "O")),
    TaggedSentence(("Bob", "left", "Acme", "Corp"), ("B-ORG", "O", "B-ORG", "I-ORG")),
]
DATA = {"train": SENTENCES, "validation": SENTENCES[:2], "test": SENTENCES[2:]}


def run_config(out: Path | None = None, **train: Any) -> RunConfig:
    settings = {"eval_every": 3, "checkpoint_every": 2, "progress": False, **train}
    return RunConfig(
        env="TextNER-v0",
        env_kwargs={"reward": "token"},
        learner="ppo",
        learner_config={"updates": 6, "steps_per_update": 4, "learning_rate": 3e-3},
        backbone="tiny-bert",
        peft="lora",
        num_envs=4,
        seed=3,
        tuned=False,
        train=TrainConfig(out=str(out) if out else None, **settings),
    )


def fit(config: RunConfig, resume: bool = False, stop_at: int | None = None) -> tuple[Any, Any]:
    """Train ``config`` (raising KeyboardInterrupt after update ``stop_at``)."""
    built = build_run(config, dataset=DATA)
    if stop_at is not None:
        update = built.learner.update

        def interrupted() -> dict[str, float]:
            row = update()
            if built.learner.updates_done == stop_at:
                raise KeyboardInterrupt  # a crash right after the update, before its checkpoint
            return row

        built.learner.update = interrupted  # type: ignore[method-assign]
    result = train(built.learner, built.evaluate, config.train, resume=resume)
    return built, result


def timeless(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Evaluation rows without their wall-clock figure (it differs between runs)."""
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


def log_rows(out: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    for row in rows:  # wall-clock figures differ between runs
        for key in ("seconds", "env_steps_per_second"):
            row.pop(key, None)
    return rows


def test_the_loop_evaluates_selects_logs_and_tests(tmp_path: Path) -> None:
    built, result = fit(run_config(tmp_path / "run"))
    out = tmp_path / "run"
    assert [row["update"] for row in result.history] == [0, 3, 6]  # zero-shot, every 3
    f1s = [row["validation"]["f1"] for row in result.history]
    assert result.best is not None and result.best["validation"]["f1"] == max(f1s)
    assert result.updates == 6 and result.stopped == "updates"
    # the test figures are those of the best policy, which is left loaded
    test = evaluate(built.policy, "TextNER-v0", split="test", dataset=DATA, reward="token")
    assert result.test == test
    # the saved best policy is that policy
    loaded = type(built.policy).load(out / "best", backbone=None)
    for name, weight in trainable_weights(built.policy).items():
        assert torch.equal(dict(loaded.named_parameters())[name].detach(), weight), name
    events = [row["event"] for row in log_rows(out)]
    assert events.count("update") == 6 and events.count("eval") == 3 and events[-1] == "test"
    update_row = next(row for row in log_rows(out) if row["event"] == "update")
    assert {"reward", "kl", "entropy", "policy_loss", "value_loss", "learning_rate"} <= set(
        update_row
    )
    assert list((out / "tb").glob("events.out.tfevents.*"))
    results = json.loads((out / "results.json").read_text())
    assert results["test"] == result.test and results["updates"] == 6


def test_without_evaluation_the_last_policy_is_kept_as_best(tmp_path: Path) -> None:
    built, result = fit(run_config(tmp_path / "run", eval_every=0, test_split=None))
    assert result.history == [] and result.best is None and result.updates == 6
    loaded = type(built.policy).load(tmp_path / "run" / "best")
    for name, weight in trainable_weights(built.policy).items():
        assert torch.equal(dict(loaded.named_parameters())[name].detach(), weight), name


def test_test_limit_tests_on_the_first_records_only() -> None:
    built, result = fit(run_config(eval_every=0, test_limit=1))
    first = evaluate(
        built.policy, "TextNER-v0", split="test", dataset=DATA, reward="token", limit=1
    )
    every = evaluate(built.policy, "TextNER-v0", split="test", dataset=DATA, reward="token")
    assert result.test == first and first["episodes"] == 1 and every["episodes"] == 2
    with pytest.raises(ValueError, match="test_limit must be >= 1"):
        TrainConfig(test_limit=0)


def test_early_stopping_on_patience(tmp_path: Path) -> None:
    config = run_config(eval_every=1, patience=1, checkpoint_every=0)
    config.learner_config["learning_rate"] = 1e-9  # nothing changes, so nothing improves
    _, result = fit(config)
    assert result.stopped == "patience" and result.updates == 1
    assert len(result.history) == 2


def test_training_is_deterministic_for_a_seed() -> None:
    first, _ = fit(run_config(test_split=None))
    second, _ = fit(run_config(test_split=None))
    for name, weight in trainable_weights(first.policy).items():
        assert torch.equal(trainable_weights(second.policy)[name], weight), name


@pytest.mark.parametrize(
    ("learner", "ema_decay"), [("ppo", 0.0), ("rloo", 0.0), ("supervised", 0.0), ("ppo", 0.5)]
)
def test_a_run_interrupted_and_resumed_ends_like_an_uninterrupted_one(
    tmp_path: Path, learner: str, ema_decay: float
) -> None:
    def config(out: Path) -> RunConfig:
        # With ema_decay, no selection: the policy left is the last average, so a resumed
        # average that differs shows in the weights.
        base = run_config(out, eval_every=0) if ema_decay else run_config(out)
        base.learner = learner
        if learner == "rloo":
            base.learner_config = {"updates": 6, "k": 2, "learning_rate": 3e-3}
        if learner == "supervised":
            base.learner_config = {"epochs": 3, "batch_size": 2, "learning_rate": 3e-3}
        if ema_decay:  # the average is checkpointed beside the trained weights
            base.learner_config["ema_decay"] = ema_decay
        return base

    whole, whole_result = fit(config(tmp_path / "whole"))
    with pytest.raises(KeyboardInterrupt):
        fit(config(tmp_path / "cut"), stop_at=5)  # the last checkpoint was at update 4
    resumed, resumed_result = fit(config(tmp_path / "cut"), resume=True)
    for name, weight in trainable_weights(whole.policy).items():
        assert torch.equal(trainable_weights(resumed.policy)[name], weight), name
    assert timeless(resumed_result.history) == timeless(whole_result.history)
    assert resumed_result.test == whole_result.test
    whole_log, resumed_log = log_rows(tmp_path / "whole"), log_rows(tmp_path / "cut")
    assert resumed_log == whole_log  # rows logged after the checkpoint were dropped


RESUME_SCRIPT = """
import os, signal, sys
from agents.training.runs import build_run
from agents.training.loop import train
sys.path.insert(0, {tests!r})
from test_training import DATA, run_config
config = run_config({out!r}, tensorboard=False)
built = build_run(config, dataset=DATA)
update = built.learner.update
def killed():
    row = update()
    if built.learner.updates_done == 5 and {kill}:
        os.kill(os.getpid(), signal.SIGKILL)
    return row
built.learner.update = killed
train(built.learner, built.evaluate, config.train, resume={resume})
"""


@pytest.mark.slow
def test_a_run_killed_with_sigkill_resumes_exactly(tmp_path: Path) -> None:
    def script(out: Path, kill: bool, resume: bool) -> subprocess.CompletedProcess[str]:
        code = RESUME_SCRIPT.format(
            tests=str(Path(__file__).parent), out=str(out), kill=kill, resume=resume
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1"}  # the same numerics in every process
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)

    killed = script(tmp_path / "run", kill=True, resume=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert not (tmp_path / "run" / "results.json").exists()
    finished = script(tmp_path / "run", kill=False, resume=True)
    assert finished.returncode == 0, finished.stderr[-2000:]
    whole = script(tmp_path / "whole", kill=False, resume=False)
    assert whole.returncode == 0, whole.stderr[-2000:]
    resumed = json.loads((tmp_path / "run" / "results.json").read_text())
    expected = json.loads((tmp_path / "whole" / "results.json").read_text())
    assert timeless(resumed["history"]) == timeless(expected["history"])
    assert resumed["test"] == expected["test"]
    assert log_rows(tmp_path / "run") == log_rows(tmp_path / "whole")
    saved = read_checkpoint(tmp_path / "run" / "checkpoint.pt")["policy"]
    reference = read_checkpoint(tmp_path / "whole" / "checkpoint.pt")["policy"]
    for name, weight in reference.items():
        assert torch.equal(saved[name], weight), name


def test_checkpoint_errors(tmp_path: Path) -> None:
    out = tmp_path / "run"
    fit(run_config(out))
    with pytest.raises(ValueError, match="already holds a run: pass resume=True"):
        fit(run_config(out))
    other = run_config(out)
    other.peft = "ia3"
    with pytest.raises(CheckpointError, match="written for other trainable parameters"):
        fit(other, resume=True)
    other = run_config(out)
    other.learner = "reinforce"
    other.learner_config = {"updates": 6}
    with pytest.raises(CheckpointError, match="written by a PPO learner, not a Reinforce"):
        fit(other, resume=True)
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a textenvs-checkpoint-3 file"):
        fit(run_config(out), resume=True)
    with pytest.raises(CheckpointError, match="no checkpoint there"):
        fit(run_config(tmp_path / "empty"), resume=True)


class NaNRewardsFrom(gym.vector.VectorWrapper):
    """Rewards turn NaN from the ``start``-th step on."""

    def __init__(self, env: gym.vector.VectorEnv, start: int) -> None:
        super().__init__(env)
        self.start, self.steps = start, 0

    def step(self, actions: np.ndarray) -> Any:
        observations, rewards, terminated, truncated, infos = self.env.step(actions)
        self.steps += 1
        if self.steps >= self.start:
            rewards = rewards * np.nan
        return observations, rewards, terminated, truncated, infos


def test_a_nan_reward_stops_training_and_keeps_the_last_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    built = build_run(run_config(out), dataset=DATA)
    collector = built.learner.collector
    collector.envs = NaNRewardsFrom(collector.envs, start=11)  # in update 3 (4 steps each)
    with pytest.raises(ValueError, match="non-finite reward nan"):
        train(built.learner, built.evaluate, built.config.train)
    saved = read_checkpoint(out / "checkpoint.pt")
    assert saved["processes"][0]["learner"]["updates_done"] == 2  # the last good checkpoint, intact
    # it resumes from update 2; the checkpoint holds the env's state as data, not the
    # poisoned wrapper object, so the resumed run (with a sound env) runs to its end
    fit(run_config(out), resume=True)
    assert read_checkpoint(out / "checkpoint.pt")["processes"][0]["learner"]["updates_done"] == 6


def test_kl_penalty_against_the_policy_with_adapters_disabled() -> None:
    config = run_config(test_split=None, eval_every=0, checkpoint_every=0)
    config.learner_config |= {"kl_coef": 0.5, "kl_target": 0.01, "kl_horizon": 10}
    built = build_run(config, dataset=DATA)
    learner = built.learner
    first = learner.update()  # LoRA starts as the identity: the policy is its reference
    assert first["kl"] == pytest.approx(0.0, abs=1e-6)
    for _ in range(5):
        row = learner.update()
    assert row["kl"] != 0.0 and row["kl_coef"] != 0.5  # the coefficient adapts
    coef = learner.collector.kl.coef  # the rollout uses it, then adapts it
    rollout = learner.collector.collect(2)
    valid = rollout.valid
    expected = rollout.env_rewards - coef * rollout.kl
    assert torch.allclose(rollout.rewards[valid], expected[valid], atol=1e-6)
    with pytest.raises(ValueError, match="a KL penalty needs an adapter to disable"):
        none = run_config()
        none.peft, none.learner_config = "none", {"kl_coef": 0.1}
        build_run(none, dataset=DATA).learner.update()


def test_kl_controller_by_hand() -> None:
    from agents.learners.kl import KLController

    controller = KLController(0.2, target=1.0, horizon=100)
    controller.update(kl=3.0, steps=10)  # error clipped to +0.2
    assert controller.coef == pytest.approx(0.2 * (1 + 0.2 * 10 / 100))
    controller.update(kl=0.9, steps=100)  # error -0.1
    assert controller.coef == pytest.approx(0.2 * 1.02 * 0.9)
    fixed = KLController(0.2)
    fixed.update(kl=3.0, steps=10)
    assert fixed.coef == 0.2
    with pytest.raises(ValueError, match="kl_coef must be a finite number >= 0"):
        KLController(-1.0)


def test_time_budget_stops_training() -> None:
    config = run_config(max_seconds=1e-6, eval_every=0, test_split=None)
    _, result = fit(config)
    assert result.stopped == "time" and result.updates == 1


def test_bad_loop_settings() -> None:
    with pytest.raises(ValueError, match="patience must be >= 1"):
        TrainConfig(patience=0)
    with pytest.raises(ValueError, match="eval_every must be >= 0"):
        TrainConfig(eval_every=-1)
    envs = gym.make_vec("TextNER-v0", num_envs=2, dataset=DATA)
    assert envs.num_envs == 2


@pytest.mark.parametrize(
    ("env", "learner", "extra"),
    [
        ("TextClassification-v0", "ppo", {"env_kwargs": {"max_length": 8}}),
        ("TextClassification-v0", "supervised", {"env_kwargs": {"max_length": 8}}),
        ("TextSummarization-v0", "rloo", {"env_kwargs": {"max_new_tokens": 3}, "num_envs": 4}),
        ("TextSummarization-v0", "supervised", {"env_kwargs": {"max_new_tokens": 3}}),
    ],
)
def test_runs_on_every_env_family(env: str, learner: str, extra: dict[str, Any]) -> None:
    settings = {"updates": 2, "k": 2} if learner == "rloo" else {"updates": 2}
    if learner == "supervised":
        train_size = len(gym.make(env, split="train").unwrapped.corpus)
        settings = {"epochs": 1, "batch_size": (train_size + 1) // 2}  # 2 updates
    config = RunConfig(
        env=env,
        learner=learner,
        learner_config=settings,
        backbone="tiny-causal",
        num_envs=extra.get("num_envs", 4),
        env_kwargs=extra["env_kwargs"],
        tuned=False,
        train=TrainConfig(eval_every=1, eval_limit=4, test_split="test", progress=False),
    )
    built = build_run(config)
    result = train(built.learner, built.evaluate, config.train)
    assert result.updates == 2 and len(result.history) == 3
    test_size = len(gym.make(env, split="test").unwrapped.corpus)
    assert result.test is not None and result.test["episodes"] == test_size
    assert result.env_steps > 0


def test_the_weight_average_follows_its_documented_recursion() -> None:
    weight = torch.nn.Parameter(torch.tensor([0.0, 10.0]))
    average = WeightAverage([weight], decay=0.5)
    expected = weight.detach().clone()
    for step, value in enumerate([1.0, 2.0, 4.0, 8.0, 16.0], start=1):
        with torch.no_grad():
            weight.fill_(value)
        average.update()
        decay = min(0.5, (1 + step) / (10 + step))  # TF's warm-up: 2/11, 3/12, ... then 0.5
        expected = decay * expected + (1 - decay) * value
        assert torch.allclose(average.average[0], expected), step
    with average.applied():
        assert torch.equal(weight.detach(), average.average[0])
    assert torch.equal(weight.detach(), torch.tensor([16.0, 16.0]))  # the trained weights back


def test_ema_decay_trains_the_same_weights_and_returns_their_average(tmp_path: Path) -> None:
    plain, _ = fit(run_config(tmp_path / "plain", eval_every=0, test_split=None))
    config = run_config(tmp_path / "ema", eval_every=0, test_split=None)
    config.learner_config["ema_decay"] = 0.5
    averaged, _ = fit(config)
    trained = read_checkpoint(tmp_path / "ema" / "checkpoint.pt")["policy"]
    saved = type(averaged.policy).load(tmp_path / "ema" / "best")
    final = trainable_weights(averaged.policy)
    for name, weight in trainable_weights(plain.policy).items():
        assert torch.equal(trained[name], weight), name  # averaging does not change training
        assert torch.equal(dict(saved.named_parameters())[name].detach(), final[name]), name
    different = [
        n for n, w in trainable_weights(plain.policy).items() if not torch.equal(w, final[n])
    ]
    assert different  # the policy left after training is the average, not the last weights
    average = dict(
        zip(
            [n for n, p in averaged.policy.named_parameters() if p.requires_grad],
            averaged.learner.average.average,
        )
    )
    for name, weight in final.items():
        assert torch.equal(average[name].cpu(), weight), name


def test_with_ema_decay_evaluation_selects_among_averaged_policies(tmp_path: Path) -> None:
    config = run_config(tmp_path / "run", eval_every=2, test_split="validation")
    config.learner_config["ema_decay"] = 0.5
    built = build_run(config, dataset=DATA)
    learner, seen = built.learner, []

    def evaluate_and_look(split: str, limit: int | None) -> dict[str, float]:
        averaged = all(
            torch.equal(p, a) for p, a in zip(learner.parameters, learner.average.average)
        )
        seen.append((learner.updates_done, averaged, trainable_weights(built.policy)))
        return built.evaluate(split, limit)

    result = train(learner, evaluate_and_look, config.train)
    *evaluations, (_, _, tested) = seen
    assert [(update, averaged) for update, averaged, _ in evaluations] == [
        (0, True),
        (2, True),
        (4, True),
        (6, True),
    ]  # every validation reads the averaged weights
    best = next(weights for update, _, weights in evaluations if update == result.best["update"])
    for name, weight in trainable_weights(built.policy).items():
        assert torch.equal(best[name], weight), name  # the selected average is what is left
        assert torch.equal(tested[name], weight), name  # ... and what is tested
    assert result.test == result.best["validation"]


def test_ema_decay_errors(tmp_path: Path) -> None:
    def config(out: Path) -> RunConfig:
        base = run_config(out, eval_every=0, test_split=None)
        base.learner_config["ema_decay"] = 0.5
        return base

    fit(config(tmp_path / "cut"))
    with pytest.raises(
        CheckpointError, match="written with ema_decay on, this run has ema_decay=0"
    ):
        fit(run_config(tmp_path / "cut"), resume=True)
    bad = config(tmp_path / "bad")
    bad.learner_config["ema_decay"] = 1.0
    with pytest.raises(ValueError, match=r"ema_decay must be in \[0, 1\), got 1.0"):
        fit(bad)
