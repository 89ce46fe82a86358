"""Export a trained policy as a standard transformers model directory, adapter merged.

    textenvs export --checkpoint runs/x --out model/

writes what ``transformers.pipeline(TASK, model="model/")`` loads with no textenvs import:

* a :class:`~agents.policies.TaggingPolicy` becomes a token-classification model
  (``AutoModelForTokenClassification``, ``id2label`` from the env's tags): its linear tag
  head is the classifier, and each word's tag is the one of its first sub-word, as the
  policy reads it. The pipeline takes each word's most likely tag, which is
  ``policy.predict(words, iob2=False)``; ``policy.predict`` by default also keeps the tags
  valid IOB2, and differs only where the most likely tag would break IOB2 (an ``I-X`` that
  follows no ``X``). A policy conditioned on the previous tag has no such model: refused.
* a :class:`~agents.policies.ClassificationPolicy` with ``pooling="pooler"`` becomes a
  sequence-classification model (``AutoModelForSequenceClassification``): the encoder's
  pooler output is what it classifies, and the answer rows of the action head (not "read
  on") are its classifier. Mean pooling and a causal backbone's last-token state with a
  bias have no such model in transformers: refused, with the reason.
* a :class:`~agents.policies.GenerativePolicy` becomes the causal LM itself, its sampling
  settings in ``generation_config.json`` and its prompt template in ``textenvs_export.json``
  and the model card: ``pipeline("text-generation")`` on ``template.format(prompt=...)``.

Only adapters that fold into the weights can be exported: LoRA and IA3 are merged; BitFit,
full fine-tuning and frozen backbones are saved as trained; prompt / prefix tuning and
bottleneck adapters are refused in one line. A model card (``README.md``) records the env,
the data, the learner, the metrics and the command that made the run.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

import textenvs
from agents.policies.adapters import BottleneckAdapter
from agents.policies.base import PeftPolicy
from agents.policies.classification import ClassificationPolicy
from agents.policies.generative import GenerativePolicy
from agents.policies.tagging import TaggingPolicy
from agents.training.runs import load_policy
from textenvs.errors import InputError

EXPORT_FILE = "textenvs_export.json"
"""What the export holds and how to call it (pipeline task, prompt template, source run)."""
MERGEABLE = ("lora", "ia3", "bitfit", "none", "frozen")


def export_run(run_folder: str | Path, out: str | Path, policy: str = "best") -> Path:
    """Export the saved policy of a ``textenvs train`` run folder (see the module doc).

    Args:
        run_folder: the run's ``--out`` folder.
        out: the model directory to write; it must not exist or be empty.
        policy: which saved policy of the run (its subfolder), ``best`` by default.

    Returns:
        ``out``.

    Raises:
        InputError: not a run folder, or a policy that cannot be exported (the reason).
    """
    run_folder = Path(run_folder)
    if not (run_folder / policy / "policy_config.json").is_file():
        raise InputError(f"{run_folder}: no saved policy {policy}/ (not a textenvs train run?)")
    run = _read_json(run_folder / "results.json") or {}
    config = _read_json(run_folder / "run_config.json") or run.get("run_config") or {}
    return export_policy(load_policy(run_folder / policy), out, run=run, run_config=config)


def export_policy(
    policy: PeftPolicy,
    out: str | Path,
    run: dict[str, Any] | None = None,
    run_config: dict[str, Any] | None = None,
) -> Path:
    """Write ``policy`` as a transformers model directory (see the module doc).

    The policy itself is left as it was (its adapter is merged into a copy).

    Args:
        policy: a tagging, classification or generative policy.
        out: the model directory to write; it must not exist or be empty.
        run: the run's ``results.json`` (metrics for the model card), if any.
        run_config: the run's ``run_config.json`` (env, data, learner, command), if any.

    Returns:
        ``out``.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists and is not empty: pick another --out")
    model, task, extra = _transformers_model(policy)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:  # written whole, then renamed: a killed export leaves no half model
        model.save_pretrained(staging)
        policy.tokenizer.save_pretrained(staging)
        info = {
            "textenvs_version": textenvs.__version__,
            "pipeline_task": task,
            "policy": type(policy).__name__,
            "backbone": policy.backbone_name,
            "peft": policy.peft_spec.method,
            **extra,
        }
        (staging / EXPORT_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        card = model_card(info, run or {}, run_config or {})
        (staging / "README.md").write_text(card, encoding="utf-8")
        if run_config:
            (staging / "run_config.json").write_text(
                json.dumps(run_config, indent=2), encoding="utf-8"
            )
        if out.exists():
            out.rmdir()
        staging.replace(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out


def _transformers_model(policy: PeftPolicy) -> tuple[nn.Module, str, dict[str, Any]]:
    """The standalone transformers model of ``policy``, its pipeline task, export facts."""
    if isinstance(policy, TaggingPolicy):
        if policy.condition_on_previous_tag:
            raise InputError(
                "cannot export a tagging policy conditioned on the previous tag: a token "
                "classifier scores each word alone (train with condition_on_previous_tag=False)"
            )
        base = _merged_transformer(policy)
        labels = list(policy.tag_names)
        model = _with_head(base, AutoModelForTokenClassification, labels, policy.tag_head)
        decoding = "each word takes the most likely tag of its first sub-word"
        return model, "token-classification", {"labels": labels, "decoding": decoding}
    if isinstance(policy, ClassificationPolicy):
        if policy.causal or policy.pooling != "pooler":
            raise InputError(
                f"cannot export a classification policy with "
                f"{'a causal backbone' if policy.causal else 'mean pooling'}: transformers' "
                "sequence classifiers read a pooled [CLS] state (train an encoder policy with "
                "policy_kwargs.pooling=pooler)"
            )
        base = _merged_transformer(policy)
        labels = list(policy.label_names)
        answers = nn.Linear(policy.action_head.in_features, len(labels))
        first = 1 if policy.mode == "read" else 0  # action 0 reads on: not a class
        answers.weight.data = policy.action_head.weight.data[first:].clone()
        answers.bias.data = policy.action_head.bias.data[first:].clone()
        model = _with_head(base, AutoModelForSequenceClassification, labels, answers)
        return model, "text-classification", {"labels": labels}
    if isinstance(policy, GenerativePolicy):
        model = _merged_transformer(policy)
        generation = model.generation_config
        sampling = policy.temperature > 0
        generation.do_sample = sampling
        generation.temperature = policy.temperature if sampling else None
        generation.top_k = policy.top_k if sampling else None
        generation.top_p = policy.top_p if sampling else None
        generation.eos_token_id = policy.tokenizer.eos_token_id
        cut = policy.max_prompt_tokens
        facts: dict[str, Any] = {"prompt_template": policy.prompt_template}
        if cut is not None:
            facts["max_prompt_tokens"] = cut
            facts["decoding"] = (
                f"the policy cut a prompt longer than {cut} tokens at its end (its template "
                "stays); the pipeline does not: cut long prompts first"
            )
        return model, "text-generation", facts
    raise InputError(f"cannot export a {type(policy).__name__}: no transformers model for it")


def _merged_transformer(policy: PeftPolicy) -> nn.Module:
    """A copy of the policy's transformer with its adapter folded into the weights."""
    method = policy.peft_spec.method
    if method not in MERGEABLE:
        raise InputError(
            f"cannot export a {method} policy: its {_UNMERGEABLE.get(method, 'adapter')} "
            f"cannot be folded into the model's weights (export supports {', '.join(MERGEABLE)})"
        )
    if any(isinstance(module, BottleneckAdapter) for module in policy.transformer.modules()):
        raise InputError(
            "cannot export a policy whose backbone holds bottleneck adapters (it started from "
            "an adapter policy): they cannot be folded into the model's weights"
        )
    model = copy.deepcopy(policy.transformer).cpu()
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()
    model.requires_grad_(False)
    return model.eval()


_UNMERGEABLE = {
    "prompt_tuning": "virtual tokens",
    "prefix_tuning": "virtual key/value prefixes",
    "adapter": "bottleneck adapters (a non-linearity)",
}


def _with_head(base: nn.Module, auto_class: Any, labels: list[str], head: nn.Linear) -> nn.Module:
    """``auto_class``'s model for ``base``'s architecture, ``base``'s weights and ``head``.

    ``head`` becomes its classifier, ``labels`` its ``id2label``.
    """
    config = copy.deepcopy(base.config)
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    try:
        model = auto_class.from_config(config)
    except ValueError:
        raise InputError(
            f"transformers has no {auto_class.__name__[4:]} for {type(base).__name__}"
        ) from None
    missing, _ = model.base_model.load_state_dict(base.state_dict(), strict=False)
    classifier = getattr(model, "classifier", None)
    fits = isinstance(classifier, nn.Linear) and classifier.weight.shape == head.weight.shape
    if missing or not fits:
        raise InputError(
            f"cannot export onto {type(model).__name__}: its encoder or classifier does not "
            "match the policy's (a linear head on the encoder's states)"
        )
    with torch.no_grad():
        classifier.weight.copy_(head.weight)
        classifier.bias.copy_(head.bias)
    return model.eval()


def model_card(info: dict[str, Any], run: dict[str, Any], run_config: dict[str, Any]) -> str:
    """The export's README.md: what the model is, how it was made, how to call it."""
    task = info["pipeline_task"]
    env = run_config.get("env", run.get("env", "unknown"))
    learner = run_config.get("learner", run.get("learner", "unknown"))
    data = run_config.get("data") or "the env's built-in corpus"
    lines = [
        "---",
        "library_name: transformers",
        f"pipeline_tag: {task}",
        "tags: [textenvs, reinforcement-learning, peft]",
        "---",
        "",
        f"# {env}: {info['policy']} ({learner}), exported by textenvs {info['textenvs_version']}",
        "",
        f"- Env: `{env}`, env arguments `{json.dumps(run_config.get('env_kwargs', {}))}`",
        f"- Data: {data}",
        f"- Learner: `{learner}`, settings `{json.dumps(run_config.get('learner_config', {}))}`",
        f"- Backbone: `{info['backbone']}` with `{info['peft']}` (merged into these weights)",
        f"- Seed: {run_config.get('seed', run.get('seed', 'unknown'))}",
    ]
    for split, key in (("best validation", "best"), ("test", "test")):
        metrics = run.get(key) or {}  # None in a run without evaluation or test
        metrics = (metrics.get("validation") or {}) if key == "best" else metrics
        if metrics:
            shown = ", ".join(
                f"{name} {value:.4f}" for name, value in metrics.items() if name != "episodes"
            )
            lines.append(f"- Metrics, {split}: {shown}")
    lines += ["", "## Use", "", "```python", "from transformers import pipeline", ""]
    if task == "token-classification":
        lines += [
            'tagger = pipeline("token-classification", model="PATH", aggregation_strategy="first")',
            'tagger("George Washington went to Washington .")',
        ]
    elif task == "text-classification":
        lines += ['classifier = pipeline("text-classification", model="PATH")', 'classifier("...")']
    else:
        template = info["prompt_template"]
        lines += [
            'writer = pipeline("text-generation", model="PATH")',
            f"prompt = {template!r}.format(prompt=TEXT)",
            "writer(prompt, return_full_text=False, max_new_tokens=32)",
        ]
    lines += ["```", ""]
    if "decoding" in info:
        lines += [f"Decoding: {info['decoding']}.", ""]
    if run_config:
        lines += [
            "## How it was made",
            "",
            "`run_config.json` (next to this file) holds every setting of the run:",
            "",
            "```bash",
            "textenvs train --config run_config.json --out runs/again",
            "```",
            "",
        ]
    return "\n".join(lines)


def pipeline_word_tags(tokens: list[Any], words: list[str]) -> list[str]:
    """Each word's tag from a token-classification pipeline's output on ``words``.

    ``tokens`` is ``pipeline(words, is_split_into_words=True)`` with the default
    ``aggregation_strategy="none"`` and ``ignore_labels=[]`` (every token with its label); a
    word's tag is its first token's, as the tagging policy reads it ("O" for a word that
    made no token).
    """
    tokens = tokens[0] if tokens and isinstance(tokens[0], list) else tokens
    label = {token["start"]: token["entity"] for token in reversed(tokens)}  # first wins
    starts, position = [], 0
    for word in words:  # the pipeline joins split words with single spaces
        starts.append(position)
        position += len(word) + 1
    return [label.get(start, "O") for start in starts]


def _read_json(path: Path) -> Any:
    """A JSON file's content, or None if absent; a clear error if unreadable."""
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: unreadable ({error})") from None
