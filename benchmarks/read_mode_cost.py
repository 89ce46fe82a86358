"""What reading word by word costs a ClassificationPolicy: re-reading against one pass per text.

A policy in ``mode="read"`` that reads every word of N texts of TextClassification-v0
(its "read" logit forced up, so each episode is as long as its text), on N sub-envs:

* acting: wall time over the N texts, and transformer forward calls;
* the learner's gradient pass (``evaluate_actions`` over the same episodes, forward and
  backward): wall time.

Backbones: ``minilm`` (bidirectional: every prefix re-encoded, O(n^2) tokens per text),
``minilm-causal`` (the same weights with a causal mask: one KV cache for the batch while
acting, one pass per text for the gradient) and optionally ``smollm2`` (a causal LM). Ratios
come from one run, as these machines are noisy::

    python benchmarks/read_mode_cost.py --texts 32 --data ../shared/data/ag_news
    python benchmarks/read_mode_cost.py --backbones tiny-bert,tiny-bert-causal
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import gymnasium as gym
import torch

import textenvs  # noqa: F401  (registers the envs)
from agents.learners.rollout import RolloutCollector
from agents.policies.backbones import load_backbone
from agents.policies.classification import ClassificationPolicy


def measure(backbone_name: str, dataset: object, texts: int) -> dict[str, float]:
    """Acting and gradient-pass cost of reading every word of ``texts`` texts."""
    probe = gym.make("TextClassification-v0", dataset=dataset, max_length=64)
    labels = probe.unwrapped.label_names
    torch.manual_seed(0)
    policy = ClassificationPolicy(load_backbone(backbone_name), labels, "lora", mode="read")
    with torch.no_grad():
        policy.action_head.bias[0] = 50.0  # always read on while a word is left
    vector = gym.make_vec(
        "TextClassification-v0", num_envs=texts, dataset=dataset, max_length=64, split="test"
    )
    collector = RolloutCollector(vector, policy, seed=0)
    calls = policy.forward_calls
    start = time.perf_counter()
    rollout = collector.collect_groups(list(range(texts)), 1)  # one episode per sub-env
    acting = time.perf_counter() - start
    acting_calls = policy.forward_calls - calls
    observations, infos, masks, actions = rollout.flat()
    start = time.perf_counter()
    logprobs, _, values = policy.evaluate_actions(observations, infos, actions, masks)
    (logprobs.sum() + values.sum()).backward()
    gradient = time.perf_counter() - start
    return {
        "acting_s": acting,
        "acting_calls": acting_calls,
        "gradient_s": gradient,
        "steps": len(actions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=32, help="texts read, side by side")
    parser.add_argument("--backbones", default="minilm,minilm-causal")
    parser.add_argument("--data", type=Path, help="../shared/data/ag_news (default: built-in)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.data is not None:
        import sys

        sys.path.insert(0, str(Path(__file__).parent))
        from shared_corpora import load_ag_news

        dataset: object = load_ag_news(args.data)
    else:
        dataset = "topic"
    print(f"{'backbone':16} {'acting s':>9} {'forward calls':>14} {'gradient s':>11} {'steps':>7}")
    results = {}
    for name in [b.strip() for b in args.backbones.split(",") if b.strip()]:
        results[name] = figures = measure(name, dataset, args.texts)
        print(
            f"{name:16} {figures['acting_s']:9.2f} {figures['acting_calls']:14d} "
            f"{figures['gradient_s']:11.2f} {figures['steps']:7d}"
        )
    names = list(results)
    if len(names) >= 2:
        a, b = results[names[0]], results[names[1]]
        print(
            f"{names[1]} against {names[0]}: acting {a['acting_s'] / b['acting_s']:.1f}x faster, "
            f"gradient pass {a['gradient_s'] / b['gradient_s']:.1f}x faster"
        )


if __name__ == "__main__":
    main()
