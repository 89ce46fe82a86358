"""Helpers for Gymnasium vector envs: per-sub-env observations, episode infos, action masks."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


def episode_id(info: dict[str, Any]) -> int:
    """The identifier of the episode a reset ``info`` started (``info["episode_id"]``).

    textenvs envs number every episode they start; policies recognise an episode, and
    learners group its steps, by that number.

    Raises:
        KeyError: for an env whose reset info has no ``"episode_id"``.
    """
    try:
        return int(info["episode_id"])
    except KeyError:
        raise KeyError(
            f"the reset info has no 'episode_id' (keys: {sorted(info)}): policies and learners "
            "recognise episodes by it; textenvs envs provide it"
        ) from None


def split(observations: dict[str, np.ndarray], n: int) -> list[dict[str, Any]]:
    """One observation dict per sub-env from a batched one."""
    return [{key: value[i] for key, value in observations.items()} for i in range(n)]


def reset_info(infos: dict[str, Any], env: int) -> dict[str, Any]:
    """Sub-env ``env``'s entries of a vector env's batched infos (its reset info)."""
    return {
        key: value[env]
        for key, value in infos.items()
        if not key.startswith("_") and infos.get(f"_{key}", np.ones(env + 1, bool))[env]
    }


def refresh_episode_infos(
    envs: gym.vector.VectorEnv,
    episode_infos: list[dict[str, Any]],
    infos: dict[str, Any],
    which: np.ndarray,
) -> None:
    """Update the episodes' infos from a step's infos, for the keys the env keeps live.

    An env lists in ``metadata["live_info_keys"]`` the reset-info keys whose current value
    each step's info gives again (TextClassification-v0: ``"tokens"``, the words read so far,
    so that no unread word is in the agent's view). Sub-envs ``which`` (a bool mask) get the
    step's values; each updated info is a new dict, so infos recorded earlier keep theirs.
    """
    for key in envs.metadata.get("live_info_keys", ()):
        present = infos.get(f"_{key}")
        if present is None:
            continue
        for i in np.flatnonzero(np.asarray(present) & which).tolist():
            episode_infos[i] = {**episode_infos[i], key: infos[key][i]}


def action_masks(envs: gym.vector.VectorEnv) -> np.ndarray:
    """``(num_envs, n_actions)`` valid actions: the env's ``action_masks()``, else all."""
    unwrapped = envs.unwrapped
    if hasattr(unwrapped, "action_masks"):
        return np.asarray(unwrapped.action_masks(), dtype=np.bool_)
    if hasattr(unwrapped, "envs"):  # SyncVectorEnv over envs with masks
        singles = [getattr(e.unwrapped, "action_masks", None) for e in unwrapped.envs]
        if all(singles):
            return np.stack([np.asarray(m(), dtype=np.bool_) for m in singles])
    return np.ones((envs.num_envs, envs.single_action_space.n), dtype=np.bool_)
