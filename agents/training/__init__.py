"""Training runs: the loop (evaluation, early stopping, logs, checkpoints), run configs.

:func:`train` drives any learner; :class:`RunConfig` and :func:`build_run` describe and build
a whole run (env, policy, learner) from YAML or code, the way the command line does;
:func:`export_run` writes a run's policy as a standard transformers model directory.
"""

from agents.training.checkpoint import CheckpointError
from agents.training.export import export_policy, export_run
from agents.training.loop import TrainConfig, TrainResult, train
from agents.training.runs import LEARNERS, Run, RunConfig, build_run, load_policy, run

__all__ = [
    "LEARNERS",
    "CheckpointError",
    "Run",
    "RunConfig",
    "TrainConfig",
    "TrainResult",
    "build_run",
    "export_policy",
    "export_run",
    "load_policy",
    "run",
    "train",
]
