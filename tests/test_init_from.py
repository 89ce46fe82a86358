"""Starting a run from a trained policy (``init_from``): SFT, then RL, in two commands.

The saved policy's adapter is merged into the backbone; a new adapter trains on top; the KL
reference (adapters disabled) is the starting policy; the start travels with every save.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agents.policies.adapters import BottleneckAdapter
from agents.policies.backbones import tiny_backbone
from agents.policies.classification import ClassificationPolicy
from agents.policies.generative import GenerativePolicy
from agents.training.loop import TrainConfig
from agents.training.runs import RunConfig, build_run, load_policy
from textenvs.errors import InputError

PROMPTS = ["Shares of Northwind rose on Tuesday.", "Rain closed the coast road."]
WRITTEN = [[11, 12, 13], [14, 15]]


def trained_start(tmp_path: Path, peft: str = "lora") -> Path:
    """A saved generative policy whose adapter moved away from the base model."""
    torch.manual_seed(0)
    policy = GenerativePolicy(tiny_backbone("causal"), peft, prompt_template="Sum: {prompt} ->")
    sgd_step(policy)
    policy.save(tmp_path / "sft" / "best")
    return tmp_path / "sft"


def sgd_step(policy: GenerativePolicy) -> None:
    """One plain gradient step towards WRITTEN, which moves whatever trains."""
    logprobs, _, mask = policy.sequence_logprobs(PROMPTS, WRITTEN)
    optimizer = torch.optim.SGD([p for p in policy.parameters() if p.requires_grad], lr=1.0)
    (-logprobs[mask].sum()).backward()
    optimizer.step()


def logprobs_of(policy: GenerativePolicy, reference: bool = False) -> torch.Tensor:
    with torch.no_grad():
        return policy.sequence_logprobs(PROMPTS, WRITTEN, reference=reference)[0]


def run_config(start: Path, **kwargs) -> RunConfig:  # type: ignore[no-untyped-def]
    return RunConfig(
        env="TextSummarization-v0",
        learner="rloo",
        learner_config={"k": 2, "examples_per_update": 2},
        init_from=str(start),
        tuned=False,
        train=TrainConfig(eval_every=0, test_split=None, progress=False),
        **kwargs,
    )


def test_a_run_starts_from_the_saved_policy_which_is_its_kl_reference(tmp_path: Path) -> None:
    start = trained_start(tmp_path)
    saved = load_policy(start / "best")
    policy = build_run(run_config(start)).policy
    assert policy.prompt_template == "Sum: {prompt} ->"  # the start's arguments carry over
    expected = logprobs_of(saved)
    assert not torch.allclose(expected, logprobs_of(saved, reference=True), atol=1e-4)
    torch.testing.assert_close(logprobs_of(policy), expected)  # the new adapter starts at 0
    torch.testing.assert_close(logprobs_of(policy, reference=True), expected)
    # A step moves the policy; the reference stays the starting policy.
    sgd_step(policy)
    moved = logprobs_of(policy)
    assert not torch.allclose(moved, expected, atol=1e-4)
    torch.testing.assert_close(logprobs_of(policy, reference=True), expected)
    # Saved and loaded elsewhere (the start's files travel along), it is the same policy.
    policy.save(tmp_path / "rl")
    (start / "best" / "heads.safetensors").unlink()  # the original start is not needed
    loaded = load_policy(tmp_path / "rl")
    torch.testing.assert_close(logprobs_of(loaded), moved)
    torch.testing.assert_close(logprobs_of(loaded, reference=True), expected)
    # A chain: a third run starts from the second one.
    third = GenerativePolicy.starting_from(tmp_path / "rl")
    torch.testing.assert_close(logprobs_of(third, reference=True), moved)
    third.save(tmp_path / "third")
    torch.testing.assert_close(logprobs_of(load_policy(tmp_path / "third")), moved)


def test_a_changed_starting_policy_fails_to_load(tmp_path: Path) -> None:
    start = trained_start(tmp_path)
    GenerativePolicy.starting_from(start / "best").save(tmp_path / "rl")
    adapter = tmp_path / "rl" / "init" / "adapter" / "adapter_model.safetensors"
    content = bytearray(adapter.read_bytes())
    content[-10] ^= 0xFF
    adapter.write_bytes(bytes(content))
    with pytest.raises(InputError, match="corrupt saved policy"):
        load_policy(tmp_path / "rl")


def test_bad_starting_points_fail_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no saved policy"):
        build_run(run_config(tmp_path / "nothing"))
    start = trained_start(tmp_path, peft="prompt_tuning")
    with pytest.raises(InputError, match="cannot start from a prompt_tuning policy"):
        build_run(run_config(start))


def test_a_start_built_for_other_classes_is_refused(tmp_path: Path) -> None:
    ClassificationPolicy(tiny_backbone("encoder"), ["bad", "good"], "lora").save(tmp_path / "p")
    config = RunConfig(
        env="TextClassification-v0",
        learner="ppo",
        init_from=str(tmp_path / "p"),
        tuned=False,
        train=TrainConfig(eval_every=0, test_split=None, progress=False),
    )
    with pytest.raises(InputError, match=r"init_from .*built for classes \('bad', 'good'\)"):
        build_run(config)


def test_starting_from_an_adapter_policy_keeps_its_adapters_fixed(tmp_path: Path) -> None:
    """Bottleneck adapters cannot be merged: they stay in the backbone, frozen and on."""
    start = trained_start(tmp_path, peft="adapter")
    saved = load_policy(start / "best")
    expected = logprobs_of(saved)
    assert not torch.allclose(expected, logprobs_of(saved, reference=True), atol=1e-4)
    new = {"adapter_placement": "houlsby", "adapter_size": 4}
    policy = build_run(run_config(start, peft="adapter", peft_kwargs=new)).policy
    adapters = [m for m in policy.transformer.modules() if isinstance(m, BottleneckAdapter)]
    assert [a.fixed for a in adapters].count(True) == 2  # the start's: pfeiffer, two layers
    assert [a.fixed for a in adapters].count(False) == 4  # the new ones: houlsby
    trains = {p for p in policy.transformer.parameters() if p.requires_grad}
    assert trains == {p for a in adapters if not a.fixed for p in a.parameters()}
    torch.testing.assert_close(logprobs_of(policy), expected)
    torch.testing.assert_close(logprobs_of(policy, reference=True), expected)
    sgd_step(policy)
    moved = logprobs_of(policy)
    assert not torch.allclose(moved, expected, atol=1e-4)
    torch.testing.assert_close(logprobs_of(policy, reference=True), expected)
    policy.save(tmp_path / "rl")
    loaded = load_policy(tmp_path / "rl")
    torch.testing.assert_close(logprobs_of(loaded), moved)
    torch.testing.assert_close(logprobs_of(loaded, reference=True), expected)
    with pytest.raises(InputError, match="bottleneck adapters cannot be merged"):
        loaded.merge()
