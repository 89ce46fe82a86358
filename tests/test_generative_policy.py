"""GenerativePolicy on a tiny random causal LM: KV cache, one-shot log-probs, reference,
learner interface (acting vs evaluate_actions, gradients), IO."""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

import textenvs  # noqa: F401
from agents import evaluate
from agents.learners.rollout import RolloutCollector
from agents.learners.supervised import SupervisedConfig, SupervisedGenerator
from agents.policies.backbones import tiny_backbone
from agents.policies.generative import GenerativePolicy
from textenvs.data.records import GenerationExample

EXAMPLES = [
    GenerationExample("Shares of Northwind rose on Tuesday.", ("Northwind shares rise",)),
    GenerationExample("Rain closed the coast road.", ("Coast road closed",)),
]


def make_policy(peft: str = "lora", **kwargs) -> GenerativePolicy:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    return GenerativePolicy(
        tiny_backbone("causal"), peft, prompt_template="Sum: {prompt} ->", **kwargs
    )


def make_env(policy: GenerativePolicy, **kwargs) -> gym.Env:  # type: ignore[no-untyped-def]
    return gym.make("TextSummarization-v0", dataset=EXAMPLES, tokenizer=policy.tokenizer, **kwargs)


def make_vector_env(policy: GenerativePolicy, num_envs: int, **kwargs) -> gym.vector.VectorEnv:  # type: ignore[no-untyped-def]
    return gym.make_vec(
        "TextSummarization-v0",
        num_envs=num_envs,
        dataset=EXAMPLES,
        tokenizer=policy.tokenizer,
        **kwargs,
    )


def train_a_little(policy: GenerativePolicy) -> None:
    logprobs, values, mask = policy.sequence_logprobs(
        [e.prompt for e in EXAMPLES], [policy.tokenizer.encode(e.references[0]) for e in EXAMPLES]
    )
    optimizer = torch.optim.SGD([p for p in policy.parameters() if p.requires_grad], lr=1.0)
    (-(logprobs[mask]).sum() + values[mask].sum()).backward()
    optimizer.step()


@pytest.mark.parametrize("peft", ["lora", "prompt_tuning"])
def test_kv_cache_feeds_one_token_per_step_and_matches_full_recompute(peft: str) -> None:
    """LoRA acts through the batched KV cache (each written token fed once), prompt tuning
    reads the whole context again each step; both give the logits of a full pass."""
    policy = make_policy(peft, temperature=0.0)
    train_a_little(policy)
    env = make_env(policy, max_new_tokens=6)
    obs, info = env.reset(options={"index": 0})
    mask = np.ones(env.action_space.n, dtype=bool)
    calls, written, done = policy.forward_calls, [], False
    while not done:
        cached, _ = policy.step_outputs([obs], [info], mask[None])
        context = policy.prompt_ids(info["prompt"]) + written
        with torch.no_grad():
            full = policy.transformer(input_ids=torch.tensor([context])).logits[0, -1]
        assert torch.allclose(cached[0], full, atol=1e-5)
        token = policy.sample(cached[0])
        written.append(token)
        obs, _, terminated, truncated, _ = env.step(token)
        done = terminated or truncated
    # one pass per step (the batched cache prefills the prompt in a pass of its own)
    prefill = 1 if peft == "lora" else 0
    assert policy.forward_calls - calls == len(written) + prefill


def test_sequence_logprobs_match_acting_and_reference_is_the_base_model() -> None:
    policy = make_policy(temperature=0.0)
    base = copy.deepcopy(policy.transformer.get_base_model())
    train_a_little(policy)
    info, written, step_logprobs = {"prompt": EXAMPLES[1].prompt, "episode_id": 1}, [], []
    with torch.no_grad():
        for _ in range(5):
            logits = policy._next_outputs([written], [info])[0][0]
            token = policy.sample(logits)
            step_logprobs.append(float(logits.log_softmax(-1)[token]))
            written.append(token)
        logprobs, values, mask = policy.sequence_logprobs([info["prompt"]], [written])
        assert mask.all() and values.shape == (1, 5)
        assert np.allclose(logprobs[0].numpy(), step_logprobs, atol=1e-5)
        reference, _, _ = policy.sequence_logprobs([info["prompt"]], [written], reference=True)
        context = torch.tensor([policy.prompt_ids(info["prompt"]) + written])
        base_logprobs = base(input_ids=context).logits.log_softmax(-1)[0]
        start = len(policy.prompt_ids(info["prompt"])) - 1
        expected = base_logprobs[torch.arange(start, start + 5), torch.tensor(written)]
    assert torch.allclose(reference[0], expected, atol=1e-5)
    assert not torch.allclose(reference, logprobs, atol=1e-4)


