"""An exponential moving average of a learner's trainable weights (Polyak averaging).

With ``LearnerConfig.ema_decay = d > 0`` the learner keeps, beside the weights it trains,
their average ``avg <- d * avg + (1 - d) * w`` after every gradient step, with
TensorFlow's ``ExponentialMovingAverage`` warm-up (the decay is ``min(d, (1 + n) / (10 + n))``
at step ``n``, so the first steps are not weighed down by the initial weights). The
training loop evaluates, keeps and returns the averaged policy; the trained weights go on
training underneath, and a checkpoint holds both, so a resumed run stays exact.

Only the trainable parameters (adapters and heads) are averaged: the copy costs what the
adapter costs, not a second backbone (``torch.optim.swa_utils.AveragedModel`` copies the
whole module).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


class WeightAverage:
    """The moving average of ``parameters`` at ``decay`` (``0 < decay < 1``)."""

    def __init__(self, parameters: list[torch.nn.Parameter], decay: float) -> None:
        self.parameters, self.decay = parameters, decay
        self.average = [p.detach().clone() for p in parameters]
        self.steps = 0

    def update(self) -> None:
        """Fold the current weights into the average (after each gradient step)."""
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        with torch.no_grad():
            for average, parameter in zip(self.average, self.parameters):
                average.lerp_(parameter.detach(), 1.0 - decay)

    def apply(self) -> None:
        """Put the average into the parameters for good (the end of training)."""
        self._copy_into_parameters(self.average)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """A block in which the parameters hold the average; the trained weights after it."""
        trained = [p.detach().clone() for p in self.parameters]
        self.apply()
        try:
            yield
        finally:
            self._copy_into_parameters(trained)

    def _copy_into_parameters(self, weights: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for parameter, weight in zip(self.parameters, weights):
                parameter.copy_(weight)

    def state_dict(self) -> dict[str, Any]:
        """The average and its step count, as plain data (tensors and an int)."""
        return {"average": [a.clone() for a in self.average], "steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (for the same parameters)."""
        self.average = [
            a.to(device=p.device, dtype=p.dtype) for a, p in zip(state["average"], self.parameters)
        ]
        self.steps = int(state["steps"])
