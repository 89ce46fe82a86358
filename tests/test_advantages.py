"""Returns and advantages against values computed by hand."""

from __future__ import annotations

import pytest
import torch

from agents.learners.advantages import (
    gae,
    grpo_advantages,
    ppo_clipped_loss,
    reward_to_go,
    rloo_advantages,
)


def t(values):  # type: ignore[no-untyped-def]
    return torch.tensor(values, dtype=torch.float64)


def test_reward_to_go_resets_at_episode_ends() -> None:
    # One env: an episode of 2 steps, then one cut by the rollout's end after 2 steps.
    rewards = t([[1.0], [2.0], [3.0], [4.0]])
    dones = torch.tensor([[False], [True], [False], [False]])
    returns = reward_to_go(rewards, dones, gamma=0.5)
    assert returns[:, 0].tolist() == [1 + 0.5 * 2, 2, 3 + 0.5 * 4, 4]
    bootstrapped = reward_to_go(rewards, dones, gamma=0.5, last_values=t([10.0]))
    assert bootstrapped[:, 0].tolist() == [2, 2, 3 + 0.5 * (4 + 0.5 * 10), 4 + 0.5 * 10]


def test_gae_by_hand() -> None:
    rewards, values = t([[1.0], [0.0], [2.0]]), t([[0.5], [0.2], [0.4]])
    dones = torch.tensor([[False], [True], [False]])
    gamma, lam, last = 0.9, 0.8, t([1.0])
    advantages, returns = gae(rewards, values, dones, last, gamma, lam)
    delta2 = 2.0 + 0.9 * 1.0 - 0.4  # bootstraps from last_values
    delta1 = 0.0 - 0.2  # done: no bootstrap
    delta0 = 1.0 + 0.9 * 0.2 - 0.5
    expected = [delta0 + 0.9 * 0.8 * delta1, delta1, delta2]
    assert advantages[:, 0].tolist() == pytest.approx(expected)
    assert returns[:, 0].tolist() == pytest.approx(
        [a + v for a, v in zip(expected, [0.5, 0.2, 0.4])]
    )


def test_gae_with_lambda_one_is_monte_carlo_minus_value() -> None:
    rewards = torch.rand(6, 3, dtype=torch.float64)
    values = torch.rand(6, 3, dtype=torch.float64)
    dones = torch.zeros(6, 3, dtype=torch.bool)
    dones[[2, 5], [0, 1]] = True
    last = torch.rand(3, dtype=torch.float64)
    advantages, _ = gae(rewards, values, dones, last, gamma=0.95, lam=1.0)
    expected = reward_to_go(rewards, dones, 0.95, last) - values
    assert torch.allclose(advantages, expected)


def test_rloo_and_grpo() -> None:
    returns = t([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    assert rloo_advantages(returns).tolist() == [[1 - 2.5, 2 - 2.0, 3 - 1.5], [0.0, 0.0, 0.0]]
    std = (2 / 3) ** 0.5
    assert grpo_advantages(returns).tolist()[0] == pytest.approx([-1 / std, 0.0, 1 / std], rel=1e-5)
    assert grpo_advantages(returns).tolist()[1] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="at least 2 samples"):
        rloo_advantages(t([[1.0]]))


def test_ppo_clipped_objective_by_hand() -> None:
    old = t([0.0, 0.0, 0.0, 0.0])
    new = torch.log(t([1.5, 0.5, 1.5, 0.5]))
    advantages = t([1.0, 1.0, -1.0, -1.0])
    # ratio 1.5, A>0: clipped to 1.2 -> 1.2;  ratio 0.5, A>0: min(0.5, 0.8) -> 0.5
    # ratio 1.5, A<0: min(-1.5, -1.2) -> -1.5;  ratio 0.5, A<0: min(-0.5, -0.8) -> -0.8
    expected = -(1.2 + 0.5 - 1.5 - 0.8) / 4
    assert ppo_clipped_loss(new, old, advantages, clip=0.2).item() == pytest.approx(expected)


def test_rloo_step_advantages_by_hand() -> None:
    from agents.learners.advantages import rloo_step_advantages

    # one example, k=3 samples, 3 steps; sample 2 ended after step 1
    returns = torch.tensor([[[1.0, 0.5, 0.0]], [[0.5, 0.5, 2.0]], [[0.25, 0.0, 0.0]]])
    valid = torch.tensor([[[True, True, True]], [[True, True, True]], [[True, True, False]]])
    got = rloo_step_advantages(returns, valid)
    expected = torch.tensor(
        [
            [[1.0 - 0.25, 0.5 - 0.5, 0.0 - 0.75]],
            [[0.5 - 1.25, 0.5 - 1.25, 2.0 - 0.5]],
            [[0.25 - 0.0, 0.0 - 0.25, 0.0]],  # the ended sample: no advantage, no say
        ]
    )
    assert torch.allclose(got, expected)
    # alone at a step: scored against nothing (its reward-to-go)
    lone = rloo_step_advantages(torch.tensor([[[3.0, 1.0]]]), torch.tensor([[[True, False]]]))
    assert torch.equal(lone, torch.tensor([[[3.0, 0.0]]]))


def test_exploration_weights_by_hand() -> None:
    from agents.learners.advantages import exploration_weights

    policy = torch.log(t([0.1, 0.1, 0.9, 0.9, 0.3, 0.3]))
    behaviour = torch.log(t([0.5, 0.5, 0.6, 0.6, 0.3, 0.3]))
    advantages = t([2.0, -2.0, 2.0, -2.0, 1.0, -1.0])
    # explored and rare (r = 0.2): a gain kept whole, a loss importance-weighted;
    # the policy's favourite (r = 1.5) and on-policy (r = 1): unchanged either way, so
    # leave-one-out advantages still cancel on the steps every sample took alike.
    expected = [1.0, 0.2, 1.0, 1.0, 1.0, 1.0]
    assert exploration_weights(policy, behaviour, advantages).tolist() == pytest.approx(expected)
