"""Configs: YAML files, key=value overrides, type conversion and clear errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agents.common.config import ConfigError, describe, load_config
from agents.learners.ppo import PPOConfig
from agents.training.loop import TrainConfig
from agents.training.runs import RunConfig, learner_config

ROOT = Path(__file__).resolve().parents[1]


def test_yaml_and_overrides_fill_nested_dataclasses(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text(
        "env: TextClassification-v0\n"
        "learner: rloo\n"
        "learner_config: {learning_rate: 1e-4, k: 4}\n"
        "train: {eval_every: 5, patience: 2}\n"
    )
    config = load_config(RunConfig, path, ["train.eval_every=7", "num_envs=8", "seed=3"])
    assert config.env == "TextClassification-v0" and config.num_envs == 8
    assert isinstance(config.train, TrainConfig)
    assert config.train.eval_every == 7 and config.train.patience == 2
    settings = learner_config(config)
    assert settings.learning_rate == 1e-4  # YAML's "1e-4" string becomes a float
    assert settings.seed == 3 and settings.examples_per_update == 2  # 8 sub-envs / k=4


def test_the_shipped_example_config_loads() -> None:
    config = load_config(RunConfig, ROOT / "examples" / "configs" / "ner_ppo.yaml")
    settings = learner_config(config)
    assert isinstance(settings, PPOConfig) and settings.epochs == 2
    assert config.train.patience == 3


def test_errors_name_the_key_the_value_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("train: {eval_evry: 5}\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: train: unknown key 'eval_evry'"):
        load_config(RunConfig, path)
    with pytest.raises(ConfigError, match="num_envs: expected an integer, got 'many'"):
        load_config(RunConfig, None, ["num_envs=many"])
    with pytest.raises(ConfigError, match=r"num_envs: expected an integer, got 2\.5"):
        load_config(RunConfig, None, ["num_envs=2.5"])
    with pytest.raises(ConfigError, match="progress: expected true or false"):
        load_config(RunConfig, None, ["train.progress=maybe"])
    with pytest.raises(ConfigError, match="unknown learner 'sarsa'"):
        load_config(RunConfig, None, ["learner=sarsa"])
    with pytest.raises(ConfigError, match="patience must be >= 1"):
        load_config(RunConfig, None, ["train.patience=0"])
    with pytest.raises(ConfigError, match="expected key=value"):
        load_config(RunConfig, None, ["learner"])
    with pytest.raises(ConfigError, match="cannot read the config"):
        load_config(RunConfig, tmp_path / "missing.yaml")
    (tmp_path / "broken.json").write_text('{"env": \n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken.json:2:1: not a readable config \(expected"):
        load_config(RunConfig, tmp_path / "broken.json")
    bad_learner = load_config(RunConfig, None, ["learner=ppo", "learner_config.lr=0.1"])
    with pytest.raises(ConfigError, match=r"learner_config \(ppo\): unknown key 'lr'"):
        learner_config(bad_learner)
    bad_rate = load_config(RunConfig, None, ["learner_config.learning_rate=-1"])
    with pytest.raises(ConfigError, match="learning_rate must be a finite number > 0"):
        learner_config(bad_rate)


def test_every_field_has_help() -> None:
    rows = describe(RunConfig)
    assert (
        "train.eval_every",
        "10",
        TrainConfig.__dataclass_fields__["eval_every"].metadata["help"],
    ) in rows
    assert all(text for _, _, text in rows)
    for cls in (PPOConfig, TrainConfig):
        assert all(text for _, _, text in describe(cls))


def test_the_example_reports_a_bad_config_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "train_ner.py"), "train.eval_every=-1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert result.stderr.strip() == "error: defaults: train: eval_every must be >= 0, got -1"


def test_runs_start_from_the_tuned_settings_of_their_env_and_learner() -> None:
    from agents import GroupConfig
    from agents.training.presets import TUNED, tuned_settings
    from agents.training.runs import with_tuned_settings

    tuned = tuned_settings("TextNER-v0", "rloo")
    config = RunConfig(env="TextNER-v0", learner="rloo", learner_config={"k": 4})
    resolved = with_tuned_settings(config)
    assert resolved.learner_config == {**tuned["learner_config"], "k": 4}  # the config wins
    assert resolved.env_kwargs == tuned["env_kwargs"] and resolved.num_envs == 32
    assert with_tuned_settings(resolved) == resolved
    settings = learner_config(config)
    assert settings.k == 4 and settings.explore == tuned["learner_config"]["explore"] > 0
    bare = learner_config(RunConfig(env="TextNER-v0", learner="rloo", tuned=False))
    assert (bare.k, bare.explore) == (GroupConfig().k, GroupConfig().explore)
    assert learner_config(RunConfig(env="TextSummarization-v0", learner="rloo")) == learner_config(
        RunConfig(env="TextSummarization-v0", learner="rloo", tuned=False)
    )  # nothing tuned there yet
    for env, learners in TUNED.items():  # every tuned setting is one its learner takes
        for learner in learners:
            learner_config(RunConfig(env=env, learner=learner))
