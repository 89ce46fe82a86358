"""Agents for the textenvs environments: baselines, the agent interface and evaluation.

LLM policies with PEFT heads and their learners build on these (torch, transformers, peft);
importing this package itself needs only numpy and gymnasium.
"""

from agents.evaluate import evaluate
from agents.protocol import Agent, BaseAgent, MajorityAgent, RandomAgent

__all__ = ["Agent", "BaseAgent", "MajorityAgent", "RandomAgent", "evaluate"]
