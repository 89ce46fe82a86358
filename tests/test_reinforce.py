"""The rollout core and REINFORCE: autoreset bookkeeping, and learning on a tiny task."""

from __future__ import annotations

import contextlib
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

import textenvs  # noqa: F401
from agents import RandomAgent, evaluate
from agents.learners.reinforce import ReinforceConfig, train_reinforce
from agents.learners.rollout import RolloutCollector
from agents.policies.backbones import tiny_backbone
from agents.policies.tagging import TaggingPolicy
from textenvs.data import TaggedSentence

TINY = [
    TaggedSentence(("Ann", "met", "Bob", "in", "Rome"), ("B-PER", "O", "B-PER", "O", "B-LOC")),
    TaggedSentence(("Acme", "hired", "Ann"), ("B-ORG", "O", "B-PER")),
    TaggedSentence(("Rome", "is", "big"), ("B-LOC", "O", "O")),
    TaggedSentence(("Bob", "left", "Acme", "Corp"), ("B-PER", "O", "B-ORG", "I-ORG")),
]
DATA = {"train": TINY, "test": TINY}


def make_policy() -> TaggingPolicy:
    torch.manual_seed(0)
    tags = gym.make("TextNER-v0", dataset=DATA).unwrapped.tag_names
    return TaggingPolicy(tiny_backbone("encoder", hidden_size=32), tags, peft="none")


def group_learner(policy: TaggingPolicy, **config: object) -> Any:
    """RLOO on 4 tiny sentences x k=4 with the F1 reward; ``config`` overrides GroupConfig."""
    from agents.learners.group_pg import GroupConfig, GroupPolicyGradient

    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="f1")
    settings = {"k": 4, "examples_per_update": 4, "learning_rate": 3e-3, "seed": 2} | config
    return GroupPolicyGradient(policy, envs, GroupConfig(**settings))  # type: ignore[arg-type]


def assert_learned_the_tiny_task(
    policy: TaggingPolicy, log: list[dict[str, float]], gain: float = 0.2
) -> None:
    """The last 5 updates' mean return beats the first 5's by ``gain``; test F1 >= 0.7."""
    assert np.mean([r["return"] for r in log[-5:]]) > np.mean([r["return"] for r in log[:5]]) + gain
    assert evaluate(policy, "TextNER-v0", dataset=DATA)["f1"] >= 0.7


def test_rollout_marks_autoreset_steps_and_tracks_episodes() -> None:
    envs = gym.make_vec("TextNER-v0", num_envs=3, dataset=DATA, reward="token")
    collector = RolloutCollector(envs, make_policy(), seed=1)
    rollout = collector.collect(12)
    assert rollout.actions.shape == rollout.rewards.shape == rollout.valid.shape == (12, 3)
    for t in range(1, 12):
        for i in range(3):
            if rollout.dones[t - 1, i]:  # the next step only resets: no transition to learn from
                assert not rollout.valid[t, i] and rollout.rewards[t, i] == 0.0
            elif rollout.valid[t - 1, i]:  # the same episode goes on
                assert rollout.valid[t, i] and rollout.infos[t][i] is rollout.infos[t - 1][i]
            else:  # the previous step reset this sub-env: a new episode, a new reset info
                assert rollout.infos[t][i] is not rollout.infos[t - 1][i]
                assert (
                    rollout.infos[t][i]["words"]
                    == [list(s.words) for s in TINY][rollout.infos[t][i]["index"]]
                )
    assert rollout.dones.any() and not rollout.valid.all()
    chosen = rollout.masks[np.arange(12)[:, None], np.arange(3)[None, :], rollout.actions.numpy()]
    assert chosen.all()  # sampled actions respect action_masks()
    assert collector.env_steps == int(rollout.valid.sum())


def test_reinforce_learns_the_tiny_task() -> None:
    policy = make_policy()
    before = evaluate(policy, "TextNER-v0", dataset=DATA)["f1"]
    random = evaluate(RandomAgent(0), "TextNER-v0", dataset=DATA)["f1"]
    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="token")
    log = train_reinforce(
        policy, envs, ReinforceConfig(updates=60, steps_per_update=8, learning_rate=3e-3)
    )
    after = evaluate(policy, "TextNER-v0", dataset=DATA)["f1"]
    assert log[-1]["reward"] > log[0]["reward"] + 0.2
    assert after >= 0.8 and after > max(before, random) + 0.4


