"""ClassificationPolicy on tiny random backbones: incremental reading, one-shot equality,
learner interface (acting vs evaluate_actions, gradients, a tiny learning run), IO."""

from __future__ import annotations

import contextlib
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

import textenvs  # noqa: F401
from agents import evaluate
from agents.learners.reinforce import Reinforce, ReinforceConfig, train_reinforce
from agents.learners.rollout import RolloutCollector
from agents.policies.backbones import load_backbone, tiny_backbone
from agents.policies.classification import ClassificationPolicy
from textenvs.data import LabeledText

# Held-out test texts recombine the training words: only the sentiment word decides.
KEYWORDS = {
    "train": [
        *(LabeledText(t, "positive") for t in ("a great film", "truly great", "great fun")),
        *(LabeledText(t, "positive") for t in ("a good story", "so good", "good acting")),
        *(LabeledText(t, "negative") for t in ("an awful film", "truly awful", "awful fun")),
        *(LabeledText(t, "negative") for t in ("a bad story", "so bad", "bad acting")),
    ],
    "test": [
        *(LabeledText(t, "positive") for t in ("a great story", "good fun", "so great")),
        *(LabeledText(t, "negative") for t in ("a bad film", "awful acting", "so awful")),
    ],
}


def make_policy(
    kind: str = "causal", mode: str = "read", peft: str = "lora"
) -> ClassificationPolicy:
    """``kind``: ``causal`` (an LM), ``encoder``, or ``encoder-causal`` (a causal mask)."""
    torch.manual_seed(0)
    labels = gym.make("TextClassification-v0").unwrapped.label_names
    backbone = (
        tiny_backbone("encoder", causal_mask=True)
        if kind == "encoder-causal"
        else tiny_backbone(kind)  # type: ignore[arg-type]
    )
    return ClassificationPolicy(backbone, labels, peft, mode)


def perturb(policy: ClassificationPolicy) -> None:
    """Move every trainable parameter, so that adapters (LoRA's B starts at 0) matter."""
    with torch.no_grad():
        for parameter in policy.parameters():
            if parameter.requires_grad:
                parameter.add_(0.05 * torch.randn_like(parameter))


@pytest.mark.parametrize("kind", ["causal", "encoder", "encoder-causal"])
def test_steps_match_the_one_shot_path(kind: str) -> None:
    policy = make_policy(kind)
    env = gym.make("TextClassification-v0", split="validation")
    obs, info = env.reset(options={"index": 3})
    text_length = len(env.unwrapped.corpus.tokens[3])
    step_logits, reads = [], 0
    while obs["position"] < text_length and reads < 6:
        mask = np.ones(3, dtype=bool)
        with torch.no_grad():
            step_logits.append(policy.step_logits([obs], [info], mask[None])[0])
        obs, _, _, _, step_info = env.step(0)
        info = {**info, **step_info}  # each read step's info gives the words read so far
        reads += 1
    lengths = list(range(1, len(step_logits) + 1))
    with torch.no_grad():
        one_shot, values = policy.forward_prefixes([info["tokens"]], [lengths])
    assert torch.allclose(torch.stack(step_logits), one_shot, atol=1e-5)
    assert values.shape == (len(lengths),)


@pytest.mark.parametrize("kind", ["causal", "encoder-causal"])
def test_causal_reading_feeds_each_word_once(kind: str) -> None:
    policy = make_policy(kind)
    env = gym.make("TextClassification-v0", split="validation")
    obs, info = env.reset(options={"index": 0})
    calls = policy.forward_calls
    for _ in range(5):
        policy.act(obs, info, env.unwrapped.action_masks())
        obs, _, _, _, step_info = env.step(0)
        info = {**info, **step_info}
    assert policy.forward_calls - calls == 5  # one short pass per new word, no re-reading


def test_masks_and_evaluation() -> None:
    policy = make_policy("causal")
    env = gym.make("TextClassification-v0", split="validation", max_length=4)
    obs, info = env.reset(options={"index": 0})
    for _ in range(3):
        obs, *_ = env.step(0)
    assert policy.act(obs, info, env.unwrapped.action_masks()) != 0  # reading is masked out
    metrics = evaluate(policy, "TextClassification-v0", split="validation", limit=8)
    assert metrics["episodes"] == 8 and 0.0 <= metrics["accuracy"] <= 1.0


