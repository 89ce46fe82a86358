"""Returns and advantages for policy-gradient learners, on ``(steps, envs)`` arrays.

The rollout core stores what a vector env gave, step by step: ``rewards[t, i]``,
``dones[t, i]`` (the episode of sub-env ``i`` ended at step ``t``) and the critic's
``values[t, i]``. These functions turn them into the targets every learner needs. A done
step does not bootstrap from the next step (that belongs to the next episode); the step after
the last one bootstraps from ``last_values`` unless it was done.
"""

from __future__ import annotations

import torch

from textenvs.errors import InputError


def reward_to_go(
    rewards: torch.Tensor,
    dones: torch.Tensor,
    gamma: float = 1.0,
    last_values: torch.Tensor | None = None,
) -> torch.Tensor:
    """Discounted return from each step to the end of its episode.

    Args:
        rewards: ``(steps, envs)``.
        dones: ``(steps, envs)``, True where the episode ended at that step.
        gamma: discount.
        last_values: ``(envs,)`` value estimates after the last step, for episodes still
            running when the rollout stopped (zeros if None: plain Monte-Carlo returns).
    """
    returns = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0]) if last_values is None else last_values.clone()
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = rewards[t] + gamma * running * (~dones[t])
        returns[t] = running
    return returns


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_values: torch.Tensor,
    gamma: float = 0.99,
    lam: float = 0.95,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (Schulman et al. 2016).

    Args:
        rewards: ``(steps, envs)``.
        values: ``(steps, envs)`` critic values of the states the actions were taken in.
        dones: ``(steps, envs)``, True where the episode ended at that step.
        last_values: ``(envs,)`` critic values after the last step.
        gamma: discount.
        lam: the GAE trade-off (0: one-step TD, 1: Monte-Carlo minus the value).

    Returns:
        ``(advantages, returns)`` with ``returns = advantages + values`` (the critic's target).
    """
    advantages = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[0])
    next_values = last_values
    for t in range(rewards.shape[0] - 1, -1, -1):
        live = (~dones[t]).to(rewards.dtype)
        delta = rewards[t] + gamma * next_values * live - values[t]
        running = delta + gamma * lam * live * running
        advantages[t] = running
        next_values = values[t]
    return advantages, advantages + values


def rloo_advantages(returns: torch.Tensor) -> torch.Tensor:
    """Leave-one-out baselines for ``k`` sampled episodes of each example.

    Args:
        returns: ``(examples, k)`` episode returns, ``k >= 2``.

    Returns:
        ``returns[i, j] - mean(returns[i, others])``.
    """
    k = returns.shape[-1]
    if k < 2:
        raise InputError(f"RLOO needs at least 2 samples per example, got {k}")
    return returns - (returns.sum(-1, keepdim=True) - returns) / (k - 1)


def rloo_step_advantages(returns: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Leave-one-out baselines per step, for ``k`` episodes played in lock step on one example.

    Step ``t`` of sample ``j`` is scored by its reward-to-go against the mean reward-to-go of
    the group's other samples at the same step (those still running). An action can change
    only the rewards from its own step on, and the baseline comes from independent samples,
    so the estimate stays unbiased; it drops the noise of the rewards before each step,
    which a whole-episode return keeps.

    Args:
        returns: ``(steps, examples, k)`` reward-to-go of each sample at each step.
        valid: ``(steps, examples, k)`` the sample was still running at that step.

    Returns:
        ``(steps, examples, k)`` advantages (0 where not valid; the reward-to-go itself where
        no other sample is running at that step).
    """
    if returns.shape[-1] < 2:
        raise InputError(f"RLOO needs at least 2 samples per example, got {returns.shape[-1]}")
    live = valid.to(returns.dtype)
    kept = returns * live
    others = kept.sum(-1, keepdim=True) - kept
    count = live.sum(-1, keepdim=True) - live
    baseline = others / count.clamp(min=1)
    return (returns - baseline) * live


def grpo_advantages(returns: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Group-normalised advantages (GRPO): ``(R - group mean) / (group std + eps)``.

    Args:
        returns: ``(examples, k)`` episode returns of ``k`` samples per example.
        eps: added to the standard deviation, so identical returns give zero advantage.
    """
    mean = returns.mean(-1, keepdim=True)
    std = returns.std(-1, unbiased=False, keepdim=True)
    return (returns - mean) / (std + eps)


def ppo_clipped_loss(
    logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor, clip: float = 0.2
) -> torch.Tensor:
    """PPO's clipped surrogate, as a loss to minimise (mean over the given steps).

    ``-mean(min(r A, clip(r, 1 - clip, 1 + clip) A))`` with ``r = exp(logprobs - old)``.
    """
    ratio = (logprobs - old_logprobs).exp()
    clipped = ratio.clamp(1.0 - clip, 1.0 + clip)
    return -torch.minimum(ratio * advantages, clipped * advantages).mean()


def exploration_weights(
    logprobs: torch.Tensor, behaviour_logprobs: torch.Tensor, advantages: torch.Tensor
) -> torch.Tensor:
    """Per-step weights of advantages earned by actions sampled off the policy.

    Where the advantage is negative: ``min(1, pi(a) / q(a))`` (the policy over the
    distribution the action was drawn from); elsewhere 1. An explored action that did worse
    than its group is importance-weighted, so the policy is not pushed off actions it seldom
    takes as if it had chosen them; one that did better keeps its whole advantage, as in
    self-imitation learning (Oh et al. 2018), which learns from returns above the baseline.
    A step every sample of a group took alike keeps weight 1 whatever its sign, so the
    group's leave-one-out advantages still cancel on it.

    Args:
        logprobs: ``log pi(a)`` of the sampled actions.
        behaviour_logprobs: ``log q(a)``, same shape.
        advantages: same shape.
    """
    ratio = (logprobs - behaviour_logprobs).exp()
    return torch.where(advantages < 0, ratio.clamp(max=1.0), torch.ones_like(ratio))
