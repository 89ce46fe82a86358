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

With a learner's ``ema_decay`` (see :mod:`agents.learners.averaging`), every evaluation,
``best/`` and the policy left after training are the learner's averaged weights.

A NaN loss or reward stops training with its error; the last checkpoint stays intact.

Under a data-parallel launcher (see :mod:`agents.common.distributed`) every process runs this loop
with its own learner; only the main process logs, evaluates, keeps the best policy and
writes files, and its decisions (time budget, patience) are broadcast so that all processes
stop together. Env steps are counted over all processes; the checkpoint holds every
process's learner state.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from agents.common import distributed
from agents.training.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_trainable_weights,
    process_state,
    save_checkpoint,
    trainable_weights,
)
from agents.training.folder import (
    lock_run_folder,
    release_run_folder,
    remove_stale_temporaries,
    write_atomically,
)
from textenvs.errors import InputError

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
        default=10,
        metadata={"help": "evaluate on validation every N updates (0: never; best/ is the last)"},
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
    test_limit: int | None = field(
        default=None, metadata={"help": "test on the first N records only (None: all)"}
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
                raise InputError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.patience is not None and self.patience < 1:
            raise InputError(f"patience must be >= 1 (or None), got {self.patience!r}")
        if self.eval_envs < 1:
            raise InputError(f"eval_envs must be >= 1, got {self.eval_envs!r}")
        for name in ("eval_limit", "test_limit"):
            limit = getattr(self, name)
            if limit is not None and limit < 1:
                raise InputError(f"{name} must be >= 1 (or None), got {limit!r}")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise InputError(f"max_seconds must be > 0 (or None), got {self.max_seconds!r}")


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
    eval_seconds: float = 0.0

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
            f"of training, {self.eval_seconds:.0f} s of evaluation, {self.wall_seconds:.0f} s "
            f"in all (stopped on {self.stopped})"
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
            raise InputError(f"metric {name!r} is not among the env's metrics {sorted(metrics)}")
        return name
    for candidate in METRICS:
        if candidate in metrics:
            return candidate
    raise InputError(f"no known main metric among {sorted(metrics)}; set TrainConfig.metric")


@dataclass
class LoopState:
    """What the loop carries from update to update; a checkpoint saves it whole.

    Attributes:
        history: one row per evaluation (update, env steps, seconds, the metrics).
        best: the best evaluation's row so far.
        best_weights: the trainable weights of the best policy so far.
        bad_evals: evaluations since the best one (for ``patience``).
        seconds: training time so far (evaluation excluded).
        eval_seconds: time spent evaluating so far (validation and test).
        stopped: why the loop stops: ``updates`` (still running, or ran out), ``time``,
            ``patience``.
        log_bytes: the length of ``log.jsonl`` at the last checkpoint.
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, Any] | None = None
    best_weights: dict[str, Any] | None = None
    bad_evals: int = 0
    seconds: float = 0.0
    eval_seconds: float = 0.0
    stopped: str = "updates"
    log_bytes: int = 0


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
        learner: a :class:`agents.learners.base.Learner` (or anything with ``update()``,
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
    loop = _Loop(learner, evaluate, config, resume)
    if loop.agreed(not loop.state.history and config.eval_every):
        loop.evaluate()  # zero-shot: the policy before any update
    bar = _progress(config.progress and loop.main, total, learner.updates_done)
    try:
        while loop.state.stopped == "updates" and learner.updates_done < total:
            if loop.out_of_time():
                break
            row = loop.update()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(_postfix(row, loop.state, config), refresh=False)
            if _due(learner.updates_done, config.eval_every):
                loop.evaluate()
            if _due(learner.updates_done, config.checkpoint_every):
                loop.checkpoint()
        if loop.agreed(loop.last_policy_unevaluated()):
            loop.evaluate()  # the last policy gets its say in model selection
        loop.keep_unselected_policy()
        loop.checkpoint()
    except BaseException:
        loop.log.close()  # what was logged after the last checkpoint is dropped on resume
        loop.release()
        raise
    finally:
        if bar is not None:
            bar.close()
    loop.restore_best_policy()  # test the selected policy, not merely the last
    result = loop.result(loop.test(), time.perf_counter() - wall_start)
    loop.log.close()
    loop.write_results(result, run_info)
    loop.release()
    return result


class _Loop:
    """The steps :func:`train` is made of, on one learner and its run folder.

    Under data-parallel processes every process has one; only the main process evaluates,
    logs and writes files, and :meth:`agreed` makes its decisions every process's.
    """

    def __init__(
        self,
        learner: Any,
        evaluate: Callable[[str, int | None], dict[str, float]],
        config: TrainConfig,
        resume: bool,
    ) -> None:
        self.learner, self.policy, self.config = learner, learner.policy, config
        self.evaluate_policy = evaluate
        self.out = Path(config.out) if config.out else None
        self.processes = getattr(learner, "distributed", distributed.SINGLE)
        self.main = self.processes.is_main
        if self.out is not None and self.main:
            lock_run_folder(self.out)  # one run at a time in a folder
            remove_stale_temporaries(self.out, (CHECKPOINT, RESULTS))
        self.state = self._restore() if resume else self._start()
        self.log = _Log(
            self.out if self.main else None,
            config.tensorboard,
            self.state.log_bytes,
            learner.updates_done,
        )
        self.env_steps = int(self.processes.sum(learner.env_steps))  # over all processes

    def _start(self) -> LoopState:
        out = self.out
        if out is not None:
            if self.agreed(self.main and (out / CHECKPOINT).exists()):
                raise InputError(f"{out} already holds a run: pass resume=True, or another folder")
            if self.main:
                out.mkdir(parents=True, exist_ok=True)
        return LoopState()

    def _restore(self) -> LoopState:
        if self.out is None:
            raise InputError("resume needs a run folder (TrainConfig.out)")
        saved = load_checkpoint(
            self.out / CHECKPOINT,
            self.policy,
            self.learner,
            self.processes.rank,
            self.processes.world_size,
        )
        state = LoopState(**saved)
        state.stopped = "updates"  # this run's budget decides anew: a resume can extend a run
        return state

    def release(self) -> None:
        """Let other runs use the run folder again."""
        if self.out is not None and self.main:
            release_run_folder(self.out)

    def agreed(self, decision: Any) -> Any:
        """The main process's ``decision``, in every process."""
        return self.processes.broadcast(decision)

    def out_of_time(self) -> bool:
        """Whether the time budget is spent (the main process's clock decides)."""
        config, state = self.config, self.state
        spent = config.max_seconds is not None and state.seconds >= config.max_seconds
        if self.agreed(spent):
            state.stopped = "time"
        return state.stopped == "time"

    def update(self) -> dict[str, Any]:
        """One learner update, timed and logged; its log row."""
        start = time.perf_counter()
        row = self.learner.update()
        self.state.seconds += time.perf_counter() - start
        self.env_steps = int(self.processes.sum(self.learner.env_steps))
        seconds = self.state.seconds
        row = {**row, "env_steps": self.env_steps, "seconds": round(seconds, 3)}
        row["env_steps_per_second"] = round(self.env_steps / max(seconds, 1e-9), 1)
        self.log.write("update", row, {f"train/{k}": v for k, v in row.items()})
        return row

    def evaluate(self) -> None:
        """The main process evaluates and keeps the best policy; all learn if patience ran out."""
        with self.averaged_weights():  # the average is what is evaluated and kept
            out_of_patience = self._evaluate_and_select() if self.main else False
        if self.agreed(out_of_patience):
            self.state.stopped = "patience"

    def _evaluate_and_select(self) -> bool:
        config, state = self.config, self.state
        metrics = self._run_evaluation(config.eval_split, config.eval_limit)
        name = main_metric(metrics, config.metric)
        row = {"update": self.learner.updates_done, "env_steps": self.env_steps}
        row |= {"seconds": round(state.seconds, 3), config.eval_split: metrics}
        state.history.append(row)
        self.log.write("eval", row, {f"{config.eval_split}/{k}": v for k, v in metrics.items()})
        if state.best is None or metrics[name] > state.best[config.eval_split][name]:
            state.best, state.bad_evals = row, 0
            state.best_weights = trainable_weights(self.policy)
            if self.out is not None:
                _save_atomically(self.policy, self.out / BEST)
        else:
            state.bad_evals += 1
        return config.patience is not None and state.bad_evals >= config.patience

    def _run_evaluation(self, split: str, limit: int | None) -> dict[str, float]:
        policy = self.policy
        caches = policy.acting_state() if hasattr(policy, "acting_state") else None
        start = time.perf_counter()
        try:
            return self.evaluate_policy(split, limit)
        finally:  # evaluation must not disturb the episodes the learner has in flight
            if caches is not None:
                policy.load_acting_state(caches)
            self.state.eval_seconds += time.perf_counter() - start

    def keep_unselected_policy(self) -> None:
        """Without any evaluation to select one, save the last policy as ``best/``."""
        if self.main and self.out is not None and self.state.best is None:
            with self.averaged_weights():
                _save_atomically(self.policy, self.out / BEST)

    def last_policy_unevaluated(self) -> bool:
        """Whether updates ran since the last evaluation (with evaluation on)."""
        history = self.state.history
        return bool(
            self.config.eval_every
            and history
            and history[-1]["update"] != self.learner.updates_done
        )

    def checkpoint(self) -> None:
        """Save the run (every process's learner state) to ``checkpoint.pt``."""
        if self.out is None:
            return
        states = self.processes.gather(process_state(self.learner))  # every process takes part
        if self.main:
            self.state.log_bytes = self.log.flush()
            save_checkpoint(self.out / CHECKPOINT, self.policy, vars(self.state), states)

    def averaged_weights(self) -> AbstractContextManager[None]:
        """The learner's block with its averaged weights in the policy (``ema_decay``)."""
        averaged = getattr(self.learner, "averaged_weights", None)
        return averaged() if averaged is not None else nullcontext()

    def restore_best_policy(self) -> None:
        """Put the best evaluation's weights back into the policy (else the average, if any)."""
        if self.state.best_weights is not None:
            load_trainable_weights(self.policy, self.state.best_weights)
        elif hasattr(self.learner, "use_averaged_weights"):
            self.learner.use_averaged_weights()

    def test(self) -> dict[str, float] | None:
        """The policy's metrics on the test split (main process; None without one)."""
        split = self.config.test_split
        if split is None or not self.main:
            return None
        test = self._run_evaluation(split, self.config.test_limit)
        self.log.write("test", {"update": self.learner.updates_done, split: test}, {})
        return test

    def result(self, test: dict[str, float] | None, wall_seconds: float) -> TrainResult:
        """The run's result; every process returns the main process's."""
        state = self.state
        history, best, test, seconds = self.agreed((state.history, state.best, test, state.seconds))
        return TrainResult(
            history=history,
            best=best,
            test=test,
            updates=self.learner.updates_done,
            env_steps=self.env_steps,
            train_seconds=seconds,
            wall_seconds=wall_seconds,
            stopped=state.stopped,
            eval_seconds=self.agreed(state.eval_seconds),
        )

    def write_results(self, result: TrainResult, run_info: dict[str, Any] | None) -> None:
        """``results.json``: the run's description, its result and the loop's settings."""
        if self.out is None or not self.main:
            return
        split = self.config.eval_split
        results = {
            **(run_info or {}),
            "validation": result.best[split] if result.best else None,
            **asdict(result),
            "config": asdict(self.config),
        }
        write_atomically(self.out / RESULTS, json.dumps(results, indent=2, default=str))


def _due(updates_done: int, every: int) -> bool:
    return bool(every) and updates_done % every == 0


def _postfix(row: dict[str, Any], state: LoopState, config: TrainConfig) -> dict[str, str]:
    # RL rows carry the mean reward, supervised rows only their loss: name what is shown
    shown = "reward" if "reward" in row else "loss"
    postfix = {shown: f"{row.get(shown, math.nan):.3f}"}
    if state.history:
        metrics = state.history[-1][config.eval_split]
        name = main_metric(metrics, config.metric)
        postfix[name] = f"{metrics[name]:.3f}"
    return postfix


def _progress(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return None
    return tqdm(total=total, initial=initial, unit="update", dynamic_ncols=True)


def _save_atomically(policy: Any, directory: Path) -> None:
    """Save a policy folder so that a complete copy always exists (new, then swap)."""
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


class _Log:
    """``log.jsonl`` (truncated to the checkpoint's length on resume) and TensorBoard."""

    def __init__(self, out: Path | None, tensorboard: bool, keep_bytes: int, step: int) -> None:
        self.file, self.writer = None, None
        if out is None:
            return
        path = out / LOG
        if path.is_symlink():
            raise InputError(f"{path} is a symbolic link: a run writes only its own files")
        if path.exists():
            with path.open("r+b") as file:  # drop what was logged after the checkpoint
                file.truncate(keep_bytes)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW
        self.file = os.fdopen(os.open(path, flags, 0o644), "ab")
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