def test_whole_mode_and_predict() -> None:
    policy = make_policy("encoder", mode="whole")
    metrics = evaluate(policy, "TextClassification-v0", split="validation", limit=4, mode="whole")
    assert metrics["mean_fraction_read"] == 1.0
    assert set(policy.predict(["A great film.", "Awful."])) <= {"negative", "positive"}


def test_mismatched_env_fails_clearly() -> None:
    policy = make_policy("causal", mode="whole")
    with pytest.raises(ValueError, match=r"built for classes .* in whole mode"):
        evaluate(policy, "TextClassification-v0", limit=1)
    env = gym.make("TextClassification-v0")
    obs, info = env.reset(seed=0)
    with pytest.raises(ValueError, match="the env has 3 actions but this policy has 2"):
        policy.act(obs, info, env.unwrapped.action_masks())


def test_save_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy("causal")
    with torch.no_grad():
        for parameter in policy.parameters():
            if parameter.requires_grad:
                parameter.add_(0.01 * torch.randn_like(parameter))
    policy.save(tmp_path)
    loaded = ClassificationPolicy.load(tmp_path, backbone=tiny_backbone("causal"))
    words = [["A", "great", "film", "."]]
    with torch.no_grad():
        assert torch.equal(
            policy.forward_prefixes(words, [[2, 4]])[0], loaded.forward_prefixes(words, [[2, 4]])[0]
        )


@pytest.mark.parametrize("kind", ["causal", "encoder", "encoder-causal"])
def test_evaluate_actions_matches_acting_over_a_rollout(kind: str, record_step_outputs) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy(kind)
    perturb(policy)
    recorded = record_step_outputs(policy)
    envs = gym.make_vec("TextClassification-v0", num_envs=4, split="validation", max_length=12)
    acting_calls = policy.forward_calls
    rollout = RolloutCollector(envs, policy, seed=0).collect(10)
    assert rollout.dones.any()  # the rollout spans several episodes per sub-env
    if kind != "encoder":  # the 4 sub-envs' new words in one pass per step (+ prefills)
        assert policy.forward_calls - acting_calls <= 2 * 11
    observations, infos, masks, actions = rollout.flat()
    calls = policy.forward_calls
    logprobs, entropy, values = policy.evaluate_actions(observations, infos, actions, masks)
    if kind != "encoder":  # every episode of the rollout read in one batched pass
        assert policy.forward_calls == calls + 1
    step_logits = torch.cat(recorded[:10])  # the last call scored the states after the rollout
    expected_entropy = torch.distributions.Categorical(logits=step_logits).entropy()
    assert torch.allclose(logprobs, rollout.logprobs.reshape(-1), atol=1e-5)
    assert torch.allclose(entropy, expected_entropy, atol=1e-5)
    assert torch.allclose(values, rollout.values.reshape(-1), atol=1e-5)
    assert torch.isinf(step_logits[~torch.as_tensor(masks)]).all()  # masked actions: -inf


@pytest.mark.parametrize("kind", ["causal", "encoder"])
def test_a_groups_samples_of_one_text_are_encoded_once(kind: str, record_step_outputs) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy(kind, mode="whole")
    perturb(policy)
    recorded = record_step_outputs(policy)
    encoded: list[int] = []  # sequences per transformer pass
    forward = policy._forward
    policy._forward = lambda sequences: encoded.append(len(sequences)) or forward(sequences)
    envs = gym.make_vec("TextClassification-v0", num_envs=8, split="validation", mode="whole")
    rollout = RolloutCollector(envs, policy, seed=0).collect_groups([2, 5], k=4)
    assert encoded == [2]  # acting encodes the 2 texts, not the 8 episodes, in one batch
    encoded.clear()
    observations, infos, masks, actions = rollout.flat()
    logprobs, _, values = policy.evaluate_actions(observations, infos, actions, masks)
    assert encoded == [2]  # the gradient pass too
    assert len(logprobs) == 8  # one step per episode, each with its own action's scores
    assert torch.allclose(logprobs, rollout.logprobs.reshape(-1), atol=1e-5)
    assert torch.allclose(values, rollout.values.reshape(-1), atol=1e-5)
    # A group's samples see one state (equal up to the head's batched-matmul rounding, which
    # can differ by row); the groups differ.
    step_logits = recorded[0]
    assert torch.allclose(step_logits[0], step_logits[3], atol=1e-6)
    assert not torch.allclose(step_logits[0], step_logits[4], atol=1e-3)


