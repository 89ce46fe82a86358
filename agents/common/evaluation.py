"""Walk a whole split of an env with an agent and return the env's corpus metrics."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

import textenvs  # noqa: F401  (registers the env ids)
from agents.common.protocol import Agent
from agents.common.vector import action_masks, refresh_episode_infos, reset_info
from textenvs.errors import InputError
from textenvs.metrics import classification_scores, corpus_span_scores


def evaluate(
    agent: Agent,
    env_id: str | gym.Env,
    split: str = "test",
    limit: int | None = None,
    num_envs: int = 1,
    **env_kwargs: Any,
) -> dict[str, float]:
    """Run one episode per record of a split, in order, and score the corpus.

    Args:
        agent: anything with ``act(observation, info, mask)``.
        env_id: a registered id (made with ``split`` and ``env_kwargs``) or an env.
        split: the split to walk.
        limit: walk only the first ``limit`` records.
        num_envs: with a registered id, play this many records at a time in the env's
            vector env, acting with ``agent.act_batch`` (a policy then reads a batch of
            texts per forward pass); the metrics are those of one-by-one play.
        **env_kwargs: passed to ``gym.make``.

    Returns:
        The env's corpus metrics plus ``"episodes"`` and ``"mean_return"``: entity
        precision/recall/F1 (seqeval) for tagging; accuracy, macro-F1 and mean fraction read
        for classification; the mean final ``"score"`` (e.g. ROUGE) for generation and
        extractive summarization.
    """
    env = gym.make(env_id, split=split, **env_kwargs) if isinstance(env_id, str) else env_id
    if hasattr(agent, "check_env"):  # e.g. a policy built for other tags than the env's
        agent.check_env(EnvDescription(env))  # not the env: its records are the test set
    if hasattr(agent, "load_acting_state"):  # a new env: its episode ids say nothing of
        agent.load_acting_state({})  # the episodes the agent's caches hold
    size = len(env.unwrapped.corpus)
    total = size if limit is None else min(limit, size)
    planner = getattr(agent, "plan_episodes", None)
    if planner is not None:  # whole episodes planned in batches, played in the env
        finals, returns = _play_planned(planner, env, total, max(num_envs, 32))
        return _scores(env, finals, returns)
    if num_envs > 1 and isinstance(env_id, str):
        envs = gym.make_vec(env_id, num_envs=min(num_envs, total), split=split, **env_kwargs)
        finals, returns = _play_batched(agent, envs, total)
        return _scores(env, finals, returns)
    finals, returns = [], []
    live = env.metadata.get("live_info_keys", ())  # keys each step gives again (words read)
    for index in range(total):
        observation, episode_info = env.reset(options={"index": index})
        episode_return, done = 0.0, False
        while not done:
            action = agent.act(observation, episode_info, _mask(env))
            observation, reward, terminated, truncated, info = env.step(action)
            episode_return += reward
            done = terminated or truncated
            episode_info = {**episode_info, **{k: info[k] for k in live if k in info}}
        finals.append(info)
        returns.append(episode_return)
    return _scores(env, finals, returns)


class EnvDescription:
    """What an agent may know of an env before it plays: its spaces and what actions mean.

    The env's public attributes (tag names, label names, mode, tokenizer, spaces, spec) and
    nothing else: not its records, which during evaluation are the test set. Its
    ``unwrapped`` is itself, so ``env.unwrapped.tag_names`` reads as on an env.
    """

    PUBLIC = ("tag_names", "label_names", "mode", "tokenizer", "action_space", "observation_space")

    def __init__(self, env: gym.Env) -> None:
        unwrapped = env.unwrapped
        for name in self.PUBLIC:
            if hasattr(unwrapped, name):
                setattr(self, name, getattr(unwrapped, name))
        self.spec = env.spec

    @property
    def unwrapped(self) -> EnvDescription:
        """Itself (the description stands for the whole env)."""
        return self


def _play_planned(
    planner: Callable[[list[dict[str, Any]]], list[list[int]]],
    env: gym.Env,
    total: int,
    batch: int,
) -> tuple[list[dict[str, Any]], list[float]]:
    """Play records ``0 .. total-1`` with actions planned ``batch`` episodes at a time.

    For agents whose greedy actions follow from the episode's reset info alone (a tagger's
    observations are its words and its own tags): ``agent.plan_episodes(infos)`` gives every
    action of each episode at once (one batched forward pass), and the env plays and scores
    them as it would the agent's step-by-step choices.
    """
    finals, returns = [], []
    for first in range(0, total, batch):
        records = range(first, min(first + batch, total))
        plans = planner([env.reset(options={"index": index})[1] for index in records])
        for index, plan in zip(records, plans):
            env.reset(options={"index": index})
            episode_return, done, step, info = 0.0, False, 0, {}
            while not done:
                action = plan[step]
                if not _mask(env)[action]:
                    raise InputError(
                        f"the agent planned action {action} at step {step} of record {index}, "
                        "which the env does not allow there"
                    )
                _, reward, terminated, truncated, info = env.step(action)
                episode_return += reward
                step += 1
                done = terminated or truncated
            finals.append(info)
            returns.append(episode_return)
    return finals, returns


def _play_batched(
    agent: Agent, envs: gym.vector.VectorEnv, total: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """Play records ``0 .. total-1`` in a vector env; final infos and returns, in order.

    Each sub-env that finishes an episode restarts on the next record not yet played.
    """
    n = envs.num_envs
    finals: list[dict[str, Any]] = [{} for _ in range(total)]
    returns = np.zeros(total)
    record = np.full(n, -1)
    episode_infos: list[dict[str, Any]] = [{} for _ in range(n)]
    observations, _ = envs.reset(seed=0)  # every sub-env must be reset once before stepping
    next_record = 0

    def start(i: int) -> None:
        nonlocal observations, next_record
        mask = np.zeros(n, dtype=np.bool_)
        mask[i] = True
        observations, infos = envs.reset(options={"reset_mask": mask, "index": next_record})
        record[i], episode_infos[i] = next_record, reset_info(infos, i)
        next_record += 1

    for i in range(min(n, total)):
        start(i)
    while (record >= 0).any():
        masks = action_masks(envs)
        actions = masks.argmax(-1)  # finished sub-envs idle on any valid action
        active = np.flatnonzero(record >= 0)
        if len(active) == n:
            actions = agent.act_batch(observations, episode_infos, masks)
        else:  # only the sub-envs still playing records act (at the end of the split)
            subset = {key: value[active] for key, value in observations.items()}
            chosen = agent.act_batch(subset, [episode_infos[i] for i in active], masks[active])
            actions[active] = chosen
        observations, rewards, terminated, truncated, infos = envs.step(
            np.asarray(actions, dtype=np.int64)
        )
        active = record >= 0
        refresh_episode_infos(envs, episode_infos, infos, active)
        returns[record[active]] += np.asarray(rewards)[active]
        for i in np.flatnonzero(active & (np.asarray(terminated) | np.asarray(truncated))):
            finals[record[i]] = reset_info(infos, int(i))  # this step's (final) info
            record[i] = -1
            if next_record < total:
                start(int(i))
    return finals, returns.tolist()


def _scores(env: gym.Env, finals: list[dict[str, Any]], returns: list[float]) -> dict[str, float]:
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
    raise InputError(f"no corpus metrics known for the final infos of {env.spec}: {sorted(first)}")
