"""Re-fine-tuning without forgetting: the starting policy as reference, the KL term, replay."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from agents.learners.supervised import (
    SupervisedConfig,
    SupervisedGenerator,
    SupervisedTagger,
    mean_kl,
)
from agents.policies.backbones import tiny_backbone
from agents.policies.generative import GenerativePolicy
from agents.policies.tagging import TaggingPolicy
from agents.training.loop import TrainConfig
from agents.training.runs import RunConfig, build_run, load_policy, run_dataset
from textenvs.data import load_builtin_ner, load_conll
from textenvs.data.records import TaggedSentence
from textenvs.errors import InputError

TAGS = ("O", "B-LOC", "I-LOC", "B-MISC", "I-MISC", "B-ORG", "I-ORG", "B-PER", "I-PER")
SENTENCES = [["Anna", "flew", "to", "Oslo"], ["The", "Acme", "board", "met", "."]]


def saved_tagger(tmp_path: Path) -> Path:
    """A saved tagger whose heads and adapter moved away from their start."""
    torch.manual_seed(0)
    policy = TaggingPolicy(tiny_backbone("encoder"), TAGS, "lora")
    for parameter in policy.parameters():
        if parameter.requires_grad:
            parameter.data.normal_(std=0.3)
    policy.save(tmp_path / "start")
    return tmp_path / "start"


def logits_of(policy: TaggingPolicy, reference: bool = False) -> torch.Tensor:
    with torch.no_grad():
        if reference:
            with policy.reference():
                return policy.forward_words(SENTENCES)[0]
        return policy.forward_words(SENTENCES)[0]


def test_the_reference_is_the_starting_policy_heads_included(tmp_path: Path) -> None:
    start = saved_tagger(tmp_path)
    expected = logits_of(TaggingPolicy.load(start))
    policy = TaggingPolicy.starting_from(start)
    assert torch.allclose(logits_of(policy), expected, atol=1e-5)  # new adapter at zero: the start
    with torch.no_grad():  # "training" moves the heads and the new adapter
        for parameter in policy.parameters():
            if parameter.requires_grad:
                parameter.add_(0.5)
    trained = logits_of(policy)
    assert not torch.allclose(trained, expected, atol=1e-2)
    assert torch.allclose(logits_of(policy, reference=True), expected, atol=1e-5)
    assert torch.equal(logits_of(policy), trained)  # its own heads are back
    policy.save(tmp_path / "next")
    loaded = TaggingPolicy.load(tmp_path / "next")
    assert torch.allclose(logits_of(loaded, reference=True), expected, atol=1e-5)
    assert torch.allclose(logits_of(loaded), logits_of(policy), atol=1e-6)
    frozen = [p for head in policy.start_heads.values() for p in head.parameters()]
    assert frozen and not any(p.requires_grad for p in frozen)


def test_mean_kl_is_torch_kl_div_and_ignores_masked_actions() -> None:
    torch.manual_seed(0)
    logits, reference = torch.randn(6, 4), torch.randn(6, 4)
    expected = torch.nn.functional.kl_div(
        reference.log_softmax(-1), logits.log_softmax(-1), log_target=True, reduction="batchmean"
    )
    assert torch.allclose(mean_kl(logits, reference), expected, atol=1e-6)
    masked = logits.clone()
    masked[:, 0] = float("-inf")
    assert torch.isfinite(mean_kl(masked, reference))
    assert mean_kl(logits, logits).item() == pytest.approx(0.0, abs=1e-7)


def test_the_supervised_kl_term_holds_a_tagger_near_its_start(tmp_path: Path) -> None:
    start = saved_tagger(tmp_path)
    data = [TaggedSentence(tuple(w), tuple("O" for _ in w)) for w in SENTENCES]
    losses = {}
    for coef in (0.0, 5.0):
        policy = TaggingPolicy.starting_from(start)
        learner = SupervisedTagger(policy, data, SupervisedConfig(batch_size=2, kl_coef=coef))
        first = learner.batch_loss([0, 1])[0].item()
        for _ in range(5):
            learner.update()
        drift = mean_kl(logits_of(policy)[0, :4], logits_of(policy, reference=True)[0, :4])
        losses[coef] = (first, drift.item())
    assert losses[0.0][0] == pytest.approx(losses[5.0][0], abs=1e-6)  # no KL at the start
    assert 0 < losses[5.0][1] < losses[0.0][1]  # the KL term keeps it closer to the start


def test_a_kl_term_needs_an_adapter_and_a_fixed_coefficient() -> None:
    data = [TaggedSentence(("a",), ("O",))]
    full = TaggingPolicy(tiny_backbone("encoder"), TAGS, "none")
    with pytest.raises(InputError, match="adapter to disable"):
        SupervisedTagger(full, data, SupervisedConfig(kl_coef=1.0))
    lora = TaggingPolicy(tiny_backbone("encoder"), TAGS, "lora")
    with pytest.raises(InputError, match="kl_target"):
        SupervisedTagger(lora, data, SupervisedConfig(kl_coef=1.0, kl_target=0.1))
    writer = GenerativePolicy(tiny_backbone("causal"))
    with pytest.raises(InputError, match="supervised generator has no KL"):
        SupervisedGenerator(writer, [], SupervisedConfig(kl_coef=1.0))


def write_conll(path: Path, sentences: int) -> Path:
    path.mkdir()
    lines = []
    for i in range(sentences):
        lines += [f"Town{i} NNP B-NP B-LOC", "is VBZ B-VP O", "big JJ B-ADJP O", ""]
    (path / "eng.train").write_text("\n".join(lines))
    return path


def test_replay_mixes_a_share_of_the_old_training_records(tmp_path: Path) -> None:
    old = write_conll(tmp_path / "old", 50)
    new = {s: load_builtin_ner(s) for s in ("train", "validation", "test")}
    config = RunConfig(replay_data=str(old), replay_fraction=0.25, seed=3)
    mixed = run_dataset(config)
    replayed = [s for s in mixed["train"] if s.words[0].startswith("Town")]
    assert mixed["train"][: len(new["train"])] == list(new["train"])
    assert len(replayed) == round(len(new["train"]) / 3)  # 25% of the mix
    assert len(set(replayed)) == min(len(replayed), 50)
    assert set(replayed) <= set(load_conll(old / "eng.train"))
    assert (mixed["validation"], mixed["test"]) == (list(new["validation"]), list(new["test"]))
    assert run_dataset(config)["train"] == mixed["train"]  # the seed decides the draw
    other = run_dataset(RunConfig(replay_data=str(old), replay_fraction=0.25, seed=4))
    assert other["train"] != mixed["train"]
    assert run_dataset(RunConfig()) is None  # no replay: the built-in corpus, untouched


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"replay_fraction": 0.5}, "replay needs both"),
        ({"replay_data": "old/"}, "replay needs both"),
        ({"replay_data": "old/", "replay_fraction": 1.0}, r"in \[0, 1\)"),
    ],
)
def test_bad_replay_settings_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        RunConfig(**settings)


def test_a_run_continues_from_a_tagger_with_replay_and_kl(tmp_path: Path) -> None:
    start = saved_tagger(tmp_path)
    old = write_conll(tmp_path / "old", 20)
    config = RunConfig(
        env="TextNER-v0",
        learner="supervised",
        learner_config={"epochs": 1, "batch_size": 64, "kl_coef": 1.0},
        init_from=str(start),
        replay_data=str(old),
        replay_fraction=0.5,
        train=TrainConfig(eval_every=0, test_split=None, progress=False, tensorboard=False),
    )
    built = build_run(config)
    assert built.learner.size == 2 * len(load_builtin_ner("train"))
    assert torch.allclose(
        logits_of(built.policy, reference=True), logits_of(load_policy(start)), atol=1e-5
    )
