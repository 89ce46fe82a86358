"""TaggingPolicy on a tiny random encoder: caching, one-shot equality, masks, save/load, merge."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import evaluate
from agents.common.vector import reset_info
from agents.policies.backbones import tiny_backbone
from agents.policies.tagging import TaggingPolicy, iob2_transitions
from textenvs.data.tags import first_iob2_violation


def make_policy(peft: str = "lora", **kwargs) -> TaggingPolicy:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    tag_names = gym.make("TextNER-v0").unwrapped.tag_names
    return TaggingPolicy(tiny_backbone("encoder"), tag_names, peft, **kwargs)


def train_a_little(policy: TaggingPolicy) -> None:
    """Move every trainable parameter, so that adapters and heads are not at their init."""
    sentences = [s.words for s in gym.make("TextNER-v0").unwrapped.corpus.sentences[:4]]
    logits, values, mask = policy.forward_words([list(w) for w in sentences])
    optimizer = torch.optim.SGD([p for p in policy.parameters() if p.requires_grad], lr=0.5)
    (logits[mask].logsumexp(-1).sum() + values[mask].sum()).backward()
    optimizer.step()


def test_encoder_runs_once_per_sentence_and_steps_match_one_shot() -> None:
    policy = make_policy()
    train_a_little(policy)
    env = gym.make("TextNER-v0", split="validation")
    for index in range(5):
        calls = policy.encoder_calls
        obs, info = env.reset(options={"index": index})
        step_logits, done = [], False
        while not done:
            mask = np.ones(len(policy.tag_names), dtype=bool)  # unmasked, to compare raw logits
            step_logits.append(policy.step_logits([obs], [info], mask[None])[0])
            obs, _, terminated, truncated, _ = env.step(
                policy.act(obs, info, env.unwrapped.action_masks())
            )
            done = terminated or truncated
        assert policy.encoder_calls == calls + 1  # one encoder call for the whole sentence
        with torch.no_grad():
            one_shot, _, _ = policy.forward_words([info["words"]])
        assert torch.allclose(torch.stack(step_logits), one_shot[0, : len(step_logits)], atol=1e-6)


def test_previous_tag_conditioning_matches_teacher_forcing() -> None:
    policy = make_policy(condition_on_previous_tag=True)
    env = gym.make("TextNER-v0")
    obs, info = env.reset(seed=1)
    logits, chosen, done = [], [], False
    while not done:
        step = policy.step_logits([obs], [info], env.unwrapped.action_masks()[None])[0]
        logits.append(step)
        chosen.append(int(step.argmax()))
        obs, _, terminated, truncated, _ = env.step(chosen[-1])
        done = terminated or truncated
    previous = torch.tensor([[-1, *chosen[:-1]]])
    with torch.no_grad():
        one_shot, _, _ = policy.forward_words([info["words"]], previous)
    masks = torch.isfinite(torch.stack(logits))
    assert torch.allclose(torch.stack(logits)[masks], one_shot[0, : len(logits)][masks], atol=1e-6)


def test_batched_acting_encodes_new_sentences_together() -> None:
    policy = make_policy()
    envs = gym.make_vec("TextNER-v0", num_envs=4)
    obs, infos = envs.reset(seed=0)
    episode_infos = [reset_info(infos, i) for i in range(4)]
    calls, started_episodes = policy.encoder_calls, []
    for _ in range(30):
        actions = policy.act_batch(obs, episode_infos, envs.unwrapped.action_masks())
        assert envs.unwrapped.action_masks()[np.arange(4), actions].all()
        obs, _, _, _, infos = envs.step(actions)
        new = np.flatnonzero(infos.get("_words", np.zeros(4, bool)))
        for i in new:
            episode_infos[i] = reset_info(infos, int(i))
        if new.size:
            started_episodes.append(new.tolist())
    # One encoder call for the first four sentences, then one per step where some started,
    # however many started together.
    assert started_episodes and max(len(new) for new in started_episodes) >= 1
    assert policy.encoder_calls - calls == 1 + len(started_episodes)


def test_acting_over_several_encoded_batches_matches_one_shot() -> None:
    policy = make_policy()
    train_a_little(policy)
    envs = gym.make_vec("TextNER-v0", num_envs=4)
    obs, infos = envs.reset(seed=0)
    episode_infos = [reset_info(infos, i) for i in range(4)]
    unmasked = np.ones((4, len(policy.tag_names)), dtype=bool)
    most_batches, compared = 0, 0
    for _ in range(30):
        split = [{key: value[i] for key, value in obs.items()} for i in range(4)]
        logits = policy.step_logits(split, episode_infos, unmasked)
        # Sentences started at different steps live in different encoded batches.
        most_batches = max(most_batches, len({id(entry[1]) for entry in policy._cache.values()}))
        for i, info in enumerate(episode_infos):
            position = int(split[i]["position"])
            if position < len(info["words"]):  # not a terminal observation
                with torch.no_grad():
                    one_shot, _, _ = policy.forward_words([list(info["words"])])
                assert torch.allclose(logits[i], one_shot[0, position], atol=1e-5)
                compared += 1
        obs, _, _, _, infos = envs.step(
            policy.act_batch(obs, episode_infos, envs.unwrapped.action_masks())
        )
        for i in np.flatnonzero(infos.get("_words", np.zeros(4, bool))):
            episode_infos[i] = reset_info(infos, int(i))
    assert most_batches >= 3 and compared > 60


def test_episodes_are_recognised_by_their_episode_id() -> None:
    policy = make_policy()
    env = gym.make("TextNER-v0")
    obs, info = env.reset(seed=0)
    mask = np.ones((1, len(policy.tag_names)), dtype=bool)
    expected = policy.step_logits([obs], [info], mask)
    calls = policy.encoder_calls
    # Another dict with the same episode_id is the same episode: the cache serves it, and
    # so does a cache saved and loaded back (as a checkpoint does).
    assert torch.equal(policy.step_logits([obs], [dict(info)], mask), expected)
    policy.load_acting_state(policy.acting_state())
    assert torch.equal(policy.step_logits([obs], [dict(info)], mask), expected)
    assert policy.encoder_calls == calls
    # The same dict object with another episode's id is a new episode: encoded again.
    _, next_info = env.reset()
    assert next_info["episode_id"] != info["episode_id"]
    info["episode_id"] = next_info["episode_id"]
    policy.step_logits([obs], [info], mask)
    assert policy.encoder_calls == calls + 1
    with pytest.raises(KeyError, match="episode_id"):
        policy.step_logits([obs], [{"words": info["words"]}], mask)


def test_acting_respects_masks_and_evaluates() -> None:
    policy = make_policy()
    env = gym.make("TextNER-v0", split="validation", reward="f1")
    for index in range(10):
        obs, info = env.reset(options={"index": index})
        done = False
        while not done:
            obs, _, terminated, truncated, final = env.step(
                policy.act(obs, info, env.unwrapped.action_masks())
            )
            done = terminated or truncated
        assert first_iob2_violation(final["pred_tags"]) is None
    metrics = evaluate(policy, "TextNER-v0", split="validation", limit=10)
    assert 0.0 <= metrics["f1"] <= 1.0


def test_other_tag_names_fail_clearly() -> None:
    backbone = tiny_backbone("encoder")
    policy = TaggingPolicy(backbone, ["O", "B-PER", "I-PER"])
    with pytest.raises(ValueError, match=r"built for tags .* but the env has"):
        evaluate(policy, "TextNER-v0", limit=1)
    env = gym.make("TextNER-v0")
    obs, info = env.reset(seed=0)
    with pytest.raises(ValueError, match="the env has 9 actions but this policy has 3 tags"):
        policy.act(obs, info, env.unwrapped.action_masks())


@pytest.mark.parametrize("peft", ["lora", "bitfit", "prompt_tuning"])
def test_save_load_gives_identical_outputs(tmp_path, peft: str) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy(peft)
    train_a_little(policy)
    policy.save(tmp_path)
    if peft != "bitfit":  # PEFT's own layout, loadable with peft alone
        assert {p.name for p in (tmp_path / "adapter").iterdir()} >= {
            "adapter_model.safetensors",
            "adapter_config.json",
        }
    loaded = TaggingPolicy.load(tmp_path, backbone=tiny_backbone("encoder"))
    words = [["Ann", "flew", "to", "Rome", "."], ["Acme", "rose"]]
    with torch.no_grad():
        before, after = policy.forward_words(words), loaded.forward_words(words)
    for a, b in zip(before, after):
        assert torch.equal(a, b)
    assert loaded.predict(["Ann flew to Rome ."]) == policy.predict(["Ann flew to Rome ."])


def test_merge_keeps_logits(tmp_path) -> None:  # type: ignore[no-untyped-def]
    policy = make_policy("lora")
    train_a_little(policy)
    words = [["Ann", "flew", "to", "Rome", "."]]
    with torch.no_grad():
        before = policy.forward_words(words)[0]
        merged = policy.merge()
        assert torch.allclose(merged.forward_words(words)[0], before, atol=1e-5)
    merged.save(tmp_path)
    with torch.no_grad():
        reloaded = TaggingPolicy.load(tmp_path, backbone=tiny_backbone("encoder")).forward_words(
            words
        )[0]
    assert torch.allclose(reloaded, before, atol=1e-5)
    with pytest.raises(ValueError, match="only LoRA and IA3 adapters can be merged"):
        make_policy("prompt_tuning").merge()


def test_predict_gives_valid_iob2_for_raw_text() -> None:
    tags = make_policy().predict(["Maria Lopez flew to Paris on Monday .", ["Acme", "rose"]])
    assert [len(t) for t in tags] == [8, 2]
    assert all(first_iob2_violation(t) is None for t in tags)


def test_trainable_parameter_report() -> None:
    policy = make_policy("lora")
    trainable, total = policy.trainable_parameters()
    head_params = sum(
        p.numel() for n, p in policy.named_parameters() if not n.startswith("transformer.")
    )
    assert head_params < trainable < total / 2


@pytest.mark.parametrize("peft", ["lora", "prompt_tuning"])
def test_chunked_encoding_equals_one_padded_batch(peft: str) -> None:
    policy = make_policy(peft)
    train_a_little(policy)
    corpus = gym.make("TextNER-v0").unwrapped.corpus.sentences
    sentences = [list(s.words) for s in corpus[:12]]
    sentences[3] = sentences[3] * 6  # a long sentence next to short ones
    lengths = [len(policy.tokenizer(s, is_split_into_words=True)["input_ids"]) for s in sentences]
    policy.chunk_tokens = 2 * max(lengths)  # several chunks; the longest alone or in a pair
    assert 2 < len(policy._chunks(lengths)) < len(sentences)
    policy.zero_grad()
    chunked, chunked_mask = policy.encode_words(sentences)
    (chunked.square().sum()).backward()
    chunked_grads = [p.grad.clone() for p in policy.parameters() if p.grad is not None]
    policy.zero_grad()
    policy.chunk_tokens = 0
    assert len(policy._chunks(lengths)) == 1
    whole, whole_mask = policy.encode_words(sentences)
    (whole.square().sum()).backward()
    whole_grads = [p.grad for p in policy.parameters() if p.grad is not None]
    assert torch.equal(chunked_mask, whole_mask)
    assert chunked.shape == whole.shape == (12, max(map(len, sentences)), whole.shape[-1])
    assert torch.allclose(chunked, whole, atol=1e-5)
    assert len(chunked_grads) == len(whole_grads) > 0
    for a, b in zip(chunked_grads, whole_grads):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_words_past_max_tokens_get_zero_states_in_any_chunk() -> None:
    policy = make_policy(max_tokens=8, chunk_tokens=16)
    sentences = [["a"] * 20, ["b", "c"], ["d"] * 3]
    states, mask = policy.encode_words(sentences)
    assert states.shape[:2] == mask.shape == (3, 20)
    assert mask.sum(1).tolist() == [20, 2, 3]
    cut = policy.tokenizer(sentences[0], is_split_into_words=True, truncation=True, max_length=8)
    fit = len({w for w in cut.word_ids() if w is not None})
    assert 0 < fit < 20
    assert states[0, :fit].abs().sum(-1).gt(0).all()
    assert states[0, fit:].abs().sum() == 0
    with pytest.raises(ValueError, match="chunk_tokens"):
        make_policy(chunk_tokens=-1)


def test_policy_masks_follow_the_env_iob_rule() -> None:
    """Both read the IOB rule from textenvs.data.tags: the same tags valid after every tag."""
    env = gym.make("TextNER-v0", split="validation").unwrapped
    names = env.tag_names
    transitions = iob2_transitions(names)
    env.reset(options={"index": 0})
    assert transitions[-1].tolist() == env.action_masks().tolist()  # row -1: the start
    for previous, name in enumerate(names):
        env.reset(options={"index": 0})
        if not env.action_masks()[previous]:
            continue  # an I-X cannot open a sentence
        env.step(previous)
        expected = [first_iob2_violation([name, tag]) is None for tag in names]
        assert env.action_masks().tolist() == expected, name
        assert transitions[previous].tolist() == expected, name


class StepByStep:
    """A policy's acting without its whole-episode plans: evaluation steps it word by word."""

    def __init__(self, policy: TaggingPolicy) -> None:
        self.policy = policy

    def act(self, observation, info, mask):  # type: ignore[no-untyped-def]
        return self.policy.act(observation, info, mask)

    def act_batch(self, observations, infos, masks):  # type: ignore[no-untyped-def]
        return self.policy.act_batch(observations, infos, masks)


@pytest.mark.parametrize("previous_tag", [False, True])
def test_planned_evaluation_equals_step_by_step_play(previous_tag: bool) -> None:
    policy = make_policy(condition_on_previous_tag=previous_tag)
    if not previous_tag:
        train_a_little(policy)
    calls = policy.encoder_calls
    planned = evaluate(policy, "TextNER-v0", split="validation", limit=50, num_envs=16)
    assert policy.encoder_calls - calls == 2  # 50 records planned 32 at a time
    stepped = evaluate(StepByStep(policy), "TextNER-v0", split="validation", limit=50, num_envs=8)
    one_by_one = evaluate(StepByStep(policy), "TextNER-v0", split="validation", limit=50)
    assert planned == stepped == one_by_one
    assert planned["f1"] > 0 or previous_tag  # the trained-a-little policy finds entities
    words = [list(s.words) for s in gym.make("TextNER-v0").unwrapped.corpus.sentences[:5]]
    assert policy.predict(words) == [
        [policy.tag_names[i] for i in ids] for ids in policy.greedy_tag_ids(words)
    ]
