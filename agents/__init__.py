"""LLM policy agents for the textenvs environments, their learners, training and benchmarks.

One public API, as ``from stable_baselines3 import PPO`` works::

    from agents import TaggingPolicy, load_backbone, RLOO, GroupConfig, train, evaluate

The subpackages say what they hold: ``common`` (the agent interface, baselines, evaluation,
configs, data-parallel processes), ``policies`` (backbones, PEFT methods, task policies),
``learners`` (the rollout core and each learner), ``training`` (the loop, checkpoints, run
configs) and ``bench`` (the benchmark harness, Ray, SB3 agents); ``cli`` is the ``textenvs``
command. This package needs the ``agents`` extra (torch, transformers, peft, ...); the envs
themselves (``import textenvs``) need only numpy and gymnasium.
"""

import importlib.util as _util

_EXTRA = ("torch", "transformers", "peft", "accelerate", "stable_baselines3")
_missing = [name for name in _EXTRA if _util.find_spec(name) is None]
if _missing:
    raise ImportError(
        f"agents needs {', '.join(_missing)}, which are not installed: "
        'pip install "textenvs[agents]"'
    )

from agents.bench import BenchConfig, run_bench  # noqa: E402
from agents.common import (  # noqa: E402
    Agent,
    BaseAgent,
    ConfigError,
    MemorizerAgent,
    RandomAgent,
    evaluate,
    load_config,
)
from agents.learners import (  # noqa: E402
    GRPO,
    PPO,
    RLOO,
    GroupConfig,
    GroupPolicyGradient,
    Learner,
    LearnerConfig,
    PPOConfig,
    Reinforce,
    ReinforceConfig,
    RolloutCollector,
    SupervisedClassifier,
    SupervisedConfig,
    SupervisedGenerator,
    SupervisedTagger,
    a2c_config,
)
from agents.policies import (  # noqa: E402
    ClassificationPolicy,
    GenerativePolicy,
    PeftPolicy,
    PeftSpec,
    TaggingPolicy,
    load_backbone,
    tiny_backbone,
)
from agents.training import (  # noqa: E402
    RunConfig,
    TrainConfig,
    TrainResult,
    build_run,
    export_policy,
    export_run,
    load_policy,
    train,
)
from textenvs import __version__  # noqa: E402

__all__ = [
    "GRPO",
    "PPO",
    "RLOO",
    "Agent",
    "BaseAgent",
    "BenchConfig",
    "ClassificationPolicy",
    "ConfigError",
    "GenerativePolicy",
    "GroupConfig",
    "GroupPolicyGradient",
    "Learner",
    "LearnerConfig",
    "MemorizerAgent",
    "PPOConfig",
    "PeftPolicy",
    "PeftSpec",
    "RandomAgent",
    "Reinforce",
    "ReinforceConfig",
    "RolloutCollector",
    "RunConfig",
    "SupervisedClassifier",
    "SupervisedConfig",
    "SupervisedGenerator",
    "SupervisedTagger",
    "TaggingPolicy",
    "TrainConfig",
    "TrainResult",
    "__version__",
    "a2c_config",
    "build_run",
    "evaluate",
    "export_policy",
    "export_run",
    "load_backbone",
    "load_config",
    "load_policy",
    "run_bench",
    "tiny_backbone",
    "train",
]
