"""What the cached TaggingPolicy saves: encoder calls, acting time, and reference-model memory.

* Acting over N sentences of TextNER-v0 (one episode each, greedy): the cached policy (the
  encoder runs once per sentence) against a naive one that re-encodes the sentence at every
  step. Same weights, so the same actions; the figures are encoder forward calls and wall time.
* Encoding random batches of 32 sentences (the supervised batch), forward and forward +
  backward: chunks of similar length (``chunk_tokens``, the default) against one padded batch
  (``chunk_tokens=0``). Same weights, so the same states; the figure is wall time.
* RLOO updates (64 sentences x k=8, 5% exploration, as in ``benchmarks/rl_vs_supervised.py``):
  scoring the observations' words with one gather per encoded batch (the policy's way)
  against one indexing operation per observation on a view of its sentence's states (the
  way before), whose backward writes a zero-filled copy of those states for each. The
  figure is wall time per update.
* Memory of a policy plus its KL reference: the reference as the same model with adapters
  disabled (shared weights) against a separate copy of the backbone, counted as the bytes of
  the distinct tensors both hold.

Defaults to the embedded MiniLM encoder with LoRA; ``--data`` uses CoNLL-2003's test file::

    python benchmarks/policy_cost.py --sentences 1000 --data ../shared/data/conll2003
    python benchmarks/policy_cost.py --backbone tiny-bert --sentences 200
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

import textenvs
from agents.learners.group_pg import GroupConfig, GroupPolicyGradient
from agents.policies.backbones import load_backbone
from agents.policies.peft_methods import adapters_disabled
from agents.policies.tagging import TaggingPolicy


class NaiveTaggingPolicy(TaggingPolicy):
    """The same policy without the per-episode cache: every step re-encodes the sentence."""

    def step_logits(self, observations, infos, masks):  # type: ignore[no-untyped-def]
        """Forget every cached sentence, then score as usual."""
        self._cache.clear()
        return super().step_logits(observations, infos, masks)


class PerObservationScoringPolicy(TaggingPolicy):
    """The same policy scoring each observation's word with its own indexing operation."""

    def _word_states(self, sources, observations):  # type: ignore[no-untyped-def]
        """Stack one state per observation from a view per sentence."""
        views: dict[tuple[int, int], torch.Tensor] = {}
        sentence_states = [
            views.setdefault((id(states), row), states[row]) for states, row in sources
        ]
        positions = [
            min(int(o["position"]), states.shape[0] - 1)
            for states, o in zip(sentence_states, observations)
        ]
        current = torch.stack([states[p] for states, p in zip(sentence_states, positions)])
        return current, positions


def rloo_seconds_per_update(policy: TaggingPolicy, dataset: object, updates: int) -> float:
    """Seconds per RLOO update (after one warm-up update) with the benchmark's settings."""
    envs = gym.make_vec("TextNER-v0", num_envs=512, dataset=dataset, reward="f1")
    config = GroupConfig(k=8, examples_per_update=64, explore=0.05, head_learning_rate=1e-2)
    learner = GroupPolicyGradient(policy, envs, config)
    learner.update()
    start = time.perf_counter()
    for _ in range(updates):
        learner.update()
    return (time.perf_counter() - start) / updates


def act_over(policy: TaggingPolicy, env: gym.Env, sentences: int) -> tuple[int, float, list]:
    """Encoder calls, seconds and actions of greedy episodes over the first sentences."""
    calls, start, actions = policy.encoder_calls, time.perf_counter(), []
    for index in range(sentences):
        obs, info = env.reset(options={"index": index})
        done = False
        while not done:
            action = policy.act(obs, info, env.unwrapped.action_masks())
            actions.append(action)
            obs, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
    return policy.encoder_calls - calls, time.perf_counter() - start, actions


def encode_batches(policy: TaggingPolicy, batches: list[list[list[str]]], grad: bool) -> float:
    """Seconds to encode ``batches`` (and back-propagate through them with ``grad``)."""
    start = time.perf_counter()
    for batch in batches:
        with torch.set_grad_enabled(grad):
            states, _ = policy.encode_words(batch)
            if grad:
                states.square().sum().backward()
    return time.perf_counter() - start