def test_sampling_settings_and_masks() -> None:
    logits = torch.tensor([0.0, 3.0, 1.0, 2.5])
    assert make_policy(temperature=0.0).sample(logits) == 1
    assert make_policy(top_k=1).sample(logits) == 1
    draws = {make_policy(seed=s, top_p=0.6).sample(logits) for s in range(20)}
    assert draws <= {1, 3} and len(draws) == 2
    policy = make_policy()
    env = make_env(policy)
    obs, info = env.reset(seed=0)
    mask = np.zeros(env.action_space.n, dtype=bool)
    mask[[5, 9]] = True
    assert all(policy.act(obs, info, mask) in (5, 9) for _ in range(5))


def test_tokenizer_mismatch_fails_clearly() -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    other = Tokenizer(models.BPE(unk_token="<unk>"))
    other.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    other.train_from_iterator(
        ["a small other corpus"] * 10,
        trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<pad>", "<unk>", "</s>"], show_progress=False
        ),
    )
    policy = make_policy()
    env = gym.make("TextSummarization-v0", dataset=EXAMPLES, tokenizer=other)
    with pytest.raises(ValueError, match="is not this policy's"):
        evaluate(policy, env, limit=1)
    obs, info = env.reset(seed=0)
    with pytest.raises(ValueError, match=r"make the env with tokenizer=policy\.tokenizer"):
        policy.act(obs, info, np.ones(env.action_space.n, dtype=bool))


def test_evaluate_and_predict() -> None:
    policy = make_policy(temperature=0.0)
    metrics = evaluate(policy, make_env(policy, max_new_tokens=4), split="train")
    assert metrics["episodes"] == 2 and 0.0 <= metrics["score"] <= 1.0
    first, second = (
        policy.predict(["Rain closed the coast road."], max_new_tokens=4),
        policy.predict(["Rain closed the coast road."], max_new_tokens=4),
    )
    assert first == second and isinstance(first[0], str)


def test_save_load_and_merge(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy(temperature=0.0)
    train_a_little(policy)
    written = [policy.tokenizer.encode("Coast road closed")]
    with torch.no_grad():
        before = policy.sequence_logprobs([EXAMPLES[1].prompt], written)
    policy.save(tmp_path / "saved")
    loaded = GenerativePolicy.load(tmp_path / "saved", backbone=tiny_backbone("causal"))
    with torch.no_grad():
        after = loaded.sequence_logprobs([EXAMPLES[1].prompt], written)
        for a, b in zip(before, after):
            assert torch.equal(a, b)
        merged = policy.merge().sequence_logprobs([EXAMPLES[1].prompt], written)
    assert torch.allclose(merged[0], before[0], atol=1e-5)
    with pytest.raises(ValueError, match="holds a GenerativePolicy, not a TaggingPolicy"):
        from agents.policies.tagging import TaggingPolicy

        TaggingPolicy.load(tmp_path / "saved")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="needs a causal backbone"):
        GenerativePolicy(tiny_backbone("encoder"))
    with pytest.raises(ValueError, match="prompt_template must contain"):
        GenerativePolicy(tiny_backbone("causal"), prompt_template="no slot")
    with pytest.raises(ValueError, match="0 < top_p <= 1"):
        GenerativePolicy(tiny_backbone("causal"), top_p=0.0)