def test_bad_config_and_nan_reward() -> None:
    with pytest.raises(ValueError, match="baseline must be 'mean' or 'value'"):
        ReinforceConfig(baseline="median")
    with pytest.raises(ValueError, match="updates must be >= 1"):
        ReinforceConfig(updates=0)

    class NaNRewards(gym.vector.VectorWrapper):
        def step(self, actions):  # type: ignore[no-untyped-def]
            obs, rewards, terminated, truncated, infos = self.env.step(actions)
            return obs, rewards * np.nan, terminated, truncated, infos

    envs = NaNRewards(gym.make_vec("TextNER-v0", num_envs=2, dataset=DATA))
    with pytest.raises(ValueError, match="non-finite reward nan"):
        train_reinforce(make_policy(), envs, ReinforceConfig(updates=1))


@pytest.mark.parametrize("learner", ["ppo", "a2c"])
def test_ppo_and_a2c_learn_the_tiny_task(learner: str) -> None:
    from agents.learners.ppo import PPOConfig, a2c_config, train_ppo

    policy = make_policy()
    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="token")
    settings = {"updates": 25, "steps_per_update": 8, "learning_rate": 3e-3, "seed": 1}
    config = (
        PPOConfig(**settings) if learner == "ppo" else a2c_config(**{**settings, "updates": 60})
    )
    log = train_ppo(policy, envs, config)
    assert log[-1]["reward"] > log[0]["reward"] + 0.2
    assert evaluate(policy, "TextNER-v0", dataset=DATA)["f1"] >= 0.8


def test_ppo_target_kl_stops_epochs_early() -> None:
    from agents.learners.ppo import PPOConfig, train_ppo

    envs = gym.make_vec("TextNER-v0", num_envs=8, dataset=DATA, reward="token")
    config = PPOConfig(updates=3, epochs=10, learning_rate=5e-2, target_kl=1e-4)
    log = train_ppo(make_policy(), envs, config)
    assert any(row["epochs"] < 10 for row in log)
    with pytest.raises(ValueError, match="clip must be in"):
        PPOConfig(clip=1.5)


@pytest.mark.parametrize("method", ["rloo", "grpo"])
def test_group_learners_learn_the_tiny_task(method: str) -> None:
    policy = make_policy()
    log = group_learner(policy, method=method, updates=40).learn()
    assert_learned_the_tiny_task(policy, log)


def test_rloo_and_grpo_classes_are_the_group_learner_with_their_method() -> None:
    from agents import GRPO, RLOO, GroupConfig, GroupPolicyGradient

    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="f1")
    config = GroupConfig(k=4, examples_per_update=4, seed=2)
    rloo, grpo = RLOO(make_policy(), envs, config), GRPO(make_policy(), envs, config)
    assert isinstance(grpo, GroupPolicyGradient) and isinstance(grpo, RLOO)
    assert (rloo.config.method, grpo.config.method, config.method) == ("rloo", "grpo", "rloo")
    # The same rollout: GRPO's advantages are RLOO's up to each group's scale.
    rollout = rloo.collector.collect_episodes(4, 4)
    returns = (rollout.rewards * rollout.valid).sum(0).reshape(4, 4)
    centred = returns - returns.mean(1, keepdim=True)
    scale = returns.std(1, unbiased=False, keepdim=True) + 1e-6
    assert torch.allclose(grpo.advantages(rollout)[0], (centred / scale).reshape(-1), atol=1e-5)
    assert torch.allclose(rloo.advantages(rollout)[0], (centred * 4 / 3).reshape(-1), atol=1e-5)
    with pytest.raises(ValueError, match="per_step"):
        GRPO(make_policy(), envs, GroupConfig(k=4, examples_per_update=4, per_step=True))


