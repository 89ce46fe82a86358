"""The ``textenvs`` command end to end (subprocesses, tiny budgets) and its one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import pytest
from safetensors.torch import load_file

from agents import MemorizerAgent, RandomAgent, evaluate
from agents.cli import main

ROOT = Path(__file__).resolve().parents[1]


def textenvs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "examples")}
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_list_names_the_envs_learners_and_methods() -> None:
    result = textenvs("list")
    assert result.returncode == 0, result.stderr
    for name in ("TextNER-v0", "TextSummarization-v0", "rloo", "prefix_tuning", "minilm"):
        assert name in result.stdout


@pytest.mark.slow
def test_train_then_eval_agree_with_each_other(tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = textenvs(
        "train",
        "--env",
        "TextNER-v0",
        "--learner",
        "ppo",
        "--backbone",
        "tiny-bert",
        "--peft",
        "lora",
        "--out",
        str(out),
        "learner_config.updates=2",
        "learner_config.whole_episodes=true",
        "num_envs=4",
        "train.eval_every=1",
        "train.eval_limit=5",
        "train.progress=false",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    results = json.loads((out / "results.json").read_text())
    assert (results["env"], results["learner"], results["seed"]) == ("TextNER-v0", "ppo", 0)
    assert results["updates"] == 2 and results["env_steps"] > 0 and results["wall_seconds"] > 0
    assert set(results["validation"]) >= {"f1", "precision", "recall"}
    assert (out / "log.jsonl").is_file() and (out / "best").is_dir()
    evaluated = textenvs("eval", "--checkpoint", str(out), "--split", "test")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    metrics = json.loads(evaluated.stdout)
    assert {k: metrics[k] for k in results["test"]} == pytest.approx(results["test"], abs=1e-9)
    again = textenvs("train", "--out", str(out), "--learner", "ppo")
    assert again.returncode == 2
    assert again.stderr.strip().endswith("add --resume, or pick another --out")


@pytest.mark.slow
def test_bench_writes_its_table_results_report_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    result = textenvs(
        "bench",
        "--envs",
        "TextNER-v0",
        "--agents",
        "random,memorizer,custom_agent:CapitalsAgent,reinforce",
        "--seeds",
        "2",
        "--budget",
        "2s",
        "--backbone",
        "tiny-bert",
        "--eval-every",
        "1",
        "--eval-limit",
        "5",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| memorizer | 2 |" in result.stdout and "| reinforce | 2 |" in result.stdout
    results = json.loads((out / "results.json").read_text())
    rows = {(r["agent"], r["seed"]): r for r in results["runs"]}
    assert not [r for r in results["runs"] if "error" in r]
    train_env = gym.make("TextNER-v0", split="train")
    assert rows[("memorizer", 0)]["test"] == evaluate(MemorizerAgent(train_env), "TextNER-v0")
    assert rows[("random", 1)]["test"] == evaluate(RandomAgent(1), "TextNER-v0")
    assert len(rows[("reinforce", 0)]["curve"]) >= 2  # zero-shot and at least one more point
    assert (out / "report.md").read_text().count("|") > 10
    assert (out / "curves_TextNER-v0.png").stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bench", "--envs", "TextNR-v0"], "unknown env 'TextNR-v0'"),
        (["bench", "--agents", "sarsa"], "unknown agent 'sarsa'"),
        (["bench", "--agents", "nowhere:Agent"], "cannot import 'nowhere'"),
        (["bench", "--peft", "lorra"], "unknown PEFT method 'lorra'"),
        (["bench", "--budget", "0s"], "budget '0s': must be more than zero"),
        (["bench", "--budget", "soon"], "budget 'soon': expected a number with its unit"),
        (["bench", "--budget", "30"], "budget '30': expected a number with its unit"),
        (["train", "--learner", "ppo"], "--out is required"),
        (["train", "--out", "x", "--peft", "lorra"], "unknown PEFT method"),
        (
            ["train", "--out", "x", "--peft", "adapter", "peft_kwargs.adapter_activation=softmax"],
            "adapter_activation must be one of relu, gelu, tanh, silu, got 'softmax'",
        ),
        (["train", "--out", "x", "--config", "missing.yaml"], "cannot read the config"),
        (["eval", "--checkpoint", "nowhere"], "not a run folder"),
        (["bench", "--data", "no/such/folder"], "no/such/folder: not a readable folder"),
        (["train", "--out", "x", "--data", "."], "no training split (expected train.conll"),
    ],
)
def test_bad_arguments_get_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_resume_extends_a_run_and_refuses_changed_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "run")
    common = ["train.eval_every=1", "train.eval_limit=3", "train.progress=false", "num_envs=2"]
    first = ["--learner", "reinforce", "--backbone", "tiny-bert", "--out", out, *common]
    assert main(["train", *first, "learner_config.updates=1"]) == 0
    assert json.loads((tmp_path / "run" / "results.json").read_text())["updates"] == 1
    # A larger budget trains on from the checkpoint.
    assert main(["train", "--out", out, "--resume", "learner_config.updates=3"]) == 0
    assert json.loads((tmp_path / "run" / "results.json").read_text())["updates"] == 3
    capsys.readouterr()
    for change, name in [
        (["--learner", "ppo"], "learner"),
        (["--seed", "4"], "seed"),
        (["num_envs=4"], "num_envs"),
        (["env_kwargs.reward=f1"], "env_kwargs"),
        (["learner_config.learning_rate=0.5"], "learner_config.learning_rate"),
    ]:
        assert main(["train", "--out", out, "--resume", *change]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and f"{name} cannot change on resume" in error[0], error


def test_train_with_bottleneck_adapters_saves_only_them(tmp_path: Path) -> None:
    out = tmp_path / "run"
    settings = ["peft_kwargs.adapter_size=8", "peft_kwargs.adapter_placement=houlsby"]
    common = ["train.eval_limit=3", "train.test_split=null", "train.progress=false"]
    args = ["--learner", "reinforce", "--backbone", "tiny-bert", "--peft", "adapter"]
    run = ["learner_config.updates=1", "num_envs=2", *settings, *common]
    assert main(["train", *args, "--out", str(out), *run]) == 0
    saved = json.loads((out / "best" / "policy_config.json").read_text())
    assert saved["peft"]["method"] == "adapter" and saved["peft"]["adapter_size"] == 8
    names = list(load_file(out / "best" / "transformer_trained.safetensors"))
    # Two layers, two adapters each (houlsby), four tensors per adapter.
    assert len(names) == 16 and all(".bottleneck_adapters.0." in name for name in names)


def test_help_config_lists_every_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--help-config", "--learner", "rloo"]) == 0
    shown = capsys.readouterr().out
    for key in ("train.max_seconds", "num_envs", "learner_config.k", "learner_config.explore"):
        assert key in shown
    assert "learner_config.minibatches" not in shown  # PPO's, not RLOO's


def test_bench_never_overwrites_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bench"
    args = ["bench", "--agents", "random", "--seeds", "1", "--budget", "1s", "--out", str(out)]
    assert main(args) == 0
    (out / "curves_Old-v0.png").write_bytes(b"an earlier bench's plot")
    capsys.readouterr()
    assert main(args) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "already holds a bench" in error[0] and "--overwrite" in error[0]
    assert main([*args, "--overwrite"]) == 0
    assert (out / "results.json").is_file() and not (out / "curves_Old-v0.png").exists()


def test_bench_without_a_budget_reports_times_bars_and_baselines(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    assert main(["bench", "--agents", "random,memorizer", "--seeds", "2", "--out", str(out)]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["config"]["budget"] is None
    report = (out / "report.md").read_text()
    assert "| agent | runs | f1 | mean_return | train s | wall s |" in report
    assert "tuned length" in report and (out / "bars_TextNER-v0.png").stat().st_size > 1000


def test_sft_then_rl_in_two_commands(tmp_path: Path) -> None:
    """The README's generation recipe: a supervised run, then RLOO from it (--init-from)."""
    common = ["--env", "TextSummarization-v0", "--backbone", "tiny-causal"]
    small = ["env_kwargs.max_new_tokens=4", "train.eval_limit=4", "train.progress=false"]
    sft = textenvs(
        "train", *common, "--learner", "supervised", "--out", str(tmp_path / "sft"),
        "learner_config.epochs=1", "learner_config.batch_size=256", *small,
    )  # fmt: skip
    assert sft.returncode == 0, sft.stderr[-3000:]
    rl = textenvs(
        "train", *common, "--learner", "rloo", "--init-from", str(tmp_path / "sft"),
        "--out", str(tmp_path / "rl"), "learner_config.updates=1", "learner_config.k=2",
        "learner_config.examples_per_update=2", "learner_config.kl_coef=0.1", *small,
    )  # fmt: skip
    assert rl.returncode == 0, rl.stderr[-3000:]
    saved = json.loads((tmp_path / "rl" / "best" / "policy_config.json").read_text())
    assert (
        saved["init"] == "init"
        and (tmp_path / "rl" / "best" / "init" / "heads.safetensors").is_file()
    )
    evaluated = textenvs("eval", "--checkpoint", str(tmp_path / "rl"), "--limit", "3")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    assert json.loads(evaluated.stdout)["episodes"] == 3