@pytest.mark.parametrize(
    ("peft", "temperature"),
    [("lora", 1.0), ("lora", 0.5), ("prompt_tuning", 1.0), ("prefix_tuning", 1.0)],
)
def test_evaluate_actions_matches_acting_over_a_rollout(  # type: ignore[no-untyped-def]
    record_step_outputs, peft: str, temperature: float
) -> None:
    policy = make_policy(peft, temperature=temperature)
    train_a_little(policy)
    recorded = record_step_outputs(policy)
    envs = make_vector_env(policy, 4, max_new_tokens=3)
    rollout = RolloutCollector(envs, policy, seed=0).collect(9)
    assert rollout.dones.any() and not rollout.valid.all()  # several episodes per sub-env
    observations, infos, masks, actions = rollout.flat()
    calls = policy.forward_calls
    logprobs, entropy, values = policy.evaluate_actions(observations, infos, actions, masks)
    # one batched pass over every episode (two where episodes share a prompt: prompts, then
    # completions continuing their cache; prompt-learning methods cannot share)
    assert policy.forward_calls - calls == (2 if peft == "lora" else 1)
    step_logits = torch.cat(recorded[:9])  # the last call scored the states after the rollout
    expected_entropy = torch.distributions.Categorical(logits=step_logits).entropy()
    assert torch.allclose(logprobs, rollout.logprobs.reshape(-1), atol=1e-5)
    assert torch.allclose(entropy, expected_entropy, atol=1e-5)
    assert torch.allclose(values, rollout.values.reshape(-1), atol=1e-5)


def test_learners_sample_and_score_over_the_temperature_without_top_k_or_p() -> None:
    """step_outputs (what the rollout core samples from) is the model's logits over the
    temperature; top-k and top-p are left to acting, which tempers the model's logits once."""
    policy = make_policy(temperature=0.5, top_k=3, top_p=0.5)
    env = make_env(policy)
    obs, info = env.reset(options={"index": 1})
    mask = np.ones(env.action_space.n, dtype=bool)
    mask[:10] = False
    logits, values = policy.step_outputs([obs], [info], mask[None])
    with torch.no_grad():
        context = torch.tensor([policy.prompt_ids(info["prompt"])])
        raw = policy.transformer(input_ids=context).logits[0, -1]
    assert values.shape == (1,) and not logits.requires_grad
    assert torch.isinf(logits[0, :10]).all()
    assert torch.allclose(logits[0, 10:], raw[10:] / 0.5, atol=1e-5)  # no top-k/p
    sampled_from = []
    sample = policy.sample
    policy.sample = lambda row: sampled_from.append(row) or sample(row)  # type: ignore[method-assign]
    policy.act_batch({k: v[None] for k, v in obs.items()}, [info], mask[None])
    assert torch.allclose(sampled_from[0][10:], raw[10:], atol=1e-5)  # tempered once, in sample
    assert torch.isinf(sampled_from[0][:10]).all()


def test_teacher_forcing_scores_the_model_whatever_the_temperature() -> None:
    policy = make_policy()
    prompts, written = [EXAMPLES[1].prompt], [[5, 9, 12]]
    with torch.no_grad():
        model_logprobs = policy.sequence_logprobs(prompts, written)[0]
        policy.temperature = 0.5
        assert torch.allclose(policy.sequence_logprobs(prompts, written)[0], model_logprobs)


@pytest.mark.parametrize("peft", ["lora", "frozen"])
def test_gradients_reach_only_trainable_parameters(peft: str) -> None:
    policy = make_policy(peft)
    env = make_env(policy, max_new_tokens=3)
    obs, info = env.reset(options={"index": 0})
    observations, tokens = [], []
    for token in policy.tokenizer.encode("Northwind shares")[:3]:
        observations.append(obs)
        tokens.append(token)
        obs, *_ = env.step(token)
    masks = np.ones((len(tokens), env.action_space.n), dtype=bool)
    logprobs, entropy, values = policy.evaluate_actions(
        observations, [info] * len(tokens), torch.tensor(tokens), masks
    )
    (logprobs.mean() + entropy.mean() + values.pow(2).mean()).backward()
    for name, parameter in policy.named_parameters():
        if parameter.requires_grad:
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all(), name
        else:
            assert parameter.grad is None, name
    adapters = [p for n, p in policy.named_parameters() if n.startswith("transformer.")]
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in adapters) == (peft == "lora")
    assert policy.value_head.weight.grad.abs().sum() > 0


