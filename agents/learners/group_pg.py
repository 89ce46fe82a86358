"""RLOO and GRPO: k sampled episodes per example, advantages from the group, no critic.

Each update picks ``examples_per_update`` records of the env's split, starts ``k`` sub-envs
on each, plays every episode to its end (the rollout core's ``collect_groups``), and scores
each episode's return against its group: leave-one-out (RLOO) or group-normalised (GRPO). The
loss is REINFORCE's with those advantages, over every step of every episode. With
``per_step`` (RLOO), each step's reward-to-go is scored against the other samples' at the same
step instead, which suits envs that reward every step. With ``drop_zero_advantage`` the
gradient pass leaves out the steps whose advantage is 0 (DAPO's dynamic sampling): a
confident policy plays k identical episodes on most examples, which teach nothing, so acting
on many examples and learning from the few that differ costs little more than acting on few.
With ``explore`` the samples take a uniformly drawn valid action at some steps, so a group
can find what its policy would seldom sample; see
:func:`agents.learners.advantages.exploration_weights` for how those steps' advantages are weighed.
"""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import torch

from agents.learners.advantages import (
    exploration_weights,
    grpo_advantages,
    ppo_clipped_loss,
    reward_to_go,
    rloo_advantages,
    rloo_step_advantages,
)
from agents.learners.base import Learner, LearnerConfig
from textenvs.errors import InputError


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
    drop_zero_advantage: bool = field(
        default=False,
        metadata={
            "help": "learn only from the steps whose advantage is not 0 (a group whose "
            "samples all scored the same teaches nothing), so the gradient pass reads only "
            "their texts and a larger examples_per_update costs little more: DAPO's dynamic "
            "sampling"
        },
    )
    explore: float = field(
        default=0.0,
        metadata={
            "help": "probability that a sample takes a uniformly drawn valid action at a "
            "step instead of the policy's; an explored action that did worse than its group "
            "is importance-weighted (pi/q, at most 1), one that did better keeps its whole "
            "advantage"
        },
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least_one("epochs")
        if not 0 < self.clip < 1:
            raise InputError(f"clip must be in (0, 1), got {self.clip!r}")
        if self.method not in ("rloo", "grpo"):
            raise InputError(f"method must be 'rloo' or 'grpo', got {self.method!r}")
        if not 0 <= self.explore < 1:
            raise InputError(f"explore must be in [0, 1), got {self.explore!r}")
        if self.per_step and self.method != "rloo":
            raise InputError("per_step advantages are defined for method='rloo' only")
        if self.k < 2:
            raise InputError(f"k must be >= 2 (a group needs other samples), got {self.k!r}")
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
            raise InputError(
                f"{config.method} with {self.groups} examples x k={config.k} "
                f"needs a vector env of {n} sub-envs, got {envs.num_envs}"
            )
        self.collector = self.make_collector(envs, explore=config.explore)

    def update(self) -> dict[str, float]:
        """Sample k episodes on each of a few records; group advantages; one gradient step."""
        config = self.config
        # Acting's encoder passes serve the gradient step only if it reads the same texts.
        reuse = nullcontext() if config.drop_zero_advantage else self.reusing_acting_forward()
        with reuse:
            rollout = self.collector.collect_episodes(self.groups, config.k)
            steps, observations, infos, masks, actions = rollout.valid_samples()
            index = torch.as_tensor(steps)
            advantages = self.advantages(rollout).reshape(-1)[index]
            old_logprobs = rollout.logprobs.reshape(-1)[index]
            if config.explore:
                behaviour_logprobs = rollout.behaviour_logprobs.reshape(-1)[index]
                advantages = advantages * exploration_weights(
                    old_logprobs, behaviour_logprobs, advantages
                )
            if config.drop_zero_advantage:  # they add nothing to the loss; leave their texts out
                keep = torch.nonzero(advantages != 0).flatten()
                observations = [observations[i] for i in keep.tolist()]
                infos = [infos[i] for i in keep.tolist()]
                masks, actions = masks[keep.numpy()], actions[keep]
                advantages, old_logprobs = advantages[keep], old_logprobs[keep]
            log = {"learned_steps": len(actions) / max(1, len(steps))}
            for epoch in range(config.epochs):
                if not len(actions):  # every sample of every group scored the same
                    self.step(None)
                    continue
                logprobs, entropy, _ = self.policy.evaluate_actions(
                    observations, infos, actions, masks
                )
                advantages = advantages.to(logprobs.device)
                if epoch == 0:  # on-policy: the plain policy gradient
                    policy_loss = -(logprobs * advantages).mean()
                else:
                    policy_loss = ppo_clipped_loss(
                        logprobs, old_logprobs.to(logprobs.device), advantages, config.clip
                    )
                loss = policy_loss - config.entropy_coef * entropy.mean()
                self.step(loss)
                log |= {"loss": loss.item(), "entropy": entropy.mean().item()}
        self.updates_done += 1
        log["return"] = float((rollout.env_rewards * rollout.valid).sum(0).mean())
        return self.rollout_log(rollout) | log

    def advantages(self, rollout: Any) -> torch.Tensor:
        """``(steps, envs)`` advantages of every step of the groups' episodes (0 if invalid)."""
        config, valid = self.config, rollout.valid
        if config.per_step:  # the k sub-envs of a group start together: steps line up
            to_go = reward_to_go(rollout.rewards * valid, rollout.dones)
            shape = (len(to_go), self.groups, config.k)
            return rloo_step_advantages(to_go.reshape(shape), valid.reshape(shape)).reshape(
                valid.shape
            )
        # Each sub-env played exactly one episode: its return, against its group's.
        returns = (rollout.rewards * valid).sum(0)
        advantage_fn = rloo_advantages if config.method == "rloo" else grpo_advantages
        advantages = advantage_fn(returns.reshape(-1, config.k)).reshape(-1)
        return advantages[None, :] * valid


class RLOO(GroupPolicyGradient):
    """RLOO (REINFORCE leave-one-out): each episode's return against its group's other samples.

    The default group learner: unbiased, no critic, no baseline to tune. A
    :class:`GroupPolicyGradient` whose ``config.method`` is ``"rloo"`` (whatever ``config``
    says: the class names the method).
    """

    method = "rloo"

    def __init__(
        self, policy: Any, envs: gym.vector.VectorEnv, config: GroupConfig | None = None
    ) -> None:
        config = dataclasses.replace(config or GroupConfig(), method=self.method)
        super().__init__(policy, envs, config)


class GRPO(RLOO):
    """GRPO: each episode's return normalised by its group's mean and standard deviation.

    A :class:`GroupPolicyGradient` whose ``config.method`` is ``"grpo"``.
    """

    method = "grpo"


def train_group(
    policy: Any, envs: gym.vector.VectorEnv, config: GroupConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` with RLOO or GRPO; ``envs.num_envs`` must be ``examples * k``."""
    return GroupPolicyGradient(policy, envs, config).learn()