def test_rloo_with_per_step_advantages_learns_the_tiny_task() -> None:
    from agents.learners.group_pg import GroupConfig, train_group

    policy = make_policy()
    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="delta_f1")
    config = GroupConfig(
        k=4, examples_per_update=4, updates=40, learning_rate=3e-3, seed=2, per_step=True
    )
    log = train_group(policy, envs, config)
    assert_learned_the_tiny_task(policy, log)
    with pytest.raises(ValueError, match="per_step advantages are defined for method='rloo'"):
        GroupConfig(method="grpo", per_step=True)


def test_rloo_epochs_reuse_each_rollout_and_learn_the_tiny_task() -> None:
    policy = make_policy()
    learner = group_learner(policy, updates=25, epochs=3)
    log = learner.learn()
    # Three Adam steps per rollout, one rollout (16 episodes) per update.
    steps = {int(state["step"]) for state in learner.optimizer.state.values()}
    assert steps == {25 * 3}
    assert learner.env_steps == sum(len(r.words) for r in TINY) * 4 * 25
    assert_learned_the_tiny_task(policy, log, gain=0.5)


@pytest.mark.parametrize(("peft", "kl_coef", "epochs"), [("none", 0.0, 1), ("lora", 0.1, 2)])
def test_rloo_reuses_the_acting_forward_pass_exactly(
    peft: str, kl_coef: float, epochs: int
) -> None:
    def run(reuse: bool) -> tuple[list[torch.Tensor], int, list[dict[str, float]]]:
        torch.manual_seed(0)
        tags = gym.make("TextNER-v0", dataset=DATA).unwrapped.tag_names
        policy = TaggingPolicy(tiny_backbone("encoder", hidden_size=32), tags, peft=peft)
        if not reuse:  # what a policy without the feature does: encode again for the loss
            policy.reusing_acting_forward = contextlib.nullcontext  # type: ignore[method-assign]
        learner = group_learner(policy, updates=3, kl_coef=kl_coef, epochs=epochs)
        calls = policy.encoder_calls
        log = learner.learn()
        return [p.detach().clone() for p in learner.parameters], policy.encoder_calls - calls, log

    reused, reused_calls, reused_log = run(reuse=True)
    again, again_calls, again_log = run(reuse=False)
    assert all(torch.equal(a, b) for a, b in zip(reused, again))  # the same updates, exactly
    assert [r["loss"] for r in reused_log] == [r["loss"] for r in again_log]
    # Per update: one acting pass, one for the reference (with a KL penalty; never reused)
    # and one per epoch, less the one reused.
    passes = 1 + (kl_coef > 0) + epochs
    assert again_calls == 3 * passes and reused_calls == 3 * (passes - 1)
    if kl_coef:
        assert any(r["kl"] != 0 for r in reused_log)


def test_rloo_drops_zero_advantage_steps_from_the_gradient_pass() -> None:
    def first_update(drop: bool) -> tuple[dict[str, float], list[int]]:
        policy = make_policy()
        learner = group_learner(policy, seed=3, drop_zero_advantage=drop)
        encoded: list[int] = []
        encode = policy.encode_words
        policy.encode_words = lambda sentences: encoded.append(len(sentences)) or encode(sentences)  # type: ignore[method-assign]
        return learner.update(), encoded

    kept, kept_encoded = first_update(drop=True)
    every, every_encoded = first_update(drop=False)
    # A random tagger often scores 0 on every sample of a group: those steps teach nothing.
    assert 0 < kept["learned_steps"] < 1 and every["learned_steps"] == 1
    assert kept["return"] == every["return"]  # the same rollout
    # The same policy-gradient sum over fewer steps: the mean scales by the fraction kept.
    assert kept["loss"] * kept["learned_steps"] == pytest.approx(every["loss"], rel=1e-5)
    # Acting reads the 4 texts; the gradient pass only the texts of groups that differed.
    assert every_encoded == [4] and kept_encoded[0] == 4
    assert len(kept_encoded) == 2 and 0 < kept_encoded[1] < 4


