"""Trust: what a run folder can make the library do, and what a learner reads of the env."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import (
    GRPO,
    PPO,
    RLOO,
    BaseAgent,
    GroupConfig,
    PPOConfig,
    Reinforce,
    ReinforceConfig,
    RunConfig,
    TaggingPolicy,
    a2c_config,
    evaluate,
    tiny_backbone,
)
from agents.cli import main
from agents.learners.advantages import gae
from agents.training.checkpoint import FORMAT, read_checkpoint
from textenvs.data import TaggedSentence
from textenvs.errors import InputError

TINY = [
    TaggedSentence(("Ann", "met", "Bob", "in", "Rome"), ("B-PER", "O", "B-PER", "O", "B-LOC")),
    TaggedSentence(("Acme", "hired", "Ann"), ("B-ORG", "O", "B-PER")),
    TaggedSentence(("Rome", "is", "big"), ("B-LOC", "O", "O")),
    TaggedSentence(("Bob", "left", "Acme", "Corp"), ("B-PER", "O", "B-ORG", "I-ORG")),
]
DATA = {"train": TINY, "validation": TINY, "test": TINY}
RUN = ["--learner", "reinforce", "--backbone", "tiny-bert"]
QUICK = ["tuned=false", "num_envs=2", "learner_config.updates=1", "train.eval_every=0"]


def test_a_run_folder_cannot_import_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A downloaded run folder names a module of its own as the env's entry point.
    payload = tmp_path / "payload_pkg"
    payload.mkdir()
    marker = tmp_path / "payload_ran"
    (payload / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    run = tmp_path / "downloaded"
    run.mkdir()
    (run / "run_config.json").write_text(json.dumps({"env": "payload_pkg:TextNER-v0"}))
    assert main(["eval", "--checkpoint", str(run)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "module prefix would import code" in error[0], error
    assert not marker.exists()
    with pytest.raises(ValueError, match="unknown env 'CartPole-v9'"):
        RunConfig(env="CartPole-v9")


def test_a_symlinked_log_in_a_fresh_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    out = tmp_path / "run"
    out.mkdir()
    (out / "log.jsonl").symlink_to(target)
    assert main(["train", *RUN, "--out", str(out), *QUICK]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "log.jsonl is a symbolic link" in error[0], error
    assert target.read_text() == "keep me"


class _OpensAFile:
    """A pickled object whose unpickling creates ``path``: what a crafted checkpoint holds."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.path), "w"))


def _with_header(body: bytes) -> bytes:
    """``body`` behind a valid checkpoint header (an attacker can compute the checksum)."""
    return f"{FORMAT} sha256={hashlib.sha256(body).hexdigest()}\n".encode() + body


def test_a_checkpoint_cannot_run_code_and_must_match_its_checksum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", *RUN, "--out", str(out), *QUICK]) == 0
    capsys.readouterr()
    path = out / "checkpoint.pt"
    good = path.read_bytes()
    assert good.startswith(FORMAT.encode()) and read_checkpoint(path)["format"] == FORMAT
    resume = ["train", *RUN, "--out", str(out), "--resume", *QUICK]

    def refused(data: bytes, message: str) -> None:
        path.write_bytes(data)
        assert main(resume) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and message in error[0] and str(path) in error[0], error

    flipped = bytearray(good)
    middle = len(good) // 2
    flipped[middle : middle + 64] = bytes(b ^ 0xFF for b in flipped[middle : middle + 64])
    refused(bytes(flipped), "its checksum does not match")
    refused(good[: len(good) - 100], "its checksum does not match")  # a truncated copy
    marker = tmp_path / "code_ran"
    crafted = io.BytesIO()
    torch.save({"format": FORMAT, "policy": _OpensAFile(marker)}, crafted)
    refused(_with_header(crafted.getvalue()), "unreadable checkpoint")
    old = io.BytesIO()  # the pickled format of earlier versions, code inside
    torch.save({"format": "textenvs-checkpoint-2", "policy": _OpensAFile(marker)}, old)
    refused(old.getvalue(), "a checkpoint of an older textenvs")
    assert not marker.exists()
    path.write_bytes(good)  # the genuine file still resumes
    assert main(resume) == 0


