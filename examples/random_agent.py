"""Walk a whole split of TextNER-v0 with a random agent and print corpus entity scores.

The agent picks uniformly among the tags that keep the sequence valid IOB2
(``env.unwrapped.action_masks()``). Run from the repository root::

    python examples/random_agent.py --split test --seed 0
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import textenvs
from textenvs.metrics import corpus_span_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="TextNER-v0", help="environment id")
    parser.add_argument("--split", default="test", choices=textenvs.data.SPLITS)
    parser.add_argument("--seed", type=int, default=0, help="seed of the random agent")
    args = parser.parse_args()

    env = gym.make(args.env, split=args.split, reward="f1")
    rng = np.random.default_rng(args.seed)
    golds, preds = [], []
    start = time.perf_counter()
    for index in range(len(env.unwrapped.corpus)):
        env.reset(options={"index": index})
        done = False
        while not done:
            valid = np.flatnonzero(env.unwrapped.action_masks())
            _, _, terminated, truncated, info = env.step(int(rng.choice(valid)))
            done = terminated or truncated
        golds.append(info["gold_tags"])
        preds.append(info["pred_tags"])
    elapsed = time.perf_counter() - start

    scores = corpus_span_scores(golds, preds)
    print(
        f"random agent on {args.env} ({args.split}, {scores['sentences']} sentences, "
        f"{elapsed:.2f} s)"
    )
    print(
        f"{'precision':>10} {'recall':>8} {'f1':>8}   entities: gold {scores['gold']}, "
        f"predicted {scores['predicted']}, correct {scores['correct']}"
    )
    print(f"{scores['precision']:>10.4f} {scores['recall']:>8.4f} {scores['f1']:>8.4f}")


if __name__ == "__main__":
    main()
