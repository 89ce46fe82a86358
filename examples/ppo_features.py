"""PPO in one file, CleanRL-style, on TextNER-v0's feature observations (torch only).

The agent is two small MLPs (actor and critic) over ``observation="features"``: hashed
features of the current word and its context, and the tags already chosen. Invalid IOB2 tags
are masked out of the policy with the env's ``action_masks()``. The algorithm reads top to
bottom: collect a rollout from the native vector env, compute GAE advantages, run clipped PPO
epochs over minibatches, repeat; then tag the test split greedily and report its entity F1::

    python examples/ppo_features.py                  # about 200k env steps
    python examples/ppo_features.py --total-steps 50000 --seed 1
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from torch import nn

import textenvs  # noqa: F401  (registers the env ids)
from textenvs.metrics import corpus_span_scores


@dataclass
class Args:
    """The run's settings (each is a command-line flag: ``--total-steps``, ``--seed``, ...)."""

    env_id: str = "TextNER-v0"
    reward: str = "token"  # 1 per correct tag: a dense signal (the env's default is delta_f1)
    seed: int = 0
    total_steps: int = 200_000
    num_envs: int = 16
    num_steps: int = 128  # per env per rollout
    learning_rate: float = 1e-3
    gamma: float = 0.5  # a tag's reward comes at once; 0.99 adds later words' noise (0.61 F1)
    gae_lambda: float = 0.95
    num_minibatches: int = 8
    update_epochs: int = 4
    clip_coef: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    hidden: int = 128


def layer(inputs: int, outputs: int, std: float = np.sqrt(2)) -> nn.Linear:
    """A linear layer with CleanRL's orthogonal initialisation."""
    linear = nn.Linear(inputs, outputs)
    nn.init.orthogonal_(linear.weight, std)
    nn.init.constant_(linear.bias, 0.0)
    return linear


