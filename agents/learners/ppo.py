"""PPO (clipped surrogate, value loss, entropy bonus, minibatch epochs, target-KL early stop).

The algorithm is :meth:`PPO.update`, top to bottom as in CleanRL's ``ppo.py``: collect a
rollout, GAE advantages, then ``epochs`` passes of clipped-surrogate minibatch steps. What it
shares with the other learners lives beside it: the rollout core (``rollout.py``: acting,
masks, autoreset, KL penalty), ``gae`` and ``ppo_clipped_loss`` (``advantages.py``), the
checked gradient step (``optim.py``) and the optimizer and resumable state (``base.py``).
``epochs=1`` with one minibatch and no clipping effect is A2C (see :func:`a2c_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from agents.common.vector import episode_id
from agents.learners.advantages import gae, ppo_clipped_loss
from agents.learners.base import Learner, RolloutConfig
from textenvs.errors import InputError


@dataclass
class PPOConfig(RolloutConfig):
    """PPO settings; every field says what it does."""

    epochs: int = field(default=4, metadata={"help": "passes over each rollout"})
    minibatches: int = field(default=4, metadata={"help": "minibatches per pass"})
    gamma: float = field(
        default=1.0,
        metadata={
            "help": "discount; 1.0 for the text envs: their episodes are short and end, and "
            "an undiscounted return is the sum of the env's rewards (delta_f1 sums to the "
            "sentence's F1)"
        },
    )
    gae_lambda: float = field(default=0.95, metadata={"help": "GAE lambda, in [0, 1]"})
    clip: float = field(default=0.2, metadata={"help": "ratio clipping"})
    value_coef: float = field(default=0.5, metadata={"help": "value loss weight"})
    normalize_advantages: bool = field(default=True, metadata={"help": "per minibatch"})
    target_kl: float | None = field(default=None, metadata={"help": "stop epochs above this KL"})

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least_one("epochs", "minibatches")
        for name in ("gamma", "gae_lambda"):
            if not 0 <= getattr(self, name) <= 1:
                raise InputError(f"{name} must be in [0, 1], got {getattr(self, name)!r}")
        if not 0 < self.clip < 1:
            raise InputError(f"clip must be in (0, 1), got {self.clip!r}")


def a2c_config(**overrides: Any) -> PPOConfig:
    """A2C as a PPO special case: one pass, one batch, GAE advantages, no ratio clipping."""
    settings = {"epochs": 1, "minibatches": 1, "clip": 0.999, "normalize_advantages": False}
    return PPOConfig(**{**settings, **overrides})


class PPO(Learner):
    """PPO on ``envs`` (a vector env) for ``policy``; see the module docstring."""

    resumable = ("collector", "shuffle")

    def __init__(
        self, policy: Any, envs: gym.vector.VectorEnv, config: PPOConfig | None = None
    ) -> None:
        self.config = config = config or PPOConfig()
        super().__init__(policy, config)
        self.collector = self.make_collector(envs)
        self.shuffle = np.random.default_rng(config.seed)

    def update(self) -> dict[str, float]:
        """One rollout, then ``epochs`` passes of ``minibatches`` clipped-surrogate steps."""
        config = self.config
        rollout = self.collect()
        advantages, returns = gae(
            rollout.rewards,
            rollout.values,
            rollout.dones,
            rollout.last_values,
            config.gamma,
            config.gae_lambda,
        )
        observations, infos, masks, actions = rollout.flat()
        old_logprobs = rollout.logprobs.reshape(-1)
        advantages, returns = advantages.reshape(-1), returns.reshape(-1)
        samples = np.flatnonzero(rollout.valid.reshape(-1).numpy())
        episodes = episode_groups(samples, infos)
        approx_kl, epochs_run = 0.0, 0
        for _ in range(config.epochs):
            epochs_run += 1
            for batch in minibatches(episodes, config.minibatches, self.shuffle):
                if batch.size == 0:
                    # Every data-parallel process takes ``minibatches`` steps: an empty one
                    # joins the gradient average with zeros (in one process: no step).
                    self.step(None)
                    continue
                logprobs, entropy, values = self.policy.evaluate_actions(
                    [observations[i] for i in batch],
                    [infos[i] for i in batch],
                    actions[batch],
                    masks[batch],
                )
                device = logprobs.device
                batch_advantages = advantages[batch].to(device)
                if config.normalize_advantages and batch.size > 1:
                    batch_advantages = (batch_advantages - batch_advantages.mean()) / (
                        batch_advantages.std() + 1e-8
                    )
                policy_loss = ppo_clipped_loss(
                    logprobs, old_logprobs[batch].to(device), batch_advantages, config.clip
                )
                value_loss = (values - returns[batch].to(device)).pow(2).mean()
                loss = (
                    policy_loss
                    + config.value_coef * value_loss
                    - config.entropy_coef * entropy.mean()
                )
                self.step(loss)
                log_ratio = (logprobs - old_logprobs[batch].to(device)).detach()
                approx_kl = float(((log_ratio.exp() - 1) - log_ratio).mean())
            approx_kl = self.distributed.sum(approx_kl) / self.distributed.world_size
            if config.target_kl is not None and approx_kl > config.target_kl:
                break
        self.updates_done += 1
        return self.rollout_log(rollout) | {
            "policy_loss": policy_loss.item(),
            "value_loss": value_loss.item(),
            "entropy": entropy.mean().item(),
            "approx_kl": approx_kl,
            "epochs": epochs_run,
        }


def episode_groups(samples: np.ndarray, infos: list[dict[str, Any]]) -> list[np.ndarray]:
    """The sample indices of each episode (its ``episode_id``), in rollout order."""
    groups: dict[int, list[int]] = {}
    for sample in samples.tolist():
        groups.setdefault(episode_id(infos[sample]), []).append(sample)
    return [np.asarray(group) for group in groups.values()]


def minibatches(
    episodes: list[np.ndarray], count: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Exactly ``count`` shuffled minibatches of whole episodes (some empty if too few).

    A policy reads each episode's text once per forward pass (the encoder, or the prompt),
    so minibatches of whole episodes cost one read per episode per epoch, where minibatches
    of shuffled steps would re-read nearly every episode in every minibatch.
    """
    order = rng.permutation(len(episodes))
    return [
        np.concatenate([episodes[i] for i in part]) if len(part) else np.zeros(0, dtype=np.int64)
        for part in np.array_split(order, count)
    ]


def train_ppo(
    policy: Any, envs: gym.vector.VectorEnv, config: PPOConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` on ``envs`` with PPO; returns one log row per rollout."""
    return PPO(policy, envs, config).learn()
