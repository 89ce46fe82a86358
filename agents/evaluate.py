"""Walk a whole split of an env with an agent and return the env's corpus metrics."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

import textenvs  # noqa: F401  (registers the env ids)
from agents.protocol import Agent
from textenvs.metrics import classification_scores, corpus_span_scores


def evaluate(
    agent: Agent,
    env_id: str | gym.Env,
    split: str = "test",
    limit: int | None = None,
    **env_kwargs: Any,
) -> dict[str, float]:
    """Run one episode per record of a split, in order, and score the corpus.

    Args:
        agent: anything with ``act(observation, info, mask)``.
        env_id: a registered id (made with ``split`` and ``env_kwargs``) or an env.
        split: the split to walk.
        limit: walk only the first ``limit`` records.
        **env_kwargs: passed to ``gym.make``.

    Returns:
        The env's corpus metrics plus ``"episodes"`` and ``"mean_return"``: entity
        precision/recall/F1 (seqeval) for tagging; accuracy, macro-F1 and mean fraction read
        for classification; the mean final ``"score"`` (e.g. ROUGE) for generation and
        extractive summarization.
    """
    env = gym.make(env_id, split=split, **env_kwargs) if isinstance(env_id, str) else env_id
    if hasattr(agent, "check_env"):
        agent.check_env(env)  # e.g. a policy built for other tags than the env's
    size = len(env.unwrapped.corpus)
    finals, returns = [], []
    for index in range(size if limit is None else min(limit, size)):
        observation, reset_info = env.reset(options={"index": index})
        total, done = 0.0, False
        while not done:
            action = agent.act(observation, reset_info, _mask(env))
            observation, reward, terminated, truncated, info = env.step(action)
            total += reward
            done = terminated or truncated
        finals.append(info)
        returns.append(total)
    metrics = _corpus_metrics(env, finals)
    metrics.update(episodes=len(finals), mean_return=float(np.mean(returns)))
    return metrics


def _mask(env: gym.Env) -> np.ndarray:
    masks = getattr(env.unwrapped, "action_masks", None)
    return masks() if masks else np.ones(env.action_space.n, dtype=np.bool_)


def _corpus_metrics(env: gym.Env, finals: list[dict[str, Any]]) -> dict[str, float]:
    first = finals[0]
    if "gold_tags" in first:
        scores = corpus_span_scores(
            [f["gold_tags"] for f in finals], [f["pred_tags"] for f in finals]
        )
        return {k: float(scores[k]) for k in ("precision", "recall", "f1")}
    if "label" in first:
        scores = classification_scores(
            [f["label"] for f in finals],
            [f["prediction"] for f in finals],
            env.unwrapped.label_names,
            [f["fraction_read"] for f in finals],
        )
        return {k: float(v) for k, v in scores.items() if k != "texts"}
    if "score" in first:
        return {"score": float(np.mean([f["score"] for f in finals]))}
    raise ValueError(f"no corpus metrics known for the final infos of {env.spec}: {sorted(first)}")
