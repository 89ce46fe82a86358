"""The gradient step every learner takes: refuse a non-finite loss, average, clip, step."""

from __future__ import annotations

import torch

from agents.common.distributed import SINGLE, Distributed


def gradient_step(
    loss: torch.Tensor | None,
    optimizer: torch.optim.Optimizer,
    parameters: list[torch.nn.Parameter],
    max_grad_norm: float,
    where: str,
    distributed: Distributed = SINGLE,
) -> None:
    """Back-propagate ``loss`` and step, or stop with a clear error if the loss is NaN/inf.

    Args:
        loss: the scalar to minimise; None for a data-parallel process that has no samples
            for this step but must still join the gradient average (it adds zeros).
        optimizer: the optimizer over ``parameters``.
        parameters: what trains (clipped together to ``max_grad_norm``).
        max_grad_norm: gradient clipping norm.
        where: names the update in the error, e.g. ``"update 12"``.
        distributed: the data-parallel processes whose gradients are averaged before the
            step (every process must call this the same number of times).

    Raises:
        FloatingPointError: the loss is not finite in this process or in another one; the
            parameters are left untouched.
    """
    finite = loss is None or bool(torch.isfinite(loss))
    if not finite and not distributed.enabled:
        raise FloatingPointError(f"{where}: the loss is {loss.item()}; stopping")
    optimizer.zero_grad()
    if loss is not None and finite:
        loss.backward()
    bad = distributed.average_gradients(parameters, failed=not finite)
    if bad:
        optimizer.zero_grad()
        detail = f"the loss is {loss.item()}" if not finite else "the loss is not finite"
        raise FloatingPointError(
            f"{where}: {detail} in {bad} of {distributed.world_size} processes; stopping"
        )
    torch.nn.utils.clip_grad_norm_(parameters, max_grad_norm)
    optimizer.step()
