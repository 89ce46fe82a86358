"""Data-parallel training: what a learner and the training loop need from torch.distributed.

Every learner runs unchanged under ``torchrun`` or ``accelerate launch`` (or ``textenvs
train --num-processes N``, which starts ``torchrun`` for you). The launcher starts N
processes; :func:`current` sees its environment variables and joins them through
Hugging Face accelerate's :class:`~accelerate.PartialState` (gloo on CPU, NCCL on GPUs, one
GPU per process). Then:

* each process collects rollouts from its own slice of the vector envs (``num_envs / N``
  sub-envs, RLOO groups or supervised records), seeded by its rank so that no two processes
  play the same episode stream;
* after every backward pass the gradients of the trainable parameters (the PEFT adapter and
  the heads; the frozen backbone has none) are averaged over the processes, as DDP does, so
  every process takes the same optimizer step and the parameters stay identical;
* only the main process logs, evaluates, keeps the best policy and writes checkpoints; a
  checkpoint holds every process's learner state, and ``resume`` needs the same number of
  processes.

In a single process (no launcher) :func:`current` returns :data:`SINGLE`, whose methods do
nothing, so the same code path serves both.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from accelerate import PartialState
from accelerate.utils import broadcast_object_list, gather_object

from textenvs.errors import InputError

LAUNCHER_VARIABLES = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE")
CPU = torch.device("cpu")


@dataclass(frozen=True)
class Distributed:
    """This process's place among ``world_size`` data-parallel processes."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = CPU

    @property
    def is_main(self) -> bool:
        """Whether this process logs, evaluates and checkpoints."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """Whether there is more than one process."""
        return self.world_size > 1

    def share(self, total: int, what: str) -> int:
        """This process's part of a global ``total`` (sub-envs, groups, batch records).

        Raises:
            ValueError: ``total`` does not split evenly over the processes.
        """
        if total % self.world_size:
            raise InputError(
                f"{what}={total} does not split over {self.world_size} processes: "
                f"use a multiple of {self.world_size}"
            )
        return total // self.world_size

    def seed(self, seed: int) -> int:
        """The seed of this process's episode stream (``seed`` itself on the main process)."""
        return seed + 1_000_003 * self.rank

    def average_gradients(self, parameters: list[torch.nn.Parameter], failed: bool = False) -> int:
        """Average ``parameters``' gradients over the processes (one all-reduce).

        A parameter that got no gradient in some process counts as a zero gradient there;
        one that got none anywhere keeps ``grad=None`` (so the optimizer skips it, as in a
        single process).

        Args:
            parameters: the trainable parameters, in the same order in every process.
            failed: this process's loss was not finite (its gradients are not used).

        Returns:
            The number of processes whose loss was not finite (then no gradient is set).
        """
        if not self.enabled:
            return int(failed)

        has_grad = torch.tensor(
            [p.grad is not None for p in parameters], dtype=torch.float32, device=self.device
        )
        grads = [
            p.grad.reshape(-1) if p.grad is not None and not failed else p.new_zeros(p.numel())
            for p in parameters
        ]
        status = torch.tensor([float(failed)], device=self.device)
        flat = torch.cat([torch.cat(grads).float(), has_grad, status])
        dist.all_reduce(flat)
        failures = int(flat[-1].item())
        if failures:
            return failures
        flat = flat[:-1]
        flat[: -len(parameters)] /= self.world_size
        offset = 0
        for parameter, any_grad in zip(parameters, flat[-len(parameters) :].tolist()):
            size = parameter.numel()
            if any_grad:
                parameter.grad = (
                    flat[offset : offset + size].view_as(parameter).to(parameter.dtype).clone()
                )
            offset += size
        return 0

    def broadcast_parameters(self, parameters: list[torch.nn.Parameter]) -> None:
        """Give every process the main process's values of ``parameters``."""
        if not self.enabled:
            return

        with torch.no_grad():
            for parameter in parameters:
                dist.broadcast(parameter.data, src=0)

    def broadcast(self, value: Any) -> Any:
        """The main process's ``value``, in every process (any picklable object)."""
        if not self.enabled:
            return value

        return broadcast_object_list([value], from_process=0)[0]

    def gather(self, value: Any) -> list[Any]:
        """Every process's ``value``, in rank order, in every process."""
        if not self.enabled:
            return [value]

        return list(gather_object([value]))

    def sum(self, value: float) -> float:
        """The sum of ``value`` over the processes."""
        if not self.enabled:
            return value

        total = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        dist.all_reduce(total)
        return float(total.item())


SINGLE = Distributed()


def launched() -> bool:
    """Whether a launcher (torchrun, accelerate launch, mpirun) started several processes."""
    return any(int(os.environ.get(name, "1")) > 1 for name in LAUNCHER_VARIABLES)


def current() -> Distributed:
    """This process's :class:`Distributed`.

    Joins the process group (through accelerate) when a launcher started several processes;
    otherwise :data:`SINGLE`.
    """
    if not launched():
        return SINGLE

    state = PartialState(cpu=not torch.cuda.is_available())
    return Distributed(
        rank=state.process_index, world_size=state.num_processes, device=state.device
    )


def finish() -> None:
    """Leave the process group cleanly at the end of a data-parallel run.

    Every process waits for the others, then the group is destroyed: a process that exits
    with the group still up can abort in its communication threads' teardown
    ("terminate called without an active exception"). Nothing to do in one process.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
