"""``textenvs bench --backend ray``: the grid as Ray tasks, retries, the same outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.bench import BenchConfig, run_bench

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

AGENTS = [
    "random",
    "memorizer",
    "flaky_agents:FailsOnce",
    "flaky_agents:KilledOnce",
    "flaky_agents:AlwaysFails",
]


@pytest.fixture
def flaky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "attempts"
    folder.mkdir()
    monkeypatch.setenv("FLAKY_DIR", str(folder))
    monkeypatch.chdir(Path(__file__).parent)  # workers import flaky_agents from here
    return folder


@pytest.mark.slow
def test_a_ray_sweep_retries_once_and_reports_like_the_local_backend(
    tmp_path: Path, flaky: Path
) -> None:
    settings = {"envs": ["TextNER-v0"], "agents": AGENTS, "seeds": 1, "budget": 1.0}
    rows = run_bench(BenchConfig(**settings, out=str(tmp_path / "ray"), backend="ray", jobs=2))
    by_agent = {row["agent"]: row for row in rows}
    assert [row["agent"] for row in rows] == AGENTS  # grid order
    # A raised error and a killed worker are retried once; the second attempt succeeds.
    for agent in ("FailsOnce", "KilledOnce"):
        assert (flaky / agent).read_text() == "2"
        assert "error" not in by_agent[f"flaky_agents:{agent}"]
    assert (flaky / "AlwaysFails").read_text() == "2"
    error = by_agent["flaky_agents:AlwaysFails"]["error"]
    assert error == "failed 2 times on Ray: RuntimeError: this agent never works"
    # The same rows as the local backend, and the same files.
    local = run_bench(
        BenchConfig(**{**settings, "agents": AGENTS[:2]}, out=str(tmp_path / "local"))
    )
    for row in local:
        assert by_agent[row["agent"]]["test"] == row["test"]
    saved = json.loads((tmp_path / "ray" / "results.json").read_text())
    assert saved["config"]["backend"] == "ray" and len(saved["runs"]) == len(AGENTS)
    report = (tmp_path / "ray" / "report.md").read_text()
    assert "failed: failed 2 times on Ray" in report


@pytest.mark.slow
def test_textenvs_bench_backend_ray_trains_learners(tmp_path: Path) -> None:
    command = [
        *(sys.executable, "-m", "agents.cli", "bench", "--backend", "ray", "--jobs", "2"),
        *("--envs", "TextNER-v0", "--agents", "random,ppo", "--seeds", "2"),
        *("--budget", "3s", "--backbone", "tiny-bert", "--out", str(tmp_path)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| ppo | 2 |" in done.stdout and "| random | 2 |" in done.stdout
    runs = json.loads((tmp_path / "results.json").read_text())["runs"]
    assert all("test" in run for run in runs)
    assert (tmp_path / "curves_TextNER-v0.png").is_file()


def test_without_ray_the_backend_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as if not installed
    with pytest.raises(ValueError, match=r"needs Ray, which is not installed: pip install"):
        BenchConfig(backend="ray")
