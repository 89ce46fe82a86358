"""What a benchmark grid is: envs x agents x seeds, the budget, the backend; checked at once.

Every mistake in a grid (an unknown env or agent, an unreadable data folder, a custom agent
class that does not import, Ray not installed) fails when the config is made, in one line,
not after the other runs have spent their budgets.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym

import textenvs  # noqa: F401  (registers the env ids)
from agents.bench.ray_backend import import_ray
from agents.bench.sb3 import ALGORITHMS as SB3_ALGORITHMS
from agents.policies.peft_methods import PEFT_METHODS
from agents.training.runs import LEARNERS, load_data
from textenvs.errors import InputError

BASELINES = ("random", "memorizer")
SB3_AGENTS = SB3_ALGORITHMS
PROMPT_AGENTS = {"prompt-zero-shot": 0, "prompt-4-shot": 4}
"""Prompt baselines for classification envs (:mod:`agents.policies.prompting`): the number
of labelled training texts in the prompt."""
AGENT_SECONDS = 60.0
"""What a custom agent's ``learn(env, seconds)`` gets without a time budget."""


OUTPUTS = ("results.json", "report.md", "curves_*.png", "bars_*.png", "runs")
"""What a bench writes into its ``out`` folder (and ``overwrite`` replaces)."""


def parse_budget(text: str) -> float:
    """Seconds from ``90s``, ``10m`` or ``1h``: a positive number with its unit."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smh])\s*", str(text))
    if not match:
        raise InputError(
            f"budget {text!r}: expected a number with its unit, s, m or h (e.g. 90s, 10m, 1h)"
        )
    seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if seconds <= 0:
        raise InputError(f"budget {text!r}: must be more than zero")
    return seconds


@dataclass
class BenchConfig:
    """One benchmark grid; every field says what it does."""

    envs: list[str] = field(default_factory=lambda: ["TextNER-v0"], metadata={"help": "env ids"})
    agents: list[str] = field(
        default_factory=lambda: ["random", "memorizer"],
        metadata={"help": "random, memorizer, a learner, or package.module:Class"},
    )
    seeds: int = field(default=3, metadata={"help": "seeds per (env, agent)"})
    budget: float | None = field(
        default=None,
        metadata={
            "help": "training seconds per run, for equal-time comparisons; None: each "
            "learner's tuned length in updates or epochs (the same figures on any machine)"
        },
    )
    out: str = field(default="bench", metadata={"help": "output folder"})
    backbone: str = field(default="minilm", metadata={"help": "learners' backbone"})
    peft: str = field(default="lora", metadata={"help": "learners' PEFT method"})
    eval_every: int | None = field(
        default=None,
        metadata={
            "help": "updates between validation points (None: 6 points over a learner's "
            "tuned length; 10 updates with a time budget)"
        },
    )
    eval_limit: int | None = field(default=100, metadata={"help": "validation records per point"})
    jobs: int = field(default=1, metadata={"help": "runs at a time (processes)"})
    threads: int | None = field(default=None, metadata={"help": "torch threads per run"})
    data: str | None = field(default=None, metadata={"help": "a dataset folder for every env"})
    backend: str = field(default="local", metadata={"help": "local (processes here) or ray"})
    address: str | None = field(
        default=None, metadata={"help": "ray: an existing cluster's address (None: start one)"}
    )
    cpus_per_run: int = field(default=1, metadata={"help": "ray: CPUs each run asks for"})
    gpus_per_run: float = field(default=0.0, metadata={"help": "ray: GPUs each run asks for"})
    overwrite: bool = field(
        default=False, metadata={"help": "replace the results of an earlier bench in out"}
    )

    def __post_init__(self) -> None:
        unknown = [e for e in self.envs if e not in gym.registry]
        if unknown:
            raise InputError(f"unknown env {unknown[0]!r}; see `textenvs list`")
        for agent in self.agents:
            if (
                agent not in (*BASELINES, *LEARNERS, *SB3_AGENTS, *PROMPT_AGENTS)
                and ":" not in agent
            ):
                raise InputError(
                    f"unknown agent {agent!r}: use "
                    f"{', '.join((*BASELINES, *LEARNERS, *SB3_AGENTS, *PROMPT_AGENTS))} or "
                    "package.module:Class"
                )
        if self.peft not in PEFT_METHODS:
            raise InputError(f"unknown PEFT method {self.peft!r}; use one of {PEFT_METHODS}")
        for agent in self.agents:
            if ":" in agent:
                load_agent_class(agent)  # fail now, not after the other runs
        if self.data is not None:
            for env_id in self.envs:
                load_data(env_id, self.data)  # an unreadable folder fails now, in one line
        if self.seeds < 1:
            raise InputError(f"seeds must be >= 1, got {self.seeds}")
        if self.budget is not None and not self.budget > 0:
            raise InputError(f"budget must be more than zero, got {self.budget}")
        if self.jobs < 1:
            raise InputError(f"jobs must be >= 1, got {self.jobs}")
        if self.backend not in ("local", "ray"):
            raise InputError(f"unknown backend {self.backend!r}: use local or ray")
        if self.cpus_per_run < 1 or self.gpus_per_run < 0:
            raise InputError(
                f"cpus_per_run must be >= 1 and gpus_per_run >= 0, got {self.cpus_per_run} "
                f"and {self.gpus_per_run}"
            )
        earlier = existing_outputs(self.out)
        if earlier and not self.overwrite:
            raise InputError(
                f"{self.out} already holds a bench ({', '.join(earlier)}): pass --overwrite to "
                "replace it, or choose another --out"
            )
        if self.backend == "ray":
            import_ray()  # not installed: say what to install, now
            if self.threads is None:
                self.threads = self.cpus_per_run  # torch uses the CPUs the task asked for


def existing_outputs(out: str | Path) -> list[str]:
    """The names of an earlier bench's outputs in folder ``out``."""
    folder = Path(out)
    return sorted({p.name for pattern in OUTPUTS for p in folder.glob(pattern)})


def load_agent_class(spec: str) -> type:
    """``package.module:Class`` -> the class (one clear error if it is not there)."""
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise InputError(f"agent {spec!r}: cannot import {module_name!r} ({error})") from None
    cls = getattr(module, class_name, None)
    if cls is None or not callable(getattr(cls, "act", None)):
        raise InputError(f"agent {spec!r}: {module_name} has no agent class {class_name!r}")
    return cls  # type: ignore[no-any-return]