def test_rloo_with_nothing_to_learn_still_steps_and_learns_the_tiny_task() -> None:
    policy = make_policy()
    learner = group_learner(policy, updates=40, drop_zero_advantage=True)
    advantages = learner.advantages
    learner.advantages = lambda rollout: advantages(rollout) * 0  # type: ignore[method-assign]
    calls, before = policy.encoder_calls, [p.detach().clone() for p in learner.parameters]
    row = learner.update()
    assert row["learned_steps"] == 0 and "loss" not in row
    assert policy.encoder_calls == calls + 1  # acting only
    assert all(torch.equal(a, b) for a, b in zip(before, learner.parameters))
    del learner.advantages
    log = learner.learn()
    assert_learned_the_tiny_task(policy, log)


def test_exploring_collector_samples_the_mix_and_records_its_logprobs() -> None:
    def rollout(explore: float) -> Any:
        policy = make_policy()
        with torch.no_grad():  # a policy sure of O: every other tag comes from exploring
            policy.tag_head.bias[0] = 30.0
        envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="f1")
        return RolloutCollector(envs, policy, seed=1, explore=explore).collect(40)

    plain, exploring = rollout(0.0), rollout(0.3)
    assert torch.equal(plain.behaviour_logprobs, plain.logprobs)
    assert (plain.actions[plain.valid] == 0).all()
    valid = exploring.valid
    taken = exploring.masks[
        np.arange(40)[:, None], np.arange(16)[None, :], exploring.actions.numpy()
    ]
    assert taken.all()  # exploring stays within action_masks()
    # Each step draws uniformly from its valid tags with probability 0.3, so about
    # 0.3 * (valid - 1) / valid of the steps leave O.
    n_valid = torch.as_tensor(exploring.masks.sum(-1), dtype=torch.float64)
    expected = float((0.3 * (n_valid - 1) / n_valid)[valid].mean())
    assert float((exploring.actions[valid] != 0).double().mean()) == pytest.approx(
        expected, abs=0.05
    )
    # The recorded behaviour log-probabilities are the mix's, the logprobs the policy's.
    mix = 0.7 * exploring.logprobs.double().exp() + 0.3 / n_valid
    assert torch.allclose(exploring.behaviour_logprobs.double(), mix.log(), atol=1e-5)
    assert (exploring.logprobs[valid & (exploring.actions != 0)] < -20).all()
    with pytest.raises(ValueError, match=r"explore must be in \[0, 1\)"):
        RolloutCollector(gym.make_vec("TextNER-v0", num_envs=2, dataset=DATA), None, explore=1.0)


def test_rloo_weighs_the_advantages_of_explored_steps() -> None:
    from agents.learners.advantages import exploration_weights

    learner = group_learner(make_policy(), explore=0.3)
    rollouts: list[Any] = []
    collect = learner.collector.collect_episodes
    learner.collector.collect_episodes = lambda *a: rollouts.append(collect(*a)) or rollouts[-1]
    row = learner.update()
    rollout = rollouts[0]
    valid, logprobs = rollout.valid, rollout.logprobs.double()
    advantages = learner.advantages(rollout).double()
    weights = exploration_weights(logprobs, rollout.behaviour_logprobs.double(), advantages)
    assert (weights[valid] < 0.9).any()  # some explored steps did worse and count for less
    weighted = -(logprobs * advantages * weights)[valid].mean().item()
    plain = -(logprobs * advantages)[valid].mean().item()
    assert row["loss"] == pytest.approx(weighted, rel=1e-4)
    assert abs(weighted - plain) > 1e-3


def test_rloo_exploring_learns_the_tiny_task() -> None:
    policy = make_policy()
    learner = group_learner(policy, updates=40, explore=0.1, drop_zero_advantage=True)
    log = learner.learn()
    assert_learned_the_tiny_task(policy, log)


def test_group_config_errors() -> None:
    from agents.learners.group_pg import GroupConfig, train_group

    with pytest.raises(ValueError, match="k must be >= 2"):
        GroupConfig(k=1)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        GroupConfig(epochs=0)
    with pytest.raises(ValueError, match="clip must be in"):
        GroupConfig(clip=0.0)
    with pytest.raises(ValueError, match="explore must be in"):
        GroupConfig(explore=-0.1)
    envs = gym.make_vec("TextNER-v0", num_envs=6, dataset=DATA)
    with pytest.raises(ValueError, match="needs a vector env of 16 sub-envs, got 6"):
        train_group(make_policy(), envs, GroupConfig())