@pytest.mark.parametrize("learner", ["rloo", "reinforce"])
def test_whole_mode_learners_reuse_the_acting_pass_exactly(learner: str) -> None:
    from agents.learners.group_pg import GroupConfig, GroupPolicyGradient

    def run(reuse: bool) -> tuple[list[torch.Tensor], int, list[dict[str, float]]]:
        policy = make_policy("encoder", mode="whole")
        if not reuse:  # what a policy without the feature does: encode again for the loss
            policy.reusing_acting_forward = contextlib.nullcontext  # type: ignore[method-assign]
        envs = gym.make_vec("TextClassification-v0", num_envs=8, dataset=KEYWORDS, mode="whole")
        if learner == "rloo":
            config = GroupConfig(k=4, examples_per_update=2, learning_rate=3e-3, seed=1)
            trainer: Any = GroupPolicyGradient(policy, envs, config)
        else:
            config = ReinforceConfig(
                whole_episodes=True, baseline="value", learning_rate=3e-3, seed=1
            )
            trainer = Reinforce(policy, envs, config)
        calls = policy.forward_calls
        log = [trainer.update() for _ in range(3)]
        return [p.detach().clone() for p in trainer.parameters], policy.forward_calls - calls, log

    reused, reused_calls, reused_log = run(reuse=True)
    again, again_calls, again_log = run(reuse=False)
    assert all(torch.equal(a, b) for a, b in zip(reused, again))  # the same updates, exactly
    loss = "loss" if learner == "rloo" else "policy_loss"
    assert [r[loss] for r in reused_log] == [r[loss] for r in again_log]
    assert reused_calls == again_calls - 3  # one encoder pass fewer per update


@pytest.mark.parametrize("peft", ["lora", "frozen"])
def test_gradients_reach_only_trainable_parameters(peft: str) -> None:
    policy = make_policy("causal", peft=peft)
    perturb(policy)
    envs = gym.make_vec("TextClassification-v0", num_envs=4, split="validation", max_length=8)
    rollout = RolloutCollector(envs, policy, seed=0).collect(4)
    observations, infos, masks, actions = rollout.flat()
    logprobs, entropy, values = policy.evaluate_actions(observations, infos, actions, masks)
    (logprobs.mean() + entropy.mean() + values.pow(2).mean()).backward()
    for name, parameter in policy.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        else:
            assert parameter.grad is None, name
    moved = {
        name.split(".")[0]
        for name, p in policy.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }
    heads = {"action_head", "value_head"}
    assert moved == (heads | {"transformer"} if peft == "lora" else heads)


def test_reinforce_learns_a_keyword_task_with_lora() -> None:
    torch.manual_seed(0)
    policy = ClassificationPolicy(
        tiny_backbone("causal"), ["negative", "positive"], "lora", mode="whole"
    )
    before = evaluate(policy, "TextClassification-v0", dataset=KEYWORDS, mode="whole")
    envs = gym.make_vec("TextClassification-v0", num_envs=8, dataset=KEYWORDS, mode="whole")
    train_reinforce(
        policy, envs, ReinforceConfig(updates=40, steps_per_update=2, learning_rate=1e-2)
    )
    after = evaluate(policy, "TextClassification-v0", dataset=KEYWORDS, mode="whole")
    # Chance is 1/2 on the held-out texts; the untrained policy scores 1/3.
    assert after["accuracy"] >= 5 / 6 and after["accuracy"] > before["accuracy"] + 0.3


def test_supervised_classifier_reads_then_answers() -> None:
    from agents.learners.supervised import SupervisedClassifier, SupervisedConfig

    torch.manual_seed(0)
    policy = ClassificationPolicy(tiny_backbone("causal"), ["negative", "positive"], "lora")
    corpus = gym.make("TextClassification-v0", dataset=KEYWORDS).unwrapped.corpus
    texts = [list(words[:n]) for words, n in zip(corpus.tokens, corpus.visible)]
    learner = SupervisedClassifier(
        policy,
        texts,
        [int(label) for label in corpus.label_ids],
        SupervisedConfig(epochs=30, batch_size=6, learning_rate=1e-2),
    )
    log = learner.learn()
    assert log[-1]["loss"] < 0.2 * log[0]["loss"]
    after = evaluate(policy, "TextClassification-v0", dataset=KEYWORDS)
    # it learned the gold action sequence: read every word, then answer correctly
    assert after["accuracy"] >= 5 / 6 and after["mean_fraction_read"] == 1.0
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        SupervisedClassifier(policy, texts[:2], [0])