def test_a_changed_or_truncated_saved_policy_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert main(["train", *RUN, "--out", str(out), *QUICK[:3], "train.eval_every=1"]) == 0
    adapter = out / "best" / "adapter" / "adapter_model.safetensors"
    good = adapter.read_bytes()
    assert main(["eval", "--checkpoint", str(out), "--limit", "2"]) == 0
    capsys.readouterr()
    flipped = bytearray(good)
    flipped[-8] ^= 0xFF  # inside a tensor: safetensors alone would load it
    adapter.write_bytes(bytes(flipped))
    assert main(["eval", "--checkpoint", str(out), "--limit", "2"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "corrupt saved policy (its checksum does not match)" in error[0]
    # a policy saved without checksums (older versions): a truncated file is still one line
    config_file = out / "best" / "policy_config.json"
    config = json.loads(config_file.read_text())
    del config["sha256"]
    config_file.write_text(json.dumps(config))
    adapter.write_bytes(good[: len(good) // 2])
    assert main(["eval", "--checkpoint", str(out), "--limit", "2"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and f"{adapter}: unreadable weights" in error[0], error


def test_one_run_at_a_time_in_a_folder_and_stale_temporaries_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    holder = subprocess.Popen(  # another run holds the folder
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(out / '.lock')!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('locked', flush=True)\ntime.sleep(120)"],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert main(["train", *RUN, "--out", str(out), *QUICK]) == 2
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and "is in use by another run" in error[0], error
        assert not (out / "run_config.json").exists()
    finally:
        holder.kill()
        holder.wait()
    stale = out / "checkpoint.pt.x1y2.tmp"
    stale.write_bytes(b"half a checkpoint, from a killed run")
    assert main(["train", *RUN, "--out", str(out), *QUICK]) == 0
    assert not stale.exists() and (out / "checkpoint.pt").is_file()


def test_ppo_returns_sum_the_episode_rewards_by_default() -> None:
    assert PPOConfig().gamma == 1.0
    env = gym.make("TextNER-v0", dataset=DATA, split="train", reward="delta_f1")
    env.reset(options={"index": 3})
    rewards, final = [], {}
    for action in (1, 0, 2, 0):  # some right, some wrong tags
        _, reward, terminated, _, final = env.step(action)
        rewards.append(reward)
    steps = len(rewards)
    _, returns = gae(
        torch.tensor(rewards)[:, None],
        torch.zeros(steps, 1),
        torch.tensor([False] * (steps - 1) + [True])[:, None],
        torch.zeros(1),
        PPOConfig().gamma,
        1.0,
    )
    assert terminated and returns[0, 0].item() == pytest.approx(final["f1"])
    for bad in ({"gamma": 7.0}, {"gae_lambda": -3.0}):
        with pytest.raises(ValueError, match="must be in \\[0, 1\\]"):
            PPOConfig(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="gamma must be in \\[0, 1\\]"):
        ReinforceConfig(gamma=1.5)


class GarbledGold(gym.vector.VectorWrapper):
    """The env with every gold field of its infos replaced by garbage; rewards untouched."""

    GOLD = ("gold_tags", "pred_tags", "precision", "recall", "f1")

    def reset(self, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        observations, infos = self.env.reset(**kwargs)
        return observations, self.garble(infos)

    def step(self, actions: Any) -> Any:
        *rest, infos = self.env.step(actions)
        return (*rest, self.garble(infos))

    def garble(self, infos: dict[str, Any]) -> dict[str, Any]:
        garbled = dict(infos)
        for key in self.GOLD:
            if key in garbled:
                garbled[key] = np.full(len(garbled[key]), None, dtype=object)
                for i in range(len(garbled[key])):
                    garbled[key][i] = ["B-NONSENSE"] * 3 if "tags" in key else -7.5
        return garbled


LEARNERS = {
    "reinforce": lambda p, e: Reinforce(p, e, ReinforceConfig(seed=3, whole_episodes=True)),
    "ppo": lambda p, e: PPO(p, e, PPOConfig(seed=3, whole_episodes=True, minibatches=2)),
    "a2c": lambda p, e: PPO(p, e, a2c_config(seed=3, whole_episodes=True)),
    "rloo": lambda p, e: RLOO(p, e, GroupConfig(seed=3, k=2, examples_per_update=2)),
    "grpo": lambda p, e: GRPO(p, e, GroupConfig(seed=3, k=2, examples_per_update=2)),
}


@pytest.mark.parametrize("learner", sorted(LEARNERS))
def test_rl_learners_learn_from_rewards_only(learner: str) -> None:
    """Gold answers garbled everywhere but inside the reward: bit-identical updates."""
    weights = []
    for garble in (False, True):
        torch.manual_seed(0)
        tags = gym.make("TextNER-v0", dataset=DATA).unwrapped.tag_names
        policy = TaggingPolicy(tiny_backbone("encoder", hidden_size=32), tags, peft="lora")
        envs = gym.make_vec("TextNER-v0", num_envs=4, dataset=DATA, reward="delta_f1")
        run = LEARNERS[learner](policy, GarbledGold(envs) if garble else envs)
        for _ in range(2):
            run.update()
        weights.append([p.detach().clone() for p in policy.parameters() if p.requires_grad])
    assert all(torch.equal(a, b) for a, b in zip(*weights))


def test_evaluate_hands_an_agent_no_test_records() -> None:
    seen: dict[str, Any] = {}

    class Peeking(BaseAgent):
        def check_env(self, env: Any) -> None:
            seen["records"] = hasattr(env.unwrapped, "corpus") or hasattr(env, "corpus")
            seen["tags"] = env.unwrapped.tag_names

        def act(self, observation: Any, info: Any, mask: np.ndarray) -> int:
            return int(np.flatnonzero(mask)[0])

    evaluate(Peeking(), "TextNER-v0", split="test", limit=3)
    assert seen == {"records": False, "tags": gym.make("TextNER-v0").unwrapped.tag_names}


@pytest.mark.parametrize("env_id", ["TextSummarization-v0", "TextExtractiveSummarization-v0"])
def test_references_come_only_at_the_end(env_id: str) -> None:
    env = gym.make(env_id, max_new_tokens=4) if "Extractive" not in env_id else gym.make(env_id)
    _, info = env.reset(seed=0)
    assert "references" not in info
    done = False
    while not done:
        _, _, terminated, truncated, info = env.step(0)
        done = terminated or truncated
    assert info["references"] and all(isinstance(r, str) for r in info["references"])
    kwargs = {"max_new_tokens": 4} if "Extractive" not in env_id else {}
    envs = gym.make_vec(env_id, num_envs=2, **kwargs)
    _, infos = envs.reset(seed=0)
    assert "references" not in infos
    for _ in range(40):
        _, _, terminated, truncated, infos = envs.step(np.zeros(2, dtype=np.int64))
        ended = np.asarray(terminated) | np.asarray(truncated)
        if ended.any():
            assert all(infos["references"][i] for i in np.flatnonzero(ended))
            break
    else:
        raise AssertionError("no episode ended")


IN_VIEW = {"tokens", "index", "episode_id"}  # what a classification episode shows until it ends


def test_a_reading_agent_sees_no_unread_word_before_it_answers() -> None:
    rng = np.random.default_rng(0)
    env = gym.make("TextClassification-v0")
    corpus = env.unwrapped.corpus
    for episode in range(30):
        observation, info = env.reset(seed=episode)
        index, done = info["index"], False
        while not done:
            assert set(info) <= IN_VIEW, info  # no text, no label, no unread word
            assert info["tokens"] == list(corpus.tokens[index][: observation["position"]])
            action = int(rng.choice(np.flatnonzero(env.unwrapped.action_masks())))
            observation, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        assert info["text"] == corpus.texts[index].text  # the whole text only at the end
    envs = gym.make_vec("TextClassification-v0", num_envs=3)
    observations, infos = envs.reset(seed=0)
    index = np.array(infos["index"])
    ended, finals = np.zeros(3, dtype=bool), 0
    for _ in range(200):
        for i in np.flatnonzero(~ended):
            shown = {key for key in infos if not key.startswith("_") and infos[f"_{key}"][i]}
            assert shown <= IN_VIEW, (i, shown)
            read = int(observations["position"][i])
            assert list(infos["tokens"][i]) == list(corpus.tokens[index[i]][:read])
        masks = envs.unwrapped.action_masks()
        actions = np.array([rng.choice(np.flatnonzero(m)) for m in masks], dtype=np.int64)
        observations, _, terminated, truncated, infos = envs.step(actions)
        ended = np.asarray(terminated) | np.asarray(truncated)
        finals += int(ended.sum())
        for i in np.flatnonzero(ended):
            assert infos["text"][i] == corpus.texts[index[i]].text
        if "index" in infos:  # autoreset: new records start
            index[infos["_index"]] = np.asarray(infos["index"])[infos["_index"]]
    assert finals >= 10


@pytest.mark.parametrize(
    ("flags", "overrides", "message"),
    [
        ([], ["threads=0"], "threads must be >= 1"),
        ([], ["device=gpu0"], "device 'gpu0': give 'auto', 'cpu', 'cuda'"),
        ([], ["env_kwargs.rewrd=f1"], "unexpected keyword argument 'rewrd'"),
        ([], ["policy_kwargs.nonsense=1"], "TaggingPolicy takes no 'nonsense'"),
        (["--env", "CartPole-v1"], [], "env CartPole-v1 with env_kwargs {}"),
        ([], ["x=[1"], "override 'x=[1': not a value"),
        (["--backbone", "/nonexistent"], [], "backbone '/nonexistent': no such folder"),
        ([], ["train.test_split=nonsense"], "unknown split 'nonsense'"),
        (["--learner", "ppo"], ["learner_config.gamma=7"], "gamma must be in [0, 1]"),
    ],
)
def test_bad_run_settings_fail_in_one_line_before_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    overrides: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    command = ["train", "--out", "run", "--backbone", "tiny-bert", *flags, *overrides]
    assert main(command) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and message in error[0], error
    assert not (tmp_path / "run" / "log.jsonl").exists()  # nothing trained


def test_bad_output_folder_and_eval_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "--out", "/dev/null/x", "--backbone", "tiny-bert"]) == 2
    assert "--out /dev/null/x: Not a directory" in capsys.readouterr().err
    assert main(["eval", "--checkpoint", str(tmp_path), "--limit", "0"]) == 2
    assert "--limit must be >= 1, got 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bug", [KeyError("tokens"), ValueError("math domain error"), IndexError(3)]
)
def test_an_internal_error_keeps_its_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], bug: Exception
) -> None:
    def broken(args: Any) -> int:
        raise bug

    monkeypatch.setattr("agents.cli._list", broken)
    with pytest.raises(type(bug)):  # not turned into a one-line "usage" error
        main(["list"])
    assert "error:" not in capsys.readouterr().err

    def bad_input(args: Any) -> int:
        raise InputError("names the value and where")

    monkeypatch.setattr("agents.cli._list", bad_input)
    assert main(["list"]) == 2
    assert capsys.readouterr().err.strip() == "textenvs list: error: names the value and where"

    def diverged(args: Any) -> int:
        raise FloatingPointError("update 7: the loss is nan; stopping")

    monkeypatch.setattr("agents.cli._list", diverged)  # a run that diverged: one line, exit 1
    assert main(["list"]) == 1
    assert capsys.readouterr().err.strip() == (
        "textenvs list: stopped: update 7: the loss is nan; stopping"
    )


def test_every_error_the_project_raises_on_input_is_an_input_error() -> None:
    from agents.cli import UsageError
    from agents.common.config import ConfigError
    from agents.policies.backbones import BackboneError
    from agents.training.checkpoint import CheckpointError
    from agents.training.folder import RunFolderBusyError
    from textenvs.data import DataFormatError
    from textenvs.data.tags import TagError
    from textenvs.data.tokenizer import TokenizerError
    from textenvs.envs.common import InvalidActionError
    from textenvs.rewards import RewardFunctionError

    for error in (UsageError, ConfigError, BackboneError, CheckpointError, RunFolderBusyError,
                  DataFormatError, TagError, TokenizerError, InvalidActionError,
                  RewardFunctionError):  # fmt: skip
        assert issubclass(error, InputError) and issubclass(error, ValueError), error
    with pytest.raises(InputError, match="unknown reward 'blah'"):
        gym.make("TextNER-v0", reward="blah")
