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

With ``explore=eps`` the collector samples from the mix ``(1 - eps) * pi + eps * uniform``
over the valid actions instead, and records each action's log-probability under that mix
too (``Rollout.behaviour_logprobs``), for the learner to weigh.

With a KL controller (see :mod:`agents.learners.kl`), each valid step's reward becomes the env's
reward minus ``coef * (log pi(a|s) - log pi_ref(a|s))``, the reference being the policy with
its adapters disabled (``policy.reference()``). The reference scores the whole rollout's
actions at once, after the last step, with ``evaluate_actions`` (no gradients): one batched
pass, where acting alongside the policy would cost a second forward pass every step.
``Rollout.env_rewards`` keeps the env's own rewards for logging.

The collector's :meth:`~RolloutCollector.state_dict` is plain data (its envs' episodes in
flight, its random states), so a checkpoint can hold it without pickling objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from agents.common.vector import action_masks, refresh_episode_infos, reset_info, split
from agents.learners.kl import KLController
from textenvs.errors import InputError


@dataclass
class Rollout:
    """``steps`` steps of ``envs`` sub-envs; tensors are ``(steps, envs)``.

    Attributes:
        observations: per step, one observation dict per sub-env.
        infos: per step, each sub-env's episode reset info.
        masks: ``(steps, envs, n_actions)`` valid actions.
        actions, logprobs, values, rewards: what was done, its log-probability under the
            acting policy, the critic's value, and the reward to learn from (the env's,
            minus the KL penalty if there is one).
        behaviour_logprobs: the action's log-probability under the distribution it was
            sampled from: ``logprobs`` itself unless the collector explores.
        env_rewards: the env's rewards.
        kl: ``log pi - log pi_ref`` of the taken actions (zeros without a KL penalty).
        dones: the episode ended at this step (terminated or truncated).
        valid: the step was a real transition (not an autoreset step).
        last_values: ``(envs,)`` values after the last step (0 for sub-envs about to reset).
    """

    observations: list[list[dict[str, Any]]]
    infos: list[list[dict[str, Any]]]
    masks: np.ndarray
    actions: torch.Tensor
    logprobs: torch.Tensor
    behaviour_logprobs: torch.Tensor
    values: torch.Tensor
    rewards: torch.Tensor
    env_rewards: torch.Tensor
    kl: torch.Tensor
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

    def valid_samples(
        self,
    ) -> tuple[np.ndarray, list[dict[str, Any]], list[dict[str, Any]], np.ndarray, torch.Tensor]:
        """The real transitions only: ``(flat indices, observations, infos, masks, actions)``."""
        observations, infos, masks, actions = self.flat()
        index = np.flatnonzero(self.valid.reshape(-1).numpy())
        return (
            index,
            [observations[i] for i in index],
            [infos[i] for i in index],
            masks[index],
            actions[index],
        )


