"""RLOO and GRPO: k sampled episodes per example, advantages from the group, no critic.

Each update picks ``examples_per_update`` records of the env's split, starts ``k`` sub-envs
on each, plays every episode to its end (the rollout core's ``collect_groups``), and scores
each episode's return against its group: leave-one-out (RLOO) or group-normalised (GRPO). The
loss is REINFORCE's with those advantages, over every step of every episode. With
``per_step`` (RLOO), each step's reward-to-go is scored against the other samples' at the same
step instead, which suits envs that reward every step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import torch

from agents.advantages import (
    grpo_advantages,
    ppo_clipped_loss,
    reward_to_go,
    rloo_advantages,
    rloo_step_advantages,
)
from agents.learner import Learner, LearnerConfig


@dataclass
class GroupConfig(LearnerConfig):
    """RLOO / GRPO settings; every field says what it does."""

    method: str = field(default="rloo", metadata={"help": "'rloo' or 'grpo'"})
    k: int = field(default=4, metadata={"help": "episodes sampled per example"})
    examples_per_update: int = field(default=4, metadata={"help": "examples per update"})
    per_step: bool = field(
        default=False,
        metadata={
            "help": "rloo only: score each step's reward-to-go against the other samples' at "
            "the same step (for envs with per-step rewards, e.g. NER's delta_f1), instead of "
            "each episode's return against the others'"
        },
    )

    epochs: int = field(
        default=1,
        metadata={
            "help": "gradient steps on each update's episodes; after the first, PPO's clipped "
            "surrogate keeps the policy near the one that played them"
        },
    )
    clip: float = field(default=0.2, metadata={"help": "ratio clipping (epochs > 1)"})

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least_one("epochs")
        if not 0 < self.clip < 1:
            raise ValueError(f"clip must be in (0, 1), got {self.clip!r}")
        if self.method not in ("rloo", "grpo"):
            raise ValueError(f"method must be 'rloo' or 'grpo', got {self.method!r}")
        if self.per_step and self.method != "rloo":
            raise ValueError("per_step advantages are defined for method='rloo' only")
        if self.k < 2:
            raise ValueError(f"k must be >= 2 (a group needs other samples), got {self.k!r}")
        self.check_at_least_one("examples_per_update")


class GroupPolicyGradient(Learner):
    """RLOO or GRPO on ``envs`` (``examples_per_update * k`` sub-envs) for ``policy``.

    With N data-parallel processes, ``examples_per_update`` is the global number and each
    process plays ``examples_per_update / N`` groups on its ``envs``.
    """

    resumable = ("collector",)

    def __init__(
        self, policy: Any, envs: gym.vector.VectorEnv, config: GroupConfig | None = None
    ) -> None:
        self.config = config = config or GroupConfig()
        super().__init__(policy, config)
        self.groups = self.distributed.share(config.examples_per_update, "examples_per_update")
        n = self.groups * config.k
        if envs.num_envs != n:
            raise ValueError(
                f"{config.method} with {self.groups} examples x k={config.k} "
                f"needs a vector env of {n} sub-envs, got {envs.num_envs}"
            )
        self.collector = self.make_collector(envs)

    def update(self) -> dict[str, float]:
        """Sample k episodes on each of a few records; group advantages; one gradient step."""
        config = self.config
        with self.reusing_acting_forward():
            rollout = self.collector.collect_episodes(self.groups, config.k)
            valid = rollout.valid
            steps, observations, infos, masks, actions = rollout.valid_samples()
            if config.per_step:  # the k sub-envs of a group start together: steps line up
                to_go = reward_to_go(rollout.rewards * valid, rollout.dones)
                shape = (len(to_go), self.groups, config.k)
                advantages = rloo_step_advantages(to_go.reshape(shape), valid.reshape(shape))
                step_advantages = advantages.reshape(-1)[torch.as_tensor(steps)]
            else:  # each sub-env played exactly one episode: its return, against its group's
                returns = (rollout.rewards * valid).sum(0)
                advantage_fn = rloo_advantages if config.method == "rloo" else grpo_advantages
                advantages = advantage_fn(returns.reshape(-1, config.k)).reshape(-1)
                step_advantages = advantages[torch.as_tensor(steps % self.collector.envs.num_envs)]
            old_logprobs = rollout.logprobs.reshape(-1)[torch.as_tensor(steps)]
            for epoch in range(config.epochs):
                logprobs, entropy, _ = self.policy.evaluate_actions(
                    observations, infos, actions, masks
                )
                step_advantages = step_advantages.to(logprobs.device)
                if epoch == 0:  # on-policy: the plain policy gradient
                    policy_loss = -(logprobs * step_advantages).mean()
                else:
                    policy_loss = ppo_clipped_loss(
                        logprobs, old_logprobs.to(logprobs.device), step_advantages, config.clip
                    )
                loss = policy_loss - config.entropy_coef * entropy.mean()
                self.step(loss)
        self.updates_done += 1
        return self.rollout_log(rollout) | {
            "return": float((rollout.env_rewards * valid).sum(0).mean()),
            "loss": loss.item(),
            "entropy": entropy.mean().item(),
        }


def train_group(
    policy: Any, envs: gym.vector.VectorEnv, config: GroupConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` with RLOO or GRPO; ``envs.num_envs`` must be ``examples * k``."""
    return GroupPolicyGradient(policy, envs, config).learn()
