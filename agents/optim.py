"""The gradient step every learner takes: refuse a non-finite loss, clip, step."""

from __future__ import annotations

import torch


def gradient_step(
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    parameters: list[torch.nn.Parameter],
    max_grad_norm: float,
    where: str,
) -> None:
    """Back-propagate ``loss`` and step, or stop with a clear error if the loss is NaN/inf.

    Args:
        loss: the scalar to minimise.
        optimizer: the optimizer over ``parameters``.
        parameters: what trains (clipped together to ``max_grad_norm``).
        max_grad_norm: gradient clipping norm.
        where: names the update in the error, e.g. ``"update 12"``.

    Raises:
        FloatingPointError: the loss is not finite; the parameters are left untouched.
    """
    if not torch.isfinite(loss):
        raise FloatingPointError(f"{where}: the loss is {loss.item()}; stopping")
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, max_grad_norm)
    optimizer.step()
