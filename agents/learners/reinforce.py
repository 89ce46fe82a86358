"""REINFORCE with reward-to-go, a baseline and an entropy bonus, on the shared rollout core.

Reads top to bottom like CleanRL: collect a rollout, compute returns, take one gradient step.
The learner sees only the env's rewards (never ``info``'s gold answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import torch

from agents.learners.advantages import reward_to_go
from agents.learners.base import Learner, RolloutConfig
from textenvs.errors import InputError


@dataclass
class ReinforceConfig(RolloutConfig):
    """REINFORCE settings; every field says what it does."""

    gamma: float = field(default=1.0, metadata={"help": "discount of the reward-to-go"})
    baseline: str = field(default="mean", metadata={"help": "'mean' (running mean) or 'value'"})
    baseline_momentum: float = field(default=0.9, metadata={"help": "running-mean momentum"})
    value_coef: float = field(
        default=0.5, metadata={"help": "value loss weight ('value' baseline)"}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0 <= self.gamma <= 1:
            raise InputError(f"gamma must be in [0, 1], got {self.gamma!r}")
        if self.baseline not in ("mean", "value"):
            raise InputError(f"baseline must be 'mean' or 'value', got {self.baseline!r}")


class Reinforce(Learner):
    """REINFORCE on ``envs`` (a vector env) for ``policy``; see the module docstring."""

    resumable = ("collector", "running_mean")

    def __init__(
        self, policy: Any, envs: gym.vector.VectorEnv, config: ReinforceConfig | None = None
    ) -> None:
        self.config = config = config or ReinforceConfig()
        super().__init__(policy, config)
        self.collector = self.make_collector(envs)
        self.running_mean = 0.0

    def update(self) -> dict[str, float]:
        """One rollout, one gradient step."""
        config = self.config
        with self.reusing_acting_forward():
            rollout = self.collect()
            bootstrap = rollout.last_values if config.baseline == "value" else None
            returns = reward_to_go(rollout.rewards, rollout.dones, config.gamma, bootstrap)
            index, observations, infos, masks, actions = rollout.valid_samples()
            logprobs, entropy, values = self.policy.evaluate_actions(
                observations, infos, actions, masks
            )
            returns = returns.reshape(-1)[index].to(logprobs.device)
            if config.baseline == "value":
                baseline = values.detach()
                value_loss = (values - returns).pow(2).mean()
            else:
                baseline = torch.full_like(returns, self.running_mean)
                value_loss = torch.zeros((), device=logprobs.device)
                self.running_mean = config.baseline_momentum * self.running_mean + (
                    1 - config.baseline_momentum
                ) * float(returns.mean())
            advantages = returns - baseline
            policy_loss = -(logprobs * advantages).mean()
            loss = (
                policy_loss - config.entropy_coef * entropy.mean() + config.value_coef * value_loss
            )
            self.step(loss)
        self.updates_done += 1
        return self.rollout_log(rollout) | {
            "policy_loss": policy_loss.item(),
            "value_loss": value_loss.item(),
            "entropy": entropy.mean().item(),
        }


def train_reinforce(
    policy: Any, envs: gym.vector.VectorEnv, config: ReinforceConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` on ``envs`` with REINFORCE; returns one log row per update."""
    return Reinforce(policy, envs, config).learn()
