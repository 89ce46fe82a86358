"""The training loop every learner runs in: evaluation, early stopping, logs, checkpoints.

:func:`train` drives a learner's ``update()`` calls:

1. evaluates on the validation split before training (zero-shot) and every ``eval_every``
   updates, with the env's corpus metrics; keeps the best policy (``best/``, the policy's
   own save format) and stops early after ``patience`` evaluations without improvement;
2. logs every update and evaluation to ``log.jsonl`` and TensorBoard (``tb/``), with a
   progress bar showing the live reward and metric;
3. checkpoints every ``checkpoint_every`` updates and at the end (``checkpoint.pt``, atomic);
   ``resume=True`` continues from it, and a run killed at any point and resumed ends with
   the same parameters and metrics as one never interrupted;
4. finally evaluates the best policy on the test split and writes ``results.json``.

A NaN loss or reward stops training with its error; the last checkpoint stays intact.

Under a data-parallel launcher (see :mod:`agents.distributed`) every process runs this loop
with its own learner; only the main process logs, evaluates, keeps the best policy and
writes files, and its decisions (time budget, patience) are broadcast so that all processes
stop together. Env steps are counted over all processes; the checkpoint holds every
process's learner state.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents import distributed
from agents.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_trainable_weights,
    process_state,
    save_checkpoint,
    trainable_weights,
)

CHECKPOINT = "checkpoint.pt"
BEST = "best"
LOG = "log.jsonl"
RESULTS = "results.json"
METRICS = ("f1", "accuracy", "score")  # the main metric of each env family, in this order


@dataclass
class TrainConfig:
    """Settings of the training loop; every field says what it does."""

    out: str | None = field(
        default=None, metadata={"help": "run folder for logs and checkpoints (None: no files)"}
    )
    eval_every: int = field(
        default=10, metadata={"help": "evaluate on validation every N updates (0: only at the end)"}
    )
    eval_split: str = field(default="validation", metadata={"help": "split for model selection"})
    eval_limit: int | None = field(
        default=None, metadata={"help": "evaluate on the first N records only (None: all)"}
    )
    eval_envs: int = field(
        default=32, metadata={"help": "records evaluated at a time (batched forward passes)"}
    )
    test_split: str | None = field(
        default="test", metadata={"help": "split of the final evaluation (None: skip)"}
    )
    metric: str | None = field(
        default=None, metadata={"help": "metric to select on (None: f1, accuracy or score)"}
    )
    patience: int | None = field(
        default=None, metadata={"help": "stop after N evaluations without improvement"}
    )
    checkpoint_every: int = field(
        default=10, metadata={"help": "checkpoint every N updates (0: only at the end)"}
    )
    max_seconds: float | None = field(
        default=None, metadata={"help": "stop after this much training time (evaluation excluded)"}
    )
    progress: bool = field(default=True, metadata={"help": "show a progress bar"})
    tensorboard: bool = field(default=True, metadata={"help": "write TensorBoard event files"})

    def __post_init__(self) -> None:
        for name in ("eval_every", "checkpoint_every"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 (or None), got {self.patience!r}")
        if self.eval_envs < 1:
            raise ValueError(f"eval_envs must be >= 1, got {self.eval_envs!r}")
        if self.eval_limit is not None and self.eval_limit < 1:
            raise ValueError(f"eval_limit must be >= 1 (or None), got {self.eval_limit!r}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be > 0 (or None), got {self.max_seconds!r}")


@dataclass
class TrainResult:
    """What a run produced: the evaluations, the best one, the final test metrics."""

    history: list[dict[str, Any]]
    best: dict[str, Any] | None
    test: dict[str, float] | None
    updates: int
    env_steps: int
    train_seconds: float
    wall_seconds: float
    stopped: str

    def summary(self, split: str = "validation") -> str:
        """A few lines for people: before and best on ``split``, test, counters."""
        lines = []
        if self.history:
            first, best = self.history[0], self.best or self.history[-1]
            lines.append(f"{split} before training: {format_metrics(first[split])}")
            lines.append(f"{split} best: {format_metrics(best[split])} (update {best['update']})")
        if self.test is not None:
            lines.append(f"test: {format_metrics(self.test)}")
        lines.append(
            f"{self.updates} updates, {self.env_steps:,} env steps, {self.train_seconds:.0f} s "
            f"of training, {self.wall_seconds:.0f} s in all (stopped on {self.stopped})"
        )
        return "\n".join(lines)


def format_metrics(metrics: dict[str, float]) -> str:
    """The headline metrics of an evaluation, e.g. ``f1 0.812, precision 0.80, ...``."""
    shown = [
        k
        for k in (
            "f1",
            "precision",
            "recall",
            "accuracy",
            "macro_f1",
            "mean_fraction_read",
            "score",
        )
        if k in metrics
    ]
    return ", ".join(f"{k} {metrics[k]:.3f}" for k in shown or metrics)


def main_metric(metrics: dict[str, float], name: str | None = None) -> str:
    """The metric to select on: ``name`` if given, else the env family's own."""
    if name is not None:
        if name not in metrics:
            raise ValueError(f"metric {name!r} is not among the env's metrics {sorted(metrics)}")
        return name
    for candidate in METRICS:
        if candidate in metrics:
            return candidate
    raise ValueError(f"no known main metric among {sorted(metrics)}; set TrainConfig.metric")


