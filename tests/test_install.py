"""The bare install: ``pip install textenvs`` (no extras) into a fresh venv runs the envs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a clean checkout would not hold: build artefacts, caches, outputs (see .gitignore).
_ARTEFACTS = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".hypothesis"}
_TOP_LEVEL_ARTEFACTS = {"build", "dist", ".venv", "runs", "bench", ".benchmarks"}
# What pip says when it cannot reach an index, or no index it can reach has a distribution.
# (A bad pin also reads this way, but CI's `pip install -e ".[dev]"` catches that first.)
_INDEX_ERRORS = (
    "No matching distribution found",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
)

# Runs in the venv, outside the source tree.
_SCRIPT = """
import importlib.metadata as metadata
import json
import sys

import gymnasium as gym
import numpy as np

import textenvs

env = gym.make("TextNER-v0")
observation, info = env.reset(seed=0)
words = len(info["words"])
terminated = truncated = False
steps = 0
while not (terminated or truncated):
    action = int(np.flatnonzero(env.unwrapped.action_masks())[0])
    observation, reward, terminated, truncated, info = env.step(action)
    steps += 1
torch_imported = "torch" in sys.modules
try:
    import agents
except ImportError as error:
    agents_error = str(error)
else:
    agents_error = None
meta = metadata.metadata("textenvs")
print(json.dumps({
    "steps": steps,
    "words": words,
    "torch_imported": torch_imported,
    "agents_error": agents_error,
    "textenvs_file": textenvs.__file__,
    "version": textenvs.__version__,
    "dist_version": metadata.version("textenvs"),
    "license": meta.get("License-Expression"),
    "license_files": meta.get_all("License-File"),
    "requires": metadata.requires("textenvs"),
}))
"""


def _ignore_artefacts(directory: str, names: list[str]) -> set[str]:
    ignored = {n for n in names if n in _ARTEFACTS or n.endswith(".egg-info")}
    if Path(directory) == ROOT:
        ignored |= _TOP_LEVEL_ARTEFACTS & set(names)
    return ignored


def _run(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _skip_if_offline(output: str) -> None:
    """Skip when pip could not get a distribution (no network, or a partial local index)."""
    said = [line.strip() for line in output.splitlines() if any(e in line for e in _INDEX_ERRORS)]
    if said:
        pytest.skip(f"pip install textenvs: no package index could serve it ({said[-1]})")


@pytest.mark.slow
def test_bare_install_runs_an_env_without_torch(tmp_path: Path) -> None:
    source = tmp_path / "source"  # building in-tree writes build/ and *.egg-info there
    shutil.copytree(ROOT, source, ignore=_ignore_artefacts)
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"

    try:
        install = _run([str(python), "-m", "pip", "install", str(source)], tmp_path, timeout=600)
    except subprocess.TimeoutExpired:
        pytest.skip("pip install textenvs: the package index did not answer in 10 minutes")
    if install.returncode != 0:
        _skip_if_offline(install.stdout + install.stderr)
        pytest.fail(f"pip install textenvs failed:\n{install.stdout}\n{install.stderr}")

    run = _run([str(python), "-I", "-c", _SCRIPT], tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])

    assert 0 < result["steps"] <= result["words"]
    assert not result["torch_imported"]
    assert Path(result["textenvs_file"]).resolve().is_relative_to((tmp_path / "venv").resolve())
    message = result["agents_error"]
    assert message is not None, "import agents worked without the agents extra"
    assert "\n" not in message and 'pip install "textenvs[agents]"' in message, message
    assert result["version"] == result["dist_version"]
    assert result["license"] == "Apache-2.0"
    assert result["license_files"] == ["LICENSE"]
    base = {re.split(r"[<>=!~;\[ ]", r)[0] for r in result["requires"] if "extra ==" not in r}
    assert base == {"gymnasium", "numpy", "tokenizers", "rouge-score"}
