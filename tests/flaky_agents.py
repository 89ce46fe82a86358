"""Agents that fail on purpose, for the benchmark backends' retry tests (``FLAKY_DIR``).

Each is a valid custom agent (``act`` picks the first valid action) whose construction
fails: ``FailsOnce`` raises on its first attempt, ``KilledOnce`` kills its own worker
process on its first attempt, ``AlwaysFails`` always raises. Attempts are counted in files
under the folder named by the ``FLAKY_DIR`` environment variable.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np

from agents.common.protocol import BaseAgent


def attempt(name: str) -> int:
    """Count one more attempt of ``name``; returns the attempt's number (1, 2, ...)."""
    path = Path(os.environ["FLAKY_DIR"]) / name
    count = int(path.read_text()) + 1 if path.exists() else 1
    path.write_text(str(count))
    return count


class FirstValid(BaseAgent):
    """The first valid action, always."""

    def __init__(self, env: Any) -> None:
        self.env = env

    def act(self, observation: dict[str, Any], info: dict[str, Any], mask: np.ndarray) -> int:
        return int(np.flatnonzero(mask)[0])


class FailsOnce(FirstValid):
    def __init__(self, env: Any) -> None:
        if attempt("FailsOnce") == 1:
            raise RuntimeError("the first attempt fails")
        super().__init__(env)


class KilledOnce(FirstValid):
    def __init__(self, env: Any) -> None:
        if attempt("KilledOnce") == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        super().__init__(env)


class AlwaysFails(FirstValid):
    def __init__(self, env: Any) -> None:
        attempt("AlwaysFails")
        raise RuntimeError("this agent never works")
