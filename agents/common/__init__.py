"""What every part of ``agents`` shares: the agent interface, baselines, evaluation, configs.

Like Stable-Baselines3's ``common/``: nothing here knows about a particular policy or learner.
"""

from agents.common.baselines import MemorizerAgent, RandomAgent
from agents.common.config import ConfigError, load_config
from agents.common.evaluation import evaluate
from agents.common.protocol import Agent, BaseAgent

__all__ = [
    "Agent",
    "BaseAgent",
    "ConfigError",
    "MemorizerAgent",
    "RandomAgent",
    "evaluate",
    "load_config",
]
