"""The package: light import, registration of every id, typing marker."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym

import textenvs


def test_import_does_not_need_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys, textenvs, gymnasium as gym\n"
        "for env_id in textenvs.ENV_IDS: gym.make(env_id).reset(seed=0)\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    assert textenvs.__version__


def test_every_id_is_registered_with_a_vector_entry_point() -> None:
    assert set(textenvs.ENV_IDS) == {
        "TextNER-v0",
        "TextClassification-v0",
        "TextSummarization-v0",
        "TextExtractiveSummarization-v0",
    }
    for env_id in textenvs.ENV_IDS:
        spec = gym.spec(env_id)
        assert spec.vector_entry_point is not None
        assert gym.make(f"textenvs:{env_id}").spec.id == env_id


def test_typed_packages() -> None:
    import agents

    for package in (textenvs, agents):
        assert (Path(package.__file__).parent / "py.typed").is_file()


def test_one_public_api() -> None:
    import agents

    names = [
        "TaggingPolicy",
        "ClassificationPolicy",
        "GenerativePolicy",
        "load_backbone",
        "PPO",
        "Reinforce",
        "RLOO",
        "GRPO",
        "SupervisedTagger",
        "SupervisedClassifier",
        "train",
        "evaluate",
        "RandomAgent",
        "MemorizerAgent",
        "RunConfig",
        "build_run",
        "TrainConfig",
        "BenchConfig",
        "run_bench",
    ]
    assert set(names) <= set(agents.__all__)
    for name in agents.__all__:
        assert getattr(agents, name) is not None, name
    assert agents.PPO.__module__ == "agents.learners.ppo"
    assert textenvs.__version__ == agents.__version__
