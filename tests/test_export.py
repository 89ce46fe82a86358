"""Export to transformers: the pipelines load the model and predict as the policy does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForTokenClassification, pipeline

from agents import (
    ClassificationPolicy,
    GenerativePolicy,
    TaggingPolicy,
    export_policy,
    export_run,
    tiny_backbone,
)
from agents.cli import main
from agents.policies.tagging import iob2_transitions
from agents.training.export import pipeline_word_tags
from textenvs.data.tokenize import word_tokenize
from textenvs.errors import InputError

TAGS = ("O", "B-LOC", "I-LOC", "B-PER", "I-PER")
SENTENCES = [
    ["John", "Smith", "lives", "in", "New", "York", ",", "and", "works", "there", "."],
    ["Paris", "is", "far", "from", "Berlin"],
    ["Hello"],
]
TEXTS = ["a truly great film .", "bad , boring and long", "it was fine", "I did n't like it"]


def perturbed(policy):  # type: ignore[no-untyped-def]
    """``policy`` with non-zero LoRA weights, so that the merge matters."""
    torch.manual_seed(1)
    for name, parameter in policy.named_parameters():
        if "lora_B" in name:
            parameter.data.normal_(std=0.5)
    return policy


def test_tagger_pipeline_predicts_as_the_policy(tmp_path: Path) -> None:
    policy = perturbed(TaggingPolicy(tiny_backbone("encoder"), TAGS, "lora"))
    before = policy.forward_words(SENTENCES)[0]
    export_policy(policy, tmp_path / "model")
    tagger = pipeline(
        "token-classification", model=str(tmp_path / "model"), ignore_labels=[]
    )  # aggregation "none": every token with its label
    for words in SENTENCES:
        exported = pipeline_word_tags(tagger(words, is_split_into_words=True), words)
        assert exported == policy.predict([words], iob2=False)[0]
    # The default decoding differs only where the most likely tag breaks IOB2.
    valid = iob2_transitions(TAGS)
    repairs = 0
    for argmax, kept in zip(policy.predict(SENTENCES, iob2=False), policy.predict(SENTENCES)):
        for position, (free, fixed) in enumerate(zip(argmax, kept)):
            if free != fixed:
                previous = TAGS.index(kept[position - 1]) if position else -1
                assert not valid[previous, TAGS.index(free)]
                repairs += 1
    assert repairs > 0  # the random tagger does break IOB2, so both paths were exercised
    # The same logits, not only the same argmax; and the policy itself is left as it was.
    model = AutoModelForTokenClassification.from_pretrained(tmp_path / "model")
    tokens = policy.tokenizer(SENTENCES[1], is_split_into_words=True, return_tensors="pt")
    logits = model(**tokens).logits[0]
    first = [tokens.word_ids().index(word) for word in range(len(SENTENCES[1]))]
    assert torch.allclose(logits[first], before[1, : len(SENTENCES[1])], atol=1e-5)
    assert torch.equal(policy.forward_words(SENTENCES)[0], before)
    assert model.config.id2label == dict(enumerate(TAGS))


@pytest.mark.parametrize("mode", ["whole", "read"])
def test_classifier_pipeline_predicts_as_the_policy(tmp_path: Path, mode: str) -> None:
    labels = ["negative", "positive", "neutral"]
    backbone = tiny_backbone("encoder")
    policy = perturbed(ClassificationPolicy(backbone, labels, "lora", mode, pooling="pooler"))
    policy.action_head.weight.data.normal_(std=5.0)  # answers that differ between texts
    export_policy(policy, tmp_path / "model")
    classifier = pipeline("text-classification", model=str(tmp_path / "model"), top_k=None)
    answers = policy.predict(TEXTS)
    words = [word_tokenize(text) for text in TEXTS]
    logits, _ = policy.forward_prefixes(words, [[len(w)] for w in words])
    expected = torch.softmax(logits[:, 1:] if mode == "read" else logits, -1)
    for text, answer, probabilities in zip(TEXTS, answers, expected):
        scores = {row["label"]: row["score"] for row in classifier([text])[0]}
        assert max(scores, key=scores.__getitem__) == answer
        got = torch.tensor([scores[label] for label in labels])
        assert torch.allclose(got, probabilities, atol=1e-5)
    assert len(set(answers)) > 1  # not a constant answer that any model would match


def test_generator_pipeline_writes_as_the_policy(tmp_path: Path) -> None:
    template = "Say: {prompt}\nAnswer:"
    policy = GenerativePolicy(tiny_backbone("causal"), "lora", template, temperature=0.0)
    perturbed(policy)
    export_policy(policy, tmp_path / "model")
    writer = pipeline("text-generation", model=str(tmp_path / "model"))
    prompts = ["the cat sat on the mat", "hello there"]
    written = writer(
        [template.format(prompt=p) for p in prompts], return_full_text=False, max_new_tokens=8
    )
    assert [w[0]["generated_text"] for w in written] == policy.predict(prompts, max_new_tokens=8)
    info = json.loads((tmp_path / "model" / "textenvs_export.json").read_text())
    assert info["prompt_template"] == template and info["pipeline_task"] == "text-generation"
    assert template.replace("\n", "\\n") in (tmp_path / "model" / "README.md").read_text()


def test_sampling_settings_go_to_the_generation_config(tmp_path: Path) -> None:
    policy = GenerativePolicy(tiny_backbone("causal"), "ia3", temperature=0.7, top_k=5, top_p=0.9)
    export_policy(policy, tmp_path / "model")
    config = json.loads((tmp_path / "model" / "generation_config.json").read_text())
    assert config["do_sample"] is True
    assert (config["temperature"], config["top_k"], config["top_p"]) == (0.7, 5, 0.9)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: TaggingPolicy(tiny_backbone("encoder"), TAGS, condition_on_previous_tag=True),
            "conditioned on the previous tag",
        ),
        (lambda: TaggingPolicy(tiny_backbone("encoder"), TAGS, "prompt_tuning"), "virtual tokens"),
        (lambda: ClassificationPolicy(tiny_backbone("encoder"), ["a", "b"]), "mean pooling"),
        (lambda: ClassificationPolicy(tiny_backbone("causal"), ["a", "b"]), "causal backbone"),
    ],
)
def test_what_has_no_exact_model_is_refused_in_one_line(
    tmp_path: Path,
    build,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(InputError, match=message) as error:
        export_policy(build(), tmp_path / "model")
    assert "\n" not in str(error.value)
    assert not (tmp_path / "model").exists()


def test_a_policy_started_from_another_exports_both_adapters_merged(tmp_path: Path) -> None:
    perturbed(TaggingPolicy(tiny_backbone("encoder"), TAGS, "lora")).save(tmp_path / "start")
    policy = perturbed(TaggingPolicy.starting_from(tmp_path / "start", "lora"))
    export_policy(policy, tmp_path / "model")
    tagger = pipeline("token-classification", model=str(tmp_path / "model"), ignore_labels=[])
    for words in SENTENCES:
        exported = pipeline_word_tags(tagger(words, is_split_into_words=True), words)
        assert exported == policy.predict([words], iob2=False)[0]


def test_a_backbone_holding_a_start_s_bottleneck_adapters_is_refused(tmp_path: Path) -> None:
    TaggingPolicy(tiny_backbone("encoder"), TAGS, "adapter").save(tmp_path / "start")
    policy = TaggingPolicy.starting_from(tmp_path / "start", "lora")
    with pytest.raises(InputError, match="holds bottleneck adapters"):
        export_policy(policy, tmp_path / "model")


def test_an_export_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "mine.txt").write_text("keep")
    with pytest.raises(InputError, match="not empty"):
        export_policy(TaggingPolicy(tiny_backbone("encoder"), TAGS), tmp_path / "model")
    assert (tmp_path / "model" / "mine.txt").read_text() == "keep"


def test_export_command_writes_a_model_transformers_loads_alone(tmp_path: Path) -> None:
    run, model = tmp_path / "run", tmp_path / "model"
    train = ["train", "--env", "TextNER-v0", "--learner", "supervised", "--backbone", "tiny-bert"]
    settings = ["learner_config.epochs=1", "train.eval_limit=5", "train.progress=false"]
    assert main([*train, "--out", str(run), *settings, "train.tensorboard=false"]) == 0
    assert main(["export", "--checkpoint", str(run), "--out", str(model)]) == 0
    card = (model / "README.md").read_text()
    results = json.loads((run / "results.json").read_text())
    assert "TextNER-v0" in card and "supervised" in card and "textenvs train --config" in card
    assert f"f1 {results['test']['f1']:.4f}" in card
    assert json.loads((model / "run_config.json").read_text())["learner"] == "supervised"
    # A fresh interpreter in which textenvs and agents cannot be imported loads and runs it.
    script = (
        "import sys; sys.modules['textenvs'] = sys.modules['agents'] = None\n"
        "from transformers import pipeline\n"
        f"tagger = pipeline('token-classification', model={str(model)!r})\n"
        "print(len(tagger('Anna visited Rome .', ignore_labels=[])))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert int(loaded.stdout.split()[-1]) >= 4
    with pytest.raises(InputError, match="no saved policy"):
        export_run(tmp_path / "nothing", tmp_path / "other")
    # A run that never evaluated (its results hold no best or test metrics) exports too.
    quiet = ["train.eval_every=0", "train.test_split=null", "train.progress=false"]
    assert main([*train, "--out", str(tmp_path / "quiet"), "learner_config.epochs=1", *quiet]) == 0
    card = (export_run(tmp_path / "quiet", tmp_path / "quiet-model") / "README.md").read_text()
    assert "Metrics" not in card and "TextNER-v0" in card