def train(
    learner: Any,
    evaluate: Callable[[str, int | None], dict[str, float]],
    config: TrainConfig | None = None,
    *,
    resume: bool = False,
    total_updates: int | None = None,
    run_info: dict[str, Any] | None = None,
) -> TrainResult:
    """Train with ``learner`` until its updates, the time budget or patience run out.

    Args:
        learner: a :class:`agents.learner.Learner` (or anything with ``update()``,
            ``updates_done``, ``env_steps``, ``policy``, ``state_dict``/``load_state_dict``).
        evaluate: ``evaluate(split, limit) -> metrics`` of the current policy.
        config: the loop's settings.
        resume: continue from ``config.out/checkpoint.pt``.
        total_updates: updates to run in all (default ``learner.config.updates``).
        run_info: written into ``results.json`` (env, learner, seed, ...).
    """
    wall_start = time.perf_counter()
    config = config or TrainConfig()
    total = total_updates or getattr(learner, "total_updates", None) or learner.config.updates
    out = Path(config.out) if config.out else None
    policy = learner.policy
    processes = getattr(learner, "distributed", distributed.SINGLE)
    main = processes.is_main
    loop: dict[str, Any] = {
        "history": [],
        "best": None,
        "best_weights": None,
        "bad_evals": 0,
        "seconds": 0.0,
        "stopped": "updates",
        "log_bytes": 0,
    }
    if resume:
        if out is None:
            raise ValueError("resume needs a run folder (TrainConfig.out)")
        loop = load_checkpoint(
            out / CHECKPOINT, policy, learner, processes.rank, processes.world_size
        )
    elif out is not None:
        taken = processes.broadcast(main and (out / CHECKPOINT).exists())
        if taken:
            raise ValueError(f"{out} already holds a run: pass resume=True, or another folder")
        if main:
            out.mkdir(parents=True, exist_ok=True)
    log = _Log(out if main else None, config.tensorboard, loop["log_bytes"], learner.updates_done)
    env_steps = int(processes.sum(learner.env_steps))  # over all processes

    def run_evaluation(split: str, limit: int | None) -> dict[str, float]:
        caches = policy.acting_state() if hasattr(policy, "acting_state") else None
        try:
            return evaluate(split, limit)
        finally:  # evaluation must not disturb the episodes the learner has in flight
            if caches is not None:
                policy.load_acting_state(caches)

    def evaluate_and_select() -> bool:
        """Evaluate, keep the best, and say whether patience ran out."""
        metrics = run_evaluation(config.eval_split, config.eval_limit)
        name = main_metric(metrics, config.metric)
        row = {"update": learner.updates_done, "env_steps": env_steps}
        row |= {"seconds": round(loop["seconds"], 3), config.eval_split: metrics}
        loop["history"].append(row)
        log.write("eval", row, {f"{config.eval_split}/{k}": v for k, v in metrics.items()})
        best = loop["best"]
        if best is None or metrics[name] > best[config.eval_split][name]:
            loop["best"], loop["bad_evals"] = row, 0
            loop["best_weights"] = trainable_weights(policy)
            if out is not None:
                _save_atomically(policy, out / BEST)
        else:
            loop["bad_evals"] += 1
        return config.patience is not None and loop["bad_evals"] >= config.patience

    def checkpoint() -> None:
        if out is not None:
            states = processes.gather(process_state(learner))  # every process takes part
            if main:
                loop["log_bytes"] = log.flush()
                save_checkpoint(out / CHECKPOINT, policy, loop, states)

    def evaluate_everywhere() -> None:
        """The main process evaluates; all processes learn whether patience ran out."""
        out_of_patience = evaluate_and_select() if main else False
        if processes.broadcast(out_of_patience):
            loop["stopped"] = "patience"

    if processes.broadcast(not loop["history"] and config.eval_every):
        evaluate_everywhere()  # zero-shot: the policy before any update
    bar = _progress(config.progress and main, total, learner.updates_done)
    try:
        while loop["stopped"] == "updates" and learner.updates_done < total:
            out_of_time = config.max_seconds is not None and loop["seconds"] >= config.max_seconds
            if processes.broadcast(out_of_time):  # the main process's clock decides
                loop["stopped"] = "time"
                break
            start = time.perf_counter()
            row = learner.update()
            loop["seconds"] += time.perf_counter() - start
            env_steps = int(processes.sum(learner.env_steps))
            row = {**row, "env_steps": env_steps, "seconds": round(loop["seconds"], 3)}
            row["env_steps_per_second"] = round(env_steps / max(loop["seconds"], 1e-9), 1)
            log.write("update", row, {f"train/{k}": v for k, v in row.items()})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(_postfix(row, loop, config), refresh=False)
            done = learner.updates_done
            if config.eval_every and done % config.eval_every == 0:
                evaluate_everywhere()
            if config.checkpoint_every and done % config.checkpoint_every == 0:
                checkpoint()
        unevaluated = bool(
            config.eval_every
            and loop["history"]
            and loop["history"][-1]["update"] != learner.updates_done
        )
        if processes.broadcast(unevaluated):  # the main process keeps the history
            evaluate_everywhere()  # the last policy gets its say in model selection
        checkpoint()
    except BaseException:
        log.close()  # what was logged after the last checkpoint is dropped on resume
        raise
    finally:
        if bar is not None:
            bar.close()
    if loop["best_weights"] is not None:  # test the selected policy, not merely the last
        load_trainable_weights(policy, loop["best_weights"])
    test = None
    if config.test_split is not None and main:
        test = run_evaluation(config.test_split, None)
        log.write("test", {"update": learner.updates_done, config.test_split: test}, {})
    # Every process returns the main process's result.
    history, best, test, seconds = processes.broadcast(
        (loop["history"], loop["best"], test, loop["seconds"])
    )
    result = TrainResult(
        history=history,
        best=best,
        test=test,
        updates=learner.updates_done,
        env_steps=env_steps,
        train_seconds=seconds,
        wall_seconds=time.perf_counter() - wall_start,
        stopped=loop["stopped"],
    )
    log.close()
    if out is not None and main:
        validation = result.best[config.eval_split] if result.best else None
        results = {
            **(run_info or {}),
            "validation": validation,
            **asdict(result),
            "config": asdict(config),
        }
        _write_atomically(out / RESULTS, json.dumps(results, indent=2, default=str))
    return result


