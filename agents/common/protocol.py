"""The agent interface: what evaluation and the benchmark harness need from an agent.

An agent is anything with ``act``; ``act_batch`` (for vector envs) defaults to a loop::

    class MyAgent(BaseAgent):
        def act(self, observation, info, mask):
            return int(np.flatnonzero(mask)[0])

``observation`` is the env's observation, ``info`` the ``info`` of the episode's reset (raw
words, which transformer agents tokenize themselves) with the keys the env lists in
``metadata["live_info_keys"]`` refreshed from each step's info (TextClassification-v0's
``"tokens"``: the words read so far), and ``mask`` the env's ``action_masks()`` (all True for
envs without one). Agents must return a valid action.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Agent(Protocol):
    """What :func:`agents.common.evaluation` and the benchmark harness need from an agent."""

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The action for one observation of an episode that started with ``info``."""
        ...

    def act_batch(
        self, observations: dict[str, np.ndarray], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> np.ndarray:
        """Actions for a vector env: batched observations, one reset info and mask row each."""
        ...


class BaseAgent:
    """An agent whose batched acting loops over :meth:`act` (override it to batch for real)."""

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        """The action for one observation; see :class:`Agent`."""
        raise NotImplementedError

    def act_batch(
        self, observations: dict[str, np.ndarray], infos: list[dict[str, Any]], masks: np.ndarray
    ) -> np.ndarray:
        """One :meth:`act` call per sub-env."""
        return np.array(
            [
                self.act({key: value[i] for key, value in observations.items()}, info, masks[i])
                for i, info in enumerate(infos)
            ],
            dtype=np.int64,
        )
