"""The tuned settings of each learner on each env family: what a run starts from.

``textenvs train --learner rloo`` (and a :class:`~agents.training.runs.RunConfig` with
``tuned=True``, the default) gets the settings the benchmarks found best for that env and
learner; what a config sets itself wins over them. The benchmark scripts read the same
table, so a short command and a benchmark train alike. The measurements behind each value are
in ``benchmarks/RESULTS.md``.

Each entry holds ``RunConfig`` fields: ``env_kwargs``, ``learner_config`` and ``num_envs``.
A ``learner_config`` ``updates`` (``epochs`` for the supervised baseline) is the run's tuned
length: long enough to learn, short enough for a first run on a laptop.
"""

from __future__ import annotations

import copy
from typing import Any

# NER (TextNER-v0 and any dataset given to it): the heads start from scratch and learn at
# 1e-2 while the adapter learns at 3e-4 (1e-3 for the supervised baseline); RL learners play
# whole episodes (each sentence read once per update); RLOO samples k=8 taggings of 32
# sentences per update and explores 5%. Lengths: 2 epochs of supervised training and 200
# RLOO updates, for the built-in corpus's README main job (benchmarks/RESULTS.md).
_NER_RL = {"learning_rate": 3e-4, "head_learning_rate": 1e-2}
_NER_GROUP = {
    "env_kwargs": {"reward": "f1"},
    "learner_config": {
        **_NER_RL,
        "k": 8,
        "examples_per_update": 32,
        "explore": 0.05,
        "updates": 200,
    },
}
# Classification (TextClassification-v0): the settings of the SST-2 benchmark.
_TEXT_RL = {"whole_episodes": True, "learning_rate": 3e-4}

TUNED: dict[str, dict[str, dict[str, Any]]] = {
    "TextNER-v0": {
        "supervised": {
            "learner_config": {
                "epochs": 2,
                "batch_size": 32,
                "learning_rate": 1e-3,
                "head_learning_rate": 1e-2,
            }
        },
        "reinforce": {
            "env_kwargs": {"reward": "delta_f1"},
            "learner_config": {
                **_NER_RL,
                "whole_episodes": True,
                "baseline": "value",
                "entropy_coef": 0.01,
            },
        },
        "ppo": {
            "env_kwargs": {"reward": "delta_f1"},
            "learner_config": {
                **_NER_RL,
                "whole_episodes": True,
                "epochs": 2,
                "minibatches": 2,
                "entropy_coef": 0.01,
            },
        },
        "a2c": {
            "env_kwargs": {"reward": "delta_f1"},
            "learner_config": {**_NER_RL, "whole_episodes": True, "entropy_coef": 0.01},
        },
        "rloo": _NER_GROUP,
        "grpo": _NER_GROUP,
    },
    "TextClassification-v0": {
        "supervised": {"learner_config": {"epochs": 3, "batch_size": 32, "learning_rate": 1e-3}},
        "reinforce": {
            "learner_config": {**_TEXT_RL, "baseline": "value", "entropy_coef": 0.01},
        },
        "ppo": {
            "learner_config": {
                **_TEXT_RL,
                "epochs": 2,
                "minibatches": 4,
                "entropy_coef": 0.01,
            },
        },
        "rloo": {"num_envs": 64, "learner_config": {"k": 4, "learning_rate": 3e-4}},
    },
}


def tuned_settings(env: str, learner: str) -> dict[str, Any]:
    """The tuned ``RunConfig`` fields of ``learner`` on ``env`` (empty if none are known)."""
    return copy.deepcopy(TUNED.get(env, {}).get(learner, {}))
