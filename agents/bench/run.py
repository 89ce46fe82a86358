"""Running a benchmark grid: each (env, agent, seed) run, on the local or the Ray backend.

Every (env, agent, seed) run is independent: a baseline agent is evaluated as it is, a
learner (``ppo``, ``rloo``, ``supervised``, ...) is trained by the training loop for the
time budget and then tested, a custom agent (``package.module:Class``) is built on the
training env and, if it has ``learn(env, seconds)``, trained. A run that fails is reported
with its error and the others go on. ``textenvs bench`` is the command line of this module.

Two backends run the grid: ``local`` (in this process, or ``jobs`` worker processes) and
``ray`` (one Ray task per run, on a local or an existing cluster; :mod:`agents.bench.ray_backend`).
"""

from __future__ import annotations

import math
import shutil
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import gymnasium as gym
import torch

from agents.bench.config import (
    AGENT_SECONDS,
    PROMPT_AGENTS,
    SB3_AGENTS,
    BenchConfig,
    existing_outputs,
    load_agent_class,
)
from agents.bench.ray_backend import run_grid
from agents.bench.report import write_results
from agents.bench.sb3 import train_sb3
from agents.common.baselines import MemorizerAgent, RandomAgent
from agents.common.evaluation import evaluate
from agents.policies.backbones import load_backbone
from agents.policies.prompting import PromptClassifier
from agents.training.loop import TrainConfig, train
from agents.training.runs import LEARNERS, RunConfig, build_run, load_data


def run_bench(config: BenchConfig) -> list[dict[str, Any]]:
    """Every (env, agent, seed) run, in grid order; also writes the results and report."""
    grid = [(e, a, s) for e in config.envs for a in config.agents for s in range(config.seeds)]
    for name in existing_outputs(config.out):  # config.overwrite: an earlier bench goes
        path = Path(config.out) / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if config.backend == "ray":
        rows = run_grid(grid, config, run_one)
    elif config.jobs > 1:
        with ProcessPoolExecutor(config.jobs, mp_context=get_context("spawn")) as pool:
            rows = list(pool.map(run_one, *zip(*grid), [config] * len(grid)))
    else:
        rows = [run_one(e, a, s, config) for e, a, s in grid]
    write_results(config, rows)
    return rows


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
    if agent in LEARNERS:
        folder = Path(config.out) / "runs" / env_id / agent / f"seed{seed}"
        settings: dict[str, Any] = {}  # the learner's tuned length (agents.training.presets)
        if config.budget is not None:  # the time budget ends the run
            settings = {"epochs": 1_000} if agent == "supervised" else {"updates": 1_000_000}
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
                eval_every=config.eval_every or 10,
                eval_limit=config.eval_limit,
                max_seconds=config.budget,
                checkpoint_every=0,
                progress=False,
            ),
        )
        shutil.rmtree(folder, ignore_errors=True)  # a new bench replaces an old one's runs
        built = build_run(run_config)
        if config.eval_every is None and config.budget is None:  # 6 points on the curve
            total = getattr(built.learner, "total_updates", None) or built.learner.config.updates
            run_config.train.eval_every = max(1, total // 5)
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
            "eval_seconds": round(result.eval_seconds, 1),
        }
    dataset = None
    if config.data is not None:
        dataset = load_data(env_id, config.data)
    train_env = gym.make(env_id, split="train", dataset=dataset)
    if agent == "random":
        policy: Any = RandomAgent(seed)
    elif agent == "memorizer":
        policy = MemorizerAgent(train_env)
    elif agent in SB3_AGENTS:
        policy = train_sb3(
            agent,
            env_id,
            config.budget if config.budget is not None else math.inf,
            seed=seed,
            max_steps=None if config.budget is None else 10**12,  # the recipe's, or the budget
            backbone=config.backbone,
            peft=config.peft,
            dataset=dataset,
        )
    elif agent in PROMPT_AGENTS:
        backbone = load_backbone(config.backbone)
        if backbone.kind != "causal":  # the bench's default backbone is an encoder
            backbone = load_backbone("smollm2")
        policy = PromptClassifier.from_env(train_env, backbone, k=PROMPT_AGENTS[agent], seed=seed)
    else:
        policy = load_agent_class(agent)(train_env)
        if hasattr(policy, "learn"):
            policy.learn(train_env, config.budget or AGENT_SECONDS)
    # an SB3 model reads the observation it was trained on (e.g. observation="features")
    play = getattr(policy, "env_kwargs", {})
    test = evaluate(policy, env_id, split="test", dataset=dataset, **play)
    return {"test": test, "curve": [], "env_steps": 0}
