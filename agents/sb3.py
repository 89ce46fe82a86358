"""Stable-Baselines3 algorithms as textenvs agents: trained on the envs unmodified.

textenvs envs pass SB3's ``check_env``, so ``PPO("MultiInputPolicy", gym.make(...))`` trains
on them as they are, and sb3-contrib's ``MaskablePPO`` reads their ``action_masks()``.
:class:`SB3Agent` wraps a trained model in the agent interface (``act``), so
:func:`agents.evaluate` and the benchmark harness run it beside the policy-gradient
learners; :func:`train_sb3` trains one for a time budget.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np

from agents.protocol import BaseAgent

ALGORITHMS = ("sb3-ppo", "sb3-a2c", "sb3-maskable-ppo")


class SB3Agent(BaseAgent):
    """A trained SB3 model acting greedily; a masked model gets the env's valid actions.

    Args:
        model: a trained SB3 (or sb3-contrib) model.
        masked: pass ``action_masks`` to ``predict`` (MaskablePPO).
    """

    def __init__(self, model: Any, masked: bool = False) -> None:
        self.model, self.masked = model, masked

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The model's deterministic action (the first valid one if it picks an invalid one)."""
        if self.masked:
            action, _ = self.model.predict(observation, deterministic=True, action_masks=mask)
        else:
            action, _ = self.model.predict(observation, deterministic=True)
        action = int(np.asarray(action).reshape(-1)[0])
        return action if mask[action] else int(np.flatnonzero(mask)[0])


def train_sb3(
    algorithm: str,
    env_id: str,
    seconds: float,
    seed: int = 0,
    max_steps: int | None = None,
    **env_kwargs: Any,
) -> SB3Agent:
    """Train an SB3 algorithm on ``env_id``'s training split for ``seconds`` (or steps).

    Raises:
        ValueError: an unknown algorithm, or sb3-contrib missing for MaskablePPO.
    """
    from stable_baselines3.common.callbacks import BaseCallback

    class StopAfter(BaseCallback):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.deadline = time.perf_counter() + seconds

        def _on_step(self) -> bool:
            return time.perf_counter() < self.deadline

    env = gym.make(env_id, split="train", **env_kwargs)
    if algorithm == "sb3-maskable-ppo":
        try:
            from sb3_contrib import MaskablePPO
        except ImportError:
            raise ValueError(
                "sb3-maskable-ppo needs sb3-contrib: pip install sb3-contrib"
            ) from None
        model: Any = MaskablePPO("MultiInputPolicy", env, seed=seed, verbose=0)
    elif algorithm in ("sb3-ppo", "sb3-a2c"):
        from stable_baselines3 import A2C, PPO

        cls = PPO if algorithm == "sb3-ppo" else A2C
        model = cls("MultiInputPolicy", env, seed=seed, verbose=0)
    else:
        raise ValueError(f"unknown SB3 algorithm {algorithm!r}; use one of {ALGORITHMS}")
    model.learn(total_timesteps=max_steps or 10**12, callback=StopAfter())
    return SB3Agent(model, masked=algorithm == "sb3-maskable-ppo")