class RolloutCollector:
    """Steps a vector env with a policy, keeping each sub-env's episode across rollouts.

    Args:
        envs: a Gymnasium vector env (native or ``SyncVectorEnv``), ``NEXT_STEP`` autoreset.
        policy: a policy with ``step_outputs`` (see the module docstring).
        seed: seeds the env reset and the action sampling.
        kl: the KL penalty's controller, or None for no penalty.
        explore: the probability of each step's action being drawn uniformly from the valid
            actions instead of from the policy (0: on-policy).
    """

    FIELDS = (
        "observations",
        "infos",
        "masks",
        "actions",
        "logprobs",
        "behaviour_logprobs",
        "values",
        "env_rewards",
        "dones",
        "valid",
    )

    def __init__(
        self,
        envs: gym.vector.VectorEnv,
        policy: Any,
        seed: int = 0,
        kl: KLController | None = None,
        explore: float = 0.0,
    ) -> None:
        if not 0 <= explore < 1:
            raise InputError(f"explore must be in [0, 1), got {explore!r}")
        self.envs, self.policy, self.kl, self.explore = envs, policy, kl, explore
        if kl is not None and kl.coef > 0 and not hasattr(policy, "reference"):
            raise InputError(f"a KL penalty needs a policy with a reference(): {policy}")
        self.generator = torch.Generator().manual_seed(seed)
        self.observations, infos = envs.reset(seed=seed)
        self.episode_infos = [reset_info(infos, i) for i in range(envs.num_envs)]
        self.waiting = np.zeros(envs.num_envs, dtype=np.bool_)
        self.env_steps = 0
        self.record_rng = np.random.default_rng(seed)

    def collect(self, steps: int) -> Rollout:
        """Run ``steps`` steps of every sub-env and return what happened.

        Episodes still running from the last rollout are re-read with the current weights
        (the policy's acting caches are dropped), so the rollout is on-policy.
        """
        self._drop_acting_caches()
        record: dict[str, list[Any]] = {k: [] for k in self.FIELDS}
        for _ in range(steps):
            self._step(record, active=None)
        with torch.no_grad():
            _, last = self.policy.step_outputs(
                split(self.observations, self.envs.num_envs),
                self.episode_infos,
                action_masks(self.envs),
            )
        return self._rollout(record, last.float().cpu() * torch.as_tensor(~self.waiting))

    def collect_episodes(self, groups: int, k: int = 1) -> Rollout:
        """Play ``k`` whole episodes on each of ``groups`` records drawn from the env's split.

        Whole episodes make the cheapest rollouts for text policies: a policy reads each
        text once per update, where a rollout of a fixed number of steps also reads again
        the texts of every episode cut at its borders.
        """
        size = len(getattr(self.envs.unwrapped, "corpus", ()))
        if not size:
            raise InputError(
                "whole-episode rollouts need an env whose records can be chosen by index "
                "(a textenvs vector env)"
            )
        records = self.record_rng.choice(size, size=groups, replace=size < groups)
        return self.collect_groups(records.tolist(), k)

    def collect_groups(self, records: list[int], k: int) -> Rollout:
        """Play ``k`` episodes of each of ``records`` to their end, one group per ``k`` sub-envs.

        Group ``g`` (sub-envs ``g*k .. g*k+k-1``) restarts on record ``records[g]`` of the env's
        split; steps after a sub-env's episode ended are marked invalid.
        """
        n = self.envs.num_envs
        self._drop_acting_caches()
        if n != len(records) * k:
            raise InputError(
                f"{len(records)} groups of {k} need {len(records) * k} sub-envs, not {n}"
            )
        for group, index in enumerate(records):
            mask = np.zeros(n, dtype=np.bool_)
            mask[group * k : (group + 1) * k] = True
            self.observations, infos = self.envs.reset(
                options={"reset_mask": mask, "index": int(index)}
            )
            for i in np.flatnonzero(mask):
                self.episode_infos[i] = reset_info(infos, int(i))
        self.waiting[:] = False
        record: dict[str, list[Any]] = {k: [] for k in self.FIELDS}
        running = np.ones(n, dtype=np.bool_)
        while running.any():
            dones = self._step(record, active=running)
            running &= ~dones
        return self._rollout(record, torch.zeros(n))

    def _drop_acting_caches(self) -> None:
        if hasattr(self.policy, "load_acting_state"):
            self.policy.load_acting_state({})

    def _step(self, record: dict[str, list[Any]], active: np.ndarray | None) -> np.ndarray:
        """One step of every sub-env; ``active`` (default all) marks which steps count."""
        n = self.envs.num_envs
        observations = split(self.observations, n)
        masks = action_masks(self.envs)
        with torch.no_grad():
            logits, values = self.policy.step_outputs(observations, self.episode_infos, masks)
        distribution = torch.distributions.Categorical(logits=logits.float().cpu())
        behaviour = distribution.probs
        if self.explore:  # mix in a uniform draw over the valid actions
            valid_actions = torch.as_tensor(masks, dtype=behaviour.dtype)
            uniform = valid_actions / valid_actions.sum(-1, keepdim=True)
            behaviour = (1 - self.explore) * behaviour + self.explore * uniform
        actions = torch.multinomial(behaviour, 1, generator=self.generator)[:, 0]
        logprobs = distribution.log_prob(actions)
        behaviour_logprobs = (
            behaviour.gather(1, actions[:, None])[:, 0].log() if self.explore else logprobs
        )
        valid = ~self.waiting if active is None else active & ~self.waiting
        record["observations"].append(observations)
        record["infos"].append(list(self.episode_infos))
        record["masks"].append(masks)
        record["actions"].append(actions)
        record["logprobs"].append(logprobs)
        record["behaviour_logprobs"].append(behaviour_logprobs)
        record["values"].append(values.float().cpu())
        record["valid"].append(torch.as_tensor(valid))
        self.observations, rewards, terminated, truncated, infos = self.envs.step(actions.numpy())
        rewards = np.asarray(rewards, dtype=np.float64)
        if not np.isfinite(rewards).all():
            bad = int(np.flatnonzero(~np.isfinite(rewards))[0])
            raise InputError(f"the env returned a non-finite reward {rewards[bad]} (sub-env {bad})")
        dones = np.logical_or(terminated, truncated)
        record["env_rewards"].append(torch.as_tensor(rewards, dtype=torch.float32))
        record["dones"].append(torch.as_tensor(dones))
        restarted = self.waiting if active is None else self.waiting & active
        for i in np.flatnonzero(restarted):
            self.episode_infos[i] = reset_info(infos, int(i))
        refresh_episode_infos(self.envs, self.episode_infos, infos, valid)
        # A sub-env whose group episode has ended keeps its finished episode's info: the
        # episodes it autoresets into are never learned from, so the policy need not read them.
        self.waiting = dones
        self.env_steps += int(valid.sum())  # real transitions only
        return dones

    def _rollout(self, record: dict[str, list[Any]], last_values: torch.Tensor) -> Rollout:
        stack = torch.stack
        valid, env_rewards = stack(record["valid"]), stack(record["env_rewards"])
        rollout = Rollout(
            observations=record["observations"],
            infos=record["infos"],
            masks=np.stack(record["masks"]),
            actions=stack(record["actions"]),
            logprobs=stack(record["logprobs"]),
            behaviour_logprobs=stack(record["behaviour_logprobs"]),
            values=stack(record["values"]),
            rewards=env_rewards,
            env_rewards=env_rewards,
            kl=torch.zeros(valid.shape),
            dones=stack(record["dones"]),
            valid=valid,
            last_values=last_values,
        )
        if self.kl is not None and self.kl.coef > 0:
            kl = self.reference_kl(rollout)
            rollout.kl, rollout.rewards = kl, env_rewards - self.kl.coef * kl
            self.kl.update(float(kl[valid].mean()) if valid.any() else 0.0, int(valid.sum()))
        return rollout

    def reference_kl(self, rollout: Rollout) -> torch.Tensor:
        """``log pi - log pi_ref`` of every valid step's action (0 elsewhere), ``(steps, envs)``.

        The reference scores all the rollout's actions in one ``evaluate_actions`` call, as a
        learner's gradient pass does (a generative policy runs each prompt once and its
        completions on that cache), not step by step beside acting.
        """
        index, observations, infos, masks, actions = rollout.valid_samples()
        kl = torch.zeros(rollout.valid.numel())
        if len(index):
            with torch.no_grad(), self.policy.reference():
                reference, _, _ = self.policy.evaluate_actions(observations, infos, actions, masks)
            position = torch.as_tensor(index)
            kl[position] = rollout.logprobs.reshape(-1)[position] - reference.float().cpu()
        return kl.reshape(rollout.valid.shape)

    def state_dict(self) -> dict[str, Any]:
        """The episodes in flight and the random states, as plain data (not the policy).

        Raises:
            ValueError: the vector env cannot save its state (only textenvs' native vector
                envs, ``gym.make_vec``'s default for textenvs ids, can).
        """
        envs = self.envs.unwrapped
        if not hasattr(envs, "state_dict"):
            raise InputError(
                f"cannot checkpoint a run on a {type(envs).__name__}: only textenvs' native "
                "vector envs (gym.make_vec's default for textenvs ids) save their state"
            )
        return {
            "envs": envs.state_dict(),
            "observations": self.observations,
            "episode_infos": self.episode_infos,
            "waiting": self.waiting.copy(),
            "env_steps": self.env_steps,
            "record_rng": self.record_rng.bit_generator.state,
            "generator": self.generator.get_state(),
            "explore": self.explore,
            "kl_coef": None if self.kl is None else self.kl.coef,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict` (the same env arguments and learner settings)."""
        self.envs.unwrapped.load_state_dict(state["envs"])
        self.observations = state["observations"]
        self.episode_infos = list(state["episode_infos"])
        self.waiting = np.asarray(state["waiting"], dtype=np.bool_)
        self.env_steps = int(state["env_steps"])
        self.record_rng.bit_generator.state = state["record_rng"]
        self.generator.set_state(state["generator"])
        self.explore = float(state["explore"])
        if self.kl is not None and state["kl_coef"] is not None:
            self.kl.coef = float(state["kl_coef"])
