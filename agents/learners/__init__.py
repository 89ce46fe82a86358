"""Learners: policy-gradient methods on one shared rollout core, and the supervised baseline.

Each learner module shows its loss and update in one place (``reinforce.py``, ``ppo.py``,
``group_pg.py``, ``supervised.py``); what they share lives beside them: the rollout core
(``rollout.py``), advantage estimators (``advantages.py``), the KL penalty (``kl.py``), the
checked gradient step (``optim.py``), the moving average of the weights (``averaging.py``)
and the learner base with its settings (``base.py``).
RL learners read the env's rewards only, never its gold answers.
"""

from agents.learners.base import Learner, LearnerConfig, RolloutConfig
from agents.learners.group_pg import GRPO, RLOO, GroupConfig, GroupPolicyGradient
from agents.learners.ppo import PPO, PPOConfig, a2c_config
from agents.learners.reinforce import Reinforce, ReinforceConfig
from agents.learners.rollout import Rollout, RolloutCollector
from agents.learners.supervised import (
    SupervisedClassifier,
    SupervisedConfig,
    SupervisedGenerator,
    SupervisedTagger,
)

__all__ = [
    "GRPO",
    "PPO",
    "RLOO",
    "GroupConfig",
    "GroupPolicyGradient",
    "Learner",
    "LearnerConfig",
    "PPOConfig",
    "Reinforce",
    "ReinforceConfig",
    "Rollout",
    "RolloutCollector",
    "RolloutConfig",
    "SupervisedClassifier",
    "SupervisedConfig",
    "SupervisedGenerator",
    "SupervisedTagger",
    "a2c_config",
]
