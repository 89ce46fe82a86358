"""The benchmark harness: agents x envs x seeds, a table, ``results.json``, a report, plots.

Every (env, agent, seed) run is independent: a baseline agent is evaluated as it is, a
learner (``ppo``, ``rloo``, ``supervised``, ...) is trained by the training loop for the
time budget and then tested, a custom agent (``package.module:Class``) is built on the
training env and, if it has ``learn(env, seconds)``, trained. A run that fails is reported
with its error and the others go on. ``textenvs bench`` is the command line of this module.

Two backends run the grid: ``local`` (in this process, or ``jobs`` worker processes) and
``ray`` (one Ray task per run, on a local or an existing cluster; :mod:`agents.bench_ray`).
"""

from __future__ import annotations

import importlib
import json
import math
import re
import shutil
import statistics
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

BASELINES = ("random", "majority")
SB3_AGENTS = ("sb3-ppo", "sb3-a2c", "sb3-maskable-ppo", "sb3-ppo-lora")
# two-sided 95% Student t quantiles by degrees of freedom (normal beyond)
T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


def parse_budget(text: str) -> float:
    """Seconds from ``90``, ``90s``, ``10m`` or ``1h``; it must be positive."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([smh]?)\s*", str(text))
    if not match:
        raise ValueError(f"budget {text!r}: expected seconds, or a number with s, m or h")
    seconds = float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[match[2]]
    if seconds <= 0:
        raise ValueError(f"budget {text!r}: must be more than zero")
    return seconds


@dataclass
class BenchConfig:
    """One benchmark grid; every field says what it does."""

    envs: list[str] = field(default_factory=lambda: ["TextNER-v0"], metadata={"help": "env ids"})
    agents: list[str] = field(
        default_factory=lambda: ["random", "majority"],
        metadata={"help": "random, majority, a learner, or package.module:Class"},
    )
    seeds: int = field(default=3, metadata={"help": "seeds per (env, agent)"})
    budget: float = field(default=600.0, metadata={"help": "training seconds per run"})
    out: str = field(default="bench", metadata={"help": "output folder"})
    backbone: str = field(default="minilm", metadata={"help": "learners' backbone"})
    peft: str = field(default="lora", metadata={"help": "learners' PEFT method"})
    eval_every: int = field(default=10, metadata={"help": "updates between validation points"})
    eval_limit: int | None = field(default=200, metadata={"help": "validation records per point"})
    jobs: int = field(default=1, metadata={"help": "runs at a time (processes)"})
    threads: int | None = field(default=None, metadata={"help": "torch threads per run"})
    data: str | None = field(default=None, metadata={"help": "a dataset folder for every env"})
    backend: str = field(default="local", metadata={"help": "local (processes here) or ray"})
    address: str | None = field(
        default=None, metadata={"help": "ray: an existing cluster's address (None: start one)"}
    )
    cpus_per_run: int = field(default=1, metadata={"help": "ray: CPUs each run asks for"})
    gpus_per_run: float = field(default=0.0, metadata={"help": "ray: GPUs each run asks for"})

    def __post_init__(self) -> None:
        import gymnasium as gym

        import textenvs  # noqa: F401  (registers the ids)
        from agents.runs import LEARNERS

        unknown = [e for e in self.envs if e not in gym.registry]
        if unknown:
            raise ValueError(f"unknown env {unknown[0]!r}; see `textenvs list`")
        for agent in self.agents:
            if agent not in (*BASELINES, *LEARNERS, *SB3_AGENTS) and ":" not in agent:
                raise ValueError(
                    f"unknown agent {agent!r}: use "
                    f"{', '.join((*BASELINES, *LEARNERS, *SB3_AGENTS))} or package.module:Class"
                )
        from agents.peft_heads import PEFT_METHODS

        if self.peft not in PEFT_METHODS:
            raise ValueError(f"unknown PEFT method {self.peft!r}; use one of {PEFT_METHODS}")
        for agent in self.agents:
            if ":" in agent:
                load_agent_class(agent)  # fail now, not after the other runs
        if self.data is not None:
            from agents.runs import load_data

            for env_id in self.envs:
                load_data(env_id, self.data)  # an unreadable folder fails now, in one line
        if self.seeds < 1:
            raise ValueError(f"seeds must be >= 1, got {self.seeds}")
        if not self.budget > 0:
            raise ValueError(f"budget must be more than zero, got {self.budget}")
        if self.jobs < 1:
            raise ValueError(f"jobs must be >= 1, got {self.jobs}")
        if self.backend not in ("local", "ray"):
            raise ValueError(f"unknown backend {self.backend!r}: use local or ray")
        if self.cpus_per_run < 1 or self.gpus_per_run < 0:
            raise ValueError(
                f"cpus_per_run must be >= 1 and gpus_per_run >= 0, got {self.cpus_per_run} "
                f"and {self.gpus_per_run}"
            )
        if self.backend == "ray":
            from agents.bench_ray import import_ray

            import_ray()  # not installed: say what to install, now
            if self.threads is None:
                self.threads = self.cpus_per_run  # torch uses the CPUs the task asked for


def run_one(
    env_id: str, agent: str, seed: int, config: BenchConfig, raise_errors: bool = False
) -> dict[str, Any]:
    """One run; returns its row (test metrics, learning curve) or its error.

    With ``raise_errors`` a failing run raises instead (for a backend that retries it).
    """
    row: dict[str, Any] = {"env": env_id, "agent": agent, "seed": seed}
    start = time.perf_counter()
    try:
        if config.threads:
            import torch

            torch.set_num_threads(config.threads)
        row |= _run(env_id, agent, seed, config)
    except Exception as error:  # a failed run is reported; the rest go on
        if raise_errors:
            raise
        row["error"] = f"{type(error).__name__}: {error}"
        row["traceback"] = traceback.format_exc(limit=5)
    row["wall_seconds"] = round(time.perf_counter() - start, 1)
    return row


def _run(env_id: str, agent: str, seed: int, config: BenchConfig) -> dict[str, Any]:
    import gymnasium as gym

    from agents.evaluate import evaluate
    from agents.runs import LEARNERS, RunConfig, build_run
    from agents.training import TrainConfig, train

    if agent in LEARNERS:
        folder = Path(config.out) / "runs" / env_id / agent / f"seed{seed}"
        settings: dict[str, Any] = {"updates": 1_000_000}  # the time budget ends the run
        if agent in ("ppo", "a2c", "reinforce"):
            settings["whole_episodes"] = True  # each text read once per update
        if agent == "supervised":
            settings = {"epochs": 1_000}
        run_config = RunConfig(
            env=env_id,
            learner=agent,
            learner_config=settings,
            backbone=config.backbone,
            peft=config.peft,
            seed=seed,
            data=config.data,
            train=TrainConfig(
                out=str(folder),
                eval_every=config.eval_every,
                eval_limit=config.eval_limit,
                max_seconds=config.budget,
                checkpoint_every=0,
                progress=False,
            ),
        )
        shutil.rmtree(folder, ignore_errors=True)  # a new bench replaces an old one's runs
        built = build_run(run_config)
        result = train(built.learner, built.evaluate, run_config.train, run_info=built.info())
        curve = [
            {"env_steps": h["env_steps"], "seconds": h["seconds"], **h["validation"]}
            for h in result.history
        ]
        return {
            "test": result.test,
            "curve": curve,
            "env_steps": result.env_steps,
            "train_seconds": round(result.train_seconds, 1),
        }
    dataset = None
    if config.data is not None:
        from agents.runs import load_data

        dataset = load_data(env_id, config.data)
    train_env = gym.make(env_id, split="train", dataset=dataset)
    if agent == "random":
        from agents.protocol import RandomAgent

        policy: Any = RandomAgent(seed)
    elif agent == "majority":
        from agents.protocol import MajorityAgent

        policy = MajorityAgent(train_env)
    elif agent in SB3_AGENTS:
        from agents.sb3 import train_sb3

        policy = train_sb3(
            agent,
            env_id,
            config.budget,
            seed=seed,
            backbone=config.backbone,
            peft=config.peft,
            dataset=dataset,
        )
    else:
        policy = load_agent_class(agent)(train_env)
        if hasattr(policy, "learn"):
            policy.learn(train_env, config.budget)
    test = evaluate(policy, env_id, split="test", dataset=dataset)
    return {"test": test, "curve": [], "env_steps": 0}


def load_agent_class(spec: str) -> type:
    """``package.module:Class`` -> the class (one clear error if it is not there)."""
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(f"agent {spec!r}: cannot import {module_name!r} ({error})") from None
    cls = getattr(module, class_name, None)
    if cls is None or not callable(getattr(cls, "act", None)):
        raise ValueError(f"agent {spec!r}: {module_name} has no agent class {class_name!r}")
    return cls  # type: ignore[no-any-return]


def run_bench(config: BenchConfig) -> list[dict[str, Any]]:
    """Every (env, agent, seed) run, in grid order; also writes the results and report."""
    grid = [(e, a, s) for e in config.envs for a in config.agents for s in range(config.seeds)]
    if config.backend == "ray":
        from agents.bench_ray import run_grid

        rows = run_grid(grid, config)
    elif config.jobs > 1:
        with ProcessPoolExecutor(config.jobs, mp_context=get_context("spawn")) as pool:
            rows = list(pool.map(run_one, *zip(*grid), [config] * len(grid)))
    else:
        rows = [run_one(e, a, s, config) for e, a, s in grid]
    write_results(config, rows)
    return rows


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (env, agent): each test metric's mean and 95% interval half-width over seeds."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["env"], row["agent"]), []).append(row)
    table = []
    for (env, agent), group in groups.items():
        done = [r for r in group if "test" in r]
        entry: dict[str, Any] = {"env": env, "agent": agent, "runs": len(done)}
        entry["errors"] = [r["error"] for r in group if "error" in r]
        for metric in sorted({k for r in done for k in r["test"]} - {"episodes"}):
            values = [r["test"][metric] for r in done]
            mean = statistics.mean(values)
            half = 0.0
            if len(values) > 1:
                df = len(values) - 1
                t = T_95.get(df) or next((T_95[d] for d in sorted(T_95) if d >= df), 1.96)
                half = t * statistics.stdev(values) / math.sqrt(len(values))
            entry[metric] = {"mean": mean, "ci95": half}
        table.append(entry)
    return table


def format_table(table: list[dict[str, Any]]) -> str:
    """The summary as Markdown: mean +- 95% interval of each env's main metrics."""
    lines = []
    for env in dict.fromkeys(e["env"] for e in table):
        entries = [e for e in table if e["env"] == env]
        metrics = [m for m in ("f1", "accuracy", "mean_fraction_read", "score", "mean_return")
                   if any(m in e for e in entries)]  # fmt: skip
        lines += [f"### {env}", "", "| agent | runs | " + " | ".join(metrics) + " |"]
        lines.append("|---|---|" + "---|" * len(metrics))
        for e in entries:
            cells = [f"{e[m]['mean']:.3f} ± {e[m]['ci95']:.3f}" if m in e else "-" for m in metrics]
            if e["errors"]:
                cells.append(f"failed: {e['errors'][0]}")
            lines.append(f"| {e['agent']} | {e['runs']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_results(config: BenchConfig, rows: list[dict[str, Any]]) -> None:
    """``results.json``, ``report.md`` and one learning-curve PNG per env."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    table = summarize(rows)
    (out / "results.json").write_text(
        json.dumps({"config": asdict(config), "summary": table, "runs": rows}, indent=2),
        encoding="utf-8",
    )
    report = [
        "# textenvs benchmark",
        "",
        f"{config.seeds} seeds, {config.budget:.0f} s of training per run, "
        f"{config.backbone} + {config.peft} for learners; test split; mean ± 95% interval.",
        "",
        format_table(table),
    ]
    for env in config.envs:
        if plot_curves(env, rows, out / f"curves_{env}.png"):
            report += [f"![{env} learning curves](curves_{env}.png)", ""]
    (out / "report.md").write_text("\n".join(report), encoding="utf-8")


def plot_curves(env: str, rows: list[dict[str, Any]], path: Path) -> bool:
    """Validation metric against env steps and wall time, one line per run; False if none."""
    runs = [r for r in rows if r["env"] == env and r.get("curve")]
    if not runs:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from agents.training import METRICS

    metric = next(m for m in METRICS if m in runs[0]["curve"][0])
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        label = f"{run['agent']} (seed {run['seed']})"
        steps = [p["env_steps"] for p in run["curve"]]
        seconds = [p["seconds"] for p in run["curve"]]
        values = [p[metric] for p in run["curve"]]
        axes[0].plot(steps, values, marker=".", label=label)
        axes[1].plot(seconds, values, marker=".", label=label)
    axes[0].set_xlabel("env steps")
    axes[1].set_xlabel("training seconds")
    for axis in axes:
        axis.set_ylabel(f"validation {metric}")
        axis.grid(alpha=0.3)
    axes[1].legend(fontsize="small")
    figure.suptitle(env)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True
