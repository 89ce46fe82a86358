"""The rollout core: batched trajectories from a vector env, for every policy-gradient learner.

A policy for learners provides, besides the agent interface:

* ``step_outputs(observations, infos, masks) -> (masked logits, values)`` without gradients,
  for acting (``observations`` one dict per sub-env, ``infos`` each episode's reset info);
* ``evaluate_actions(observations, infos, actions, masks) -> (logprobs, entropy, values)``
  with gradients, for the update.

The collector honours ``action_masks()``, samples from the masked distribution, and records
log-probabilities, values and rewards per step. Vector envs autoreset on the step after an
episode ends (Gymnasium's ``NEXT_STEP`` mode): that step's action is ignored, so it is marked
invalid and learners leave it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch


@dataclass
class Rollout:
    """``steps`` steps of ``envs`` sub-envs; tensors are ``(steps, envs)``.

    Attributes:
        observations: per step, one observation dict per sub-env.
        infos: per step, each sub-env's episode reset info.
        masks: ``(steps, envs, n_actions)`` valid actions.
        actions, logprobs, values, rewards: what was done, its log-probability under the
            acting policy, the critic's value, and the env's reward.
        dones: the episode ended at this step (terminated or truncated).
        valid: the step was a real transition (not an autoreset step).
        last_values: ``(envs,)`` values after the last step (0 for sub-envs about to reset).
    """

    observations: list[list[dict[str, Any]]]
    infos: list[list[dict[str, Any]]]
    masks: np.ndarray
    actions: torch.Tensor
    logprobs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    dones: torch.Tensor
    valid: torch.Tensor
    last_values: torch.Tensor

    def flat(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]], np.ndarray, torch.Tensor]:
        """Observations, infos, masks and actions of all steps, flattened step-major."""
        observations = [o for step in self.observations for o in step]
        infos = [i for step in self.infos for i in step]
        return (
            observations,
            infos,
            self.masks.reshape(-1, self.masks.shape[-1]),
            self.actions.reshape(-1),
        )


class RolloutCollector:
    """Steps a vector env with a policy, keeping each sub-env's episode across rollouts.

    Args:
        envs: a Gymnasium vector env (native or ``SyncVectorEnv``), ``NEXT_STEP`` autoreset.
        policy: a policy with ``step_outputs`` (see the module docstring).
        seed: seeds the env reset and the action sampling.
    """

    def __init__(self, envs: gym.vector.VectorEnv, policy: Any, seed: int = 0) -> None:
        self.envs, self.policy = envs, policy
        self.generator = torch.Generator().manual_seed(seed)
        self.observations, infos = envs.reset(seed=seed)
        self.episode_infos = [reset_info(infos, i) for i in range(envs.num_envs)]
        self.waiting = np.zeros(envs.num_envs, dtype=np.bool_)
        self.env_steps = 0

    def collect(self, steps: int) -> Rollout:
        """Run ``steps`` steps of every sub-env and return what happened."""
        n = self.envs.num_envs
        record: dict[str, list[Any]] = {
            k: []
            for k in (
                "observations",
                "infos",
                "masks",
                "actions",
                "logprobs",
                "values",
                "rewards",
                "dones",
                "valid",
            )
        }
        for _ in range(steps):
            observations = split(self.observations, n)
            masks = action_masks(self.envs)
            with torch.no_grad():
                logits, values = self.policy.step_outputs(observations, self.episode_infos, masks)
            distribution = torch.distributions.Categorical(logits=logits.float().cpu())
            actions = torch.multinomial(distribution.probs, 1, generator=self.generator)[:, 0]
            record["observations"].append(observations)
            record["infos"].append(list(self.episode_infos))
            record["masks"].append(masks)
            record["actions"].append(actions)
            record["logprobs"].append(distribution.log_prob(actions))
            record["values"].append(values.float().cpu())
            record["valid"].append(torch.as_tensor(~self.waiting))
            self.observations, rewards, terminated, truncated, infos = self.envs.step(
                actions.numpy()
            )
            rewards = np.asarray(rewards, dtype=np.float64)
            if not np.isfinite(rewards).all():
                bad = int(np.flatnonzero(~np.isfinite(rewards))[0])
                raise ValueError(
                    f"the env returned a non-finite reward {rewards[bad]} (sub-env {bad})"
                )
            dones = np.logical_or(terminated, truncated)
            record["rewards"].append(torch.as_tensor(rewards, dtype=torch.float32))
            record["dones"].append(torch.as_tensor(dones))
            for i in np.flatnonzero(self.waiting):
                self.episode_infos[i] = reset_info(infos, int(i))
            self.waiting = dones
            self.env_steps += int(record["valid"][-1].sum())  # real transitions only
        with torch.no_grad():
            _, last = self.policy.step_outputs(
                split(self.observations, n), self.episode_infos, action_masks(self.envs)
            )
        last_values = last.float().cpu() * torch.as_tensor(~self.waiting)
        stack = torch.stack
        return Rollout(
            observations=record["observations"],
            infos=record["infos"],
            masks=np.stack(record["masks"]),
            actions=stack(record["actions"]),
            logprobs=stack(record["logprobs"]),
            values=stack(record["values"]),
            rewards=stack(record["rewards"]),
            dones=stack(record["dones"]),
            valid=stack(record["valid"]),
            last_values=last_values,
        )


def split(observations: dict[str, np.ndarray], n: int) -> list[dict[str, Any]]:
    """One observation dict per sub-env from a batched one."""
    return [{key: value[i] for key, value in observations.items()} for i in range(n)]


def reset_info(infos: dict[str, Any], env: int) -> dict[str, Any]:
    """Sub-env ``env``'s entries of a vector env's batched infos (its reset info)."""
    return {
        key: value[env]
        for key, value in infos.items()
        if not key.startswith("_") and infos.get(f"_{key}", np.ones(env + 1, bool))[env]
    }


def action_masks(envs: gym.vector.VectorEnv) -> np.ndarray:
    """``(num_envs, n_actions)`` valid actions: the env's ``action_masks()``, else all."""
    unwrapped = envs.unwrapped
    if hasattr(unwrapped, "action_masks"):
        return np.asarray(unwrapped.action_masks(), dtype=np.bool_)
    if hasattr(unwrapped, "envs"):  # SyncVectorEnv over envs with masks
        singles = [getattr(e.unwrapped, "action_masks", None) for e in unwrapped.envs]
        if all(singles):
            return np.stack([np.asarray(m(), dtype=np.bool_) for m in singles])
    return np.ones((envs.num_envs, envs.single_action_space.n), dtype=np.bool_)
