"""A benchmark's results: the summary table (mean and 95% interval), JSON, report, plots."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict
from pathlib import Path
from typing import Any

from agents.bench.config import BenchConfig
from agents.training.loop import METRICS

# two-sided 95% Student t quantiles by degrees of freedom (normal beyond)
T_95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}  # fmt: skip


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (env, agent): each test metric's mean and 95% interval half-width over seeds.

    Also the mean training and wall seconds of the runs (``train_seconds``, ``wall_seconds``).
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["env"], row["agent"]), []).append(row)
    table = []
    for (env, agent), group in groups.items():
        done = [r for r in group if "test" in r]
        entry: dict[str, Any] = {"env": env, "agent": agent, "runs": len(done)}
        entry["errors"] = [r["error"] for r in group if "error" in r]
        for metric in sorted({k for r in done for k in r["test"]} - {"episodes"}):
            entry[metric] = _mean_and_interval([r["test"][metric] for r in done])
        for seconds in ("train_seconds", "wall_seconds"):
            values = [r[seconds] for r in done if seconds in r]
            entry[seconds] = round(statistics.mean(values), 1) if values else None
        table.append(entry)
    return table


def _mean_and_interval(values: list[float]) -> dict[str, float]:
    half = 0.0
    if len(values) > 1:
        df = len(values) - 1
        t = T_95.get(df) or next((T_95[d] for d in sorted(T_95) if d >= df), 1.96)
        half = t * statistics.stdev(values) / math.sqrt(len(values))
    return {"mean": statistics.mean(values), "ci95": half}


def format_table(table: list[dict[str, Any]]) -> str:
    """The summary as Markdown: each env's main metrics (mean ± 95% interval) and times."""
    lines = []
    for env in dict.fromkeys(e["env"] for e in table):
        entries = [e for e in table if e["env"] == env]
        metrics = [m for m in ("f1", "accuracy", "mean_fraction_read", "score", "mean_return")
                   if any(m in e for e in entries)]  # fmt: skip
        header = " | ".join([*metrics, "train s", "wall s"])
        lines += [f"### {env}", "", f"| agent | runs | {header} |"]
        lines.append("|---|---|" + "---|" * (len(metrics) + 2))
        for e in entries:
            cells = [f"{e[m]['mean']:.3f} ± {e[m]['ci95']:.3f}" if m in e else "-" for m in metrics]
            cells += [_seconds(e.get("train_seconds")), _seconds(e.get("wall_seconds"))]
            if e["errors"]:
                cells.append(f"failed: {e['errors'][0]}")
            lines.append(f"| {e['agent']} | {e['runs']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def write_results(config: BenchConfig, rows: list[dict[str, Any]]) -> None:
    """``results.json``, ``report.md``, and per env a learning-curve and a bar-chart PNG."""
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    table = summarize(rows)
    (out / "results.json").write_text(
        json.dumps({"config": asdict(config), "summary": table, "runs": rows}, indent=2),
        encoding="utf-8",
    )
    budget = (
        "each learner's tuned length (updates or epochs)"
        if config.budget is None
        else f"{config.budget:.0f} s of training per run"
    )
    report = [
        "# textenvs benchmark",
        "",
        f"{config.seeds} seed(s), {budget}, {config.backbone} + {config.peft} for learners; "
        "test split; mean ± 95% interval over seeds; train s: training time (evaluation "
        "excluded), wall s: the whole run.",
        "",
        format_table(table),
    ]
    for env in config.envs:
        if plot_bars(env, table, out / f"bars_{env}.png"):
            report += [f"![{env} test metric by agent](bars_{env}.png)", ""]
        if plot_curves(env, rows, out / f"curves_{env}.png"):
            report += [f"![{env} learning curves](curves_{env}.png)", ""]
    (out / "report.md").write_text("\n".join(report), encoding="utf-8")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _engineering() -> Any:
    from matplotlib.ticker import EngFormatter

    return EngFormatter()


def plot_bars(env: str, table: list[dict[str, Any]], path: Path) -> bool:
    """Each agent's test metric with its 95% interval, one bar per agent; False if none."""
    entries = [e for e in table if e["env"] == env and e["runs"]]
    metric = next((m for m in METRICS if any(m in e for e in entries)), None)
    if metric is None:
        return False
    entries = [e for e in entries if metric in e]
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(1.2 * len(entries) + 3, 3.5))
    means = [e[metric]["mean"] for e in entries]
    axis.bar(
        [e["agent"] for e in entries],
        means,
        yerr=[e[metric]["ci95"] for e in entries],
        capsize=4,
        color="tab:blue",
    )
    for x, mean in enumerate(means):
        axis.annotate(f"{mean:.3f}", (x, mean), ha="center", va="bottom", fontsize="small")
    axis.set_ylabel(f"test {metric}")
    axis.set_ylim(0, max(1.0, max(means) * 1.1))
    axis.grid(axis="y", alpha=0.3)
    axis.set_title(env)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def plot_curves(env: str, rows: list[dict[str, Any]], path: Path) -> bool:
    """Validation metric against env steps and training time, one line per run.

    Agents without a learning curve (the random and memorizer baselines, custom agents) are
    drawn as horizontal reference lines at their test metric. False if no run has a curve.
    """
    runs = [r for r in rows if r["env"] == env and r.get("curve")]
    if not runs:
        return False
    metric = next(m for m in METRICS if m in runs[0]["curve"][0])
    references = [
        r for r in rows if r["env"] == env and not r.get("curve") and metric in r.get("test", {})
    ]
    plt = _pyplot()
    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for run in runs:
        label = f"{run['agent']} (seed {run['seed']})"
        steps = [p["env_steps"] for p in run["curve"]]
        seconds = [p["seconds"] for p in run["curve"]]
        values = [p[metric] for p in run["curve"]]
        axes[0].plot(steps, values, marker=".", label=label)
        axes[1].plot(seconds, values, marker=".", label=label)
    for index, reference in enumerate(references):
        for axis in axes:
            axis.axhline(
                reference["test"][metric],
                color="grey",
                linestyle=("--", ":", "-.")[index % 3],
                linewidth=1,
                label=f"{reference['agent']} (seed {reference['seed']}, test)",
            )
    axes[0].set_xlabel("env steps (supervised: gold actions)")
    axes[0].xaxis.set_major_formatter(_engineering())  # 200k, not 200000 run together
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
