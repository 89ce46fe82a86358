"""RLOO and GRPO: k sampled episodes per example, advantages from the group, no critic.

Each update picks ``examples_per_update`` records of the env's split, starts ``k`` sub-envs
on each (``reset(options={"reset_mask": group, "index": record})``), plays every episode to
its end, and scores each episode against its group: leave-one-out (RLOO) or group-normalised
(GRPO). The loss is REINFORCE's with those advantages, over every step of every episode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.advantages import grpo_advantages, rloo_advantages
from agents.optim import gradient_step
from agents.rollout import action_masks, reset_info, split


@dataclass
class GroupConfig:
    """RLOO / GRPO settings; every field says what it does."""

    method: str = field(default="rloo", metadata={"help": "'rloo' or 'grpo'"})
    k: int = field(default=4, metadata={"help": "episodes sampled per example"})
    examples_per_update: int = field(default=4, metadata={"help": "examples per update"})
    updates: int = field(default=50, metadata={"help": "gradient updates"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    entropy_coef: float = field(default=0.0, metadata={"help": "entropy bonus weight"})
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm"})
    seed: int = field(default=0, metadata={"help": "seed of example choice and sampling"})

    def __post_init__(self) -> None:
        if self.method not in ("rloo", "grpo"):
            raise ValueError(f"method must be 'rloo' or 'grpo', got {self.method!r}")
        if self.k < 2:
            raise ValueError(f"k must be >= 2 (a group needs other samples), got {self.k!r}")
        for name in ("examples_per_update", "updates"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")


def train_group(
    policy: Any, envs: gym.vector.VectorEnv, config: GroupConfig | None = None
) -> list[dict[str, float]]:
    """Train ``policy`` with RLOO or GRPO; ``envs.num_envs`` must be ``examples * k``."""
    config = config or GroupConfig()
    n = config.examples_per_update * config.k
    if envs.num_envs != n:
        raise ValueError(
            f"{config.method} with {config.examples_per_update} examples x k={config.k} needs "
            f"a vector env of {n} sub-envs, got {envs.num_envs}"
        )
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = torch.Generator().manual_seed(config.seed)
    size = len(envs.unwrapped.corpus) if hasattr(envs.unwrapped, "corpus") else None
    if size is None:
        raise ValueError("group learners need an env whose records can be chosen by index")
    parameters = [p for p in policy.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate)
    envs.reset(seed=config.seed)  # seeds the sub-envs; each group's reset below picks its record
    log = []
    for update in range(config.updates):
        records = rng.choice(
            size, size=config.examples_per_update, replace=size < config.examples_per_update
        )
        observations, infos = None, [None] * n
        for group, record in enumerate(records.tolist()):
            mask = np.zeros(n, dtype=np.bool_)
            mask[group * config.k : (group + 1) * config.k] = True
            observations, batch_infos = envs.reset(options={"reset_mask": mask, "index": record})
            for i in np.flatnonzero(mask):
                infos[i] = reset_info(batch_infos, int(i))
        steps: list[tuple[int, dict[str, Any], dict[str, Any], np.ndarray, int]] = []
        returns = np.zeros(n)
        running = np.ones(n, dtype=np.bool_)
        while running.any():
            masks = action_masks(envs)
            batch = split(observations, n)
            with torch.no_grad():
                logits, _ = policy.step_outputs(batch, infos, masks)
            probabilities = torch.distributions.Categorical(logits=logits.float().cpu()).probs
            actions = torch.multinomial(probabilities, 1, generator=generator)[:, 0].numpy()
            for i in np.flatnonzero(running):
                steps.append((int(i), batch[i], infos[i], masks[i], int(actions[i])))
            observations, rewards, terminated, truncated, _ = envs.step(actions)
            if not np.isfinite(rewards).all():
                raise ValueError(f"the env returned a non-finite reward {rewards}")
            returns[running] += rewards[running]
            running &= ~(terminated | truncated)
        grouped = torch.as_tensor(returns, dtype=torch.float32).reshape(-1, config.k)
        advantage_fn = rloo_advantages if config.method == "rloo" else grpo_advantages
        advantages = advantage_fn(grouped).reshape(-1)
        episode, batch_obs, batch_infos, batch_masks, batch_actions = zip(*steps)
        logprobs, entropy, _ = policy.evaluate_actions(
            list(batch_obs), list(batch_infos), torch.tensor(batch_actions), np.stack(batch_masks)
        )
        step_advantages = advantages[torch.tensor(episode)].to(logprobs.device)
        loss = -(logprobs * step_advantages).mean() - config.entropy_coef * entropy.mean()
        gradient_step(loss, optimizer, parameters, config.max_grad_norm, f"update {update}")
        log.append(
            {
                "update": update,
                "return": float(returns.mean()),
                "loss": loss.item(),
                "entropy": entropy.mean().item(),
                "env_steps": len(steps),
            }
        )
    return log