def test_the_reference_keeps_its_own_batched_cache() -> None:
    """The KL reference (adapters off) and the policy act side by side on the same episodes:
    each keeps its own cache, and each gives its own model's full-pass logits."""
    policy = make_policy(temperature=0.0)
    base = copy.deepcopy(policy.transformer.get_base_model())
    train_a_little(policy)
    envs = make_vector_env(policy, 2)
    observations, infos = envs.reset(seed=0)
    infos = [
        {"prompt": infos["prompt"][i], "episode_id": int(infos["episode_id"][i])} for i in range(2)
    ]
    masks = np.ones((2, envs.single_action_space.n), dtype=bool)
    written: list[list[int]] = [[], []]
    for _ in range(3):
        split = [{k: v[i] for k, v in observations.items()} for i in range(2)]
        own, _ = policy.step_outputs(split, infos, masks)
        reference = policy.reference_step_logits(split, infos, masks)
        for i in range(2):
            context = torch.tensor([policy.prompt_ids(infos[i]["prompt"]) + written[i]])
            with torch.no_grad():
                expected_own = policy.transformer(input_ids=context).logits[0, -1]
                expected_reference = base(input_ids=context).logits[0, -1]
            assert torch.allclose(own[i], expected_own, atol=1e-5)
            assert torch.allclose(reference[i], expected_reference, atol=1e-5)
        actions = own.argmax(-1).numpy()
        for i in range(2):
            written[i].append(int(actions[i]))
        observations, *_ = envs.step(actions)


def test_supervised_fine_tuning_learns_the_references() -> None:
    """SFT (teacher forcing on the references) makes greedy decoding write them (the whole
    tiny model trains: a rank-8 LoRA on its 32-wide layers is too small to memorise)."""
    policy = make_policy("none", temperature=0.0)
    targets = [policy.target_ids(e.references[0]) for e in EXAMPLES]
    assert targets[0][-1] == policy.tokenizer.eos_token_id
    assert policy.tokenizer.decode(targets[0][:-1]).strip() == EXAMPLES[0].references[0]
    learner = SupervisedGenerator(
        policy, EXAMPLES, SupervisedConfig(epochs=60, batch_size=2, learning_rate=3e-3)
    )
    assert policy.predict([e.prompt for e in EXAMPLES]) != [e.references[0] for e in EXAMPLES]
    history = learner.learn()
    assert history[-1]["loss"] < 0.1 * history[0]["loss"]
    assert history[-1]["env_steps"] == 60 * sum(len(t) for t in targets)  # tokens trained on
    completions = policy.predict([e.prompt for e in EXAMPLES], max_new_tokens=12)
    assert [c.strip() for c in completions] == [e.references[0] for e in EXAMPLES]