def tensor_bytes(*modules: torch.nn.Module) -> int:
    """Bytes of the distinct tensor storages the modules hold (shared weights count once)."""
    seen: dict[int, int] = {}
    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            storage = tensor.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
    return sum(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="minilm")
    parser.add_argument("--peft", default="lora")
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--data", type=Path, help="a CoNLL-2003 folder (uses eng.testb)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    dataset = None
    if args.data:
        dataset = {
            "train": textenvs.load_conll(args.data / "eng.train"),
            "test": textenvs.load_conll(args.data / "eng.testb"),
        }
        env = gym.make("TextNER-v0", dataset=dataset, split="test", max_length=128)
    else:
        env = gym.make("TextNER-v0", split="train")
    sentences = min(args.sentences, len(env.unwrapped.corpus))
    tag_names = env.unwrapped.tag_names
    torch.manual_seed(0)
    cached = TaggingPolicy(load_backbone(args.backbone), tag_names, args.peft).eval()
    naive = NaiveTaggingPolicy(load_backbone(args.backbone), tag_names, args.peft).eval()
    naive.load_state_dict(cached.state_dict())

    cached_calls, cached_time, cached_actions = act_over(cached, env, sentences)
    naive_calls, naive_time, naive_actions = act_over(naive, env, sentences)
    assert cached_actions == naive_actions, "the cache changed the policy's actions"
    steps = len(cached_actions)
    print(f"acting over {sentences} sentences ({steps} steps), {args.backbone} + {args.peft}")
    print(f"{'policy':<8} {'encoder calls':>14} {'seconds':>9}")
    print(f"{'cached':<8} {cached_calls:>14,} {cached_time:>9.1f}")
    print(f"{'naive':<8} {naive_calls:>14,} {naive_time:>9.1f}")

    rng = np.random.default_rng(0)
    corpus = [list(s.words) for s in env.unwrapped.corpus.sentences]
    batches = [[corpus[i] for i in rng.choice(len(corpus), 32)] for _ in range(20)]
    one_batch = TaggingPolicy(load_backbone(args.backbone), tag_names, args.peft, chunk_tokens=0)
    one_batch.load_state_dict(cached.state_dict())
    print(f"\nencoding {len(batches)} random batches of 32 sentences, seconds")
    print(f"{'pass':<20} {'chunked':>8} {'one batch':>10} {'ratio':>6}")
    for grad in (False, True):
        chunked_time = encode_batches(cached, batches, grad)
        one_time = encode_batches(one_batch, batches, grad)
        name = "forward + backward" if grad else "forward"
        print(f"{name:<20} {chunked_time:>8.1f} {one_time:>10.1f} {one_time / chunked_time:>5.2f}x")

    per_observation = PerObservationScoringPolicy(
        load_backbone(args.backbone), tag_names, args.peft
    )
    per_observation.load_state_dict(cached.state_dict())
    gathered_update = rloo_seconds_per_update(cached.train(), dataset, 10)
    per_observation_update = rloo_seconds_per_update(per_observation.train(), dataset, 10)
    print("\nRLOO, 64 sentences x k=8 per update, seconds per update (mean of 10)")
    print(f"{'gathered':>9} {'per observation':>16} {'ratio':>6}")
    print(
        f"{gathered_update:>9.2f} {per_observation_update:>16.2f} "
        f"{per_observation_update / gathered_update:>5.2f}x"
    )

    backbone_only = tensor_bytes(load_backbone(args.backbone).model)
    with adapters_disabled(cached.transformer) as reference:
        shared = tensor_bytes(cached, reference)
    separate = tensor_bytes(cached, copy.deepcopy(load_backbone(args.backbone).model))
    print(
        f"\npolicy + reference, MB: shared weights {shared / 2**20:.1f}, separate copy "
        f"{separate / 2**20:.1f}; one backbone {backbone_only / 2**20:.1f}"
    )
    print(
        f"encoder calls {naive_calls / cached_calls:.1f}x fewer, time "
        f"{naive_time / cached_time:.1f}x less; policy + reference = "
        f"{shared / backbone_only:.2f}x one backbone (separate copy: "
        f"{separate / backbone_only:.2f}x)"
    )
    np.testing.assert_equal(len(cached_actions), steps)


if __name__ == "__main__":
    main()