def test_prefix_answers_train_the_class_at_every_prefix() -> None:
    """``prefix_answers`` adds the classes' cross-entropy at each prefix of each text (the
    read action left out) to the usual loss, with each prefix its own text's label."""
    from torch.nn.functional import cross_entropy

    from agents.learners.supervised import SupervisedClassifier, SupervisedConfig

    policy = make_policy("encoder-causal")
    perturb(policy)
    texts = [["A", "great", "film"], ["so", "bad"], ["truly", "awful", "acting", "here"]]
    labels = [1, 0, 1]  # texts of different lengths and labels
    plain = SupervisedClassifier(policy, texts, labels)
    with_prefixes = SupervisedClassifier(
        policy, texts, labels, SupervisedConfig(prefix_answers=True)
    )
    with torch.no_grad():
        base, count = plain.batch_loss([0, 1, 2])
        total, count_prefixes = with_prefixes.batch_loss([0, 1, 2])
        logits, _ = policy.forward_prefixes(texts, [list(range(1, len(t) + 1)) for t in texts])
    per_prefix = torch.tensor([label for text, label in zip(texts, labels) for _ in text])
    expected = base + cross_entropy(logits[:, 1:], per_prefix)
    assert count == count_prefixes == 9
    torch.testing.assert_close(total, expected)
    with pytest.raises(ValueError, match="prefix_answers: a whole-mode policy"):
        SupervisedClassifier(
            make_policy("causal", mode="whole"),
            texts,
            labels,
            SupervisedConfig(prefix_answers=True),
        )


def test_an_encoder_with_a_causal_mask_reads_prefixes_in_one_pass() -> None:
    """A prefix's state is the mean of the states the plain (causally masked) encoder gives
    that prefix alone: one pass serves every prefix, and later words change nothing."""
    policy = make_policy("encoder-causal")
    perturb(policy)
    words = ["A", "truly", "great", "film", "."]
    lengths = [1, 3, 5]
    with torch.no_grad():
        states = policy.prefix_states([words], [lengths])
        for state, n in zip(states, lengths):
            ids = [t for piece in policy.word_ids(words[:n]) for t in piece]
            alone = policy.transformer(input_ids=torch.tensor([ids])).last_hidden_state[0]
            assert torch.allclose(state, alone.mean(0), atol=1e-5)
        # The same weights without the mask: the first word's state then sees the rest.
        policy.transformer.get_base_model().config.is_decoder = False
        for layer in policy.transformer.get_base_model().encoder.layer:
            layer.attention.self.is_causal = False
        unmasked = policy.transformer(
            input_ids=torch.tensor([[t for p in policy.word_ids(words) for t in p]])
        ).last_hidden_state[0]
    assert not torch.allclose(unmasked.mean(0), states[2], atol=1e-3)


def test_causal_mask_backbones_load_by_name_and_survive_save_load(tmp_path) -> None:  # type: ignore[no-untyped-def]
    backbone = load_backbone("tiny-bert-causal")
    assert backbone.kind == "encoder" and backbone.causal_attention
    assert backbone.name == "tiny-bert-causal"
    assert not load_backbone("tiny-bert").causal_attention
    with pytest.raises(ValueError, match="the '-causal' suffix is for encoders"):
        load_backbone("smollm2-causal")
    labels = ["negative", "positive"]
    policy = ClassificationPolicy(backbone, labels, "lora")
    perturb(policy)
    policy.save(tmp_path)
    loaded = ClassificationPolicy.load(tmp_path)  # the backbone by its saved name
    assert loaded.causal and loaded.prefix_mean
    words = [["A", "great", "film", "."]]
    with torch.no_grad():
        assert torch.equal(
            policy.forward_prefixes(words, [[2, 4]])[0], loaded.forward_prefixes(words, [[2, 4]])[0]
        )
    with pytest.raises(ValueError, match="needs a bidirectional encoder with a pooler"):
        ClassificationPolicy(load_backbone("tiny-bert-causal"), labels, pooling="pooler")