def test_samples_of_one_prompt_share_its_pass_with_the_same_values_and_gradients() -> None:
    """k completions of a prompt score its tokens once (continuing its cache); the
    log-probabilities, values and gradients equal those of whole-sequence passes."""
    policy = make_policy()
    train_a_little(policy)
    prompts = [EXAMPLES[0].prompt] * 3 + [EXAMPLES[1].prompt] * 2
    completions = [[11, 12, 13], [14], [15, 16], [17, 18, 19, 20], []]

    def scored(shared: bool) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        policy.zero_grad(set_to_none=True)
        calls = policy.forward_calls
        if shared:
            logprobs, values, mask = policy.sequence_logprobs(prompts, completions)
            assert policy.forward_calls - calls == 2  # the 2 prompts together, then completions
        else:  # one sequence at a time: nothing shared
            rows = [policy.sequence_logprobs([p], [c]) for p, c in zip(prompts, completions)]
            width = max(len(c) for c in completions)
            logprobs = torch.stack(
                [torch.nn.functional.pad(r[0][0], (0, width - r[0].shape[1])) for r in rows]
            )
            values = torch.stack(
                [torch.nn.functional.pad(r[1][0], (0, width - r[1].shape[1])) for r in rows]
            )
            mask = torch.stack(
                [torch.nn.functional.pad(r[2][0], (0, width - r[2].shape[1])) for r in rows]
            )
        (logprobs[mask].sum() + values[mask].sum()).backward()
        grads = {n: p.grad.clone() for n, p in policy.named_parameters() if p.grad is not None}
        return logprobs.detach(), values.detach(), grads

    shared_logprobs, shared_values, shared_grads = scored(shared=True)
    alone_logprobs, alone_values, alone_grads = scored(shared=False)
    torch.testing.assert_close(shared_logprobs, alone_logprobs, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(shared_values, alone_values, atol=1e-5, rtol=1e-4)
    assert shared_grads.keys() == alone_grads.keys() and len(shared_grads) > 2
    for name, grad in shared_grads.items():
        torch.testing.assert_close(grad, alone_grads[name], atol=1e-5, rtol=1e-3, msg=name)


def test_evaluate_actions_matches_acting_over_group_rollouts(record_step_outputs) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy()
    train_a_little(policy)
    envs = make_vector_env(policy, 6, max_new_tokens=4)
    rollout = RolloutCollector(envs, policy, seed=0).collect_groups([0, 1], k=3)
    observations, infos, masks, actions = rollout.flat()
    valid = rollout.valid.reshape(-1)
    calls = policy.forward_calls
    logprobs, _, values = policy.evaluate_actions(observations, infos, actions, masks)
    assert policy.forward_calls - calls == 2  # 2 prompts in one pass, then the completions
    torch.testing.assert_close(
        logprobs[valid], rollout.logprobs.reshape(-1)[valid], atol=1e-5, rtol=1e-4
    )
    torch.testing.assert_close(
        values[valid], rollout.values.reshape(-1)[valid], atol=1e-5, rtol=1e-4
    )


@pytest.mark.parametrize(("collect", "temperature"), [("steps", 1.0), ("groups", 0.5)])
def test_the_kl_penalty_scores_the_rollout_in_one_pass_as_the_reference_would_act(
    collect: str, temperature: float
) -> None:
    """The rollout's KL (log pi - log pi_ref of each valid action), scored after the last
    step in one batched reference pass, equals the reference acting step by step on the same
    episodes beside the policy (its own batched cache, adapters disabled)."""
    from agents.learners.kl import KLController

    def rollout_of(coef: float) -> tuple[GenerativePolicy, Any, int]:
        policy = make_policy(temperature=temperature)
        train_a_little(policy)
        envs = make_vector_env(policy, 6, max_new_tokens=4)
        collector = RolloutCollector(envs, policy, seed=0, kl=KLController(coef))
        calls = policy.forward_calls
        if collect == "steps":
            rollout = collector.collect(7)
            assert rollout.dones.any() and not rollout.valid.all()  # episodes end mid-rollout
        else:
            rollout = collector.collect_groups([0, 1], k=3)
        return policy, rollout, policy.forward_calls - calls

    _, plain, acting_calls = rollout_of(0.0)
    policy, rollout, calls = rollout_of(0.1)
    assert torch.equal(rollout.actions, plain.actions)  # the penalty does not change acting
    # The reference adds two passes: the prompts, then every completion on their cache.
    assert calls - acting_calls == 2
    steps = len(rollout.observations)
    expected = torch.zeros_like(rollout.kl)
    for t in range(steps):
        reference = policy.reference_step_logits(
            rollout.observations[t], rollout.infos[t], rollout.masks[t]
        )
        reference_logprobs = torch.distributions.Categorical(logits=reference).log_prob(
            rollout.actions[t]
        )
        expected[t] = (rollout.logprobs[t] - reference_logprobs) * rollout.valid[t]
    assert rollout.kl.abs().sum() > 0  # the policy has moved from its reference
    torch.testing.assert_close(rollout.kl, expected, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(rollout.rewards, rollout.env_rewards - 0.1 * rollout.kl)
