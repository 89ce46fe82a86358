"""REINFORCE with reward-to-go, a baseline and an entropy bonus, on the shared rollout core.

Reads top to bottom like CleanRL: collect a rollout, compute returns, take one gradient step.
The learner sees only the env's rewards (never ``info``'s gold answers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import torch

from agents.advantages import reward_to_go
from agents.optim import gradient_step
from agents.rollout import RolloutCollector


@dataclass
class ReinforceConfig:
    """REINFORCE settings; every field says what it does."""

    updates: int = field(default=100, metadata={"help": "gradient updates"})
    steps_per_update: int = field(default=16, metadata={"help": "env steps per sub-env per update"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    gamma: float = field(default=1.0, metadata={"help": "discount of the reward-to-go"})
    baseline: str = field(default="mean", metadata={"help": "'mean' (running mean) or 'value'"})
    baseline_momentum: float = field(default=0.9, metadata={"help": "running-mean momentum"})
    value_coef: float = field(
        default=0.5, metadata={"help": "value loss weight ('value' baseline)"}
    )
    entropy_coef: float = field(default=0.0, metadata={"help": "entropy bonus weight"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm"})
    seed: int = field(default=0, metadata={"help": "seed of the rollouts and the init"})

    def __post_init__(self) -> None:
        if self.baseline not in ("mean", "value"):
            raise ValueError(f"baseline must be 'mean' or 'value', got {self.baseline!r}")
        for name in ("updates", "steps_per_update"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate!r}")


def train_reinforce(
    policy: Any, envs: gym.vector.VectorEnv, config: ReinforceConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` on ``envs`` with REINFORCE; returns one log row per update."""
    config = config or ReinforceConfig()
    torch.manual_seed(config.seed)
    collector = RolloutCollector(envs, policy, seed=config.seed)
    parameters = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate)
    running_mean, log = 0.0, []
    for update in range(config.updates):
        rollout = collector.collect(config.steps_per_update)
        bootstrap = rollout.last_values if config.baseline == "value" else None
        returns = reward_to_go(rollout.rewards, rollout.dones, config.gamma, bootstrap)
        valid = rollout.valid.reshape(-1)
        observations, infos, masks, actions = rollout.flat()
        logprobs, entropy, values = policy.evaluate_actions(observations, infos, actions, masks)
        returns = returns.reshape(-1).to(logprobs.device)
        valid = valid.to(logprobs.device)
        if config.baseline == "value":
            baseline = values.detach()
            value_loss = (values - returns)[valid].pow(2).mean()
        else:
            baseline = torch.full_like(returns, running_mean)
            value_loss = torch.zeros((), device=logprobs.device)
            running_mean = config.baseline_momentum * running_mean + (
                1 - config.baseline_momentum
            ) * float(returns[valid].mean())
        advantages = returns - baseline
        policy_loss = -(logprobs * advantages)[valid].mean()
        loss = (
            policy_loss
            - config.entropy_coef * entropy[valid].mean()
            + config.value_coef * value_loss
        )
        gradient_step(loss, optimizer, parameters, config.max_grad_norm, f"update {update}")
        log.append(
            {
                "update": update,
                "reward": float(rollout.rewards.reshape(-1)[rollout.valid.reshape(-1)].mean()),
                "policy_loss": policy_loss.item(),
                "value_loss": value_loss.item(),
                "entropy": entropy[valid].mean().item(),
                "env_steps": collector.env_steps,
            }
        )
    return log