class Agent(nn.Module):
    """Actor and critic: one hidden layer each over the feature observation."""

    def __init__(self, observation_size: int, n_actions: int, hidden: int) -> None:
        super().__init__()
        self.critic = nn.Sequential(
            layer(observation_size, hidden), nn.Tanh(), layer(hidden, 1, std=1.0)
        )
        self.actor = nn.Sequential(
            layer(observation_size, hidden), nn.Tanh(), layer(hidden, n_actions, std=0.01)
        )

    def value(self, x: torch.Tensor) -> torch.Tensor:
        """The critic's estimate of each observation's return."""
        return self.critic(x).squeeze(-1)

    def act(
        self, x: torch.Tensor, mask: torch.Tensor, action: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """An action (sampled unless given), its log-probability, the entropy, the value."""
        logits = self.actor(x).masked_fill(~mask, -1e9)  # invalid tags: never chosen
        distribution = torch.distributions.Categorical(logits=logits)
        if action is None:
            action = distribution.sample()
        return action, distribution.log_prob(action), distribution.entropy(), self.value(x)


def test_f1(agent: Agent, env_id: str) -> float:
    """Entity F1 (seqeval's micro-F1) of greedy tagging over the test split, in order."""
    env = gym.make(env_id, split="test", observation="features")
    gold, predicted = [], []
    for index in range(len(env.unwrapped.corpus)):
        observation, _ = env.reset(options={"index": index})
        done = False
        while not done:
            x = torch.as_tensor(observation)[None]
            mask = torch.as_tensor(env.unwrapped.action_masks())[None]
            with torch.no_grad():
                logits = agent.actor(x).masked_fill(~mask, -1e9)
            observation, _, terminated, truncated, info = env.step(int(logits.argmax()))
            done = terminated or truncated
        gold.append(info["gold_tags"])
        predicted.append(info["pred_tags"])
    return corpus_span_scores(gold, predicted)["f1"]


def main(args: Args) -> None:
    """Train with PPO, then report the test split's entity F1."""
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # small MLPs: one thread is fastest (and no fight over cores)
    envs = gym.make_vec(
        args.env_id, num_envs=args.num_envs, observation="features", reward=args.reward
    )
    observation_size = envs.single_observation_space.shape[0]
    agent = Agent(observation_size, envs.single_action_space.n, args.hidden)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)
    batch_size = args.num_envs * args.num_steps
    minibatch_size = batch_size // args.num_minibatches
    iterations = args.total_steps // batch_size
    print(f"{args.env_id}: random F1 before training {test_f1(agent, args.env_id):.3f}")

    # Rollout storage, (num_steps, num_envs, ...).
    observations = torch.zeros((args.num_steps, args.num_envs, observation_size))
    masks = torch.zeros((args.num_steps, args.num_envs, envs.single_action_space.n), dtype=bool)
    actions = torch.zeros((args.num_steps, args.num_envs), dtype=torch.long)
    logprobs = torch.zeros((args.num_steps, args.num_envs))
    rewards = torch.zeros((args.num_steps, args.num_envs))
    dones = torch.zeros((args.num_steps, args.num_envs))
    values = torch.zeros((args.num_steps, args.num_envs))

    start = time.time()
    next_observation = torch.as_tensor(envs.reset(seed=args.seed)[0])
    next_done = torch.zeros(args.num_envs)
    # NEXT_STEP autoreset: the step after an episode ends (``dones[t] == 1``) only resets
    # that sub-env and ignores its action; it is no decision and stays out of the update.
    for iteration in range(1, iterations + 1):
        for step in range(args.num_steps):
            observations[step], dones[step] = next_observation, next_done
            masks[step] = torch.as_tensor(envs.unwrapped.action_masks())
            with torch.no_grad():
                action, logprob, _, value = agent.act(next_observation, masks[step])
            actions[step], logprobs[step], values[step] = action, logprob, value
            next_obs, reward, terminated, truncated, _ = envs.step(action.numpy())
            rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            next_observation = torch.as_tensor(next_obs)
            next_done = torch.as_tensor(np.logical_or(terminated, truncated), dtype=torch.float32)

        # GAE over the rollout; an ended episode never bootstraps from the next one.
        with torch.no_grad():
            next_value = agent.value(next_observation)
            advantages = torch.zeros_like(rewards)
            last = torch.zeros(args.num_envs)
            for t in reversed(range(args.num_steps)):
                done_after = next_done if t == args.num_steps - 1 else dones[t + 1]
                value_after = next_value if t == args.num_steps - 1 else values[t + 1]
                delta = rewards[t] + args.gamma * value_after * (1.0 - done_after) - values[t]
                last = delta + args.gamma * args.gae_lambda * (1.0 - done_after) * last
                advantages[t] = last
            returns = advantages + values

        # PPO epochs over shuffled minibatches of the decisions.
        keep = dones.reshape(-1) == 0  # the decisions (not the autoreset steps)
        b_obs = observations.reshape(-1, observation_size)[keep]
        b_masks = masks.reshape(-1, masks.shape[-1])[keep]
        b_actions, b_logprobs = actions.reshape(-1)[keep], logprobs.reshape(-1)[keep]
        b_advantages, b_returns = advantages.reshape(-1)[keep], returns.reshape(-1)[keep]
        n = len(b_obs)
        for _ in range(args.update_epochs):
            order = torch.randperm(n)
            for first in range(0, n, minibatch_size):
                mb = order[first : first + minibatch_size]
                _, new_logprob, entropy, new_value = agent.act(
                    b_obs[mb], b_masks[mb], b_actions[mb]
                )
                ratio = (new_logprob - b_logprobs[mb]).exp()
                mb_adv = b_advantages[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                policy_loss = torch.max(
                    -mb_adv * ratio,
                    -mb_adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef),
                ).mean()
                value_loss = 0.5 * (new_value - b_returns[mb]).pow(2).mean()
                loss = policy_loss - args.ent_coef * entropy.mean() + args.vf_coef * value_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        if iteration % 10 == 0 or iteration == iterations:
            mean_reward = rewards.reshape(-1)[keep].mean()
            print(
                f"step {iteration * batch_size:>7}: mean reward per step {mean_reward:.3f}, "
                f"{time.time() - start:.0f} s"
            )
    f1 = test_f1(agent, args.env_id)
    print(f"{args.env_id}: test F1 after {iterations * batch_size} steps {f1:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in vars(Args()).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    main(Args(**vars(parser.parse_args())))
