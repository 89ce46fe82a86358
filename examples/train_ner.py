"""Train a LoRA tagging policy on TextNER-v0 with PPO (or another learner), then evaluate.

The embedded MiniLM encoder, the built-in corpus, the dense ``delta_f1`` reward::

    python examples/train_ner.py --learner ppo --updates 60
    python examples/train_ner.py --learner supervised --epochs 1     # the baseline

Prints validation F1 before training, the test F1 after, and the wall time.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import torch

import textenvs
from agents import evaluate
from agents.backbones import load_backbone
from agents.group_pg import GroupConfig, train_group
from agents.ppo import PPOConfig, a2c_config, train_ppo
from agents.reinforce import ReinforceConfig, train_reinforce
from agents.supervised import SupervisedConfig, train_supervised_tagger
from agents.tagging_policy import TaggingPolicy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--learner",
        default="ppo",
        choices=["ppo", "a2c", "reinforce", "rloo", "grpo", "supervised"],
    )
    parser.add_argument("--backbone", default="minilm")
    parser.add_argument("--peft", default="lora")
    parser.add_argument("--reward", default="delta_f1", choices=["delta_f1", "f1", "token"])
    parser.add_argument("--updates", type=int, default=60)
    parser.add_argument("--num-envs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=16, help="steps per sub-env per update")
    parser.add_argument("--epochs", type=int, default=1, help="supervised epochs")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)

    tags = gym.make("TextNER-v0").unwrapped.tag_names
    policy = TaggingPolicy(load_backbone(args.backbone), tags, args.peft)
    trainable, total = policy.trainable_parameters()
    print(f"{args.backbone} + {args.peft}: {trainable:,} of {total:,} parameters train")
    before = evaluate(policy, "TextNER-v0", split="validation")["f1"]
    start = time.perf_counter()
    if args.learner == "supervised":
        train = textenvs.load_builtin_ner("train")
        train_supervised_tagger(
            policy,
            train,
            SupervisedConfig(epochs=args.epochs, learning_rate=args.learning_rate, seed=args.seed),
        )
    else:
        kind = {"ppo": "ppo", "a2c": "ppo", "reinforce": "reinforce"}.get(args.learner, "group")
        envs = gym.make_vec("TextNER-v0", num_envs=args.num_envs, reward=args.reward)
        common = {"updates": args.updates, "learning_rate": args.learning_rate, "seed": args.seed}
        if kind == "ppo":
            make = PPOConfig if args.learner == "ppo" else a2c_config
            log = train_ppo(policy, envs, make(steps_per_update=args.steps, **common))
        elif kind == "reinforce":
            log = train_reinforce(
                policy, envs, ReinforceConfig(steps_per_update=args.steps, **common)
            )
        else:
            k = 4
            log = train_group(
                policy,
                envs,
                GroupConfig(
                    method=args.learner, k=k, examples_per_update=args.num_envs // k, **common
                ),
            )
        print(
            f"mean reward: first update {log[0].get('reward', log[0].get('return')):.3f}, "
            f"last {log[-1].get('reward', log[-1].get('return')):.3f}"
        )
    seconds = time.perf_counter() - start
    after = evaluate(policy, "TextNER-v0", split="test")
    print(
        f"validation F1 before {before:.3f}; test F1 after {after['f1']:.3f} "
        f"(P {after['precision']:.3f}, R {after['recall']:.3f}); "
        f"{args.learner} took {seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