@pytest.mark.parametrize("previous", [False, True])
def test_supervised_baseline_fits_the_tiny_task(previous: bool) -> None:
    from agents.learners.supervised import SupervisedConfig, train_supervised_tagger

    torch.manual_seed(0)
    tags = gym.make("TextNER-v0", dataset=DATA).unwrapped.tag_names
    policy = TaggingPolicy(
        tiny_backbone("encoder"), tags, peft="none", condition_on_previous_tag=previous
    )
    log = train_supervised_tagger(
        policy, TINY, SupervisedConfig(epochs=40, batch_size=4, learning_rate=3e-3)
    )
    assert log[-1]["loss"] < 0.3 * log[0]["loss"]
    assert evaluate(policy, "TextNER-v0", dataset=DATA)["f1"] >= 0.9
    with pytest.raises(ValueError, match=r"gold tags \['B-GENE'\] are not among"):
        train_supervised_tagger(policy, [TaggedSentence(("x",), ("B-GENE",))])


def test_rollouts_on_native_and_sync_vector_envs_agree() -> None:
    kwargs = {"num_envs": 3, "dataset": DATA, "reward": "delta_f1"}
    native = RolloutCollector(
        gym.make_vec("TextNER-v0", vectorization_mode="vector_entry_point", **kwargs),
        make_policy(),
        seed=5,
    ).collect(10)
    sync = RolloutCollector(
        gym.make_vec("TextNER-v0", vectorization_mode="sync", **kwargs), make_policy(), seed=5
    ).collect(10)
    for name in ("actions", "rewards", "dones", "valid"):
        assert torch.equal(getattr(native, name), getattr(sync, name)), name
    assert torch.allclose(native.logprobs, sync.logprobs) and (native.masks == sync.masks).all()


def test_a_nan_loss_stops_without_touching_the_parameters() -> None:
    from agents.learners.optim import gradient_step

    weight = torch.nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    with pytest.raises(FloatingPointError, match="update 7: the loss is nan; stopping"):
        gradient_step((weight * float("nan")).sum(), optimizer, [weight], 1.0, "update 7")
    assert weight.tolist() == [1.0, 1.0]


def test_whole_episode_rollouts_play_one_episode_per_sub_env() -> None:
    envs = gym.make_vec("TextNER-v0", num_envs=5, dataset=DATA, reward="token")
    policy = make_policy()
    collector = RolloutCollector(envs, policy, seed=1)
    collector.collect(3)  # mid-episode sub-envs are restarted on drawn records
    rollout = collector.collect_episodes(5)
    for i in range(5):
        steps = int(rollout.valid[:, i].sum())
        assert rollout.valid[:steps, i].all() and not rollout.valid[steps:, i].any()
        assert rollout.dones[steps - 1, i] and not rollout.dones[: steps - 1, i].any()
        assert steps == len(rollout.infos[0][i]["words"])  # the whole sentence, from its start
        assert all(rollout.infos[t][i] is rollout.infos[0][i] for t in range(len(rollout.infos)))
    assert len(rollout.infos) == max(
        len(s) for s in (rollout.infos[0][i]["words"] for i in range(5))
    )
    calls = policy.encoder_calls
    collector.collect_episodes(5)
    assert policy.encoder_calls == calls + 1  # the new sentences, read together, once


@pytest.mark.parametrize("learner", ["reinforce", "ppo"])
def test_learners_on_whole_episodes_learn_the_tiny_task(learner: str) -> None:
    from agents.learners.ppo import PPOConfig, train_ppo

    policy = make_policy()
    envs = gym.make_vec("TextNER-v0", num_envs=16, dataset=DATA, reward="token")
    settings = {"updates": 30, "whole_episodes": True, "learning_rate": 3e-3, "seed": 1}
    if learner == "ppo":
        log = train_ppo(policy, envs, PPOConfig(**settings))
    else:
        log = train_reinforce(policy, envs, ReinforceConfig(**settings))
    assert log[-1]["reward"] > log[0]["reward"] + 0.2
    assert evaluate(policy, "TextNER-v0", dataset=DATA)["f1"] >= 0.8
