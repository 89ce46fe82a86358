"""What every learner shares: its common settings, its optimizer, and resumable state.

A learner is built on a policy and a vector env, and trains by repeated :meth:`Learner.update`
calls, each returning one log row. :mod:`agents.training.loop` drives those calls (evaluation,
logging, checkpoints); ``learn()`` simply runs ``config.updates`` of them. A learner's whole
state (optimizer, rollout collector with its envs, random generators, the policy's acting
caches) round-trips through :meth:`state_dict` / :meth:`load_state_dict`, so a resumed run
continues exactly where the checkpoint was taken.
"""

from __future__ import annotations

import math
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import torch

from agents.common import distributed
from agents.learners.averaging import WeightAverage
from agents.learners.kl import KLController
from agents.learners.optim import gradient_step
from agents.learners.rollout import RolloutCollector
from textenvs.errors import InputError


@dataclass
class LearnerConfig:
    """Settings every learner has; every field says what it does."""

    updates: int = field(default=100, metadata={"help": "gradient updates (rollouts)"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    head_learning_rate: float | None = field(
        default=None,
        metadata={
            "help": "learning rate of the heads trained from scratch (every trainable "
            "parameter outside the transformer); None: learning_rate"
        },
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient clipping norm"})
    entropy_coef: float = field(default=0.0, metadata={"help": "entropy bonus weight"})
    kl_coef: float = field(
        default=0.0,
        metadata={"help": "KL penalty weight against the policy with adapters disabled (0: off)"},
    )
    kl_target: float | None = field(
        default=None, metadata={"help": "adapt kl_coef towards this mean KL per step (None: fixed)"}
    )
    kl_horizon: int = field(default=10_000, metadata={"help": "env steps of the KL controller"})
    seed: int = field(default=0, metadata={"help": "seed of the rollouts, sampling and init"})
    ema_decay: float = field(
        default=0.0,
        metadata={
            "help": "keep an exponential moving average of the trainable weights at this "
            "decay (0: off); evaluation, best/ and the trained policy use the average"
        },
    )

    def __post_init__(self) -> None:
        self.check_at_least_one("updates")
        if not (isinstance(self.ema_decay, (int, float)) and 0 <= self.ema_decay < 1):
            raise InputError(f"ema_decay must be in [0, 1), got {self.ema_decay!r}")
        for name in ("learning_rate", "max_grad_norm", "head_learning_rate"):
            value = getattr(self, name)
            if value is None and name == "head_learning_rate":
                continue
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a finite number > 0, got {value!r}")
        if not (math.isfinite(self.entropy_coef) and self.entropy_coef >= 0):
            raise InputError(f"entropy_coef must be >= 0, got {self.entropy_coef!r}")

    def check_at_least_one(self, *names: str) -> None:
        """Raise a ValueError naming the first of ``names`` whose value is below 1."""
        for name in names:
            if getattr(self, name) < 1:
                raise InputError(f"{name} must be >= 1, got {getattr(self, name)!r}")


@dataclass
class RolloutConfig(LearnerConfig):
    """Settings of learners that collect rollouts from a vector env (REINFORCE, PPO)."""

    steps_per_update: int = field(
        default=16, metadata={"help": "env steps per sub-env per rollout (without whole_episodes)"}
    )
    whole_episodes: bool = field(
        default=False,
        metadata={
            "help": "each rollout plays one whole episode per sub-env on records drawn from "
            "the split (each text read once per update), instead of steps_per_update steps"
        },
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        self.check_at_least_one("steps_per_update")


class Learner:
    """Base of the learners: the trainable parameters, the optimizer, and resumable state.

    Subclasses set up their rollout machinery in ``__init__`` (after calling this one), name
    the attributes that change while training in ``resumable`` and implement :meth:`update`.
    """

    resumable: tuple[str, ...] = ()
    optimizer_class: type[torch.optim.Optimizer] = torch.optim.Adam
    config: LearnerConfig

    def __init__(self, policy: Any, config: LearnerConfig) -> None:
        torch.manual_seed(config.seed)
        self.policy, self.config = policy, config
        self.distributed = distributed.current()
        named = [(n, p) for n, p in policy.named_parameters() if p.requires_grad]
        self.parameters = [p for _, p in named]
        if not self.parameters:
            raise InputError("the policy has no trainable parameters")
        self.distributed.broadcast_parameters(self.parameters)  # every process starts equal
        self.optimizer = self.optimizer_class(
            _parameter_groups(named, config), lr=config.learning_rate
        )
        self.updates_done = 0
        self.average = (
            WeightAverage(self.parameters, config.ema_decay) if config.ema_decay else None
        )

    def make_collector(self, envs: Any, explore: float = 0.0) -> RolloutCollector:
        """The rollout core on ``envs``, seeded, with the config's KL penalty."""
        config = self.config
        kl = KLController(config.kl_coef, config.kl_target, config.kl_horizon)
        seed = self.distributed.seed(config.seed)  # one episode stream per process
        return RolloutCollector(envs, self.policy, seed=seed, kl=kl, explore=explore)

    @property
    def env_steps(self) -> int:
        """Real env transitions collected so far (what budgets and curves count)."""
        return self.collector.env_steps  # type: ignore[attr-defined,no-any-return]

    def update(self) -> dict[str, float]:
        """Collect, compute the loss, take a gradient step; one log row."""
        raise NotImplementedError

    def step(self, loss: torch.Tensor | None) -> None:
        """The checked gradient step of update number ``updates_done``.

        Gradients are averaged over the data-parallel processes; ``loss=None`` joins that
        average with zeros (a process with no samples for this step).
        """
        gradient_step(
            loss,
            self.optimizer,
            self.parameters,
            self.config.max_grad_norm,
            f"update {self.updates_done}",
            self.distributed,
        )
        if self.average is not None:
            self.average.update()

    def averaged_weights(self) -> AbstractContextManager[None]:
        """A block in which the policy holds the averaged weights (``ema_decay``), if any.

        The training loop evaluates and saves the policy inside it; without ``ema_decay`` it
        does nothing.
        """
        return self.average.applied() if self.average is not None else nullcontext()

    def use_averaged_weights(self) -> None:
        """Put the averaged weights into the policy for good (the end of training), if any."""
        if self.average is not None:
            self.average.apply()

    def rollout_log(self, rollout: Any) -> dict[str, float]:
        """The log entries of every rollout: env reward, KL, learning rate, counters."""
        valid = rollout.valid
        kl = self.collector.kl  # type: ignore[attr-defined]
        return {
            "update": self.updates_done,
            "reward": float(rollout.env_rewards[valid].mean()),
            "kl": float(rollout.kl[valid].mean()),
            "kl_coef": kl.coef if kl is not None else 0.0,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
            "env_steps": self.env_steps,
        }

    def reusing_acting_forward(self) -> AbstractContextManager[None]:
        """A block around an update whose first gradient step follows its rollout.

        That step then reuses acting's encoder passes, where the policy supports it (see
        ``PeftPolicy.reusing_acting_forward``); elsewhere the block does nothing.
        """
        reuse = getattr(self.policy, "reusing_acting_forward", None)
        return reuse() if reuse is not None else nullcontext()

    def collect(self) -> Any:
        """The next rollout: whole episodes or ``steps_per_update`` steps (RolloutConfig)."""
        config = self.config
        if getattr(config, "whole_episodes", False):
            return self.collector.collect_episodes(self.collector.envs.num_envs)  # type: ignore[attr-defined]
        return self.collector.collect(config.steps_per_update)  # type: ignore[attr-defined]

    def learn(self) -> list[dict[str, float]]:
        """Run the remaining ``config.updates`` updates; one log row per update."""
        return [self.update() for _ in range(self.updates_done, self.config.updates)]

    def state_dict(self) -> dict[str, Any]:
        """Everything that changes while training, except the policy's weights, as data.

        The rollout collector gives its own :meth:`RolloutCollector.state_dict` (its envs'
        episodes in flight); the other ``resumable`` attributes are numbers, arrays and numpy
        generators. The policy's acting caches are not saved: every rollout drops them first.
        """
        return {
            "learner": type(self).__name__,
            "updates_done": self.updates_done,
            "optimizer": self.optimizer.state_dict(),
            "average": None if self.average is None else self.average.state_dict(),
            "resumable": {name: _resumable_state(getattr(self, name)) for name in self.resumable},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`'s output (of the same learner on the same policy)."""
        if state.get("learner") != type(self).__name__:
            raise InputError(
                f"the checkpoint was written by a {state.get('learner')} learner, "
                f"not a {type(self).__name__}"
            )
        saved = state["resumable"]
        if set(saved) != set(self.resumable):
            raise InputError(f"the checkpoint holds {sorted(saved)}, not {sorted(self.resumable)}")
        self.optimizer.load_state_dict(state["optimizer"])
        if (state.get("average") is None) != (self.average is None):
            raise InputError(
                f"the checkpoint was written with ema_decay {'off' if self.average else 'on'}, "
                f"this run has ema_decay={self.config.ema_decay!r}"
            )
        if self.average is not None:
            self.average.load_state_dict(state["average"])
        for name in self.resumable:
            current = getattr(self, name)
            if isinstance(current, RolloutCollector):
                current.load_state_dict(saved[name])
            else:
                setattr(self, name, saved[name])
        self.updates_done = state["updates_done"]


def _parameter_groups(
    named: list[tuple[str, torch.nn.Parameter]], config: LearnerConfig
) -> list[dict[str, Any]]:
    """One optimizer group, or two with ``head_learning_rate``: transformer, then heads."""
    if config.head_learning_rate is None:
        return [{"params": [p for _, p in named]}]
    body = [p for n, p in named if n.startswith("transformer.")]
    heads = [p for n, p in named if not n.startswith("transformer.")]
    groups = [{"params": body}] if body else []
    if heads:
        groups.append({"params": heads, "lr": config.head_learning_rate})
    return groups


def _resumable_state(value: Any) -> Any:
    return value.state_dict() if isinstance(value, RolloutCollector) else value