def _postfix(row: dict[str, Any], loop: dict[str, Any], config: TrainConfig) -> dict[str, str]:
    postfix = {"reward": f"{row.get('reward', row.get('loss', math.nan)):.3f}"}
    if loop["history"]:
        metrics = loop["history"][-1][config.eval_split]
        name = main_metric(metrics, config.metric)
        postfix[name] = f"{metrics[name]:.3f}"
    return postfix


def _progress(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="update", dynamic_ncols=True)


def _save_atomically(policy: Any, directory: Path) -> None:
    """Save a policy folder so that a complete copy always exists (new, then swap)."""
    import shutil

    fresh, old = (
        directory.with_name(directory.name + ".new"),
        directory.with_name(directory.name + ".old"),
    )
    shutil.rmtree(fresh, ignore_errors=True)
    policy.save(fresh)
    if directory.exists():
        shutil.rmtree(old, ignore_errors=True)
        directory.rename(old)
    fresh.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


class _Log:
    """``log.jsonl`` (truncated to the checkpoint's length on resume) and TensorBoard."""

    def __init__(self, out: Path | None, tensorboard: bool, keep_bytes: int, step: int) -> None:
        self.file, self.writer = None, None
        if out is None:
            return
        path = out / LOG
        if path.exists():
            with path.open("r+b") as file:  # drop what was logged after the checkpoint
                file.truncate(keep_bytes)
        self.file = path.open("ab")
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:  # tensorboard is a dependency, but stay usable without it
                return
            # On resume, drop events logged after the checkpoint (at update ``step`` or later;
            # the evaluation at ``step`` itself came before the checkpoint and stays).
            self.writer = SummaryWriter(str(out / "tb"), purge_step=step + 1 if step else None)

    def write(self, event: str, row: dict[str, Any], scalars: dict[str, Any]) -> None:
        if self.file is not None:
            line = json.dumps({"event": event, **row}, default=float) + "\n"
            self.file.write(line.encode("utf-8"))
        if self.writer is not None:
            for name, value in scalars.items():
                if isinstance(value, (int, float)) and name != "train/update":
                    self.writer.add_scalar(name, value, row["update"])

    def flush(self) -> int:
        if self.file is None:
            return 0
        self.file.flush()
        if self.writer is not None:
            self.writer.flush()
        return self.file.tell()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.writer is not None:
            self.writer.close()


__all__ = ["CheckpointError", "TrainConfig", "TrainResult", "main_metric", "train"]
